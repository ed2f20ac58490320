public import Logging

/// How to open a log.
public struct LogOptions: Sendable {
  /// How the body of each batch is compressed.
  public enum Compression: Hashable, Sendable {
    /// Bodies are stored as they are.
    case none
    /// Bodies are LZ4-compressed when that makes them smaller.
    case lz4
  }

  /// A segment rolls when the next append would take it past this many bytes
  /// (an append is never split across segments, so one large append can exceed it).
  /// Default 64 MiB.
  public var segmentSize: Int = 64 << 20
  /// When appends become durable. Default ``Durability/groupCommit``.
  public var durability: Durability = .groupCommit
  /// Compression of batch bodies. Default ``Compression/lz4``.
  public var compression: Compression = .lz4
  /// Bytes between entries of the sparse offset and time index. Default 4096.
  public var indexInterval: Int = 4096
  /// The largest payload one event may carry. Default 16 MiB.
  public var maximumPayloadSize: Int = 16 << 20
  /// An append whose records exceed this many bytes is written as several batches
  /// (still atomically). Default 1 MiB.
  public var maximumBatchSize: Int = 1 << 20
  /// How many of the most recent events' ids the log remembers to recognise a
  /// retried append (``Log/append(_:expecting:)``). Default 100,000; 0 turns
  /// retry detection off. Costs about 50 bytes of memory per event.
  public var idempotencyWindow: Int = 100_000
  /// Whether opening may move unreadable data aside instead of failing
  /// (format-spec.md, "Recovery"). Default `false`.
  public var salvage: Bool = false
  /// Create the directory and an empty log when none exists. Default `true`.
  public var createIfMissing: Bool = true
  /// Whether a long scan (``Log/forEachEvent(from:through:readAhead:_:)``)
  /// hands the rest of each segment, after its first megabyte, to a helper
  /// thread that reads and decompresses batches ahead of the reader, on
  /// machines with more than one core. Default `true`; `false` keeps every
  /// scan on the calling thread (a process that runs scans on every core
  /// already, say).
  public var parallelScans: Bool = true
  /// How many bytes of a segment a scan reads on its own before handing the
  /// rest to the helper of ``parallelScans`` (if at least as many are left);
  /// tests lower it.
  var scanAheadAfter: UInt64 = 1 << 20

  /// When a scan hands the rest of a segment to a helper (``ScanAhead``):
  /// after ``scanAheadAfter`` bytes, or never (`nil`) where there is no
  /// second core or ``parallelScans`` is off.
  var scanHandOver: UInt64? { parallelScans && ScanAhead.isAvailable ? scanAheadAfter : nil }
  /// Where the log reports what recovery did (torn tails truncated, indexes
  /// rebuilt, data moved aside); `nil` uses the task-local `Logger.current` of
  /// the task that opens the log. The same facts are in ``Log/recoveryReport``.
  public var logger: Logger?
  /// The clock that timestamps events appended without one. Default: the system's real-time clock.
  public var clock: @Sendable () -> Timestamp = { Timestamp.now() }

  /// The file-system seam; tests replace it to inject faults.
  var fileIO: any FileIO = POSIXFileIO()

  public init() {}

  func validate() throws(StateLogError) {
    guard segmentSize >= 4096 else {
      throw StateLogError(.invalidArgument, "segment size must be at least 4096 bytes, got \(segmentSize)")
    }
    guard idempotencyWindow >= 0 else {
      throw StateLogError(
        .invalidArgument, "idempotency window must not be negative, got \(idempotencyWindow)")
    }
    guard indexInterval >= 1 else {
      throw StateLogError(.invalidArgument, "index interval must be positive, got \(indexInterval)")
    }
    guard maximumPayloadSize >= 0, maximumPayloadSize <= 1 << 30 else {
      throw StateLogError(
        .invalidArgument, "maximum payload size must be 0 to 1 GiB, got \(maximumPayloadSize)")
    }
    guard maximumBatchSize >= 1024, maximumBatchSize <= 1 << 30 else {
      throw StateLogError(
        .invalidArgument, "maximum batch size must be 1 KiB to 1 GiB, got \(maximumBatchSize)")
    }
    if case .periodic(let milliseconds) = durability, milliseconds < 1 {
      throw StateLogError(.invalidArgument, "periodic sync interval must be positive, got \(milliseconds) ms")
    }
  }
}

extension LogOptions {
  /// Where a log reports what it tolerates: ``logger``, or the task's.
  var reportingLogger: Logger { logger ?? Logger.current }
}
