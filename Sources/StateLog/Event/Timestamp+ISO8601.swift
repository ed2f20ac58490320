extension Timestamp {
  /// The time an ISO 8601 text names, exactly, to the nanosecond:
  /// `2026-11-24T14:02:00Z`, `2026-11-24T14:02:00.123456789Z`,
  /// `2026-11-24T16:02:00+02:00`; `nil` for anything else, or a time outside
  /// what 64 bits of nanoseconds since 1970 hold.
  ///
  /// (Foundation's formatter stops at milliseconds, and an export must import
  /// back exactly.)
  public init?(iso8601 text: String) {
    guard let nanoseconds = ISO8601.parse(text) else { return nil }
    self.init(nanosecondsSinceEpoch: nanoseconds)
  }
}

enum ISO8601 {
  static func parse(_ text: String) -> Int64? {
    let bytes = Array(text.utf8)
    var position = 0
    func number(_ digits: Int) -> Int64? {
      guard position + digits <= bytes.count else { return nil }
      var value: Int64 = 0
      for byte in bytes[position..<position + digits] {
        guard byte >= 48 && byte <= 57 else { return nil }
        value = value * 10 + Int64(byte - 48)
      }
      position += digits
      return value
    }
    func expect(_ character: Character) -> Bool {
      guard position < bytes.count, bytes[position] == character.asciiValue! else { return false }
      position += 1
      return true
    }
    guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
      position < bytes.count, bytes[position] == UInt8(ascii: "T") || bytes[position] == UInt8(ascii: " "),
      expect(Character(UnicodeScalar(bytes[position]))), let hour = number(2), expect(":"),
      let minute = number(2), expect(":"), let second = number(2),
      (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
    else { return nil }
    var nanoseconds: Int64 = 0
    if position < bytes.count
      && (bytes[position] == UInt8(ascii: ".") || bytes[position] == UInt8(ascii: ","))
    {
      position += 1
      var digits = 0
      while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 {
        if digits < 9 { nanoseconds = nanoseconds * 10 + Int64(bytes[position] - 48) }
        digits += 1
        position += 1
      }
      guard digits > 0 else { return nil }
      // Digits past the ninth are below a nanosecond: they were dropped above.
      for _ in min(digits, 9)..<9 { nanoseconds *= 10 }
    }
    var offsetSeconds: Int64 = 0
    if expect("Z") || expect("z") {
      offsetSeconds = 0
    } else if position < bytes.count,
      bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
    {
      let sign: Int64 = bytes[position] == UInt8(ascii: "+") ? 1 : -1
      position += 1
      guard let hours = number(2), expect(":") || true, let minutes = number(2), hours < 24, minutes < 60
      else {
        return nil
      }
      offsetSeconds = sign * (hours * 3_600 + minutes * 60)
    } else {
      return nil
    }
    guard position == bytes.count else { return nil }
    let seconds =
      daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second
      - offsetSeconds
    // The earliest times are representable only as a negative second count plus
    // a positive fraction, so scale one second less and add the fraction after.
    let shifted = seconds < 0 && nanoseconds > 0
    let whole = shifted ? seconds + 1 : seconds
    let fraction = shifted ? nanoseconds - 1_000_000_000 : nanoseconds
    let (scaled, overflow) = whole.multipliedReportingOverflow(by: 1_000_000_000)
    guard !overflow else { return nil }
    let (total, carry) = scaled.addingReportingOverflow(fraction)
    return carry ? nil : total
  }

  /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
  static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let shifted = month <= 2 ? year - 1 : year
    let era = (shifted >= 0 ? shifted : shifted - 399) / 400
    let yearOfEra = shifted - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }
}
