/// A value of the JSON data model: what every event payload is, whatever codec
/// stores it, so that any tool can render any payload and upcasters can
/// rewrite old payloads without the Swift types that wrote them.
///
/// Integers and floating-point numbers are kept apart (`int` and `double`) so
/// that 64-bit counters survive a round trip exactly.
public enum JSONValue: Hashable, Sendable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// The member `key` of an object, or `nil`.
  public subscript(key: String) -> JSONValue? {
    get {
      guard case .object(let members) = self else { return nil }
      return members[key]
    }
    set {
      guard case .object(var members) = self else { return }
      self = .null  // so that `members` is uniquely referenced and changes in place
      members[key] = newValue
      self = .object(members)
    }
  }

  /// The element at `index` of an array, or `nil`.
  public subscript(index: Int) -> JSONValue? {
    guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
    return elements[index]
  }

  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  public var intValue: Int64? {
    switch self {
    case .int(let value): value
    case .double(let value) where value.rounded() == value && abs(value) < 9.2e18: Int64(value)
    default: nil
    }
  }

  public var doubleValue: Double? {
    switch self {
    case .double(let value): value
    case .int(let value): Double(value)
    default: nil
    }
  }

  public var boolValue: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let value) = self { return value }
    return nil
  }

  public var objectValue: [String: JSONValue]? {
    if case .object(let value) = self { return value }
    return nil
  }

  public var isNull: Bool { self == .null }

  /// Whether JSON text can carry the value exactly: JSON has no NaN or infinity.
  public var isRepresentableAsJSONText: Bool {
    switch self {
    case .double(let number): number.isFinite
    case .array(let elements): elements.allSatisfy(\.isRepresentableAsJSONText)
    case .object(let members): members.values.allSatisfy(\.isRepresentableAsJSONText)
    default: true
    }
  }

}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral
{
  public init(nilLiteral: ()) { self = .null }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int64) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
  }
}

extension JSONValue: CustomStringConvertible {
  /// Compact JSON text with object keys sorted, so equal values print equally.
  public var description: String {
    var text = ""
    write(to: &text)
    return text
  }

  /// Appends compact JSON text (keys sorted) to `text`.
  public func write(to text: inout String) {
    switch self {
    case .null: text += "null"
    case .bool(let value): text += value ? "true" : "false"
    case .int(let value): text += String(value)
    case .double(let value):
      // JSON has no NaN or infinity; they are written as null.
      if value.isFinite {
        // Integral doubles keep a ".0" (and zero its sign) so they parse back as doubles.
        if value == 0 {
          text += value.sign == .minus ? "-0.0" : "0.0"
        } else {
          text += value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) + ".0" : "\(value)"
        }
      } else {
        text += "null"
      }
    case .string(let value): Self.writeString(value, to: &text)
    case .array(let elements):
      text += "["
      for (index, element) in elements.enumerated() {
        if index > 0 { text += "," }
        element.write(to: &text)
      }
      text += "]"
    case .object(let members):
      text += "{"
      for (index, key) in members.keys.sorted(by: { ExactName($0) < ExactName($1) }).enumerated() {
        if index > 0 { text += "," }
        Self.writeString(key, to: &text)
        text += ":"
        members[key]!.write(to: &text)
      }
      text += "}"
    }
  }

  private static func writeString(_ value: String, to text: inout String) {
    text += "\""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": text += "\\\""
      case "\\": text += "\\\\"
      case "\n": text += "\\n"
      case "\r": text += "\\r"
      case "\t": text += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: text.unicodeScalars.append(scalar)
      }
    }
    text += "\""
  }
}
