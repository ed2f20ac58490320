import Glibc

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
}

/// Decodes `Decodable` values straight from binary payload bytes
/// (format-spec.md, "Payload encoding"), without building a ``JSONValue``
/// first: the `Codable` path of ``BinaryPayloadCodec/decode(_:from:)`` and of
/// event types without a ``EventType/init(payload:)`` of their own.
///
/// Conversions match ``JSONValueDecoder`` exactly: a number converts to any
/// numeric type that holds it exactly; a missing or `null` member decodes as
/// `nil` for an optional; if an object repeats a key, the last one counts.
///
/// The one decoder of a payload: containers are small structs that point back
/// to it, and nested values reuse it, so a whole event decodes with a single
/// allocation besides its strings.
///
/// Only valid while the payload bytes are; `BinaryPayloadDecoder` never lets it
/// escape; the payload must have passed `BinaryPayloadCodec.validate`.
final class BinaryValueDecoder: Decoder {
  let bytes: UnsafeRawBufferPointer
  /// Where the value that the next `container` or `singleValueContainer` call
  /// decodes starts.
  private var position: Int
  /// The coding path, as a stack: a container made at depth `d` owns the first
  /// `d` keys, and the values it decodes push their key and pop it again, so
  /// the stack always ends with the path of the container in use. (Nested
  /// containers handed out by a container get a decoder of their own, which
  /// keeps that true.)
  private var keys: [any CodingKey]
  /// The members of every object a keyed container was made for, each
  /// container owning a range.
  private var members: [Member] = []

  struct Member {
    var key: Int
    var keyLength: Int
    var value: Int
  }

  init(_ bytes: UnsafeRawBufferPointer, position: Int = 1, codingPath: [any CodingKey] = []) {
    self.bytes = bytes
    self.position = position
    keys = codingPath
    keys.reserveCapacity(codingPath.count + 8)
    members.reserveCapacity(16)
  }

  var codingPath: [any CodingKey] { keys }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func codingPath(depth: Int) -> [any CodingKey] { Array(keys.prefix(depth)) }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    var reader = ByteReader(bytes, position: position)
    guard try read(BinaryPayloadCodec.Tag.self, &reader) == .object else {
      throw mismatch([String: JSONValue].self, at: position)
    }
    // Index the members once, so that each lookup compares keys and skips nothing.
    let first = members.count
    let count = try read { () throws -> Int in
      let count = try reader.readLength(limit: reader.remaining / 2)
      for _ in 0..<count {
        let length = try reader.readLength(limit: reader.remaining)
        members.append(Member(key: reader.position, keyLength: length, value: reader.position + length))
        try reader.skip(length)
        try BinaryPayloadCodec.skipValue(&reader, depth: keys.count)
      }
      return count
    }
    return KeyedDecodingContainer(
      BinaryKeyedContainer<Key>(decoder: self, members: first..<first + count, depth: keys.count))
  }

  /// Where the value of the member named `name` starts, among `range` of
  /// ``members`` (the last one, should an object repeat a key), or `nil`.
  func value(named name: String, in range: Range<Int>) -> Int? {
    let members = members
    var name = name
    return name.withUTF8 { wanted in
      for index in range.reversed() {
        let member = members[index]
        guard member.keyLength == wanted.count else { continue }
        if wanted.isEmpty || memcmp(bytes.baseAddress! + member.key, wanted.baseAddress!, wanted.count) == 0 {
          return member.value
        }
      }
      return nil
    }
  }

  /// The keys of `range` of ``members``, in order.
  func memberNames(in range: Range<Int>) -> [String] {
    range.map { index in
      let member = members[index]
      return String(
        decoding: UnsafeRawBufferPointer(rebasing: bytes[member.key..<member.key + member.keyLength]),
        as: UTF8.self)
    }
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    var reader = ByteReader(bytes, position: position)
    guard try read(BinaryPayloadCodec.Tag.self, &reader) == .array else {
      throw mismatch([JSONValue].self, at: position)
    }
    let count = try read { try reader.readLength(limit: reader.remaining) }
    return BinaryUnkeyedContainer(decoder: self, position: reader.position, count: count, depth: keys.count)
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    BinarySingleValueContainer(decoder: self, position: position, depth: keys.count)
  }

  // MARK: Values

  /// Decodes the value at `start` as `type`, with `key` (if any) on the coding
  /// path while it does.
  func decodeValue<Value: Decodable>(_ type: Value.Type, at start: Int, key: (any CodingKey)? = nil)
    throws -> Value
  {
    // Identity of metatypes, not `is` casts: this runs for every nested value.
    switch ObjectIdentifier(type) {
    case ObjectIdentifier(String.self): return try decodeString(at: start, key: key) as! Value
    case ObjectIdentifier(Bool.self): return try decodeBool(at: start, key: key) as! Value
    case ObjectIdentifier(Double.self): return try decodeDouble(at: start, key: key) as! Value
    case ObjectIdentifier(Float.self): return Float(try decodeDouble(at: start, key: key)) as! Value
    case ObjectIdentifier(Int.self): return try decodeInteger(Int.self, at: start, key: key) as! Value
    case ObjectIdentifier(Int64.self): return try decodeInteger(Int64.self, at: start, key: key) as! Value
    case ObjectIdentifier(Int32.self): return try decodeInteger(Int32.self, at: start, key: key) as! Value
    case ObjectIdentifier(Int16.self): return try decodeInteger(Int16.self, at: start, key: key) as! Value
    case ObjectIdentifier(Int8.self): return try decodeInteger(Int8.self, at: start, key: key) as! Value
    case ObjectIdentifier(UInt.self): return try decodeInteger(UInt.self, at: start, key: key) as! Value
    case ObjectIdentifier(UInt64.self): return try decodeInteger(UInt64.self, at: start, key: key) as! Value
    case ObjectIdentifier(UInt32.self): return try decodeInteger(UInt32.self, at: start, key: key) as! Value
    case ObjectIdentifier(UInt16.self): return try decodeInteger(UInt16.self, at: start, key: key) as! Value
    case ObjectIdentifier(UInt8.self): return try decodeInteger(UInt8.self, at: start, key: key) as! Value
    case ObjectIdentifier(JSONValue.self):
      var reader = ByteReader(bytes, position: start)
      return try read { try BinaryPayloadCodec.decodeValue(&reader, depth: keys.count) } as! Value
    default:
      let saved = position
      if let key { keys.append(key) }
      position = start
      defer {
        position = saved
        if key != nil { keys.removeLast() }
      }
      return try Value(from: self)
    }
  }

  func decodeString(at start: Int, key: (any CodingKey)? = nil) throws -> String {
    var reader = ByteReader(bytes, position: start)
    guard try read(BinaryPayloadCodec.Tag.self, &reader) == .string else {
      throw mismatch(String.self, at: start, key: key)
    }
    return try read { try reader.readString() }
  }

  func decodeBool(at start: Int, key: (any CodingKey)? = nil) throws -> Bool {
    var reader = ByteReader(bytes, position: start)
    switch try read(BinaryPayloadCodec.Tag.self, &reader) {
    case .true: return true
    case .false: return false
    default: throw mismatch(Bool.self, at: start, key: key)
    }
  }

  func decodeDouble(at start: Int, key: (any CodingKey)? = nil) throws -> Double {
    var reader = ByteReader(bytes, position: start)
    switch try read(BinaryPayloadCodec.Tag.self, &reader) {
    case .double: return Double(bitPattern: try read { try reader.read(littleEndian: UInt64.self) })
    case .int: return Double(try read { try Self.zigzag(reader.readVarint()) })
    default: throw mismatch(Double.self, at: start, key: key)
    }
  }

  func decodeInteger<Integer: FixedWidthInteger>(
    _ type: Integer.Type, at start: Int, key: (any CodingKey)? = nil
  ) throws -> Integer {
    var reader = ByteReader(bytes, position: start)
    switch try read(BinaryPayloadCodec.Tag.self, &reader) {
    case .int:
      if let exact = Integer(exactly: try read { try Self.zigzag(reader.readVarint()) }) { return exact }
    case .double:
      let number = Double(bitPattern: try read { try reader.read(littleEndian: UInt64.self) })
      if let exact = Integer(exactly: number) { return exact }
    default:
      break
    }
    throw mismatch(type, at: start, key: key)
  }

  /// Whether the value at `start` is `null`.
  func isNull(at start: Int) throws -> Bool {
    var reader = ByteReader(bytes, position: start)
    return try read(BinaryPayloadCodec.Tag.self, &reader) == .null
  }

  /// The position just past the value at `start`.
  func end(ofValueAt start: Int) throws -> Int {
    var reader = ByteReader(bytes, position: start)
    try read { try BinaryPayloadCodec.skipValue(&reader, depth: keys.count) }
    return reader.position
  }

  static func zigzag(_ raw: UInt64) -> Int64 {
    Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
  }

  // MARK: Errors

  /// Runs `body`, turning a ``DecodingFailure`` into a `DecodingError` at the current coding path.
  func read<Result>(_ body: () throws -> Result) throws -> Result {
    do {
      return try body()
    } catch let failure as DecodingFailure {
      throw DecodingError.dataCorrupted(.init(codingPath: keys, debugDescription: failure.message))
    }
  }

  func read(_ tag: BinaryPayloadCodec.Tag.Type, _ reader: inout ByteReader) throws -> BinaryPayloadCodec.Tag {
    let byte = try read { try reader.readByte() }
    guard let tag = BinaryPayloadCodec.Tag(rawValue: byte) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: keys, debugDescription: "unknown value tag \(byte)"))
    }
    return tag
  }

  func mismatch(_ type: Any.Type, at start: Int, key: (any CodingKey)? = nil) -> DecodingError {
    var reader = ByteReader(bytes, position: start)
    let found =
      (try? BinaryPayloadCodec.decodeValue(&reader, depth: keys.count)).map { "\($0)" } ?? "malformed value"
    return .typeMismatch(
      type,
      .init(codingPath: keys + (key.map { [$0] } ?? []), debugDescription: "expected \(type), found \(found)")
    )
  }
}
