import StateLog
import TestSupport
import Testing

@testable import AgentState

@Suite("Diff")
struct DiffTests {
  static func store() throws -> (TemporaryDirectory, AgentStateStore) {
    let directory = TemporaryDirectory("diff")
    var options = LogOptions()
    options.durability = .buffered
    return (directory, try AgentStateStore.open(at: directory.path, options: options))
  }

  @Test("a conversation diff reads like 3 messages added, summary replaced, 1 feedback")
  func conversation() throws {
    let (directory, store) = try Self.store()
    _ = directory
    let chat = store.conversation("c")
    try chat.addMessage(.user, "one")
    try chat.addMessage(.assistant, "two")
    try chat.summarize("first", throughMessage: 0)
    let from = try chat.state().version
    try chat.addMessage(.user, "three")
    try chat.addMessage(.assistant, "four")
    try chat.addMessage(.user, "five")
    try chat.summarize("second", throughMessage: 3)
    try chat.giveFeedback(onMessage: 3, rating: 4)
    let diff = try store.diff(ofStream: "conversation/c", from: .version(from), to: .latest)
    #expect(diff.summary == "3 messages added, summary replaced, 1 feedback given")
    #expect(diff.events.count == 5)
    #expect(diff.changes.contains(.added(path: "messages[4]", value: ["content": "five", "role": "user"])))
    #expect(
      diff.changes.contains(.added(path: "summaries[1]", value: ["text": "second", "throughMessage": 3])))
  }

  @Test("a task diff names the subtasks whose status changed")
  func task() throws {
    let (directory, store) = try Self.store()
    _ = directory
    let task = store.task("t")
    try task.create(goal: "g", subtasks: [("a", "A"), ("b", "B")])
    try task.startSubtask("a")
    let from = try task.state().version
    try task.completeSubtask("a")
    try task.startSubtask("b")
    try task.failSubtask("b", error: "boom", retryable: true)
    try task.addSubtask("c", description: "C")
    let diff = try store.diff(ofStream: "task/t", from: .version(from), to: .latest)
    #expect(diff.summary == "a running → done, b pending → failed, c added (pending)")
    #expect(diff.changes.contains(.changed(path: "subtasks[1].status", from: "pending", to: "failed")))
    #expect(diff.changes.contains(.added(path: "errors[0]", value: "b: boom")))
  }

  @Test("a profile diff names the preferences and facts that changed")
  func profile() throws {
    let (directory, store) = try Self.store()
    _ = directory
    let profile = store.profile("p")
    try profile.setPreference("ui.theme", to: "dark")
    try profile.storeFact("f1", text: "likes tea", category: "food")
    let from = try profile.state().version
    try profile.setPreference("ui.theme", to: "light")
    try profile.setPreference("language", to: "en")
    try profile.retractFact("f1")
    try profile.storeFact("f2", text: "window seat", category: "travel")
    let diff = try store.diff(ofStream: "profile/p", from: .version(from), to: .latest)
    #expect(diff.summary == "preferences changed: language, ui.theme, facts stored: f2, facts retracted: f1")
    #expect(diff.changes.contains(.changed(path: "preferences.ui.theme", from: "dark", to: "light")))
    #expect(try store.diff(ofStream: "profile/p", from: .latest, to: .latest).summary == "no change")
  }
}

@Suite("History and instants")
struct HistoryTests {
  @Test(
    "history pages through a stream, filtered by type and time; states of several streams share one instant")
  func historyAndInstant() throws {
    let (directory, store) = try DiffTests.store()
    _ = directory
    for index in 0..<10 {
      try store.conversation("c").addMessage(.user, "m\(index)")
      try store.profile("alice").setPreference("count", to: .int(Int64(index)))
    }
    let first = try store.log.history(of: "conversation/c", limit: 4)
    #expect(first.map(\.version) == [1, 2, 3, 4])
    let next = try store.log.history(of: "conversation/c", fromVersion: first.last!.version + 1, limit: 4)
    #expect(next.map(\.version) == [5, 6, 7, 8])
    #expect(next.allSatisfy { $0.type == "conversation.message_added" })
    let none = try store.log.history(of: "conversation/c", types: ["conversation.ended"])
    #expect(none.isEmpty)
    let windowed = try store.log.history(
      of: "conversation/c", since: first[1].timestamp, until: first[2].timestamp)
    #expect(windowed.map(\.version) == [2, 3])

    let instant = try store.states(ofStreams: ["conversation/c", "profile/alice"], at: .sequence(7))
    guard case .conversation(let chat) = instant["conversation/c"]?.state,
      case .profile(let profile) = instant["profile/alice"]?.state
    else {
      Issue.record("missing states")
      return
    }
    #expect(chat.messages.count == 4)
    #expect(profile.preference("count") == 2)
  }
}

@Suite("Fork")
struct ForkTests {
  @Test("a task forked at the checkpoint before a bad subtask starts there and records its origin")
  func forkTask() throws {
    let (directory, store) = try DiffTests.store()
    _ = directory
    let task = store.task("t")
    try task.create(goal: "g", subtasks: [("a", "A"), ("b", "B")])
    try task.startSubtask("a")
    try task.completeSubtask("a", result: 1)
    try task.checkpoint(["after": "a"])
    let checkpoint = try task.state().version
    try task.startSubtask("b")
    try task.failSubtask("b", error: "bad", retryable: false)
    let forked = try store.fork("task/t", at: .version(checkpoint), into: "t-retry")
    guard case .task(let retry) = forked else {
      Issue.record("not a task")
      return
    }
    let sequence = try #require(store.log.sequence(ofVersion: checkpoint, inStream: "task/t"))
    #expect(retry.origin == ForkOrigin(stream: "task/t", sequence: sequence, version: checkpoint))
    #expect(retry.id == "t-retry")
    #expect(retry.version == 1)
    #expect(retry.nextSubtask?.id == "b")
    #expect(retry.lastCheckpoint?.data == ["after": "a"])
    // The fork goes its own way; the source is untouched.
    try store.task("t-retry").startSubtask("b")
    try store.task("t-retry").completeSubtask("b")
    #expect(try store.task("t-retry").state().progress == (done: 2, total: 2))
    #expect(try store.task("t").state().nextSubtask == nil)
    // Its history starts with the fork, and it survives a reopen.
    let history = try store.log.events(inStream: "task/t-retry")
    #expect(history.first?.type == "task.forked")
    let reopened = AgentStateStore(log: store.log, cacheCapacity: 0)
    #expect(try reopened.task("t-retry").state() == store.task("t-retry").state())
    #expect(throws: AgentStateError.self) { try store.fork("task/t", at: .latest, into: "t-retry") }
  }

  @Test("a conversation and a profile fork at a time with their state then")
  func forkConversationAndProfile() throws {
    let (directory, store) = try DiffTests.store()
    _ = directory
    try store.conversation("c").start(agent: "a", model: "small")
    try store.conversation("c").addMessage(.user, "hi")
    try store.conversation("c").addMessage(.assistant, "hello")
    guard case .conversation(let branch) = try store.fork("conversation/c", at: .version(2), into: "c-big")
    else {
      Issue.record("not a conversation")
      return
    }
    #expect(branch.messages.map(\.content) == ["hi"])
    #expect(branch.model == "small")
    try store.profile("p").setPreference("ui.theme", to: "dark")
    guard case .profile(let copy) = try store.fork("profile/p", at: .latest, into: "p2") else {
      Issue.record("not a profile")
      return
    }
    #expect(copy.preference("ui.theme") == "dark")
    #expect(copy.origin?.stream == "profile/p")
  }
}
