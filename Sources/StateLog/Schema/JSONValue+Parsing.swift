extension JSONValue {
  /// Parses JSON text (RFC 8259), keeping integers apart from numbers with a
  /// fraction or exponent, so that text written by ``description`` parses back
  /// to the same value.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload``
  ///   naming the byte offset of the first error.
  public init(parsing text: String) throws {
    var parser = JSONParser(bytes: Array(text.utf8))
    do {
      parser.skipWhitespace()
      self = try parser.value(depth: 0)
      parser.skipWhitespace()
      guard parser.position == parser.bytes.count else {
        throw parser.failure("unexpected text after the value")
      }
    } catch let failure as JSONParser.Failure {
      throw StateLogError(.malformedPayload, "malformed JSON at offset \(failure.offset): \(failure.reason)")
    }
  }
}

/// A recursive-descent JSON parser over UTF-8 bytes.
struct JSONParser {
  struct Failure: Error {
    var offset: Int
    var reason: String
  }

  let bytes: [UInt8]
  var position = 0

  init(bytes: [UInt8]) { self.bytes = bytes }

  func failure(_ reason: String) -> Failure { Failure(offset: position, reason: reason) }

  mutating func skipWhitespace() {
    while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
  }

  mutating func value(depth: Int) throws(Failure) -> JSONValue {
    // One level more than a payload may nest, so that a payload at the limit
    // still fits inside an interchange line's object.
    guard depth < BinaryPayloadCodec.maximumDepth + 1 else { throw failure("nested too deeply") }
    guard position < bytes.count else { throw failure("unexpected end of text") }
    switch bytes[position] {
    case UInt8(ascii: "{"):
      position += 1
      var members: [String: JSONValue] = [:]
      skipWhitespace()
      if try consume(UInt8(ascii: "}")) { return .object(members) }
      repeat {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
          throw failure("expected a key")
        }
        let key = try string()
        skipWhitespace()
        guard try consume(UInt8(ascii: ":")) else { throw failure("expected ':'") }
        skipWhitespace()
        members[key] = try value(depth: depth + 1)
        skipWhitespace()
      } while try consume(UInt8(ascii: ","))
      guard try consume(UInt8(ascii: "}")) else { throw failure("expected ',' or '}'") }
      return .object(members)
    case UInt8(ascii: "["):
      position += 1
      var elements: [JSONValue] = []
      skipWhitespace()
      if try consume(UInt8(ascii: "]")) { return .array(elements) }
      repeat {
        skipWhitespace()
        elements.append(try value(depth: depth + 1))
        skipWhitespace()
      } while try consume(UInt8(ascii: ","))
      guard try consume(UInt8(ascii: "]")) else { throw failure("expected ',' or ']'") }
      return .array(elements)
    case UInt8(ascii: "\""):
      return .string(try string())
    case UInt8(ascii: "t"):
      try literal("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try literal("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try literal("null")
      return .null
    default:
      return try number()
    }
  }

  private mutating func consume(_ byte: UInt8) throws(Failure) -> Bool {
    guard position < bytes.count, bytes[position] == byte else { return false }
    position += 1
    return true
  }

  private mutating func literal(_ word: String) throws(Failure) {
    let expected = Array(word.utf8)
    guard bytes.count - position >= expected.count,
      Array(bytes[position..<position + expected.count]) == expected
    else { throw failure("expected \(word)") }
    position += expected.count
  }

  private mutating func number() throws(Failure) -> JSONValue {
    let start = position
    var integral = true
    if position < bytes.count && bytes[position] == UInt8(ascii: "-") { position += 1 }
    let digitsStart = position
    while position < bytes.count, (48...57).contains(bytes[position]) { position += 1 }
    guard position > digitsStart else { throw failure("expected a value") }
    guard !(bytes[digitsStart] == 48 && position - digitsStart > 1) else { throw failure("leading zero") }
    if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
      integral = false
      position += 1
      let fraction = position
      while position < bytes.count, (48...57).contains(bytes[position]) { position += 1 }
      guard position > fraction else { throw failure("expected digits after '.'") }
    }
    if position < bytes.count
      && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E"))
    {
      integral = false
      position += 1
      if position < bytes.count
        && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
      {
        position += 1
      }
      let exponent = position
      while position < bytes.count, (48...57).contains(bytes[position]) { position += 1 }
      guard position > exponent else { throw failure("expected exponent digits") }
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    if integral, let number = Int64(text) { return .int(number) }
    guard let number = Double(text) else { throw failure("number out of range") }
    return .double(number)
  }

  private mutating func string() throws(Failure) -> String {
    position += 1
    var scalars = String.UnicodeScalarView()
    var run = position
    func flush(_ parser: JSONParser, to end: Int, into scalars: inout String.UnicodeScalarView)
      throws(Failure)
    {
      guard let text = String(validating: parser.bytes[run..<end], as: UTF8.self) else {
        throw parser.failure("invalid UTF-8")
      }
      scalars.append(contentsOf: text.unicodeScalars)
    }
    while true {
      guard position < bytes.count else { throw failure("unterminated string") }
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        try flush(self, to: position, into: &scalars)
        position += 1
        return String(scalars)
      }
      guard byte >= 0x20 else { throw failure("control character in string") }
      guard byte == UInt8(ascii: "\\") else {
        position += 1
        continue
      }
      try flush(self, to: position, into: &scalars)
      position += 1
      guard position < bytes.count else { throw failure("unterminated escape") }
      let escape = bytes[position]
      position += 1
      switch escape {
      case UInt8(ascii: "\""): scalars.append("\"")
      case UInt8(ascii: "\\"): scalars.append("\\")
      case UInt8(ascii: "/"): scalars.append("/")
      case UInt8(ascii: "b"): scalars.append("\u{08}")
      case UInt8(ascii: "f"): scalars.append("\u{0C}")
      case UInt8(ascii: "n"): scalars.append("\n")
      case UInt8(ascii: "r"): scalars.append("\r")
      case UInt8(ascii: "t"): scalars.append("\t")
      case UInt8(ascii: "u"):
        var code = try hex4()
        if (0xD800..<0xDC00).contains(code) {
          guard try consume(UInt8(ascii: "\\")), try consume(UInt8(ascii: "u")) else {
            throw failure("unpaired surrogate")
          }
          let low = try hex4()
          guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { throw failure("invalid \\u escape") }
        scalars.append(scalar)
      default:
        throw failure("invalid escape")
      }
      run = position
    }
  }

  private mutating func hex4() throws(Failure) -> UInt32 {
    guard bytes.count - position >= 4 else { throw failure("short \\u escape") }
    var value: UInt32 = 0
    for byte in bytes[position..<position + 4] {
      let digit: UInt32
      switch byte {
      case 48...57: digit = UInt32(byte - 48)
      case 65...70: digit = UInt32(byte - 55)
      case 97...102: digit = UInt32(byte - 87)
      default: throw failure("invalid \\u escape")
      }
      value = value << 4 | digit
    }
    position += 4
    return value
  }
}
