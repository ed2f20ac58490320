import ArgumentParser
import Foundation
import StateLog

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

  func run() throws {
    try reportingFailures {
      let path = try directory ?? makeTemporaryDirectory()
      var options = LogOptions()
      options.durability = .groupCommit
      let log = try Log.open(at: path, options: options)
      if log.lastSequence > 0 {
        throw CommandFailure("\(path) already holds a log; give the demo an empty directory")
      }
      let start = try parseTime("2026-11-24T14:00:00Z")
      // One append per event, as agents append them.
      for event in DemoScript.events(start: start) { try log.append([event]) }
      try log.close()

      let reader = try Log.openReadOnly(at: path)
      let info = try reader.information()
      print(
        "Wrote \(info.eventCount) events to \(path) (\(info.bytesOnDisk) bytes in \(info.segmentCount) segment)."
      )
      print("Streams: \(reader.streamIDs().joined(separator: ", "))\n")

      let moment = Timestamp(nanosecondsSinceEpoch: start.nanosecondsSinceEpoch + 120_000_000_000)
      let then = try reader.sequence(atOrBefore: moment)
      print("What did the agent know at \(moment)? Everything up to sequence \(then):")
      let conversation = try reader.events(inStream: "conversation/trip-planning")
      let known = conversation.filter { $0.sequence <= then }
      print(table(["seq", "time", "type", "data"], known.map(row)))

      print("\nWhat changed since then, stream by stream:")
      let later = try reader.events(from: then + 1)
      let byStream = Dictionary(grouping: later, by: \.stream)
      for stream in byStream.keys.sorted() {
        let types = byStream[stream]!.map { $0.type.split(separator: ".").last.map(String.init) ?? $0.type }
        print("  \(stream): \(types.count) events (\(types.joined(separator: ", ")))")
      }

      let report = try reader.verify()
      print("\nVerified \(report.batches) checksummed batches: \(report.isSound ? "sound" : "DAMAGED").")
      print("Explore it: statelog events \(path) --stream task/book-trip")
    }
  }

  private func row(_ event: RecordedEvent) -> [String] {
    [String(event.sequence), event.timestamp.description, event.type, summary(event.payload, width: 70)]
  }
}

/// The demo's events: two agents planning a trip for a user.
enum DemoScript {
  static func events(start: Timestamp) -> [NewEvent] {
    var events: [NewEvent] = []
    var clock = start.nanosecondsSinceEpoch
    func add(_ stream: String, _ type: String, _ data: [String: Any], schemaVersion: UInt32 = 1) {
      clock += 15_000_000_000
      let payload = (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys])) ?? Data()
      events.append(
        NewEvent(
          stream: stream, type: type, schemaVersion: schemaVersion,
          timestamp: Timestamp(nanosecondsSinceEpoch: clock), payload: [UInt8](payload)))
    }
    let chat = "conversation/trip-planning"
    let task = "task/book-trip"
    let profile = "profile/alice"
    add(chat, "conversation.started", ["agent": "planner", "user": "alice", "model": "gpt-x"])
    add(profile, "profile.preference_set", ["user": ["preferences": ["theme": "dark", "language": "en"]]])
    add(
      chat, "conversation.message_added", ["role": "user", "content": "Plan a weekend in Lisbon in March."])
    add(
      task, "task.created",
      [
        "goal": "Book a weekend in Lisbon",
        "subtasks": [
          ["id": "flights", "description": "Find flights"], ["id": "hotel", "description": "Book a hotel"],
          ["id": "itinerary", "description": "Write the itinerary"],
        ],
      ])
    add(task, "task.subtask_started", ["id": "flights", "agent": "planner"])
    add(
      chat, "conversation.message_added",
      [
        "role": "assistant", "content": "",
        "tool_calls": [["id": "call-1", "name": "search_flights", "arguments": "{\"to\":\"LIS\"}"]],
      ])
    add(
      chat, "conversation.message_added",
      ["role": "tool", "tool_call_id": "call-1", "content": "3 flights found"])
    add(task, "task.subtask_completed", ["id": "flights", "result": "TP1234, Fri 18:05"])
    add(task, "task.checkpointed", ["data": ["flight": "TP1234"], "note": "after flights"])
    add(task, "task.subtask_started", ["id": "hotel", "agent": "booker"])
    add(task, "task.subtask_failed", ["id": "hotel", "error": "booking API timed out", "retryable": true])
    add(
      profile, "profile.fact_stored",
      [
        "id": "f1", "text": "Prefers boutique hotels", "category": "travel", "confidence": 0.8,
      ])
    add(task, "task.subtask_started", ["id": "hotel", "agent": "booker"])
    add(task, "task.subtask_completed", ["id": "hotel", "result": "Casa do Rio, 2 nights"])
    add(
      chat, "conversation.message_added",
      [
        "role": "assistant", "content": "Booked TP1234 and Casa do Rio for two nights.",
        "tokens": ["input": 812, "output": 64],
      ])
    add(
      chat, "conversation.summarized",
      ["summary": "Alice wants a March weekend in Lisbon; flights and hotel booked.", "through_message": 3])
    add(chat, "conversation.feedback", ["message": 4, "rating": 5, "comment": "perfect"])
    add(task, "task.subtask_started", ["id": "itinerary", "agent": "planner"])
    add(task, "task.subtask_completed", ["id": "itinerary", "result": "3-day plan"])
    add(task, "task.completed", ["result": "Trip booked"])
    return events
  }
}

func makeTemporaryDirectory() throws -> String {
  var template = Array("/tmp/statelog-demo-XXXXXX".utf8CString)
  guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
    throw CommandFailure("cannot create a temporary directory in /tmp")
  }
  return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Parses an ISO 8601 UTC time such as `2026-11-24T14:02:00Z`.
func parseTime(_ text: String) throws -> Timestamp {
  let formatter = ISO8601DateFormatter()
  formatter.formatOptions = [.withInternetDateTime]
  guard let date = formatter.date(from: text) else {
    throw ValidationError("not an ISO 8601 time: \(text)")
  }
  return Timestamp(nanosecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1_000_000_000).rounded()))
}
