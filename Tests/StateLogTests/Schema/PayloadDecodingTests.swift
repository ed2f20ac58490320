import TestSupport
import Testing

@testable import StateLog

/// A Codable type with every shape the `Codable` path has to handle.
private struct Sample: Codable, Equatable {
  enum Kind: String, Codable { case small, large }
  struct Inner: Codable, Equatable {
    var label: String
    var weights: [Double]
  }
  var name: String
  var count: Int
  var ratio: Double
  var flag: Bool
  var kind: Kind
  var note: String?
  var inner: Inner?
  var list: [Inner]
  var table: [String: Int]
  var any: JSONValue
  var small: UInt8
  var nested: [[Int?]]
}

/// An event type that reads its payload in place.
private struct Reading: EventType, Equatable {
  static let typeName = "test.reading"
  static let schemaVersion: UInt32 = 1
  var sensor: String
  var value: Double
  var count: Int?
  var tags: JSONValue?

  init(sensor: String, value: Double, count: Int?, tags: JSONValue?) {
    self.sensor = sensor
    self.value = value
    self.count = count
    self.tags = tags
  }

  init(payload: PayloadObject) throws {
    self.init(
      sensor: try payload.string("sensor"), value: try payload.double("value"),
      count: try payload.intIfPresent("count"), tags: try payload.valueIfPresent("tags"))
  }
}

@Suite("Decoding payloads in place")
struct PayloadDecodingTests {
  let codec = BinaryPayloadCodec()

  func bytes(_ value: JSONValue) -> [UInt8] { codec.encode(value) }

  func object(_ value: JSONValue, _ body: (PayloadObject) throws -> Void) throws {
    let encoded = bytes(value)
    try encoded.withUnsafeBytes { raw in
      try BinaryPayloadCodec.validate(raw)
      try body(try PayloadObject(bytes: raw, start: 1, depth: 0, path: ""))
    }
  }

  fileprivate static let sample = Sample(
    name: "naïve café 😀", count: -42, ratio: 0.25, flag: true, kind: .large, note: nil,
    inner: .init(label: "x", weights: [1, 2.5]),
    list: [.init(label: "a", weights: []), .init(label: "b", weights: [3])],
    table: ["one": 1, "two": 2], any: ["deep": [1, "two", nil]], small: 200, nested: [[1, nil], []])

  @Test("the Codable path decodes what JSONValueDecoder decodes")
  func codableAgrees() throws {
    let value = try JSONValueEncoder().encode(Self.sample)
    let encoded = bytes(value)
    let direct = try encoded.withUnsafeBytes { try codec.decode(Sample.self, from: $0) }
    #expect(direct == Self.sample)
    #expect(direct == (try JSONValueDecoder().decode(Sample.self, from: value)))
  }

  @Test("type mismatches and missing members are errors naming the member")
  func codableErrors() throws {
    var value = try JSONValueEncoder().encode(Self.sample)
    value["count"] = "many"
    var error = #expect(throws: StateLogError.self) {
      try self.bytes(value).withUnsafeBytes { try self.codec.decode(Sample.self, from: $0) }
    }
    #expect(error?.code == .malformedPayload)
    #expect(error?.message.contains("count") == true)
    value = try JSONValueEncoder().encode(Self.sample)
    value["list"] = [["label": "a"]]
    error = #expect(throws: StateLogError.self) {
      try self.bytes(value).withUnsafeBytes { try self.codec.decode(Sample.self, from: $0) }
    }
    #expect(error?.message.contains("weights") == true)
    // 3.0 is an integer; 3.5 and 300 are not a UInt8.
    value = try JSONValueEncoder().encode(Self.sample)
    value["small"] = 3.0
    #expect(try bytes(value).withUnsafeBytes { try codec.decode(Sample.self, from: $0) }.small == 3)
    for bad: JSONValue in [3.5, 300, -1] {
      value["small"] = bad
      #expect(throws: StateLogError.self) {
        try self.bytes(value).withUnsafeBytes { try self.codec.decode(Sample.self, from: $0) }
      }
    }
  }

  @Test("accessors read members, convert exact numbers and treat null as absent")
  func accessors() throws {
    try object(["s": "text", "i": 7, "d": 2.0, "b": false, "n": nil, "o": ["x": 1], "v": [1, 2]]) {
      (payload: PayloadObject) throws in
      #expect(try payload.string("s") == "text")
      #expect(try payload.int("i") == 7)
      #expect(try payload.int("d") == 2)
      #expect(try payload.double("i") == 7)
      #expect(try payload.bool("b") == false)
      #expect(try payload.stringIfPresent("n") == nil)
      #expect(try payload.stringIfPresent("missing") == nil)
      #expect(try payload.value("n") == .null)
      #expect(try payload.value("v") == [1, 2])
      #expect(try payload.object("o").int("x") == 1)
      #expect(try payload.objectIfPresent("n") == nil)
      #expect(payload.contains("n") && !payload.contains("missing"))
      #expect(Set(payload.memberNames) == ["s", "i", "d", "b", "n", "o", "v"])
    }
  }

  @Test(
    "wrong types and missing members name the member",
    arguments: [
      ("s", "is not an integer"), ("missing", "no member missing"), ("o.x", "is not a string"),
    ])
  func accessorErrors(member: String, message: String) throws {
    try object(["s": "text", "o": ["x": 1]]) { (payload: PayloadObject) throws in
      let error = #expect(throws: StateLogError.self) {
        switch member {
        case "s": _ = try payload.int("s")
        case "missing": _ = try payload.string("missing")
        default: _ = try payload.object("o").string("x")
        }
      }
      #expect(error?.code == .malformedPayload)
      #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }
  }

  @Test("objects of any size find the last of repeated keys", arguments: [3, 8, 9, 16, 17, 40])
  func largeObjects(members: Int) throws {
    // Hand-made bytes: an object whose key "k0" is repeated at the end.
    var writer = ByteWriter(capacity: 64)
    writer.append(BinaryPayloadCodec.marker)
    writer.append(BinaryPayloadCodec.Tag.object.rawValue)
    writer.appendVarint(UInt64(members + 1))
    for index in 0..<members {
      writer.appendString("k\(index)")
      BinaryPayloadCodec.encode(.int(Int64(index)), into: &writer)
    }
    writer.appendString("k0")
    BinaryPayloadCodec.encode("last", into: &writer)
    try writer.bytes.withUnsafeBytes { raw in
      let payload = try PayloadObject(bytes: raw, start: 1, depth: 0, path: "")
      #expect(try payload.string("k0") == "last")
      #expect(try payload.int("k\(members - 1)") == Int(members - 1))
      #expect(try payload.intIfPresent("k\(members)") == nil)
    }
  }

  @Test("events decode in place, and malformed payloads are errors")
  func events() throws {
    let reading = Reading(sensor: "t1", value: 21.5, count: 3, tags: ["room": "kitchen"])
    let encoded = bytes(try JSONValueEncoder().encode(reading))
    #expect(try encoded.withUnsafeBytes { try codec.decode(event: Reading.self, from: $0) } == reading)
    // A codec without an in-place path goes through JSONValue.
    #expect(
      try encoded.withUnsafeBytes { try JSONOnlyCodec().decode(event: Reading.self, from: $0) } == reading)
    for cut in 0..<encoded.count {
      let damaged = Array(encoded[..<cut])
      #expect(throws: StateLogError.self, "cut at \(cut)") {
        try damaged.withUnsafeBytes { try self.codec.decode(event: Reading.self, from: $0) }
      }
    }
    for damaged in [encoded + [0], [encoded[0], 0xEE] + encoded[2...]] {
      #expect(throws: StateLogError.self) {
        try damaged.withUnsafeBytes { try self.codec.decode(event: Reading.self, from: $0) }
      }
    }
  }

  @Test("random values decode alike through every path", arguments: [11 as UInt64, 12])
  func randomValues(seed: UInt64) throws {
    var generator = SeededGenerator(seed: seed)
    for _ in 0..<300 {
      let value = PayloadCodecTests.randomValue(&generator)
      let encoded = bytes(value)
      #expect(try encoded.withUnsafeBytes { try codec.decode(JSONValue.self, from: $0) } == value)
      guard case .object(let members) = value else { continue }
      try object(value) { (payload: PayloadObject) throws in
        for (key, member) in members { #expect(try payload.value(key) == member, "seed \(seed)") }
      }
    }
  }
}

/// A codec that only implements the required conversions.
private struct JSONOnlyCodec: PayloadCodec {
  func encode(_ value: JSONValue) -> [UInt8] { BinaryPayloadCodec().encode(value) }
  func decode(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue { try BinaryPayloadCodec().decode(bytes) }
}
