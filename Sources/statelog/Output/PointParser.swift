import AgentState
import ArgumentParser
import Foundation
import StateLog

/// Parses `--at` values: `1234` or `seq:1234` (a sequence number), `v:17` (a
/// stream version), an ISO 8601 time (`2026-11-24T14:02:00Z`, fractional
/// seconds and offsets accepted) or a time relative to now (`-2h`, `-30m`,
/// `-45s`, `-1d`).
enum PointParser {
  /// A point that must be a time (`--since`, `--before`): ISO 8601 or relative.
  static func time(_ text: String) throws -> Timestamp {
    guard case .timestamp(let time) = try parse(text) else {
      throw CommandFailure("\(text) is not a time: give an ISO 8601 time or a relative one like -2h")
    }
    return time
  }

  static func parse(_ text: String, now: Date = Date()) throws -> StatePoint {
    if let number = UInt64(text) { return .sequence(number) }
    if text.hasPrefix("seq:"), let number = UInt64(text.dropFirst(4)) { return .sequence(number) }
    if text.hasPrefix("v:"), let number = UInt64(text.dropFirst(2)) { return .version(number) }
    if let relative = relativeSeconds(text) {
      return .timestamp(timestamp(now.addingTimeInterval(-relative)))
    }
    if let nanoseconds = ISO8601.parse(text) {
      return .timestamp(Timestamp(nanosecondsSinceEpoch: nanoseconds))
    }
    throw CommandFailure(
      "bad --at \"\(text)\": expected a sequence (1234, seq:1234), a version (v:17), "
        + "an ISO 8601 time (2026-11-24T14:02:00Z) or a relative time (-2h)")
  }

  /// `-2h` and friends, in seconds before now.
  static func relativeSeconds(_ text: String) -> Double? {
    guard text.hasPrefix("-"), let unit = text.last, let amount = Double(text.dropFirst().dropLast()),
      amount >= 0
    else { return nil }
    switch unit {
    case "s": return amount
    case "m": return amount * 60
    case "h": return amount * 3_600
    case "d": return amount * 86_400
    default: return nil
    }
  }

  static func timestamp(_ date: Date) -> Timestamp {
    Timestamp(nanosecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1_000_000_000).rounded()))
  }
}
