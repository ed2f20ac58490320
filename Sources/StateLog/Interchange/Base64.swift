/// Base64 (RFC 4648, standard alphabet, with padding) for `data_base64` in the
/// JSON Lines interchange format, without Foundation.
enum Base64 {
  private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  /// Each byte's value in the alphabet, or 0xFF for a byte that is not in it.
  private static let values: [UInt8] = {
    var values = [UInt8](repeating: 0xFF, count: 256)
    for (value, byte) in alphabet.enumerated() { values[Int(byte)] = UInt8(value) }
    return values
  }()

  static func encode(_ bytes: [UInt8]) -> String {
    var text: [UInt8] = []
    text.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
      let count = min(3, bytes.count - index)
      var group: UInt32 = 0
      for offset in 0..<3 { group = group << 8 | UInt32(offset < count ? bytes[index + offset] : 0) }
      for position in 0..<4 {
        text.append(
          position <= count ? alphabet[Int(group >> (18 - 6 * UInt32(position)) & 0x3F)] : UInt8(ascii: "="))
      }
      index += 3
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// The bytes `text` encodes, or `nil` if it is not canonical padded base64
  /// (wrong length, a byte outside the alphabet, misplaced padding, or
  /// nonzero bits after the last byte).
  static func decode(_ text: String) -> [UInt8]? {
    let characters = Array(text.utf8)
    guard characters.count % 4 == 0 else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(characters.count / 4 * 3)
    var index = 0
    while index < characters.count {
      let isLast = index + 4 == characters.count
      let padding =
        isLast ? characters[(index + 2)...].reversed().prefix { $0 == UInt8(ascii: "=") }.count : 0
      var group: UInt32 = 0
      for offset in 0..<4 {
        let character = characters[index + offset]
        if offset >= 4 - padding {
          group <<= 6
          continue
        }
        let value = values[Int(character)]
        guard value != 0xFF else { return nil }
        group = group << 6 | UInt32(value)
      }
      let count = 3 - padding
      // Canonical: the bits padding leaves over must be zero.
      guard group & ((1 << (8 * UInt32(3 - count))) - 1) == 0 else { return nil }
      for offset in 0..<count { bytes.append(UInt8(truncatingIfNeeded: group >> (16 - 8 * UInt32(offset)))) }
      index += 4
    }
    return bytes
  }
}
