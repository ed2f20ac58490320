import Glibc

/// The one error type that every throwing StateLog API throws.
///
/// Each error carries a ``Code`` to switch on and the facts a person needs to act:
/// the file and byte offset of a problem on disk, the stream, the versions involved,
/// or the operating system's `errno`. Its `description` is one line that names the
/// problem and where it is, for example
/// `checksum mismatch in batch at 00000000000000000001.seg offset 4096`.
public struct StateLogError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What went wrong, as an extensible set of codes.
  ///
  /// New codes may be added in later releases, so a `switch` over codes should
  /// keep a `default` branch.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    enum Value: String, Hashable, Sendable {
      case ioFailure = "I/O failure"
      case corruption = "corruption"
      case notALog = "not a StateLog log"
      case newerFormat = "newer format version"
      case locked = "locked by another writer"
      case closed = "log is closed"
      case failed = "log failed"
      case readOnly = "log is read-only"
      case invalidArgument = "invalid argument"
      case payloadTooLarge = "payload too large"
      case sequenceOutOfRange = "sequence out of range"
      case wrongExpectedVersion = "wrong expected version"
      case duplicateEventID = "duplicate event id"
      case unsupportedSchemaVersion = "unsupported schema version"
      case malformedPayload = "malformed payload"
    }
    let value: Value

    /// A system call failed; ``StateLogError/errno`` says why.
    public static let ioFailure = Code(value: .ioFailure)
    /// Bytes on disk are not what StateLog wrote: a checksum mismatch, a bad
    /// header, a gap between segments. ``StateLogError/file`` and
    /// ``StateLogError/offset`` say where.
    public static let corruption = Code(value: .corruption)
    /// The directory exists but holds no StateLog segments.
    public static let notALog = Code(value: .notALog)
    /// The log was written by a newer format version than this code reads.
    public static let newerFormat = Code(value: .newerFormat)
    /// Another writer holds the log's lock; ``StateLogError/pid`` names it.
    public static let locked = Code(value: .locked)
    /// The log was closed.
    public static let closed = Code(value: .closed)
    /// An earlier write or fsync failed, so the log refuses further appends
    /// until it is reopened.
    public static let failed = Code(value: .failed)
    /// The log was opened read-only and cannot append.
    public static let readOnly = Code(value: .readOnly)
    /// An argument is not valid: an empty append, a malformed stream id, an
    /// option out of range.
    public static let invalidArgument = Code(value: .invalidArgument)
    /// An event's payload or metadata exceeds the configured maximum.
    public static let payloadTooLarge = Code(value: .payloadTooLarge)
    /// A requested sequence number is not in the log.
    public static let sequenceOutOfRange = Code(value: .sequenceOutOfRange)
    /// A stream's version is not what the append expected; nothing was written.
    /// ``StateLogError/stream``, ``StateLogError/expectedVersion`` and
    /// ``StateLogError/actualVersion`` say which and how.
    public static let wrongExpectedVersion = Code(value: .wrongExpectedVersion)
    /// An event id that is already in the log was reused for different content
    /// or at a different position, or only some events of an append were
    /// already written; nothing was written.
    public static let duplicateEventID = Code(value: .duplicateEventID)
    /// An event's schema version is newer than the running code knows, or the
    /// upcaster chain from it is missing a step or failed.
    public static let unsupportedSchemaVersion = Code(value: .unsupportedSchemaVersion)
    /// A payload does not decode with the codec, or not as the requested type.
    public static let malformedPayload = Code(value: .malformedPayload)

    public var description: String { value.rawValue }
  }

  /// What went wrong.
  public var code: Code
  /// A one-line explanation of the specific failure.
  public var message: String
  /// The file involved, as a name relative to the log directory where possible.
  public var file: String?
  /// The byte offset in ``file`` where the problem was found.
  public var offset: UInt64?
  /// The operating system's error number, for ``Code/ioFailure``.
  public var errno: Int32?
  /// The process id holding the lock, for ``Code/locked``.
  public var pid: Int32?
  /// The stream involved, for ``Code/wrongExpectedVersion``.
  public var stream: String?
  /// What the append expected, for ``Code/wrongExpectedVersion``.
  public var expectedVersion: ExpectedVersion?
  /// The stream's actual last version (0 for no stream), for ``Code/wrongExpectedVersion``.
  public var actualVersion: UInt64?

  init(
    _ code: Code, _ message: String, file: String? = nil, offset: UInt64? = nil,
    errno: Int32? = nil, pid: Int32? = nil
  ) {
    self.code = code
    self.message = message
    self.file = file
    self.offset = offset
    self.errno = errno
    self.pid = pid
  }

  public var description: String {
    var text = message
    if let file {
      text += " in \(file)"
      if let offset { text += " at offset \(offset)" }
    }
    if let errno { text += " (errno \(errno): \(Self.describe(errno: errno)))" }
    return text
  }

  static func describe(errno: Int32) -> String {
    String(cString: strerror(errno))
  }
}

extension StateLogError {
  /// Runs `body`, which throws only ``StateLogError`` but through a `rethrows`
  /// API that erases the type, and restores the type.
  static func typed<Result>(_ body: () throws -> Result) throws(StateLogError) -> Result {
    do {
      return try body()
    } catch let error as StateLogError {
      throw error
    } catch {
      throw StateLogError(.invalidArgument, "unexpected error: \(error)")
    }
  }
}
