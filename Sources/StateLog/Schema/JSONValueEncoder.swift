/// Encodes `Encodable` values as ``JSONValue``s: how typed events become payloads.
///
/// Integers become ``JSONValue/int(_:)`` (a `UInt64` above `Int64.max` becomes a
/// double), floating-point numbers ``JSONValue/double(_:)``, `nil` optionals are
/// left out of objects.
public struct JSONValueEncoder: Sendable {
  public init() {}

  /// - Throws: `EncodingError` if `value`'s encoding is invalid (it encodes
  ///   nothing, for example).
  public func encode(_ value: some Encodable) throws -> JSONValue {
    let node = EncodingNode()
    try value.encode(to: NodeEncoder(node: node, codingPath: []))
    guard let result = node.finish() else {
      throw EncodingError.invalidValue(
        value, .init(codingPath: [], debugDescription: "\(type(of: value)) encoded no value"))
    }
    return result
  }
}

/// A value under construction; containers fill it in as encoding proceeds.
final class EncodingNode {
  enum Content {
    case empty
    case value(JSONValue)
    case object([String: EncodingNode])
    case array([EncodingNode])
  }

  var content = Content.empty

  func finish() -> JSONValue? {
    switch content {
    case .empty: return nil
    case .value(let value): return value
    case .object(let members): return .object(members.compactMapValues { $0.finish() })
    case .array(let elements): return .array(elements.map { $0.finish() ?? .null })
    }
  }

  // Both take the collection out of `content` before changing it, so that it
  // is uniquely referenced and grows in place: otherwise every member or
  // element added copies all the ones before, and a state with thousands of
  // messages encodes in quadratic time.

  func child(forKey key: String) -> EncodingNode {
    let node = EncodingNode()
    guard case .object(var members) = content else {
      content = .object([key: node])
      return node
    }
    if let existing = members[key] { return existing }
    content = .empty
    members[key] = node
    content = .object(members)
    return node
  }

  func appendChild() -> EncodingNode {
    let node = EncodingNode()
    guard case .array(var elements) = content else {
      content = .array([node])
      return node
    }
    content = .empty
    elements.append(node)
    content = .array(elements)
    return node
  }
}

struct NodeEncoder: Encoder {
  let node: EncodingNode
  var codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    if case .object = node.content {} else { node.content = .object([:]) }
    return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    if case .array = node.content {} else { node.content = .array([]) }
    return UnkeyedNodeContainer(node: node, codingPath: codingPath)
  }

  func singleValueContainer() -> any SingleValueEncodingContainer {
    SingleNodeContainer(node: node, codingPath: codingPath)
  }

  /// Encodes `value` into `node`, taking the primitive types straight to values.
  static func encode(_ value: some Encodable, into node: EncodingNode, codingPath: [any CodingKey]) throws {
    if let primitive = primitive(value) {
      node.content = .value(primitive)
    } else {
      try value.encode(to: NodeEncoder(node: node, codingPath: codingPath))
    }
  }

  static func primitive(_ value: Any) -> JSONValue? {
    switch value {
    case let value as String: .string(value)
    case let value as Bool: .bool(value)
    case let value as Int: .int(Int64(value))
    case let value as Int64: .int(value)
    case let value as Int32: .int(Int64(value))
    case let value as Int16: .int(Int64(value))
    case let value as Int8: .int(Int64(value))
    case let value as UInt: value <= UInt(Int64.max) ? .int(Int64(value)) : .double(Double(value))
    case let value as UInt64: value <= UInt64(Int64.max) ? .int(Int64(value)) : .double(Double(value))
    case let value as UInt32: .int(Int64(value))
    case let value as UInt16: .int(Int64(value))
    case let value as UInt8: .int(Int64(value))
    case let value as Double: .double(value)
    case let value as Float: .double(Double(value))
    case let value as JSONValue: value
    default: nil
    }
  }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let node: EncodingNode
  var codingPath: [any CodingKey]

  mutating func encodeNil(forKey key: Key) throws {
    node.child(forKey: key.stringValue).content = .value(.null)
  }

  mutating func encode(_ value: some Encodable, forKey key: Key) throws {
    try NodeEncoder.encode(value, into: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key)
    -> KeyedEncodingContainer<NestedKey>
  {
    NodeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).container(
      keyedBy: type)
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    NodeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
  }

  mutating func superEncoder() -> any Encoder {
    NodeEncoder(node: node.child(forKey: "super"), codingPath: codingPath)
  }

  mutating func superEncoder(forKey key: Key) -> any Encoder {
    NodeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
  }
}

struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
  let node: EncodingNode
  var codingPath: [any CodingKey]
  var count: Int {
    if case .array(let elements) = node.content { return elements.count }
    return 0
  }

  mutating func encodeNil() throws { node.appendChild().content = .value(.null) }

  mutating func encode(_ value: some Encodable) throws {
    try NodeEncoder.encode(value, into: node.appendChild(), codingPath: codingPath)
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type)
    -> KeyedEncodingContainer<NestedKey>
  {
    NodeEncoder(node: node.appendChild(), codingPath: codingPath).container(keyedBy: type)
  }

  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    NodeEncoder(node: node.appendChild(), codingPath: codingPath).unkeyedContainer()
  }

  mutating func superEncoder() -> any Encoder {
    NodeEncoder(node: node.appendChild(), codingPath: codingPath)
  }
}

struct SingleNodeContainer: SingleValueEncodingContainer {
  let node: EncodingNode
  var codingPath: [any CodingKey]

  mutating func encodeNil() throws { node.content = .value(.null) }

  mutating func encode(_ value: some Encodable) throws {
    try NodeEncoder.encode(value, into: node, codingPath: codingPath)
  }
}
