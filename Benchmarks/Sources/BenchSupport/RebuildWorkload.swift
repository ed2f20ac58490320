import AgentState
import CSQLite
import Foundation
import StateLog

/// W4's second half: rebuilding every conversation, task and profile state
/// from the start of a log of mixed agent events.
///
/// The mix: 60% `conversation.message_added` of about 300 bytes over 500
/// conversations, 25% task events (created, then add/start/complete cycles of
/// subtasks) over 200 tasks, 15% `profile.preference_set` over 100 profiles.
public enum RebuildWorkload {
  /// What a rebuild produced, to check that both stores rebuilt the same states.
  public struct Digest: Equatable, Sendable, CustomStringConvertible {
    public var streams = 0
    public var messages = 0
    public var subtasksDone = 0
    public var preferences = 0

    public var description: String {
      "\(streams) streams, \(messages) messages, \(subtasksDone) subtasks done, \(preferences) preferences"
    }
  }

  /// Writes `count` mixed events into a new store in `stateLog` (buffered, no
  /// snapshots) and the same events, payloads as JSON text, into SQLite in `sqlite`.
  public static func write(events count: Int, stateLog: String, sqlite: String) throws {
    let options = StateLogWorkloads.options(durability: .buffered)
    let store = try AgentStateStore.open(
      at: stateLog, options: options, cacheCapacity: 0, snapshotInterval: 0)
    let baseline = try SQLiteEventStore(directory: sqlite, durable: false)
    var random = SplitMix64(seed: 0x5EED_0004)
    var taskSteps = [Int](repeating: 0, count: 200)
    var batch: [NewEvent] = []
    func add<Event: EventType>(_ event: Event, _ stream: String) throws {
      batch.append(try store.events.newEvent(event, stream: stream))
    }
    for index in 0..<count {
      switch index % 20 {
      case 0..<12:
        let text = AgentStateWorkloads.text(bytes: 280, random: &random)
        try add(
          ConversationEvent.MessageAdded(
            role: index % 2 == 0 ? .user : .assistant, content: text,
            tokens: .init(input: Int(random.next() % 500), output: Int(random.next() % 200))),
          "conversation/c\(random.next() % 500)")
      case 12..<17:
        let task = Int(random.next() % 200)
        let stream = "task/t\(task)"
        let step = taskSteps[task]
        taskSteps[task] += 1
        let subtask = "s\(max(step - 1, 0) / 3)"
        switch step == 0 ? -1 : (step - 1) % 3 {
        case -1: try add(TaskEvent.Created(goal: "plan and book a trip", owner: "agent"), stream)
        case 0:
          try add(TaskEvent.SubtaskAdded(id: subtask, description: "search flights, compare prices"), stream)
        case 1: try add(TaskEvent.SubtaskStarted(id: subtask, agent: "worker-\(task % 4)"), stream)
        default: try add(TaskEvent.SubtaskCompleted(id: subtask, result: ["ok": true, "options": 3]), stream)
        }
      default:
        try add(
          ProfileEvent.PreferenceSet(
            key: "pref.\(random.next() % 16)", value: .int(Int64(random.next() % 1000))),
          "profile/p\(random.next() % 100)")
      }
      if batch.count == 100 || index == count - 1 {
        try store.log.append(batch)
        try baseline.append(
          try batch.map { event in
            var json = event
            json.payload = Array(
              try event.payload.withUnsafeBytes { try BinaryPayloadCodec().decode($0) }.description.utf8)
            return json
          })
        batch.removeAll(keepingCapacity: true)
      }
    }
    try store.close()
    try baseline.close()
  }

  /// `AgentStateStore.allStates()` on a store opened fresh on the log in `directory`.
  public static func rebuildStateLog(_ directory: String) throws -> (nanoseconds: UInt64, digest: Digest) {
    let store = AgentStateStore(
      log: try Log.openReadOnly(at: directory), cacheCapacity: 0, snapshotInterval: 0)
    defer { try? store.log.close() }
    let start = monotonicNanoseconds()
    let states = try store.allStates()
    let elapsed = monotonicNanoseconds() - start
    var digest = Digest(streams: states.count)
    for state in states.conversations.values { digest.messages += state.messages.count }
    for state in states.tasks.values { digest.subtasksDone += state.progress.done }
    for state in states.profiles.values {
      if case .object(let members) = state.preferences["pref"] ?? .null {
        digest.preferences += members.count
      }
    }
    return (elapsed, digest)
  }

  /// The SQLite baseline: every row in `seq` order, each payload parsed with
  /// JSONSerialization and folded into per-stream states of dictionaries.
  public static func rebuildSQLite(_ directory: String) throws -> (nanoseconds: UInt64, digest: Digest) {
    let baseline = try SQLiteEventStore(directory: directory, durable: false)
    defer { try? baseline.close() }
    let start = monotonicNanoseconds()
    let select = try baseline.prepare("SELECT stream, type, payload FROM events ORDER BY seq")
    defer { sqlite3_finalize(select) }
    var conversations: [String: [[String: Any]]] = [:]
    var tasks: [String: (order: [String], status: [String: String])] = [:]
    var profiles: [String: [String: Any]] = [:]
    while true {
      let code = sqlite3_step(select)
      if code == SQLITE_DONE { break }
      guard code == SQLITE_ROW else { throw baseline.error("SELECT") }
      let stream = String(cString: sqlite3_column_text(select, 0))
      let type = String(cString: sqlite3_column_text(select, 1))
      let data = Data(bytes: sqlite3_column_blob(select, 2), count: Int(sqlite3_column_bytes(select, 2)))
      guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw BenchError("payload is not an object")
      }
      switch type {
      case "conversation.message_added": conversations[stream, default: []].append(object)
      case "task.created": tasks[stream] = ([], [:])
      case "task.subtask_added":
        if let id = object["id"] as? String {
          tasks[stream]?.order.append(id)
          tasks[stream]?.status[id] = "pending"
        }
      case "task.subtask_started":
        if let id = object["id"] as? String { tasks[stream]?.status[id] = "running" }
      case "task.subtask_completed":
        if let id = object["id"] as? String { tasks[stream]?.status[id] = "done" }
      case "profile.preference_set":
        if let key = object["key"] as? String { profiles[stream, default: [:]][key] = object["value"] }
      default: break
      }
    }
    let elapsed = monotonicNanoseconds() - start
    var digest = Digest(streams: conversations.count + tasks.count + profiles.count)
    digest.messages = conversations.values.reduce(0) { $0 + $1.count }
    digest.subtasksDone = tasks.values.reduce(0) { $0 + $1.status.values.count { $0 == "done" } }
    digest.preferences = profiles.values.reduce(0) { $0 + $1.count }
    return (elapsed, digest)
  }
}
