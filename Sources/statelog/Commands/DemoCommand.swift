import AgentState
import ArgumentParser
import Foundation
import StateLog
import Synchronization

struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Write a realistic agent log and take a guided tour through time in it.",
    discussion: """
      Writes a conversation with tool calls and a summary, a task with subtasks, a failure \
      and a retry, and a user profile, as events two agents appended between 14:00 and \
      14:05 UTC; then shows what the agent knew at 14:02 and what changed since.

      Examples:
        statelog demo
        statelog demo ./demo-log
      """
  )

  @Argument(help: "Where to write the log (default: a new temporary directory).")
  var directory: String?
  @Option(help: "text (the guided tour) or json (what was written, and the states now and at 14:02).")
  var format: OutputFormat = .text

  func run() throws {
    try reportingFailures {
      let path = try directory ?? makeTemporaryDirectory()
      let start = Timestamp(iso8601: "2026-11-24T14:00:00Z")!
      // The demo's clock: each event 15 seconds after the one before.
      let clock = Mutex(start.nanosecondsSinceEpoch)
      var options = LogOptions()
      options.durability = .groupCommit
      options.clock = {
        clock.withLock {
          $0 += 15_000_000_000
          return Timestamp(nanosecondsSinceEpoch: $0)
        }
      }
      let store = try AgentStateStore.open(at: path, options: options)
      guard store.log.lastSequence == 0 else {
        throw CommandFailure("\(path) already holds a log; give the demo an empty directory")
      }
      try DemoScript.write(into: store)
      try store.close()

      let reader = AgentStateStore(log: try Log.openReadOnly(at: path))
      let info = try reader.log.information()
      if format == .json {
        let moment = Timestamp(nanosecondsSinceEpoch: start.nanosecondsSinceEpoch + 120_000_000_000)
        var states: [String: Any] = [:]
        for stream in reader.log.streamIDs() {
          states[stream] = [
            "now": foundationObject(try reader.state(ofStream: stream).state.jsonValue()),
            "at_14_02": foundationObject(
              try reader.state(ofStream: stream, at: .timestamp(moment)).state.jsonValue()),
            "changed_since": try reader.diff(ofStream: stream, from: .timestamp(moment), to: .latest).summary,
          ]
        }
        print(
          jsonString(["log": path, "events": info.eventCount, "bytes": info.bytesOnDisk, "streams": states]))
        return
      }
      print("Wrote \(info.eventCount) events by two agents to \(path) (\(info.bytesOnDisk) bytes).")
      print("Streams: \(reader.log.streamIDs().joined(separator: ", "))\n")

      print("== The task now ==")
      print(StateRenderer.render(try reader.task("book-trip").state()))

      let moment = Timestamp(nanosecondsSinceEpoch: start.nanosecondsSinceEpoch + 120_000_000_000)
      let then = try reader.task("book-trip").state(at: .timestamp(moment))
      print("\n== What did the agent know at \(moment)? (sequence \(then.sequence)) ==")
      print(StateRenderer.render(then.state))
      print(
        StateRenderer.render(try reader.conversation("trip-planning").state(at: .timestamp(moment)).state))

      print("\n== What changed since then ==")
      for stream in reader.log.streamIDs() {
        let diff = try reader.diff(ofStream: stream, from: .timestamp(moment), to: .latest)
        print("  \(stream): \(diff.summary) (\(diff.events.count) events)")
      }

      print("\n== The profile, whose first event was written in schema v1 ==")
      print(StateRenderer.render(try reader.profile("alice").state()))

      let report = try reader.log.verify()
      print("\nVerified \(report.batches) checksummed batches: \(report.isSound ? "sound" : "DAMAGED").")
      print("Explore: statelog state \(path) conversation/trip-planning --at 2026-11-24T14:02:00Z")
    }
  }
}

/// The demo's events: two agents planning a trip for a user.
enum DemoScript {
  static func write(into store: AgentStateStore) throws {
    let chat = store.conversation("trip-planning")
    let task = store.task("book-trip")
    let profile = store.profile("alice")
    try chat.start(agent: "planner", user: "alice", title: "Weekend in Lisbon", model: "gpt-x")
    // An event from an older agent build, in schema v1 of the preferences event.
    try store.log.append([
      NewEvent(
        stream: "profile/alice", type: ProfileEvent.PreferencesUpdated.typeName, schemaVersion: 1,
        payload: BinaryPayloadCodec().encode(["user": ["preferences": ["theme": "dark", "language": "en"]]]))
    ])
    try chat.addMessage(.system, "You plan trips and book them.")
    try chat.addMessage(.user, "Plan a weekend in Lisbon in March.", tokens: .init(input: 14, output: 0))
    try task.create(
      goal: "Book a weekend in Lisbon", owner: "alice",
      subtasks: [
        ("flights", "Find flights"), ("hotel", "Book a hotel"), ("itinerary", "Write the itinerary"),
      ])
    try task.startSubtask("flights", agent: "planner")
    try chat.addMessage(
      .assistant, "", toolCalls: [.init(id: "call-1", name: "search_flights", arguments: #"{"to":"LIS"}"#)],
      tokens: .init(input: 220, output: 18))
    try chat.addMessage(.tool, "3 flights found; cheapest TP1234 Fri 18:05", toolCallID: "call-1")
    try task.append(
      .subtaskCompleted(.init(id: "flights", result: "TP1234, Fri 18:05")),
      .checkpointed(.init(data: ["flight": "TP1234"], note: "after flights")))
    try task.startSubtask("hotel", agent: "booker")
    try task.failSubtask("hotel", error: "booking API timed out", retryable: true)
    try profile.storeFact(
      "f1", text: "Prefers boutique hotels", category: "travel", confidence: 0.8,
      source: "conversation/trip-planning")
    try task.startSubtask("hotel", agent: "booker")
    try task.append(
      .subtaskCompleted(.init(id: "hotel", result: "Casa do Rio, 2 nights")),
      .checkpointed(.init(data: ["flight": "TP1234", "hotel": "Casa do Rio"], note: "after hotel")))
    try chat.addMessage(
      .assistant, "Booked TP1234 and Casa do Rio for two nights.", tokens: .init(input: 812, output: 64))
    try chat.summarize(
      "Alice wants a March weekend in Lisbon; flights and hotel are booked.", throughMessage: 3)
    try chat.giveFeedback(onMessage: 4, rating: 5, comment: "perfect")
    try profile.append(
      .preferencesUpdated(
        .init(preferences: ["language": "pt"], tokenUsage: .init(total: 1_128, session: 1_128))))
    try task.startSubtask("itinerary", agent: "planner")
    try task.completeSubtask("itinerary", result: "3-day plan")
    try task.complete(result: "Trip booked")
  }
}

func makeTemporaryDirectory() throws -> String {
  var template = Array("/tmp/statelog-demo-XXXXXX".utf8CString)
  guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
    throw CommandFailure("cannot create a temporary directory in /tmp")
  }
  return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
