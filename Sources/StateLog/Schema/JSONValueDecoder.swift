/// Decodes `Decodable` values from ``JSONValue``s: how payloads become typed events.
///
/// A number converts to any numeric type that holds it exactly; a missing or
/// `null` member decodes as `nil` for an optional.
public struct JSONValueDecoder: Sendable {
  public init() {}

  /// - Throws: `DecodingError` naming the coding path of the first member that
  ///   is missing or has the wrong type.
  public func decode<Value: Decodable>(_ type: Value.Type, from value: JSONValue) throws -> Value {
    try ValueDecoder(value: value, codingPath: []).decodeValue(type)
  }
}

struct ValueDecoder: Decoder {
  let value: JSONValue
  var codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    guard case .object(let members) = value else { throw mismatch([String: JSONValue].self) }
    return KeyedDecodingContainer(KeyedValueContainer<Key>(members: members, codingPath: codingPath))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    guard case .array(let elements) = value else { throw mismatch([JSONValue].self) }
    return UnkeyedValueContainer(elements: elements, codingPath: codingPath)
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    SingleValueContainer(decoder: self)
  }

  func mismatch(_ type: Any.Type) -> DecodingError {
    .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected \(type), found \(value)"))
  }

  /// Decodes `type` from ``value``, converting primitives directly.
  func decodeValue<Value: Decodable>(_ type: Value.Type) throws -> Value {
    switch type {
    case is String.Type:
      guard let text = value.stringValue else { throw mismatch(type) }
      return text as! Value
    case is Bool.Type:
      guard let flag = value.boolValue else { throw mismatch(type) }
      return flag as! Value
    case is Double.Type:
      guard let number = value.doubleValue else { throw mismatch(type) }
      return number as! Value
    case is Float.Type:
      guard let number = value.doubleValue else { throw mismatch(type) }
      return Float(number) as! Value
    case is JSONValue.Type:
      return value as! Value
    case is Int.Type: return try integer(Int.self) as! Value
    case is Int64.Type: return try integer(Int64.self) as! Value
    case is Int32.Type: return try integer(Int32.self) as! Value
    case is Int16.Type: return try integer(Int16.self) as! Value
    case is Int8.Type: return try integer(Int8.self) as! Value
    case is UInt.Type: return try integer(UInt.self) as! Value
    case is UInt64.Type: return try integer(UInt64.self) as! Value
    case is UInt32.Type: return try integer(UInt32.self) as! Value
    case is UInt16.Type: return try integer(UInt16.self) as! Value
    case is UInt8.Type: return try integer(UInt8.self) as! Value
    default: return try Value(from: self)
    }
  }

  private func integer<Integer: FixedWidthInteger>(_ type: Integer.Type) throws -> Integer {
    switch value {
    case .int(let number):
      if let exact = Integer(exactly: number) { return exact }
    case .double(let number):
      if let exact = Integer(exactly: number) { return exact }
    default:
      break
    }
    throw mismatch(type)
  }
}

struct KeyedValueContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let members: [String: JSONValue]
  var codingPath: [any CodingKey]

  var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

  func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

  private func member(_ key: Key) throws -> JSONValue {
    guard let value = members[key.stringValue] else {
      throw DecodingError.keyNotFound(
        key, .init(codingPath: codingPath, debugDescription: "no member \"\(key.stringValue)\""))
    }
    return value
  }

  func decodeNil(forKey key: Key) throws -> Bool { (members[key.stringValue] ?? .null).isNull }

  func decode<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value {
    try ValueDecoder(value: try member(key), codingPath: codingPath + [key]).decodeValue(type)
  }

  // Concrete overloads for the common primitives, so that decoding them costs
  // no dynamic cast and builds no coding path unless it fails.
  func decode(_ type: String.Type, forKey key: Key) throws -> String {
    if case .string(let text) = try member(key) { return text }
    return try decode(type, generic: key)
  }

  func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
    if case .bool(let flag) = try member(key) { return flag }
    return try decode(type, generic: key)
  }

  func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
    if case .int(let number) = try member(key), let exact = Int(exactly: number) { return exact }
    return try decode(type, generic: key)
  }

  func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
    if case .int(let number) = try member(key) { return number }
    return try decode(type, generic: key)
  }

  func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
    if case .double(let number) = try member(key) { return number }
    return try decode(type, generic: key)
  }

  func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
    switch members[key.stringValue] {
    case nil, .null?: return nil
    case .string(let text)?: return text
    default: return try decode(type, generic: key)
    }
  }

  func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
    switch members[key.stringValue] {
    case nil, .null?: return nil
    case .int(let number)? where Int(exactly: number) != nil: return Int(number)
    default: return try decode(type, generic: key)
    }
  }

  private func decode<Value: Decodable>(_ type: Value.Type, generic key: Key) throws -> Value {
    try ValueDecoder(value: try member(key), codingPath: codingPath + [key]).decodeValue(type)
  }

  func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    try ValueDecoder(value: try member(key), codingPath: codingPath + [key]).container(keyedBy: type)
  }

  func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
    try ValueDecoder(value: try member(key), codingPath: codingPath + [key]).unkeyedContainer()
  }

  func superDecoder() throws -> any Decoder {
    ValueDecoder(value: members["super"] ?? .null, codingPath: codingPath)
  }

  func superDecoder(forKey key: Key) throws -> any Decoder {
    ValueDecoder(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
  }
}

struct UnkeyedValueContainer: UnkeyedDecodingContainer {
  let elements: [JSONValue]
  var codingPath: [any CodingKey]
  var currentIndex = 0

  init(elements: [JSONValue], codingPath: [any CodingKey]) {
    self.elements = elements
    self.codingPath = codingPath
  }

  var count: Int? { elements.count }
  var isAtEnd: Bool { currentIndex >= elements.count }

  private mutating func next() throws -> ValueDecoder {
    guard !isAtEnd else {
      throw DecodingError.valueNotFound(
        JSONValue.self, .init(codingPath: codingPath, debugDescription: "array ended at \(currentIndex)"))
    }
    defer { currentIndex += 1 }
    return ValueDecoder(value: elements[currentIndex], codingPath: codingPath + [IndexKey(currentIndex)])
  }

  mutating func decodeNil() throws -> Bool {
    guard !isAtEnd, elements[currentIndex].isNull else { return false }
    currentIndex += 1
    return true
  }

  mutating func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
    try next().decodeValue(type)
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    try next().container(keyedBy: type)
  }

  mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
    try next().unkeyedContainer()
  }

  mutating func superDecoder() throws -> any Decoder { try next() }
}

struct SingleValueContainer: SingleValueDecodingContainer {
  let decoder: ValueDecoder
  var codingPath: [any CodingKey] { decoder.codingPath }

  func decodeNil() -> Bool { decoder.value.isNull }

  func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
    try decoder.decodeValue(type)
  }
}

/// The coding key of an array element.
struct IndexKey: CodingKey {
  var intValue: Int?
  var stringValue: String { String(intValue ?? 0) }

  init(_ index: Int) { intValue = index }
  init?(intValue: Int) { self.intValue = intValue }
  init?(stringValue: String) { nil }
}
