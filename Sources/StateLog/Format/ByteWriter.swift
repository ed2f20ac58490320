/// Appends little-endian integers, LEB128 varints and length-prefixed strings to a
/// growable byte array (format-spec.md, "Encodings").
///
/// The engine keeps one writer per log and calls ``reset()`` between batches, so
/// encoding reuses its capacity instead of allocating per append.
struct ByteWriter: Sendable {
  var bytes: [UInt8]

  init(capacity: Int = 0) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  var count: Int { bytes.count }

  mutating func reset() {
    bytes.removeAll(keepingCapacity: true)
  }

  mutating func append(_ byte: UInt8) {
    bytes.append(byte)
  }

  mutating func append<Integer: FixedWidthInteger>(littleEndian value: Integer) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }

  mutating func append(contentsOf buffer: UnsafeRawBufferPointer) {
    bytes.append(contentsOf: buffer)
  }

  mutating func append(contentsOf array: [UInt8]) {
    bytes.append(contentsOf: array)
  }

  /// Appends `value` as an unsigned LEB128 varint: 7 bits per byte, low bits
  /// first, high bit set on every byte but the last; at most 10 bytes.
  mutating func appendVarint(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }

  /// Appends a varint byte count followed by the string's UTF-8 bytes.
  mutating func appendString(_ string: String) {
    var string = string
    string.withUTF8 { utf8 in
      appendVarint(UInt64(utf8.count))
      bytes.append(contentsOf: utf8)
    }
  }

  /// Overwrites a fixed-width little-endian integer at `offset`, for header fields
  /// that are known only after the body is written.
  mutating func set<Integer: FixedWidthInteger>(littleEndian value: Integer, at offset: Int) {
    withUnsafeBytes(of: value.littleEndian) { source in
      bytes.withUnsafeMutableBytes { target in
        target.baseAddress!.advanced(by: offset).copyMemory(
          from: source.baseAddress!, byteCount: source.count)
      }
    }
  }

  /// The number of bytes `value` takes as a varint.
  static func varintSize(_ value: UInt64) -> Int {
    value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
  }
}
