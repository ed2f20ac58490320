import StateLog
import TestSupport
import Testing

@testable import AgentState

@Suite("Snapshot decoding")
struct SnapshotDecodingTests {
  /// Decodes `state`'s snapshot bytes both ways.
  static func bothWays<State: AgentStream>(_ state: State) throws -> (inPlace: State, codable: State) {
    let bytes = try BinaryPayloadCodec().encode(JSONValueEncoder().encode(state))
    return try bytes.withUnsafeBytes { raw in
      (
        try BinaryPayloadCodec().decodeObject(from: raw) { try State(snapshot: $0) },
        try BinaryPayloadCodec().decode(State.self, from: raw)
      )
    }
  }

  @Test(
    "in-place snapshot decoding agrees with Codable for every state of random histories",
    arguments: [5 as UInt64, 6])
  func agreesWithCodable(seed: UInt64) throws {
    let directory = TemporaryDirectory("snapshot-decoding")
    let store = try SnapshotTests.store(at: directory.path, interval: 0)
    var generator = SeededGenerator(seed: seed)
    let history = try StoreTests.recordHistory(store, steps: 200, &generator)
    var tasks = 0
    for entry in history {
      for state in entry.states.values {
        switch state {
        case .task(let task):
          let decoded = try Self.bothWays(task)
          #expect(decoded.inPlace == task && decoded.codable == task)
          tasks += 1
        case .profile(let profile):
          #expect(try Self.bothWays(profile).inPlace == profile)
        case .conversation(let conversation):
          #expect(try Self.bothWays(conversation).inPlace == conversation)
        }
      }
    }
    #expect(tasks > 100)
  }

  @Test("a task snapshot with a member of the wrong kind is a malformed payload naming it")
  func wrongKinds() throws {
    var task = TaskState(id: "t")
    try task.apply(.created(.init(goal: "g", subtasks: [.init(id: "a", description: "A")])), mode: .strict)
    var value = try JSONValueEncoder().encode(task)
    for (path, replacement, named) in [
      (["subtasks"], JSONValue.string("many"), "subtasks"), (["status"], .string("sleeping"), "status"),
    ] {
      var damaged = value
      damaged[path[0]] = replacement
      let bytes = BinaryPayloadCodec().encode(damaged)
      let error = #expect(throws: StateLogError.self) {
        try bytes.withUnsafeBytes { raw in
          try BinaryPayloadCodec().decodeObject(from: raw) { try TaskState(snapshot: $0) }
        }
      }
      #expect(error?.code == .malformedPayload)
      #expect(error?.message.contains(named) == true, "\(error?.message ?? "")")
    }
    value["subtasks"] = .array([.string("not an object")])
    let bytes = BinaryPayloadCodec().encode(value)
    let error = #expect(throws: StateLogError.self) {
      try bytes.withUnsafeBytes { raw in
        try BinaryPayloadCodec().decodeObject(from: raw) { try TaskState(snapshot: $0) }
      }
    }
    #expect(error?.message.contains("subtasks[0]") == true, "\(error?.message ?? "")")
  }
}
