import TestSupport
import Testing

@testable import StateLog

@Suite("Payload codec")
struct PayloadCodecTests {
  static func randomValue(_ generator: inout SeededGenerator, depth: Int = 0) -> JSONValue {
    switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &generator))
    case 2: return .int(Int64.random(in: .min ... .max, using: &generator))
    case 3: return .double(Double.random(in: -1e12...1e12, using: &generator))
    case 4: return .string(String(repeating: "é€x", count: Int.random(in: 0...5, using: &generator)))
    case 5:
      return .array(
        (0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(&generator, depth: depth + 1) })
    default:
      var members: [String: JSONValue] = [:]
      for index in 0..<Int.random(in: 0...4, using: &generator) {
        members["k\(index)"] = randomValue(&generator, depth: depth + 1)
      }
      return .object(members)
    }
  }

  @Test("binary payloads round-trip any value", arguments: [1 as UInt64, 2, 3])
  func roundTrip(seed: UInt64) throws {
    var generator = SeededGenerator(seed: seed)
    let codec = BinaryPayloadCodec()
    for _ in 0..<500 {
      let value = Self.randomValue(&generator)
      let bytes = codec.encode(value)
      #expect(bytes.first == BinaryPayloadCodec.marker)
      #expect(try bytes.withUnsafeBytes { try codec.decode($0) } == value, "seed \(seed)")
      #expect(codec.encode(value) == bytes, "encoding is deterministic")
    }
  }

  @Test("malformed payloads are clear errors, never crashes", arguments: [4 as UInt64, 5])
  func malformed(seed: UInt64) throws {
    var generator = SeededGenerator(seed: seed)
    let codec = BinaryPayloadCodec()
    var rejected = 0
    for _ in 0..<2_000 {
      var bytes = codec.encode(Self.randomValue(&generator))
      let cut = Int.random(in: 0..<bytes.count, using: &generator)
      if Bool.random(using: &generator) { bytes.removeSubrange(cut...) } else { bytes[cut] ^= 0xFF }
      do {
        _ = try bytes.withUnsafeBytes { try codec.decode($0) }
      } catch let error as StateLogError {
        #expect(error.code == .malformedPayload)
        rejected += 1
      }
    }
    #expect(rejected > 1_000)
    // Ten thousand nested one-element arrays.
    var deep = [BinaryPayloadCodec.marker]
    for _ in 0..<10_000 { deep += [6, 1] }
    #expect(throws: StateLogError.self) { try deep.withUnsafeBytes { try codec.decode($0) } }
  }

  @Test("JSON text written by description parses back to the same value", arguments: [6 as UInt64, 7])
  func jsonText(seed: UInt64) throws {
    var generator = SeededGenerator(seed: seed)
    for _ in 0..<500 {
      let value = Self.randomValue(&generator)
      #expect(try JSONValue(parsing: value.description) == value, "seed \(seed): \(value)")
    }
    let tricky: JSONValue = [
      "int": 9_007_199_254_740_993, "double": 2.0, "tiny": .double(.leastNonzeroMagnitude), "big": 1e300,
      "negative": -0.5,
      "text": "quote \" backslash \\ newline \n tab \t nul \u{0} é 😀 /",
    ]
    #expect(try JSONValue(parsing: tricky.description) == tricky)
    #expect(
      try JSONValue(parsing: #"{"a":[1,2.5,"\u00e9\ud83d\ude00"],"b":null}"#) == [
        "a": [1, 2.5, "é😀"], "b": nil,
      ])
    for bad in ["", "{", "[1,]", "01", "1.", #""\x""#, #""\ud800""#, "nul", #"{"a" 1}"#, "[1] 2"] {
      #expect(throws: StateLogError.self, "\(bad)") { try JSONValue(parsing: bad) }
    }
  }

  struct Message: EventType, Equatable {
    static let typeName = "conversation.message_added"
    static let schemaVersion: UInt32 = 1
    struct ToolCall: Codable, Equatable {
      var id: String
      var name: String
      var arguments: String
    }
    struct Tokens: Codable, Equatable {
      var input: Int
      var output: UInt32
    }
    var role: String
    var content: String
    var name: String?
    var toolCalls: [ToolCall]?
    var tokens: Tokens?
    var rating: Double
    var extra: JSONValue
    var flags: [Bool]
    var small: Int8
  }

  @Test("typed events encode to values and back, optionals left out when nil")
  func codable() throws {
    let message = Message(
      role: "assistant", content: "hi", name: nil,
      toolCalls: [.init(id: "c1", name: "search", arguments: "{}")], tokens: .init(input: 12, output: 3),
      rating: 4.5, extra: ["nested": [1, "two", nil]], flags: [true, false], small: -7)
    let value = try JSONValueEncoder().encode(message)
    #expect(value["name"] == nil)
    #expect(value["tokens"]?["input"] == .int(12))
    #expect(value["toolCalls"]?[0]?["name"] == "search")
    #expect(try JSONValueDecoder().decode(Message.self, from: value) == message)

    var wrong = value
    wrong["small"] = 300
    #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Message.self, from: wrong) }
    wrong = value
    wrong["role"] = nil
    #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Message.self, from: wrong) }
    #expect(value.description.hasPrefix(#"{"content":"hi","extra":{"nested":[1,"two",null]}"#))
  }
}
