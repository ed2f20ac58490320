/// Why a ``ByteReader`` stopped; callers turn it into a ``StateLogError`` that
/// names the file and offset.
package enum DecodingFailure: Error, Sendable, Equatable {
  /// A field runs past the end of its enclosing buffer.
  case truncated
  /// A varint is longer than 10 bytes or overflows 64 bits.
  case malformedVarint
  /// A string is not valid UTF-8.
  case malformedString
  /// A value breaks a rule of the format (an index out of range, a reserved bit set).
  case invalid(String)

  var message: String {
    switch self {
    case .truncated: "field runs past the end of its record"
    case .malformedVarint: "malformed varint"
    case .malformedString: "string is not valid UTF-8"
    case .invalid(let reason): reason
    }
  }
}

/// Reads the encodings of format-spec.md ("Encodings") from a borrowed buffer,
/// bounds-checking every field so that no byte sequence can make it read out of
/// range or allocate without limit.
struct ByteReader {
  let buffer: UnsafeRawBufferPointer
  private(set) var position: Int

  init(_ buffer: UnsafeRawBufferPointer, position: Int = 0) {
    self.buffer = buffer
    self.position = position
  }

  var remaining: Int { buffer.count - position }
  var isAtEnd: Bool { position >= buffer.count }

  mutating func readByte() throws(DecodingFailure) -> UInt8 {
    guard position < buffer.count else { throw .truncated }
    defer { position += 1 }
    return buffer[position]
  }

  mutating func read<Integer: FixedWidthInteger>(littleEndian type: Integer.Type)
    throws(DecodingFailure) -> Integer
  {
    let size = MemoryLayout<Integer>.size
    guard remaining >= size else { throw .truncated }
    defer { position += size }
    return Integer(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: Integer.self))
  }

  @inline(__always)
  mutating func readVarint() throws(DecodingFailure) -> UInt64 {
    // Most varints are one byte (lengths, deltas, indexes): inline that case.
    if position < buffer.count, buffer[position] < 0x80 {
      defer { position += 1 }
      return UInt64(buffer[position])
    }
    return try readLongVarint()
  }

  private mutating func readLongVarint() throws(DecodingFailure) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard position < buffer.count else { throw .truncated }
      let byte = buffer[position]
      position += 1
      if shift == 63 && byte > 1 { throw .malformedVarint }
      result |= UInt64(byte & 0x7F) << shift
      if byte < 0x80 { return result }
      shift += 7
      if shift > 63 { throw .malformedVarint }
    }
  }

  /// Reads a varint that must fit in `Int` and be at most `limit`.
  mutating func readLength(limit: Int) throws(DecodingFailure) -> Int {
    let value = try readVarint()
    guard value <= UInt64(limit) else { throw .truncated }
    return Int(value)
  }

  /// Returns a view of the next `count` bytes and skips them.
  mutating func readSlice(count: Int) throws(DecodingFailure) -> UnsafeRawBufferPointer {
    guard count >= 0, remaining >= count else { throw .truncated }
    defer { position += count }
    return UnsafeRawBufferPointer(rebasing: buffer[position..<position + count])
  }

  mutating func readString() throws(DecodingFailure) -> String {
    let count = try readLength(limit: remaining)
    return try Self.string(decoding: try readSlice(count: count))
  }

  /// `bytes` as a string, if they are valid UTF-8.
  static func string(decoding raw: UnsafeRawBufferPointer) throws(DecodingFailure) -> String {
    let bytes = raw.assumingMemoryBound(to: UInt8.self)
    // ASCII needs no validation, and the concrete decoding initialiser is far
    // cheaper than the generic validating one.
    if isASCII(raw) { return String(decoding: bytes, as: UTF8.self) }
    guard let string = String(validating: bytes, as: UTF8.self) else { throw .malformedString }
    return string
  }

  /// Whether every byte is below 0x80, checked a word at a time.
  static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset + 8 <= bytes.count {
      if bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 {
        return false
      }
      offset += 8
    }
    while offset < bytes.count {
      if bytes[offset] >= 0x80 { return false }
      offset += 1
    }
    return true
  }

  mutating func skip(_ count: Int) throws(DecodingFailure) {
    guard count >= 0, remaining >= count else { throw .truncated }
    position += count
  }
}
