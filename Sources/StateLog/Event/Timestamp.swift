import Glibc

/// A point in time as nanoseconds since the Unix epoch, UTC.
///
/// Timestamps come from the log's clock (``LogOptions/clock``) or from the
/// caller. They need not be monotonic: a clock that steps backwards is allowed,
/// and time queries use the running maximum (format-spec.md, "Time index").
public struct Timestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
  public var nanosecondsSinceEpoch: Int64

  public init(nanosecondsSinceEpoch: Int64) {
    self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
  }

  /// The system's real-time clock.
  public static func now() -> Timestamp {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Timestamp(nanosecondsSinceEpoch: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
  }

  public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
    lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
  }

  public static let distantPast = Timestamp(nanosecondsSinceEpoch: .min)
  public static let distantFuture = Timestamp(nanosecondsSinceEpoch: .max)

  /// An ISO 8601 UTC form with nanoseconds, such as `2026-11-24T14:02:00.123456789Z`.
  public var description: String {
    // Floor division, written so that nothing overflows, Int64.min included.
    let remainder = nanosecondsSinceEpoch % 1_000_000_000
    let seconds = nanosecondsSinceEpoch / 1_000_000_000 - (remainder < 0 ? 1 : 0)
    let nanoseconds = remainder < 0 ? remainder + 1_000_000_000 : remainder
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    func pad(_ value: Int32, _ width: Int) -> String {
      let text = String(value)
      return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    let fraction = String(nanoseconds)
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
      + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
      + ".\(String(repeating: "0", count: 9 - fraction.count))\(fraction)Z"
  }
}
