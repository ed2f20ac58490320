extension BinaryPayloadCodec {
  /// Moves `reader` past one value, checking its structure but not the UTF-8
  /// of its strings.
  static func skipValue(_ reader: inout ByteReader, depth: Int) throws(DecodingFailure) {
    guard depth < maximumDepth else { throw .invalid("values nested deeper than \(maximumDepth)") }
    // Raw tag bytes rather than `Tag(rawValue:)`: this runs for every value replay looks past.
    switch try reader.readByte() {
    case Tag.null.rawValue, Tag.false.rawValue, Tag.true.rawValue: return
    case Tag.int.rawValue: _ = try reader.readVarint()
    case Tag.double.rawValue: try reader.skip(8)
    case Tag.string.rawValue: try reader.skip(try reader.readLength(limit: reader.remaining))
    case Tag.array.rawValue:
      let count = try reader.readLength(limit: reader.remaining)
      for _ in 0..<count { try skipValue(&reader, depth: depth + 1) }
    case Tag.object.rawValue:
      let count = try reader.readLength(limit: reader.remaining / 2)
      for _ in 0..<count {
        try reader.skip(try reader.readLength(limit: reader.remaining))
        try skipValue(&reader, depth: depth + 1)
      }
    default: throw .invalid("unknown value tag")
    }
  }

  /// Whether every value in `value` is at a depth below ``maximumDepth``, so
  /// that its encoding decodes again.
  static func nestsWithinLimit(_ value: JSONValue, depth: Int = 0) -> Bool {
    guard depth < maximumDepth else { return false }
    switch value {
    case .array(let elements): return elements.allSatisfy { nestsWithinLimit($0, depth: depth + 1) }
    case .object(let members): return members.values.allSatisfy { nestsWithinLimit($0, depth: depth + 1) }
    default: return true
    }
  }

  /// Runs `body` on a payload's top-level value, after its marker byte;
  /// the value must end the payload.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload``
  ///   if the marker is wrong, `body` fails or bytes follow the value.
  static func withPayload<Result>(
    _ bytes: UnsafeRawBufferPointer, _ body: (inout ByteReader) throws(DecodingFailure) -> Result
  ) throws(StateLogError) -> Result {
    var reader = ByteReader(bytes)
    do throws(DecodingFailure) {
      guard try reader.readByte() == marker else {
        throw .invalid("payload is not in the binary payload encoding")
      }
      let result = try body(&reader)
      guard reader.isAtEnd else { throw .invalid("trailing bytes after the value") }
      return result
    } catch {
      throw StateLogError(.malformedPayload, "malformed binary payload: \(error.message)")
    }
  }

  // MARK: Scalars
  //
  // The conversions of every decoding path: a number converts to any numeric
  // type that holds it exactly. Each returns `nil` for a value of another kind.

  static func zigzag(_ raw: UInt64) -> Int64 {
    Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
  }

  static func readInteger<Integer: FixedWidthInteger>(_ reader: inout ByteReader, as type: Integer.Type)
    -> Integer?
  {
    switch try? reader.readByte() {
    case Tag.int.rawValue: (try? reader.readVarint()).flatMap { Integer(exactly: zigzag($0)) }
    case Tag.double.rawValue:
      (try? reader.read(littleEndian: UInt64.self)).flatMap { Integer(exactly: Double(bitPattern: $0)) }
    default: nil
    }
  }

  static func readDouble(_ reader: inout ByteReader) -> Double? {
    switch try? reader.readByte() {
    case Tag.double.rawValue: (try? reader.read(littleEndian: UInt64.self)).map { Double(bitPattern: $0) }
    case Tag.int.rawValue: (try? reader.readVarint()).map { Double(zigzag($0)) }
    default: nil
    }
  }

  static func readBool(_ reader: inout ByteReader) -> Bool? {
    switch try? reader.readByte() {
    case Tag.true.rawValue: true
    case Tag.false.rawValue: false
    default: nil
    }
  }

  /// - Throws: ``DecodingFailure`` for a string that is not valid UTF-8.
  static func readString(_ reader: inout ByteReader) throws(DecodingFailure) -> String? {
    guard (try? reader.readByte()) == Tag.string.rawValue else { return nil }
    return try reader.readString()
  }

  /// The value at `start` as text, for an error message.
  static func describeValue(at start: Int, in bytes: UnsafeRawBufferPointer) -> String {
    var reader = ByteReader(bytes, position: start)
    return (try? decodeValue(&reader, depth: 0)).map { "\($0)" } ?? "a malformed value"
  }
}
