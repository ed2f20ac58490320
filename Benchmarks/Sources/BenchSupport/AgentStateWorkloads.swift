import AgentState
import CSQLite
import Foundation
import StateLog

/// Latency percentiles of a list of timings, in nanoseconds.
public struct Percentiles: Sendable {
  public var count: Int
  public var p50: Double
  public var p99: Double
  public var max: Double
  public var mean: Double

  public init(_ samples: [UInt64]) {
    let sorted = samples.sorted()
    count = sorted.count
    guard !sorted.isEmpty else {
      p50 = 0; p99 = 0; max = 0; mean = 0
      return
    }
    // Nearest rank: the smallest sample with at least p% of the samples at or below it.
    func rank(_ p: Double) -> Double {
      Double(
        sorted[Swift.max(0, Swift.min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1))])
    }
    p50 = rank(0.50)
    p99 = rank(0.99)
    max = Double(sorted.last!)
    mean = Double(sorted.reduce(0, +)) / Double(sorted.count)
  }

  public var json: [String: Any] {
    [
      "count": count, "p50Nanoseconds": p50, "p99Nanoseconds": p99, "maxNanoseconds": max,
      "meanNanoseconds": mean,
    ]
  }
}

/// W5 (point-in-time state) and W8 (agent turn loop) on the AgentState store.
public enum AgentStateWorkloads {
  /// The kind of stream W5 reads.
  public enum Kind: String, Sendable, CaseIterable {
    /// `setPreference` over 8 keys, cycling: the state stays small however long the stream.
    case profile
    /// `task.created` with 8 subtasks, then cycles of one subtask started and
    /// checkpointed twice (one append of three events per cycle): a
    /// long-running task that keeps working, whose state stays the same size.
    case task

    public var streamPrefix: String { self == .profile ? "profile/" : "task/" }
  }

  public static let w5StreamID = "w5"

  static let preferenceKeys = [
    "ui.theme", "ui.font_size", "model.name", "model.temperature", "locale", "timezone",
    "notifications.email", "notifications.push",
  ]

  /// Writes one stream of `events` events (task streams: the nearest 3k + 1 at
  /// or below) into a new store in `directory`, with buffered appends, waits
  /// for the background snapshots and closes it.
  ///
  /// - Parameter surrounding: How many events of other streams (profiles
  ///   `other-0` to `other-99`, one batch) follow each append to the stream,
  ///   so that it is read out of a log that many times larger.
  /// - Returns: The stream's last version.
  public static func writeW5Stream(
    _ kind: Kind, events: Int, directory: String, snapshotInterval: Int, snapshotsKept: Int,
    surrounding: Int = 0
  ) throws -> UInt64 {
    let options = StateLogWorkloads.options(durability: .buffered)
    let store = try AgentStateStore.open(
      at: directory, options: options, cacheCapacity: 16, snapshotInterval: snapshotInterval,
      snapshotsKept: snapshotsKept)
    var others = 0
    func surround() throws { try appendOthers(surrounding, to: store, counter: &others) }
    var last: UInt64 = 0
    switch kind {
    case .profile:
      let profile = store.profile(w5StreamID)
      for index in 0..<events {
        let key = preferenceKeys[index % preferenceKeys.count]
        let value: JSONValue = index % 2 == 0 ? .int(Int64(index)) : .string("value-\(index)")
        last = try profile.setPreference(key, to: value).version
        try surround()
      }
    case .task:
      let task = store.task(w5StreamID)
      let subtasks = (0..<8).map { (id: "s\($0)", description: "step \($0) of the plan") }
      last = try task.create(goal: "benchmark task", owner: "bench", subtasks: subtasks).version
      var cycle = 0
      while Int(last) + 3 <= events {
        let id = "s\(cycle % subtasks.count)"
        last = try task.append(
          .subtaskStarted(.init(id: id, agent: "worker-\(cycle % 3)")),
          .checkpointed(.init(data: ["cycle": .int(Int64(cycle)), "subtask": .string(id)], note: "started")),
          .checkpointed(
            .init(data: ["cycle": .int(Int64(cycle)), "progress": .double(0.5)], note: "halfway"))
        ).version
        try surround()
        cycle += 1
      }
    }
    store.waitForSnapshots()
    try store.close()
    // Index files are written at close without a sync (they are derived
    // data): tens of megabytes for the largest logs. Written back now, so the
    // kernel's writeback does not share this two-core machine with the reads
    // timed next.
    sync()
    return last
  }

  /// Appends `count` events of other streams (profiles `other-0` to
  /// `other-99`) in one batch, around a W5 stream.
  static func appendOthers(_ count: Int, to store: AgentStateStore, counter: inout Int) throws {
    guard count > 0 else { return }
    let batch = try (0..<count).map { _ in
      counter += 1
      return try store.events.newEvent(
        ProfileEvent.PreferenceSet(
          key: preferenceKeys[counter % preferenceKeys.count], value: .int(Int64(counter))),
        stream: "profile/other-\(counter % 100)")
    }
    try store.log.append(batch)
  }

  /// Writes one conversation of `messages` messages of 100 to 500 bytes of
  /// text (alternately the user's and the assistant's), with `surrounding`
  /// events of other streams after each, as ``writeW5Stream`` does.
  ///
  /// - Returns: The conversation's last version.
  public static func writeW5Conversation(
    messages: Int, directory: String, snapshotInterval: Int, surrounding: Int
  ) throws -> UInt64 {
    let options = StateLogWorkloads.options(durability: .buffered)
    let store = try AgentStateStore.open(
      at: directory, options: options, cacheCapacity: 16, snapshotInterval: snapshotInterval,
      snapshotsKept: messages / max(snapshotInterval, 1) + 10)
    let chat = store.conversation(w5StreamID)
    var last = try chat.start(agent: "bench").version
    var random = SplitMix64(seed: 0x5EED_0C05)
    var others = 0
    for index in 0..<messages {
      let content = text(bytes: 100 + Int(random.next() % 400), random: &random)
      last = try chat.addMessage(index % 2 == 0 ? .user : .assistant, content).version
      try appendOthers(surrounding, to: store, counter: &others)
    }
    store.waitForSnapshots()
    try store.close()
    return last
  }

  /// Times `state(at: .version(v))` of the W5 conversation for each point on
  /// a fresh store (cache capacity 0), as ``stateAt(_:directory:points:warmup:)``.
  ///
  /// - Returns: The timings and how many messages each state held.
  public static func conversationStateAt(directory: String, points: [UInt64], warmup: Int = 20) throws
    -> (nanoseconds: [UInt64], messages: [Int])
  {
    let store = try AgentStateStore.open(
      at: directory, options: StateLogWorkloads.options(durability: .buffered), cacheCapacity: 0,
      snapshotInterval: 0)
    defer { try? store.close() }
    let chat = store.conversation(w5StreamID)
    var messages: [Int] = []
    let timed = try timePoints(points, warmup: warmup) { point in
      let count = try chat.state(at: .version(point)).state.messages.count
      messages.append(count)
      return count
    }
    return (timed.nanoseconds, Array(messages.suffix(points.count)))
  }

  /// A small digest of a state, to check that both engines folded the same events.
  static func profileDigest(_ state: ProfileState) -> Int { Int(state.version) }
  static func taskDigest(_ state: TaskState) -> Int {
    let cycle = state.lastCheckpoint?.data["cycle"]?.intValue ?? 0
    return Int(state.version) &* 31 &+ state.subtasks.count &+ Int(cycle)
  }

  /// Opens a fresh store on `directory` (cache capacity 0, no automatic
  /// snapshots) and times `state(at: .version(v))` for each point.
  ///
  /// - Parameter warmup: How many of the first points are read unmeasured first.
  /// - Returns: The timings and the sum of the states' digests.
  public static func stateAt(_ kind: Kind, directory: String, points: [UInt64], warmup: Int = 20) throws
    -> (nanoseconds: [UInt64], digest: Int)
  {
    let options = StateLogWorkloads.options(durability: .buffered)
    let store = try AgentStateStore.open(
      at: directory, options: options, cacheCapacity: 0, snapshotInterval: 0)
    defer { try? store.close() }
    switch kind {
    case .profile:
      let profile = store.profile(w5StreamID)
      return try timePoints(points, warmup: warmup) {
        profileDigest(try profile.state(at: .version($0)).state)
      }
    case .task:
      let task = store.task(w5StreamID)
      return try timePoints(points, warmup: warmup) { taskDigest(try task.state(at: .version($0)).state) }
    }
  }

  /// Calls `read` for the first `warmup` points unmeasured, then times it for
  /// each point.
  ///
  /// - Returns: The timings and the sum of what `read` returned.
  static func timePoints(_ points: [UInt64], warmup: Int, _ read: (UInt64) throws -> Int) throws -> (
    nanoseconds: [UInt64], digest: Int
  ) {
    for point in points.prefix(warmup) { _ = try read(point) }
    var digest = 0
    var timings: [UInt64] = []
    timings.reserveCapacity(points.count)
    for point in points {
      let start = monotonicNanoseconds()
      let result = try read(point)
      timings.append(monotonicNanoseconds() - start)
      digest &+= result
    }
    return (timings, digest)
  }

  /// Copies the stream of the store in `source` into a new SQLite database in
  /// `directory`, each payload as the JSON text of its decoded value.
  public static func copyToSQLite(_ kind: Kind, from source: String, to directory: String) throws {
    let options = StateLogWorkloads.options(durability: .buffered)
    let store = try AgentStateStore.open(at: source, options: options, cacheCapacity: 0, snapshotInterval: 0)
    defer { try? store.close() }
    let stream = kind.streamPrefix + w5StreamID
    let decoded = try store.events.events(inStream: stream)
    let sqlite = try SQLiteEventStore(directory: directory, durable: false)
    var batch: [NewEvent] = []
    for event in decoded {
      batch.append(
        NewEvent(
          stream: stream, type: event.type, schemaVersion: event.schemaVersion, id: event.id,
          timestamp: event.timestamp, payload: Array(try event.data.description.utf8)))
      if batch.count == 1_000 {
        try sqlite.append(batch)
        batch.removeAll(keepingCapacity: true)
      }
    }
    if !batch.isEmpty { try sqlite.append(batch) }
    try sqlite.close()
    sync()  // As after writing a StateLog configuration.
  }

  /// The SQLite baseline of W5: for each point, reads the stream's rows up to
  /// the version and folds them, decoding each JSON payload with JSONSerialization.
  public static func sqliteStateAt(_ kind: Kind, directory: String, points: [UInt64], warmup: Int = 20) throws
    -> (nanoseconds: [UInt64], digest: Int)
  {
    let sqlite = try SQLiteEventStore(directory: directory, durable: false)
    defer { try? sqlite.close() }
    let stream = kind.streamPrefix + w5StreamID
    return try timePoints(points, warmup: warmup) {
      try sqlite.foldStream(stream, throughVersion: $0, kind: kind)
    }
  }

  /// How many events the log in `directory` holds.
  public static func logLength(_ directory: String) throws -> Int {
    let log = try Log.openReadOnly(at: directory, options: StateLogWorkloads.options(durability: .buffered))
    defer { try? log.close() }
    return Int(log.lastSequence)
  }

  /// `count` versions in 1...last, uniformly at random from a fixed seed.
  public static func randomPoints(count: Int, last: UInt64, seed: UInt64 = 0x5EED_0005) -> [UInt64] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { _ in 1 + random.next() % last }
  }

  // MARK: W8

  public struct TurnLoopResult: Sendable {
    /// Wall clock of each turn: two durable appends and the state read after them.
    public var turns: [UInt64] = []
    /// (turn, bytes of every file in the log directory, message text bytes so far).
    public var footprint: [(turn: Int, bytes: Int, allocated: Int, text: Int, snapshots: Int)] = []
    /// The first `state()` of a fresh store on the finished log, one per fresh store.
    public var currentState: [UInt64] = []
    /// `state()` on the store that ran the loop, after its last turn: how the
    /// agent reads its current state.
    public var currentStateOpenStore: [UInt64] = []
    /// `state(at: .version(v))` with v the version after turn 10, on one fresh store.
    public var stateAtTurn10: [UInt64] = []
    /// `log.history(of:limit:)` of the whole stream (version, sequence, time, type).
    public var history: [UInt64] = []
    /// `events.events(inStream:)`: every event with its payload decoded.
    public var decodedHistory: [UInt64] = []
    public var historyEntries = 0
  }

  /// Words of the data set, `bytes` long at least (and a few bytes more).
  static func text(bytes: Int, random: inout SplitMix64) -> String {
    var result = ""
    result.reserveCapacity(bytes + 16)
    while result.utf8.count < bytes {
      if !result.isEmpty { result += " " }
      result += Dataset.words[Int(random.next() % UInt64(Dataset.words.count))]
    }
    return result
  }

  /// W8: one conversation grown to `turns` turns; each turn appends a user
  /// message and an assistant message of about 400 bytes with token counts,
  /// each append made durable, then reads the conversation's current state.
  public static func turnLoop(
    directory: String, turns: Int = 500, footprintAt: Set<Int> = [100, 250, 500], samples: Int = 20
  ) throws -> TurnLoopResult {
    var result = TurnLoopResult()
    var random = SplitMix64(seed: 0x5EED_0008)
    var options = StateLogWorkloads.options(durability: .fsyncEveryAppend)
    let id = "w8"
    var textBytes = 0
    do {
      let store = try AgentStateStore.open(at: directory, options: options)
      let chat = store.conversation(id)
      try chat.start(agent: "assistant", user: "bench", title: "W8", model: "gpt-x")
      result.turns.reserveCapacity(turns)
      for turn in 1...turns {
        let question = text(bytes: 60 + Int(random.next() % 120), random: &random)
        let answer = text(bytes: 370 + Int(random.next() % 60), random: &random)
        textBytes += question.utf8.count + answer.utf8.count
        let start = monotonicNanoseconds()
        try chat.addMessage(.user, question, tokens: .init(input: question.utf8.count / 4, output: 0))
        try chat.addMessage(
          .assistant, answer, tokens: .init(input: 200 + turn * 8, output: answer.utf8.count / 4))
        let state = try chat.state()
        result.turns.append(monotonicNanoseconds() - start)
        guard state.messages.count == 2 * turn else {
          throw BenchError("W8: \(state.messages.count) messages after turn \(turn)")
        }
        if footprintAt.contains(turn) {
          store.waitForSnapshots()
          let size = Files.size(of: directory)
          result.footprint.append(
            (turn, size.bytes, size.allocated, textBytes, Files.size(of: directory + "/snapshots").bytes))
        }
      }
      for _ in 0..<samples {
        let start = monotonicNanoseconds()
        let state = try chat.state()
        result.currentStateOpenStore.append(monotonicNanoseconds() - start)
        guard state.messages.count == 2 * turns else {
          throw BenchError("W8: current state has \(state.messages.count) messages")
        }
      }
      try store.close()
    }
    let stream = "conversation/\(id)"
    options.durability = .buffered
    // The current state, each from a fresh store (not timed: the open).
    for _ in 0..<samples {
      let store = try AgentStateStore.open(at: directory, options: options, snapshotInterval: 0)
      let start = monotonicNanoseconds()
      let state = try store.conversation(id).state()
      result.currentState.append(monotonicNanoseconds() - start)
      try store.close()
      guard state.messages.count == 2 * turns else {
        throw BenchError("W8: current state has \(state.messages.count) messages")
      }
    }
    let store = try AgentStateStore.open(at: directory, options: options, snapshotInterval: 0)
    defer { try? store.close() }
    let chat = store.conversation(id)
    // Version 1 is conversation.started; turn n ends at version 1 + 2n.
    _ = try chat.state(at: .version(21))
    for _ in 0..<samples {
      let start = monotonicNanoseconds()
      let state = try chat.state(at: .version(21))
      result.stateAtTurn10.append(monotonicNanoseconds() - start)
      guard state.state.messages.count == 20 else {
        throw BenchError("W8: turn 10 has \(state.state.messages.count) messages")
      }
    }
    _ = try store.log.history(of: stream, limit: Int.max)
    for _ in 0..<samples {
      let start = monotonicNanoseconds()
      let entries = try store.log.history(of: stream, limit: Int.max)
      result.history.append(monotonicNanoseconds() - start)
      result.historyEntries = entries.count
    }
    for _ in 0..<samples {
      let start = monotonicNanoseconds()
      let events = try store.events.events(inStream: stream)
      result.decodedHistory.append(monotonicNanoseconds() - start)
      guard events.count == result.historyEntries else { throw BenchError("W8: history lengths differ") }
    }
    return result
  }
}

extension SQLiteEventStore {
  /// Reads `stream`'s rows through `version` in version order and folds them
  /// into a dictionary state, decoding each payload with JSONSerialization.
  ///
  /// - Returns: The same digest as ``AgentStateWorkloads`` computes from the state.
  func foldStream(_ stream: String, throughVersion version: UInt64, kind: AgentStateWorkloads.Kind) throws
    -> Int
  {
    if foldStatement == nil {
      foldStatement = try prepare(
        "SELECT version, type, payload FROM events WHERE stream=?1 AND version<=?2 ORDER BY version")
    }
    let statement = foldStatement
    defer { sqlite3_reset(statement) }
    var text = stream
    let bound = text.withUTF8 { stream in
      sqlite3_bind_text(
        statement, 1, UnsafeRawPointer(stream.baseAddress)?.assumingMemoryBound(to: CChar.self),
        Int32(stream.count), csqlite_transient())
    }
    guard bound == SQLITE_OK, sqlite3_bind_int64(statement, 2, Int64(version)) == SQLITE_OK else {
      throw error("bind")
    }
    var preferences: [String: Any] = [:]
    var subtasks: [String: String] = [:]
    var order: [String] = []
    var checkpoint: [String: Any]?
    var last: Int64 = 0
    while true {
      let code = sqlite3_step(statement)
      if code == SQLITE_DONE { break }
      guard code == SQLITE_ROW else { throw error("SELECT") }
      last = sqlite3_column_int64(statement, 0)
      let type = String(cString: sqlite3_column_text(statement, 1))
      let data = Data(
        bytes: sqlite3_column_blob(statement, 2), count: Int(sqlite3_column_bytes(statement, 2)))
      guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw BenchError("payload is not an object")
      }
      switch type {
      case "profile.preference_set":
        if let key = object["key"] as? String { preferences[key] = object["value"] }
      case "task.created":
        for spec in object["subtasks"] as? [[String: Any]] ?? [] {
          if let id = spec["id"] as? String {
            subtasks[id] = "pending"
            order.append(id)
          }
        }
      case "task.subtask_added":
        if let id = object["id"] as? String {
          subtasks[id] = "pending"
          order.append(id)
        }
      case "task.checkpointed":
        checkpoint = object["data"] as? [String: Any]
      case "task.subtask_started":
        if let id = object["id"] as? String { subtasks[id] = "running" }
      case "task.subtask_completed":
        if let id = object["id"] as? String { subtasks[id] = "done" }
      default:
        break
      }
    }
    blackHoleInt(preferences.count)
    guard kind == .task else { return Int(last) }
    return Int(last) &* 31 &+ order.count &+ ((checkpoint?["cycle"] as? NSNumber)?.intValue ?? 0)
  }
}
