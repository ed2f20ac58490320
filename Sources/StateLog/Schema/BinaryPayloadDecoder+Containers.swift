struct BinaryKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let decoder: BinaryValueDecoder
  /// The object, checked and its members indexed.
  let object: PayloadObject
  let depth: Int

  var codingPath: [any CodingKey] { decoder.codingPath(depth: depth) }

  var allKeys: [Key] { object.memberNames.compactMap { Key(stringValue: $0) } }

  private func position(of key: Key) -> Int? { object.valueStart(key.stringValue) }

  private func require(_ key: Key) throws -> Int {
    guard let start = position(of: key) else {
      throw DecodingError.keyNotFound(
        key, .init(codingPath: codingPath, debugDescription: "no member \"\(key.stringValue)\""))
    }
    return start
  }

  /// Decodes the member `key` with `decode`, or returns `nil` if it is missing or `null`.
  private func present<Value>(_ key: Key, _ decode: (Int) throws -> Value) throws -> Value? {
    guard let start = position(of: key), try !decoder.isNull(at: start) else { return nil }
    return try decode(start)
  }

  func contains(_ key: Key) -> Bool { position(of: key) != nil }

  func decodeNil(forKey key: Key) throws -> Bool {
    guard let start = position(of: key) else { return true }
    return try decoder.isNull(at: start)
  }

  func decode<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value {
    try decoder.decodeValue(type, at: try require(key), key: key)
  }

  // Concrete overloads for the common primitives: no dynamic cast on the way.
  func decode(_ type: String.Type, forKey key: Key) throws -> String {
    try decoder.decodeString(at: try require(key), key: key)
  }

  func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
    try decoder.decodeBool(at: try require(key), key: key)
  }

  func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
    try decoder.decodeInteger(type, at: try require(key), key: key)
  }

  func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
    try decoder.decodeInteger(type, at: try require(key), key: key)
  }

  func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
    try decoder.decodeDouble(at: try require(key), key: key)
  }

  func decodeIfPresent<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value? {
    try present(key) { try decoder.decodeValue(type, at: $0, key: key) }
  }

  func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
    try present(key) { try decoder.decodeString(at: $0, key: key) }
  }

  func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
    try present(key) { try decoder.decodeBool(at: $0, key: key) }
  }

  func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
    try present(key) { try decoder.decodeInteger(type, at: $0, key: key) }
  }

  func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
    try present(key) { try decoder.decodeDouble(at: $0, key: key) }
  }

  /// A decoder of its own for a nested value, so that its coding path includes `key`.
  private func nestedDecoder(_ key: Key, at start: Int) -> BinaryValueDecoder {
    BinaryValueDecoder(decoder.bytes, position: start, codingPath: codingPath + [key])
  }

  func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    try nestedDecoder(key, at: try require(key)).container(keyedBy: type)
  }

  func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
    try nestedDecoder(key, at: try require(key)).unkeyedContainer()
  }

  func superDecoder() throws -> any Decoder {
    guard let key = Key(stringValue: "super") else {
      return ValueDecoder(value: .null, codingPath: codingPath)
    }
    return try superDecoder(forKey: key)
  }

  func superDecoder(forKey key: Key) throws -> any Decoder {
    guard let start = position(of: key) else {
      return ValueDecoder(value: .null, codingPath: codingPath + [key])
    }
    return nestedDecoder(key, at: start)
  }
}

struct BinaryUnkeyedContainer: UnkeyedDecodingContainer {
  let decoder: BinaryValueDecoder
  /// Where the next element starts.
  private var position: Int
  private let elementCount: Int
  private let depth: Int
  private(set) var currentIndex = 0

  init(decoder: BinaryValueDecoder, position: Int, count: Int, depth: Int) {
    self.decoder = decoder
    self.position = position
    self.elementCount = count
    self.depth = depth
  }

  var codingPath: [any CodingKey] { decoder.codingPath(depth: depth) }
  var count: Int? { elementCount }
  var isAtEnd: Bool { currentIndex >= elementCount }

  /// Steps past the next element and returns where it starts.
  private mutating func next() throws -> Int {
    guard !isAtEnd else {
      throw DecodingError.valueNotFound(
        JSONValue.self, .init(codingPath: codingPath, debugDescription: "array ended at \(currentIndex)"))
    }
    let start = position
    position = try decoder.end(ofValueAt: start)
    currentIndex += 1
    return start
  }

  mutating func decodeNil() throws -> Bool {
    guard !isAtEnd, try decoder.isNull(at: position) else { return false }
    _ = try next()
    return true
  }

  mutating func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
    let index = currentIndex
    return try decoder.decodeValue(type, at: try next(), key: IndexKey(index))
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    try nestedDecoder().container(keyedBy: type)
  }

  mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
    try nestedDecoder().unkeyedContainer()
  }

  mutating func superDecoder() throws -> any Decoder { try nestedDecoder() }

  private mutating func nestedDecoder() throws -> BinaryValueDecoder {
    let index = currentIndex
    let start = try next()
    return BinaryValueDecoder(decoder.bytes, position: start, codingPath: codingPath + [IndexKey(index)])
  }
}

struct BinarySingleValueContainer: SingleValueDecodingContainer {
  let decoder: BinaryValueDecoder
  let position: Int
  let depth: Int

  var codingPath: [any CodingKey] { decoder.codingPath(depth: depth) }

  func decodeNil() -> Bool { (try? decoder.isNull(at: position)) ?? false }

  func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
    try decoder.decodeValue(type, at: position)
  }

  func decode(_ type: String.Type) throws -> String { try decoder.decodeString(at: position) }
  func decode(_ type: Bool.Type) throws -> Bool { try decoder.decodeBool(at: position) }
  func decode(_ type: Int.Type) throws -> Int { try decoder.decodeInteger(type, at: position) }
  func decode(_ type: Double.Type) throws -> Double { try decoder.decodeDouble(at: position) }
}
