import StateLog
import Testing

@testable import AgentState

@Suite("Parsing points")
struct StatePointParsingTests {
  static let now = Timestamp(iso8601: "2026-11-24T14:02:00Z")!

  @Test(
    "sequences, versions, ISO 8601 and relative times",
    arguments: [
      ("1234", StatePoint.sequence(1234)), ("seq:7", .sequence(7)), ("v:17", .version(17)),
      ("2026-11-24T14:00:00Z", .timestamp(Timestamp(iso8601: "2026-11-24T14:00:00Z")!)),
      ("-2h", .timestamp(Timestamp(iso8601: "2026-11-24T12:02:00Z")!)),
      ("-1.5m", .timestamp(Timestamp(iso8601: "2026-11-24T14:00:30Z")!)),
      ("-0s", .timestamp(now)),
      // Longer ago than 64 bits of nanoseconds reach: the earliest time, not a trap.
      ("-1e300d", .timestamp(.distantPast)), ("-300000d", .timestamp(.distantPast)),
    ])
  func parses(text: String, point: StatePoint) throws {
    #expect(try StatePoint(parsing: text, now: Self.now) == point)
  }

  @Test(
    "anything else is an invalid argument naming the forms",
    arguments: ["", "v:", "seq:-1", "-2y", "-infh", "-nanh", "--2h", "v:1.5", "18446744073709551616"])
  func refuses(text: String) {
    let error = #expect(throws: AgentStateError.self) { try StatePoint(parsing: text, now: Self.now) }
    #expect(error?.code == .invalidArgument)
    #expect(error?.message.contains("ISO 8601") == true)
  }
}
