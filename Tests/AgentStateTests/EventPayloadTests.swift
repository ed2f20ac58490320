import StateLog
import Testing

@testable import AgentState

/// Every event type's `init(payload:)` must decode exactly what its `Codable`
/// conformance decodes: replay takes the first, everything else the second.
@Suite("Event payloads")
struct EventPayloadTests {
  static let tool = ConversationEvent.ToolCall(id: "call-1", name: "search", arguments: #"{"q":"Lisbon"}"#)

  /// Each event type with every optional member present, and with none.
  static let events: [any EventType & Hashable] = [
    ConversationEvent.Started(agent: "planner", user: "alice", title: "Trip", model: "m-1"),
    ConversationEvent.Started(agent: "planner"),
    ConversationEvent.MessageAdded(
      role: .assistant, content: "Options: 😀 naïve", name: "bot", toolCalls: [tool], toolCallID: "call-0",
      tokens: .init(input: 120, output: 30)),
    ConversationEvent.MessageAdded(role: .user, content: ""),
    ConversationEvent.Summarized(summary: "Looked for flights.", throughMessage: 12),
    ConversationEvent.Feedback(message: 3, rating: 0.5, comment: "ok"),
    ConversationEvent.Feedback(message: 3, rating: 1),
    ConversationEvent.Ended(reason: "done"),
    ConversationEvent.Ended(),
    TaskEvent.Created(goal: "Book", owner: "agent", subtasks: [.init(id: "s1", description: "search")]),
    TaskEvent.Created(goal: "Book"),
    TaskEvent.SubtaskAdded(id: "s2", description: "pay", after: "s1"),
    TaskEvent.SubtaskAdded(id: "s2", description: "pay"),
    TaskEvent.SubtaskStarted(id: "s1", agent: "worker"),
    TaskEvent.SubtaskStarted(id: "s1"),
    TaskEvent.SubtaskCompleted(id: "s1", result: ["flight": "TP1234", "price": 99.5]),
    TaskEvent.SubtaskCompleted(id: "s1"),
    TaskEvent.SubtaskFailed(id: "s1", error: "timeout", retryable: true),
    TaskEvent.Checkpointed(data: ["after": "s1", "list": [1, nil]], note: "half way"),
    TaskEvent.Checkpointed(data: nil),
    TaskEvent.Completed(result: 42),
    TaskEvent.Completed(),
    TaskEvent.Failed(error: "gave up"),
    TaskEvent.Cancelled(reason: "user"),
    TaskEvent.Cancelled(),
    ProfileEvent.PreferenceSet(key: "ui.theme", value: "dark"),
    ProfileEvent.PreferenceRemoved(key: "ui.theme"),
    ProfileEvent.FactStored(
      id: "f1", text: "Lives in Porto", category: "home", confidence: 0.9, source: "chat"),
    ProfileEvent.FactStored(id: "f1", text: "Lives in Porto", category: "home"),
    ProfileEvent.FactRetracted(id: "f1"),
    ProfileEvent.PreferencesUpdated(
      preferences: ["theme": "dark", "language": "en"], tokenUsage: .init(total: 10, session: 2)),
    ProfileEvent.ContextLearned(key: "timezone", value: "Europe/Lisbon"),
  ]

  @Test("in-place decoding agrees with Codable for every event type", arguments: events.indices)
  func agrees(index: Int) throws {
    try Self.check(Self.events[index])
  }

  @Test("every event type of every vocabulary is covered")
  func covered() {
    let covered = Set(Self.events.map { type(of: $0).typeName })
    let vocabulary = (ConversationEvent.eventTypes + TaskEvent.eventTypes + ProfileEvent.eventTypes)
      .map { $0.typeName }.filter { !$0.hasSuffix(".forked") }
    #expect(Set(vocabulary).subtracting(covered).isEmpty)
  }

  static func check<Event: EventType & Hashable>(_ event: Event) throws {
    let codec = BinaryPayloadCodec()
    let payload = codec.encode(try JSONValueEncoder().encode(event))
    let inPlace = try payload.withUnsafeBytes { try codec.decode(event: Event.self, from: $0) }
    let codable = try payload.withUnsafeBytes {
      try JSONValueDecoder().decode(Event.self, from: codec.decode($0))
    }
    #expect(inPlace == codable)
    #expect(inPlace == event)
  }
}
