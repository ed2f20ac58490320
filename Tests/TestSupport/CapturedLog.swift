public import Logging
import Synchronization

/// A logger that keeps what is logged, for tests that check that a failure
/// the library tolerates is still reported.
public final class CapturedLog: Sendable {
  private let messages = Mutex<[(level: Logger.Level, message: String)]>([])

  public init() {}

  public var logger: Logger {
    Logger(label: "statelog.tests.captured") { _ in Handler(log: self) }
  }

  /// Everything logged at `level` or above, oldest first.
  public func messages(atLeast level: Logger.Level) -> [String] {
    messages.withLock { $0.filter { $0.level >= level }.map(\.message) }
  }

  fileprivate func record(_ level: Logger.Level, _ message: String) {
    messages.withLock { $0.append((level, message)) }
  }

  private struct Handler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
      log.record(event.level, "\(event.message) \(event.metadata ?? [:])")
    }
  }
}
