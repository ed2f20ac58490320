import AgentState
import Glibc
import StateLog
import TestSupport

/// A real log the targets damage copies of, built once per process with
/// what reading it must give: its events, each stream's events, the answers
/// of the time index, and a task's state at each version.
final class Fixture: @unchecked Sendable {
  // Built once before any input is read, read-only afterwards.
  static let shared = Fixture()

  static let taskID = "fuzz"
  static let eventTypes = ConversationEvent.eventTypes + TaskEvent.eventTypes + ProfileEvent.eventTypes

  let root: String
  let directory: String
  let registry = AgentStateStore.registry()
  private(set) var events: [RecordedEvent] = []
  private(set) var streams: [String: [RecordedEvent]] = [:]
  private(set) var timePoints: [(Timestamp, UInt64)] = []
  private(set) var taskStates: [(UInt64, TaskState)] = []
  private(set) var activeSegment = ""
  private(set) var indexName = ""
  private(set) var snapshotPath = ""
  private(set) var snapshotBytes: [UInt8] = []
  /// A read-only log on `directory`, for the snapshot target.
  private(set) var reader: Log!

  static func segmentName(_ base: UInt64) -> String {
    let digits = String(base)
    return String(repeating: "0", count: 20 - digits.count) + digits + ".seg"
  }

  private init() {
    let temporary = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array("\(temporary)/statelog-fuzz-XXXXXX".utf8CString)
    root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    directory = root + "/log"
    atexit { TemporaryDirectory.removeTree(Fixture.shared.root) }
    do {
      try build()
    } catch {
      fatalError("could not build the fuzz fixture: \(error)")
    }
  }

  /// A fresh, empty directory for one input of `target`.
  func scratch(_ target: String) -> String {
    let path = root + "/" + target
    TemporaryDirectory.removeTree(path)
    mkdir(path, 0o755)
    return path
  }

  private func build() throws {
    var options = FuzzTarget.options()
    options.segmentSize = 16 << 10
    let store = try AgentStateStore.open(at: directory, options: options, snapshotInterval: 0)
    let conversation = store.conversation("c")
    try conversation.start(agent: "fuzzer", user: "u")
    let task = store.task(Self.taskID)
    try task.create(goal: "read bad bytes", subtasks: (0..<4).map { ("s\($0)", "step \($0)") })
    let profile = store.profile("p")
    for round in 0..<60 {
      try conversation.addMessage(
        round % 2 == 0 ? .user : .assistant, String(repeating: "word \(round) ", count: 20))
      try profile.setPreference(["ui.theme", "model.name", "locale"][round % 3], to: .int(Int64(round)))
      if round % 15 == 0 { try task.startSubtask("s\(round / 15)") }
      if round % 15 == 7 { try task.checkpoint(["round": .int(Int64(round))]) }
      if round % 15 == 14 {
        try task.completeSubtask("s\(round / 15)", result: .int(Int64(round)))
        _ = try store.takeSnapshot(of: TaskState.self, id: Self.taskID)
      }
    }
    let log = store.log
    events = try log.events()
    for event in events { streams[event.stream, default: []].append(event) }
    timePoints = try events.enumerated().filter { $0.offset % 7 == 0 }.map { offset, event in
      let time = Timestamp(nanosecondsSinceEpoch: event.timestamp.nanosecondsSinceEpoch + 1)
      return (time, try log.sequence(atOrBefore: time))
    }
    let snapshots = try store.snapshots.sequences(of: "task/" + Self.taskID)
    guard let newest = snapshots.last else { fatalError("the fixture took no snapshot") }
    snapshotPath =
      store.snapshots.streamDirectory("task/" + Self.taskID) + "/" + SnapshotStore.fileName(newest)
    snapshotBytes = Files.read(snapshotPath)
    try store.close()
    let names = Files.list(directory).sorted()
    activeSegment = names.filter { $0.hasSuffix(".seg") }.last!
    indexName = names.first { $0.hasSuffix(".idx") }!
    reader = try Log.openReadOnly(at: directory, options: FuzzTarget.options())
    // The expected states come from replay alone, on a copy of the log without
    // its snapshots, so that the code under test does not make its own answers.
    let truth = root + "/truth"
    mkdir(truth, 0o755)
    for name in names where name.hasSuffix(".seg") || name.hasSuffix(".idx") {
      Files.write(truth + "/" + name, Files.read(directory + "/" + name))
    }
    let replayLog = try Log.openReadOnly(at: truth, options: FuzzTarget.options())
    let replay = AgentStateStore(log: replayLog, cacheCapacity: 0, snapshotInterval: 0)
    for version in 1...replayLog.lastVersion(of: "task/" + Self.taskID) {
      taskStates.append((version, try replay.task(Self.taskID).state(at: .version(version)).state))
    }
    try replayLog.close()
  }

  var indexPath: String { directory + "/" + indexName }
}
