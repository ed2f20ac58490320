import AgentState
import StateLog

/// `--at`, `--since` and the like: the library's point grammar
/// (``StatePoint/init(parsing:now:)``), with its errors as command failures.
enum PointParser {
  /// A point that must be a time (`--since`, `--before`): ISO 8601 or relative.
  static func time(_ text: String) throws -> Timestamp {
    guard case .timestamp(let time) = try parse(text) else {
      throw CommandFailure("\(text) is not a time: give an ISO 8601 time or a relative one like -2h")
    }
    return time
  }

  static func parse(_ text: String) throws -> StatePoint {
    do {
      return try StatePoint(parsing: text)
    } catch {
      throw CommandFailure(error.message)
    }
  }
}
