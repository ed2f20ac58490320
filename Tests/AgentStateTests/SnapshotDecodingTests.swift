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

  /// Decodes each state both ways, expecting both to give it back, and
  /// expects the members the encoder wrote across them to be exactly `keys`:
  /// the in-place decoder then reads every member there is.
  static func expectBothWays<State: AgentStream>(_ states: [State], writingExactly keys: [String]) throws {
    var written: Set<String> = []
    for state in states {
      let decoded = try bothWays(state)
      #expect(decoded.inPlace == state)
      #expect(decoded.codable == state)
      let bytes = try BinaryPayloadCodec().encode(JSONValueEncoder().encode(state))
      written.formUnion(
        try bytes.withUnsafeBytes { try BinaryPayloadCodec().decodeObject(from: $0) { $0.memberNames } })
    }
    #expect(written == Set(keys))
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

  @Test("a task with every member set decodes in place exactly, from every member the encoder writes")
  func everyMember() throws {
    var task = TaskState(id: "t")
    let steps: [TaskEvent] = [
      .created(
        .init(
          goal: "g", owner: "o",
          subtasks: [.init(id: "a", description: "A"), .init(id: "b", description: "B")])),
      .subtaskStarted(.init(id: "a", agent: "worker")),
      .subtaskFailed(.init(id: "a", error: "timeout", retryable: false)),
      .subtaskStarted(.init(id: "b", agent: "other")),
      .subtaskCompleted(.init(id: "b", result: ["rows": 3])),
      .checkpointed(.init(data: ["cursor": 7], note: "after b")),
    ]
    for step in steps { try task.apply(step, mode: .strict) }
    task.origin = ForkOrigin(stream: "task/source", sequence: 40, version: 12)
    task.skippedEvents = 2
    var completed = task
    try completed.apply(.completed(.init(result: ["ok": true])), mode: .strict)
    var cancelled = task
    try cancelled.apply(.cancelled(.init(reason: "user stopped it")), mode: .strict)
    try Self.expectBothWays(
      [task, completed, cancelled], writingExactly: TaskState.CodingKeys.allCases.map(\.stringValue))
  }

  @Test("a conversation with every member set decodes in place exactly, from every member the encoder writes")
  func everyConversationMember() throws {
    var conversation = ConversationState(id: "c")
    let steps: [ConversationEvent] = [
      .started(.init(agent: "planner", user: "ann", title: "Trip", model: "model-x")),
      .messageAdded(.init(role: .user, content: "Find a flight", name: "ann")),
      .messageAdded(
        .init(
          role: .assistant, content: "",
          toolCalls: [.init(id: "call-1", name: "search", arguments: #"{"to":"Lisbon"}"#)],
          tokens: .init(input: 31, output: 12))),
      .messageAdded(.init(role: .tool, content: "3 flights", toolCallID: "call-1")),
      .summarized(.init(summary: "Ann wants a flight", throughMessage: 1)),
      .feedback(.init(message: 1, rating: 0.5, comment: "slow")),
      .feedback(.init(message: 2, rating: 1)),
    ]
    for step in steps { try conversation.apply(step, mode: .strict) }
    conversation.origin = ForkOrigin(stream: "conversation/source", sequence: 9, version: 4)
    conversation.skippedEvents = 1
    var ended = conversation
    try ended.apply(.ended(.init(reason: "done")), mode: .strict)
    try Self.expectBothWays(
      [ConversationState(id: "empty"), conversation, ended],
      writingExactly: ConversationState.CodingKeys.allCases.map(\.stringValue))
  }

  @Test("a profile with every member set decodes in place exactly, from every member the encoder writes")
  func everyProfileMember() throws {
    var profile = ProfileState(id: "p")
    let steps: [ProfileEvent] = [
      .preferenceSet(.init(key: "ui.theme", value: "dark")),
      .preferenceSet(.init(key: "model.temperature", value: 0.2)),
      .factStored(
        .init(id: "f1", text: "lives in Lisbon", category: "location", confidence: 0.9, source: "chat")),
      .factStored(.init(id: "f2", text: "vegetarian", category: "diet")),
      .contextLearned(.init(key: "last_trip", value: ["city": "Porto", "nights": 3])),
    ]
    for step in steps { try profile.apply(step, mode: .strict) }
    profile.origin = ForkOrigin(stream: "profile/source", sequence: 5, version: 2)
    profile.skippedEvents = 4
    try Self.expectBothWays(
      [ProfileState(id: "empty"), profile],
      writingExactly: ProfileState.CodingKeys.allCases.map(\.stringValue))
  }

  @Test("a profile snapshot whose fact is not an object is malformed, naming the fact")
  func profileFactOfWrongKind() throws {
    var value = try JSONValueEncoder().encode(ProfileState(id: "p"))
    value["facts"] = .object(["f1": .string("not a fact")])
    let bytes = BinaryPayloadCodec().encode(value)
    let error = #expect(throws: StateLogError.self) {
      try bytes.withUnsafeBytes { raw in
        try BinaryPayloadCodec().decodeObject(from: raw) { try ProfileState(snapshot: $0) }
      }
    }
    #expect(error?.code == .malformedPayload)
    #expect(error?.message.contains("facts.f1") == true, "\(error?.message ?? "")")
  }

  @Test("a task snapshot with a negative version is malformed, not a trap")
  func negativeVersion() throws {
    var value = try JSONValueEncoder().encode(TaskState(id: "t"))
    value["version"] = -1
    let bytes = BinaryPayloadCodec().encode(value)
    let error = #expect(throws: StateLogError.self) {
      try bytes.withUnsafeBytes { raw in
        try BinaryPayloadCodec().decodeObject(from: raw) { try TaskState(snapshot: $0) }
      }
    }
    #expect(error?.message.contains("version") == true)
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
