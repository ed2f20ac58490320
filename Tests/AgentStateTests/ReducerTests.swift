import StateLog
import TestSupport
import Testing

@testable import AgentState

@Suite("Reducers")
struct ReducerTests {
  static func store() throws -> (TemporaryDirectory, AgentStateStore) {
    let directory = TemporaryDirectory("agent")
    var options = LogOptions()
    options.durability = .buffered
    return (directory, try AgentStateStore.open(at: directory.path, options: options))
  }

  @Test("a conversation: messages with tool calls, token totals, summaries, the context window, feedback")
  func conversation() throws {
    let (directory, store) = try Self.store()
    _ = directory
    let chat = store.conversation("c1")
    try chat.start(agent: "planner", user: "alice", model: "gpt-x")
    try chat.addMessage(.system, "You plan trips.")
    try chat.addMessage(.user, "Weekend in Lisbon?", tokens: .init(input: 10, output: 0))
    try chat.addMessage(
      .assistant, "", toolCalls: [.init(id: "call-1", name: "search_flights", arguments: #"{"to":"LIS"}"#)],
      tokens: .init(input: 40, output: 12))
    try chat.addMessage(.tool, "3 flights", toolCallID: "call-1")
    try chat.addMessage(.assistant, "Found TP1234.", tokens: .init(input: 60, output: 20))
    var state = try chat.summarize("Alice wants Lisbon; flights found.", throughMessage: 3)
    state = try chat.giveFeedback(onMessage: 4, rating: 5, comment: "great")

    #expect(state.status == .active)
    #expect(state.messages.count == 5)
    #expect(state.messages[2].toolCalls?.first?.name == "search_flights")
    #expect(state.messages[3].toolCallID == "call-1")
    #expect(state.tokenTotals[.assistant] == .init(input: 100, output: 32))
    #expect(state.tokenTotals[.user] == .init(input: 10, output: 0))
    let window = state.contextWindow()
    #expect(window.summary == "Alice wants Lisbon; flights found.")
    #expect(window.firstMessage == 4)
    #expect(window.messages.map(\.content) == ["Found TP1234."])
    #expect(state.feedback.map(\.rating) == [5])
    // All five messages stay in history.
    #expect(try chat.state(at: .version(6)).state.contextWindow().messages.count == 5)
    // A token budget keeps only the newest messages that fit.
    let unsummarized = try chat.state(at: .version(6)).state
    #expect(
      unsummarized.contextWindow(tokenBudget: 85).messages.map(\.content) == ["3 flights", "Found TP1234."])
    try chat.end(reason: "done")
    #expect(try chat.state().status == .ended)
  }

  struct InvalidCase: Sendable, CustomStringConvertible {
    var description: String
    var setup: @Sendable (AgentStateStore) throws -> Void = { _ in }
    var failing: @Sendable (AgentStateStore) throws -> Void
  }

  @Test(
    "invalid transitions are refused before anything is written",
    arguments: [
      InvalidCase(
        description: "a message after the end",
        setup: {
          try $0.conversation("c").start(agent: "a")
          try $0.conversation("c").end()
        },
        failing: { try $0.conversation("c").addMessage(.user, "late") }),
      InvalidCase(
        description: "a summary past the last message",
        setup: { try $0.conversation("c").addMessage(.user, "one") },
        failing: { try $0.conversation("c").summarize("too far", throughMessage: 1) }),
      InvalidCase(
        description: "feedback on a message that does not exist",
        failing: { try $0.conversation("c").giveFeedback(onMessage: 0, rating: 1) }),
      InvalidCase(
        description: "completing an unknown subtask",
        setup: { try $0.task("t").create(goal: "g", subtasks: [("a", "A")]) },
        failing: { try $0.task("t").completeSubtask("b") }),
      InvalidCase(
        description: "a subtask event before the task exists", failing: { try $0.task("t").startSubtask("a") }
      ),
      InvalidCase(
        description: "completing a task twice",
        setup: {
          try $0.task("t").create(goal: "g")
          try $0.task("t").complete()
        },
        failing: { try $0.task("t").complete() }),
      InvalidCase(
        description: "retracting an unknown fact", failing: { try $0.profile("p").retractFact("f9") }),
      InvalidCase(
        description: "a malformed preference path",
        failing: { try $0.profile("p").setPreference("ui..theme", to: "dark") }),
    ])
  func invalidTransitions(_ test: InvalidCase) throws {
    let (directory, store) = try Self.store()
    _ = directory
    try store.profile("other").learn("noise", 1)
    try test.setup(store)
    let before = store.log.lastSequence
    let error = #expect(throws: AgentStateError.self) { try test.failing(store) }
    #expect(error?.code == .invalidTransition)
    #expect(error?.stream != nil)
    #expect(store.log.lastSequence == before, "nothing written")
    #expect(before >= 1)
  }

  @Test("a task: subtasks in order, a failure and a retry, checkpoints, progress and the next subtask")
  func task() throws {
    let (directory, store) = try Self.store()
    _ = directory
    let task = store.task("trip")
    try task.create(
      goal: "Book a trip", owner: "alice", subtasks: [("flights", "Find flights"), ("hotel", "Book hotel")])
    try task.addSubtask("itinerary", description: "Write it up")
    try task.addSubtask("visa", description: "Check visa", after: "flights")
    #expect(try task.state().subtasks.map(\.id) == ["flights", "visa", "hotel", "itinerary"])
    try task.startSubtask("flights", agent: "planner")
    try task.completeSubtask("flights", result: "TP1234")
    try task.checkpoint(["flight": "TP1234"], note: "after flights")
    try task.startSubtask("visa")
    try task.failSubtask("visa", error: "service down", retryable: true)
    var state = try task.state()
    #expect(state.nextSubtask?.id == "visa")
    #expect(state.errors == ["visa: service down"])
    try task.startSubtask("visa")
    try task.completeSubtask("visa")
    state = try task.state()
    #expect(state.subtasks[1].attempts == 2)
    #expect(state.progress == (done: 2, total: 4))
    #expect(state.nextSubtask?.id == "hotel")
    #expect(state.lastCheckpoint?.data == ["flight": "TP1234"])
    #expect(state.lastCheckpoint?.version == 6)
    try task.startSubtask("hotel")
    try task.failSubtask("hotel", error: "sold out", retryable: false)
    #expect(try task.state().nextSubtask == nil, "a final failure blocks the task")
    state = try task.fail(error: "no hotel")
    #expect(state.status == .failed)
    #expect(state.errors.last == "no hotel")
  }

  @Test("a profile: nested preferences set and removed, facts by category, retraction, learned context")
  func profile() throws {
    let (directory, store) = try Self.store()
    _ = directory
    let profile = store.profile("alice")
    try profile.setPreference("ui.theme", to: "dark")
    try profile.setPreference("ui.font.size", to: 14)
    try profile.setPreference("language", to: "en")
    try profile.storeFact("f1", text: "Likes boutique hotels", category: "travel", confidence: 0.8)
    try profile.storeFact("f2", text: "Vegetarian", category: "food")
    try profile.storeFact("f3", text: "Window seat", category: "travel", source: "chat c1")
    try profile.retractFact("f1")
    try profile.learn("home_airport", "LHR")
    var state = try profile.removePreference("ui.font.size")
    #expect(state.preferences == ["ui": ["theme": "dark"], "language": "en"], "empty parents are pruned")
    #expect(state.preference("ui.theme") == "dark")
    #expect(state.facts.keys.sorted() == ["f2", "f3"])
    #expect(state.factsByCategory["travel"]?.map(\.id) == ["f3"])
    #expect(state.context["home_airport"] == "LHR")
    state = try profile.removePreference("ui.theme")
    #expect(state.preferences == ["language": "en"])
  }
}
