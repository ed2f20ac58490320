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
  /// The object a ``PayloadObject`` already checked and indexed, reused when a
  /// keyed container is asked for at its position.
  private let root: PayloadObject?

  init(
    _ bytes: UnsafeRawBufferPointer, position: Int = 1, codingPath: [any CodingKey] = [],
    root: PayloadObject? = nil
  ) {
    self.bytes = bytes
    self.position = position
    self.root = root
    keys = codingPath
    keys.reserveCapacity(codingPath.count + 8)
  }

  var codingPath: [any CodingKey] { keys }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func codingPath(depth: Int) -> [any CodingKey] { Array(keys.prefix(depth)) }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    if let root, root.start == position {
      return KeyedDecodingContainer(BinaryKeyedContainer<Key>(decoder: self, object: root, depth: keys.count))
    }
    guard PayloadObject.isObject(at: position, in: bytes) else {
      throw mismatch([String: JSONValue].self, at: position)
    }
    var reader = ByteReader(bytes, position: position)
    let object = try read { try PayloadObject(reading: &reader, in: bytes, depth: keys.count, path: "") }
    return KeyedDecodingContainer(BinaryKeyedContainer<Key>(decoder: self, object: object, depth: keys.count))
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
    try scalar(String.self, at: start, key: key) { (reader) throws(DecodingFailure) in
      try BinaryPayloadCodec.readString(&reader)
    }
  }

  func decodeBool(at start: Int, key: (any CodingKey)? = nil) throws -> Bool {
    try scalar(Bool.self, at: start, key: key) { BinaryPayloadCodec.readBool(&$0) }
  }

  func decodeDouble(at start: Int, key: (any CodingKey)? = nil) throws -> Double {
    try scalar(Double.self, at: start, key: key) { BinaryPayloadCodec.readDouble(&$0) }
  }

  func decodeInteger<Integer: FixedWidthInteger>(
    _ type: Integer.Type, at start: Int, key: (any CodingKey)? = nil
  ) throws -> Integer {
    try scalar(type, at: start, key: key) { BinaryPayloadCodec.readInteger(&$0, as: type) }
  }

  /// Reads the value at `start` with `read`, which returns `nil` for a value
  /// of another kind than `type`.
  private func scalar<Value>(
    _ type: Value.Type, at start: Int, key: (any CodingKey)?,
    _ read: (inout ByteReader) throws(DecodingFailure) -> Value?
  ) throws -> Value {
    var reader = ByteReader(bytes, position: start)
    guard let value = try self.read({ try read(&reader) }) else { throw mismatch(type, at: start, key: key) }
    return value
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
    .typeMismatch(
      type,
      .init(
        codingPath: keys + (key.map { [$0] } ?? []),
        debugDescription: "expected \(type), found \(BinaryPayloadCodec.describeValue(at: start, in: bytes))")
    )
  }
}
