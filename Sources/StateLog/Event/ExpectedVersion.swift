/// What an append expects of a stream's current version: optimistic
/// concurrency control, as in EventStoreDB.
///
/// An append checks every stream's expectation and writes nothing if any fails,
/// throwing ``StateLogError`` with code ``StateLogError/Code/wrongExpectedVersion``
/// and the stream's actual version. Versions count from 1; a stream with no
/// events is at version 0.
public enum ExpectedVersion: Hashable, Sendable, CustomStringConvertible {
  /// No expectation: append whatever the stream's version is.
  case any
  /// The stream must have no events yet.
  case noStream
  /// The stream must have at least one event.
  case streamExists
  /// The stream's last version must be exactly this (0 means no events).
  case version(UInt64)

  /// Whether a stream whose last version is `actual` meets this expectation.
  public func isSatisfied(by actual: UInt64) -> Bool {
    switch self {
    case .any: true
    case .noStream: actual == 0
    case .streamExists: actual > 0
    case .version(let expected): actual == expected
    }
  }

  public var description: String {
    switch self {
    case .any: "any version"
    case .noStream: "no stream"
    case .streamExists: "an existing stream"
    case .version(let version): "version \(version)"
    }
  }
}
