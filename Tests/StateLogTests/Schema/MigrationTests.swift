import TestSupport
import Testing

@testable import StateLog

/// The preferences event of a profile that evolved twice: v1 nested the
/// preferences under a user object, v2 flattened them, v3 added token tracking.
@Suite("Schema migration")
struct MigrationTests {
  static let type = "profile.preferences_updated"

  struct PreferencesV3: EventType, Equatable {
    static let typeName = "profile.preferences_updated"
    static let schemaVersion: UInt32 = 3
    struct TokenUsage: Codable, Equatable {
      var total: Int
      var session: Int
    }
    var preferences: [String: String]
    var tokenUsage: TokenUsage

    enum CodingKeys: String, CodingKey {
      case preferences
      case tokenUsage = "token_usage"
    }
  }

  static func registry(withFirstStep: Bool = true) -> SchemaRegistry {
    var registry = SchemaRegistry()
    registry.register(PreferencesV3.self)
    if withFirstStep {
      registry.addUpcaster(for: type, from: 1) { v1 in
        ["preferences": v1["user"]?["preferences"] ?? [:]]
      }
    }
    registry.addUpcaster(for: type, from: 2) { v2 in
      var v3 = v2
      if v3["token_usage"] == nil { v3["token_usage"] = ["total": 0, "session": 0] }
      return v3
    }
    return registry
  }

  /// Writes one event of each version, as three generations of code would.
  static func writeMixedLog(at path: String) throws -> Log {
    let log = try Log.open(at: path, options: .testing())
    let codec = BinaryPayloadCodec()
    let payloads: [(UInt32, JSONValue)] = [
      (1, ["user": ["preferences": ["theme": "dark", "language": "en"]]]),
      (2, ["preferences": ["theme": "light", "language": "en"]]),
      (
        3,
        ["preferences": ["theme": "light", "language": "fr"], "token_usage": ["total": 120, "session": 20]]
      ),
    ]
    for (version, data) in payloads {
      try log.append([
        NewEvent(stream: "profile/alice", type: type, schemaVersion: version, payload: codec.encode(data))
      ])
    }
    return log
  }

  @Test("v1 and v2 events read through v3 code come out as v3; the log keeps the bytes as written")
  func mixedVersions() throws {
    let directory = TemporaryDirectory("migration")
    let store = EventStore(log: try Self.writeMixedLog(at: directory.path), registry: Self.registry())
    let events = try store.events(inStream: "profile/alice")
    #expect(events.map(\.schemaVersion) == [3, 3, 3])
    #expect(events.map(\.recorded.schemaVersion) == [1, 2, 3])
    let typed = try events.map { try $0.decode(as: PreferencesV3.self) }
    #expect(
      typed[0]
        == PreferencesV3(
          preferences: ["theme": "dark", "language": "en"], tokenUsage: .init(total: 0, session: 0)))
    #expect(typed[1].preferences["theme"] == "light")
    #expect(typed[2].tokenUsage == .init(total: 120, session: 20))
    // State folded from the mixed events: the last preferences win, tokens add up.
    let folded = typed.reduce(into: (preferences: [String: String](), tokens: 0)) { state, event in
      state.preferences.merge(event.preferences) { $1 }
      state.tokens += event.tokenUsage.total
    }
    #expect(folded.preferences == ["theme": "light", "language": "fr"])
    #expect(folded.tokens == 120)
    // The first event is still the v1 bytes.
    let raw = try BinaryPayloadCodec().decode(
      events[0].recorded.payload.withUnsafeBytes { UnsafeRawBufferPointer($0) })
    #expect(raw["user"]?["preferences"]?["theme"] == "dark")
  }

  @Test("a missing step in the chain and a version newer than the code are errors naming type and versions")
  func chainErrors() throws {
    let directory = TemporaryDirectory("migration-errors")
    let log = try Self.writeMixedLog(at: directory.path)
    let broken = EventStore(log: log, registry: Self.registry(withFirstStep: false))
    let missing = #expect(throws: StateLogError.self) { try broken.events(inStream: "profile/alice") }
    #expect(missing?.code == .unsupportedSchemaVersion)
    #expect(missing?.message == "no upcaster for profile.preferences_updated from schema version 1 to 2")

    try log.append([
      NewEvent(
        stream: "profile/bob", type: Self.type, schemaVersion: 4,
        payload: BinaryPayloadCodec().encode(["x": 1]))
    ])
    let store = EventStore(log: log, registry: Self.registry())
    let tooNew = #expect(throws: StateLogError.self) { try store.events(inStream: "profile/bob") }
    #expect(tooNew?.code == .unsupportedSchemaVersion)
    #expect(tooNew?.message.contains("schema version 4, newer than version 3") == true)
    // Unregistered types pass through at the version they were written in.
    try log.append([
      NewEvent(
        stream: "other/x", type: "other.thing", schemaVersion: 7, payload: BinaryPayloadCodec().encode(1))
    ])
    #expect(try store.events(inStream: "other/x").map(\.schemaVersion) == [7])
  }
}
