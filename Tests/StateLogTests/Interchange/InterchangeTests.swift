import TestSupport
import Testing

@testable import StateLog

@Suite("JSON Lines interchange")
struct InterchangeTests {
  @Test(
    "base64 encodes RFC 4648's vectors and decodes them back",
    arguments: [
      ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
      ("foobar", "Zm9vYmFy"),
    ])
  func base64Vectors(plain: String, encoded: String) {
    #expect(Base64.encode(Array(plain.utf8)) == encoded)
    #expect(Base64.decode(encoded) == Array(plain.utf8))
  }

  @Test("base64 round-trips every byte value and refuses what is not canonical")
  func base64RoundTrip() {
    var generator = SeededGenerator(seed: 64)
    for length in 0..<70 {
      let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
      #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }
    for bad in ["Zg", "Zg=", "Z===", "Zh==", "Zm9v!A==", "=Zm9", "Zm=v", "Zg==Zg==", "Zm9vYg=\u{e9}"] {
      #expect(Base64.decode(bad) == nil, "\(bad)")
    }
  }

  @Test("lines parse into events, and bad lines are errors that say what is wrong")
  func parsing() throws {
    let line = try InterchangeLine(
      parsing:
        #"{"stream":"s","type":"t","data":{"a":1},"time":"2026-11-24T14:02:00.5Z","expected_version":"no_stream"}"#
    )
    #expect(line.stream == "s" && line.type == "t")
    #expect(line.time == Timestamp(iso8601: "2026-11-24T14:02:00.500Z"))
    #expect(line.expectedVersion == .noStream)
    for (text, problem) in [
      ("[]", "not a JSON object"), (#"{"type":"t","data":1}"#, "missing \"stream\""),
      (#"{"stream":"s","type":"t","data_base64":"Zg"}"#, "not base64"),
      (#"{"stream":"s","type":"t","data":1,"time":"yesterday"}"#, "not an ISO 8601 time"),
      (#"{"stream":"s","type":"t","data":1,"expected_version":-1}"#, "expected_version"),
      ("{\"stream\":", "JSON"),
    ] {
      let error = #expect(throws: StateLogError.self) { try InterchangeLine(parsing: text) }
      #expect(error?.code == .invalidArgument)
      #expect(error?.message.contains(problem) == true, "\(text): \(error?.message ?? "")")
    }
  }

  @Test("ISO 8601 times parse exactly, and out-of-range times are refused, not trapped on")
  func iso8601() {
    #expect(Timestamp(iso8601: "1970-01-01T00:00:00Z")?.nanosecondsSinceEpoch == 0)
    #expect(
      Timestamp(iso8601: "2026-11-24T16:02:00.123456789+02:00")?.description
        == "2026-11-24T14:02:00.123456789Z")
    #expect(Timestamp(iso8601: "1969-12-31T23:59:59.5Z")?.nanosecondsSinceEpoch == -500_000_000)
    // More than nine fraction digits: the rest is below a nanosecond (this trapped, found by fuzzing).
    #expect(Timestamp(iso8601: "1970-01-01T00:00:00.12345678912Z")?.nanosecondsSinceEpoch == 123_456_789)
    for bad in [
      "", "2026-13-01T00:00:00Z", "2026-11-24", "2026-11-24T14:02:00", "9999-12-31T23:59:59Z",
      "0000-01-01T00:00:00Z",
    ] {
      #expect(Timestamp(iso8601: bad) == nil, "\(bad)")
    }
  }
}
