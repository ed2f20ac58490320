/// A 128-bit event id, written and parsed as a UUID string.
///
/// Ids let a retried append be recognised. Generate one per event with
/// ``random()`` (a version 4 UUID) or carry one from the caller's own system.
public struct EventID: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The first 8 bytes of the UUID, big-endian.
  public var high: UInt64
  /// The last 8 bytes of the UUID, big-endian.
  public var low: UInt64

  public init(high: UInt64, low: UInt64) {
    self.high = high
    self.low = low
  }

  /// A random version 4 UUID from the system's random source.
  ///
  /// Randomness is fetched from the kernel 4 KiB at a time, so generating an id
  /// costs no system call in the common case.
  public static func random() -> EventID {
    var generator = RandomPool.Generator()
    return random(using: &generator)
  }

  /// A random version 4 UUID from `generator`, for reproducible tests.
  public static func random(using generator: inout some RandomNumberGenerator) -> EventID {
    let high = (generator.next() & ~0xF000) | 0x4000
    let low = (generator.next() & ~(0xC000 << 48)) | (0x8000 << 48)
    return EventID(high: high, low: low)
  }

  /// Parses a UUID string such as `"6ba7b810-9dad-11d1-80b4-00c04fd430c8"`
  /// (hex digits, either case, hyphens optional); `nil` if malformed.
  public init?(_ text: some StringProtocol) {
    var value: (UInt64, UInt64) = (0, 0)
    var digits = 0
    for unit in text.utf8 {
      if unit == UInt8(ascii: "-") { continue }
      guard let nibble = Self.nibble(unit), digits < 32 else { return nil }
      if digits < 16 {
        value.0 = value.0 << 4 | UInt64(nibble)
      } else {
        value.1 = value.1 << 4 | UInt64(nibble)
      }
      digits += 1
    }
    guard digits == 32 else { return nil }
    self.init(high: value.0, low: value.1)
  }

  /// The lowercase, hyphenated UUID form.
  public var description: String {
    let hex = Self.hex(high, digits: 16) + Self.hex(low, digits: 16)
    var result = ""
    result.reserveCapacity(36)
    for (index, character) in hex.enumerated() {
      if index == 8 || index == 12 || index == 16 || index == 20 { result.append("-") }
      result.append(character)
    }
    return result
  }

  public static func < (lhs: EventID, rhs: EventID) -> Bool {
    (lhs.high, lhs.low) < (rhs.high, rhs.low)
  }

  private static func nibble(_ unit: UInt8) -> UInt8? {
    switch unit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): unit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): unit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): unit - UInt8(ascii: "A") + 10
    default: nil
    }
  }

  private static func hex(_ value: UInt64, digits: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: digits - text.count) + text
  }
}
