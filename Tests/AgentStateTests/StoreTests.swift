import Foundation
import StateLog
import Synchronization
import TestSupport
import Testing

@testable import AgentState

@Suite("Agent state store")
struct StoreTests {
  /// A store whose clock ticks one millisecond per event, from a fixed start.
  static func store(at path: String) throws -> AgentStateStore {
    var options = LogOptions()
    options.durability = .buffered
    options.segmentSize = 16 << 10
    let ticks = Mutex<Int64>(1_795_528_800_000_000_000)
    options.clock = {
      ticks.withLock {
        $0 += 1_000_000
        return Timestamp(nanosecondsSinceEpoch: $0)
      }
    }
    return try AgentStateStore.open(at: path, options: options)
  }

  /// One entry per event: its sequence and time, and every stream's current
  /// state as the store keeps it (reducers applied append by append).
  typealias History = [(sequence: UInt64, time: Timestamp, states: [String: AnyAgentState])]

  /// Runs `steps` random steps and records the history after each.
  static func recordHistory(_ store: AgentStateStore, steps: Int, _ generator: inout SeededGenerator) throws
    -> History
  {
    var history: History = []
    var current: [String: AnyAgentState] = [:]
    for _ in 0..<steps {
      try randomStep(store, &generator)
      let event = try store.log.event(at: store.log.lastSequence)
      current[event.stream] = try store.state(ofStream: event.stream).state
      history.append((event.sequence, event.timestamp, current))
    }
    return history
  }

  /// Appends exactly one random valid event to one of the three streams
  /// whose ids end in `suffix`.
  static func randomStep(_ store: AgentStateStore, _ generator: inout SeededGenerator, suffix: String = "")
    throws
  {
    switch Int.random(in: 0..<3, using: &generator) {
    case 0:
      let chat = store.conversation("c" + suffix)
      let state = try chat.state()
      if state.status == .new { try chat.start(agent: "a"); return }
      if !state.messages.isEmpty && Int.random(in: 0..<6, using: &generator) == 0 {
        let low = state.summaries.last?.throughMessage ?? 0
        try chat.summarize(
          "s\(state.version)", throughMessage: Int.random(in: low..<state.messages.count, using: &generator))
      } else {
        try chat.addMessage(
          .user, "m\(state.version)",
          tokens: .init(input: Int.random(in: 0...50, using: &generator), output: 1))
      }
    case 1:
      let task = store.task("t" + suffix)
      let state = try task.state()
      if state.status == .new { try task.create(goal: "g", subtasks: [("s0", "first")]); return }
      if Int.random(in: 0..<5, using: &generator) == 0 {
        try task.checkpoint(["at": .int(Int64(state.version))])
      } else if let next = state.nextSubtask {
        switch next.status {
        case .running where Bool.random(using: &generator):
          try task.failSubtask(next.id, error: "e", retryable: true)
        case .running: try task.completeSubtask(next.id, result: .int(Int64(state.version)))
        default: try task.startSubtask(next.id)
        }
      } else {
        try task.addSubtask("s\(state.version)", description: "more")
      }
    default:
      let profile = store.profile("p" + suffix)
      let key = ["ui.theme", "ui.font.size", "language", "a.b.c"][Int.random(in: 0..<4, using: &generator)]
      if try profile.state().preference(key) != nil && Bool.random(using: &generator) {
        try profile.removePreference(key)
      } else if Bool.random(using: &generator) {
        try profile.setPreference(key, to: .int(Int64.random(in: 0...9, using: &generator)))
      } else {
        try profile.storeFact(
          "f\(Int.random(in: 0..<4, using: &generator))", text: "t",
          category: "c\(Int.random(in: 0..<2, using: &generator))")
      }
    }
  }

  @Test(
    "state at a past sequence, time or version equals the state after exactly that prefix",
    arguments: [7 as UInt64, 8])
  func pointInTime(seed: UInt64) throws {
    let directory = TemporaryDirectory("points")
    let store = try Self.store(at: directory.path)
    var generator = SeededGenerator(seed: seed)
    let history = try Self.recordHistory(store, steps: 300, &generator)
    #expect(store.log.lastSequence == UInt64(history.count))
    for _ in 0..<150 {
      let index = Int.random(in: 0..<history.count, using: &generator)
      let entry = history[index]
      for (stream, expected) in entry.states {
        let bySequence = try store.state(ofStream: stream, at: .sequence(entry.sequence))
        #expect(bySequence.state == expected, "seed \(seed), \(stream) at sequence \(entry.sequence)")
        #expect(
          try store.state(ofStream: stream, at: .timestamp(entry.time)).state == expected, "seed \(seed)")
        #expect(
          try store.state(ofStream: stream, at: .version(expected.version)).state == expected, "seed \(seed)")
        #expect(bySequence.sequence <= entry.sequence)
      }
    }
  }

  @Test("profile events written in schema v1 and v2 are migrated when read through the store")
  func migration() throws {
    let directory = TemporaryDirectory("migrate")
    let store = try Self.store(at: directory.path)
    let codec = BinaryPayloadCodec()
    try store.log.append([
      NewEvent(
        stream: "profile/alice", type: "profile.preferences_updated", schemaVersion: 1,
        payload: codec.encode(["user": ["preferences": ["theme": "dark", "language": "en"]]])),
      NewEvent(
        stream: "profile/alice", type: "profile.preferences_updated", schemaVersion: 2,
        payload: codec.encode(["preferences": ["language": "fr"]])),
    ])
    try store.profile("alice").append(
      .preferencesUpdated(.init(preferences: ["font": 12], tokenUsage: .init(total: 300, session: 40))))
    let state = try store.profile("alice").state()
    #expect(state.preferences == ["theme": "dark", "language": "fr", "font": 12])
    #expect(state.context["token_usage"] == ["total": 300, "session": 40])
    #expect(try store.log.event(at: 1).schemaVersion == 1, "the log keeps the v1 event")
  }

  @Test("agents sharing one task through update() lose no update")
  func concurrentAgents() throws {
    let directory = TemporaryDirectory("blackboard")
    let store = try Self.store(at: directory.path)
    let ids = (0..<40).map { "s\($0)" }
    try store.task("shared").create(goal: "g", subtasks: ids.map { ($0, $0) })
    let done = DispatchGroup()
    let failures = Mutex(0)
    for agent in 0..<4 {
      done.enter()
      Thread {
        defer { done.leave() }
        for id in ids where Int(id.dropFirst())! % 4 == agent {
          do {
            // Four agents on two cores collide often; the retry budget is
            // what this test is not about.
            try store.task("shared").update(maximumAttempts: 10_000) { state in
              state.subtasks.first { $0.id == id }?.status == .done
                ? []
                : [.subtaskStarted(.init(id: id, agent: "agent-\(agent)")), .subtaskCompleted(.init(id: id))]
            }
          } catch {
            Issue.record("agent \(agent), subtask \(id): \(error)")
            failures.withLock { $0 += 1 }
          }
        }
      }.start()
    }
    done.wait()
    #expect(failures.withLock { $0 } == 0)
    let state = try store.task("shared").state()
    #expect(state.progress == (done: 40, total: 40))
    #expect(state.subtasks.allSatisfy { $0.attempts == 1 })
    #expect(state.version == 81)
  }

  @Test("under group commit, a conflicting update waits for the winner's fsync instead of spinning")
  func groupCommitUpdates() throws {
    let directory = TemporaryDirectory("group-update")
    var options = LogOptions()
    options.durability = .groupCommit
    let store = try AgentStateStore.open(at: directory.path, options: options)
    try store.task("shared").create(goal: "g", subtasks: (0..<24).map { ("s\($0)", "step") })
    let done = DispatchGroup()
    let failures = Mutex(0)
    for agent in 0..<4 {
      done.enter()
      Thread {
        defer { done.leave() }
        for index in stride(from: agent, to: 24, by: 4) {
          do {
            // Without the wait, retries spin for microseconds against an
            // fsync of milliseconds and run out long before 50 attempts.
            try store.task("shared").update(maximumAttempts: 50) { _ in
              [.subtaskStarted(.init(id: "s\(index)")), .subtaskCompleted(.init(id: "s\(index)"))]
            }
          } catch {
            Issue.record("agent \(agent): \(error)")
            failures.withLock { $0 += 1 }
          }
        }
      }.start()
    }
    done.wait()
    #expect(failures.withLock { $0 } == 0)
    #expect(try store.task("shared").state().progress == (done: 24, total: 24))
  }

  @Test("bad input: unknown stream kind, malformed payload, invalid transition; the log is unchanged")
  func badInput() throws {
    let directory = TemporaryDirectory("bad")
    let store = try Self.store(at: directory.path)
    let unknown = #expect(throws: AgentStateError.self) { try store.state(ofStream: "session/x") }
    #expect(unknown?.code == .unknownStreamKind)
    try store.log.append([
      NewEvent(
        stream: "conversation/c", type: "conversation.message_added", payload: Array("not binary".utf8))
    ])
    let malformed = #expect(throws: StateLogError.self) { try store.conversation("c").state() }
    #expect(malformed?.code == .malformedPayload)
    try store.log.append([
      NewEvent(
        stream: "conversation/d", type: "conversation.message_added",
        payload: BinaryPayloadCodec().encode(["role": "robot", "content": "x"]))
    ])
    #expect(throws: StateLogError.self) { try store.conversation("d").state() }
    let before = store.log.lastSequence
    #expect(throws: AgentStateError.self) { try store.task("t").completeSubtask("x") }
    #expect(store.log.lastSequence == before)
  }

  @Test("context assembly reads the window, the profile and the open tasks concurrently")
  func context() async throws {
    let directory = TemporaryDirectory("context")
    let store = try Self.store(at: directory.path)
    try store.conversation("c").addMessage(.user, "hi")
    try store.conversation("c").addMessage(.assistant, "hello")
    try store.conversation("c").summarize("greeting", throughMessage: 0)
    try store.profile("alice").setPreference("ui.theme", to: "dark")
    try store.task("a").create(goal: "open", owner: "alice")
    try store.task("b").create(goal: "done", owner: "alice")
    try store.task("b").complete()
    try store.task("c").create(goal: "someone else's", owner: "bob")
    let context = try await store.context(conversation: "c", profile: "alice", openTasksOf: "alice")
    #expect(context.conversation?.summary == "greeting")
    #expect(context.conversation?.messages.map(\.content) == ["hello"])
    #expect(context.profile?.preference("ui.theme") == "dark")
    #expect(context.openTasks?.map(\.id) == ["a"])
    let partial = try await store.context(profile: "alice")
    #expect(partial.conversation == nil && partial.openTasks == nil)
  }
}
