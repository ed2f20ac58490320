public import StateLog

extension StatePoint {
  /// Parses a point as people write it (the CLI's `--at`): `1234` or
  /// `seq:1234` (a sequence number), `v:17` (a stream version), an ISO 8601
  /// time (`2026-11-24T14:02:00Z`, fractional seconds and offsets accepted) or
  /// a time before `now` (`-45s`, `-30m`, `-2h`, `-1d`, fractions allowed).
  ///
  /// - Throws: ``AgentStateError/Code/invalidArgument`` naming the accepted forms.
  public init(parsing text: String, now: Timestamp = .now()) throws(AgentStateError) {
    if let number = UInt64(text) {
      self = .sequence(number)
    } else if text.hasPrefix("seq:"), let number = UInt64(text.dropFirst(4)) {
      self = .sequence(number)
    } else if text.hasPrefix("v:"), let number = UInt64(text.dropFirst(2)) {
      self = .version(number)
    } else if let before = Self.relativeNanoseconds(text) {
      let (time, overflow) = now.nanosecondsSinceEpoch.subtractingReportingOverflow(before)
      self = .timestamp(overflow || before == .max ? .distantPast : Timestamp(nanosecondsSinceEpoch: time))
    } else if let time = Timestamp(iso8601: text) {
      self = .timestamp(time)
    } else {
      throw AgentStateError(
        .invalidArgument,
        "bad point \"\(text)\": expected a sequence (1234, seq:1234), a version (v:17), "
          + "an ISO 8601 time (2026-11-24T14:02:00Z) or a relative time (-2h)")
    }
  }

  /// `-2h` and friends, in nanoseconds before now; `Int64.max` for spans
  /// longer than 64 bits of nanoseconds hold (about 292 years), which mean
  /// "since the beginning".
  static func relativeNanoseconds(_ text: String) -> Int64? {
    guard text.hasPrefix("-"), let unit = text.last, let amount = Double(text.dropFirst().dropLast()),
      amount >= 0, amount.isFinite
    else { return nil }
    let seconds: Double
    switch unit {
    case "s": seconds = 1
    case "m": seconds = 60
    case "h": seconds = 3_600
    case "d": seconds = 86_400
    default: return nil
    }
    let nanoseconds = (amount * seconds * 1_000_000_000).rounded()
    // Int64(_:) traps past Int64.max; 2^63 is the first Double that far.
    return nanoseconds < 9_223_372_036_854_775_808.0 ? Int64(nanoseconds) : .max
  }
}
