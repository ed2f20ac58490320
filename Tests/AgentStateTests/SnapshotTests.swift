import TestSupport
import Testing

@testable import AgentState
@testable import StateLog

@Suite("Snapshots")
struct SnapshotTests {
  static func store(at path: String, interval: Int) throws -> AgentStateStore {
    var options = LogOptions()
    options.durability = .buffered
    options.segmentSize = 16 << 10
    return try AgentStateStore.open(
      at: path, options: options, snapshotInterval: interval, snapshotsKept: 1_000)
  }

  @Test(
    "snapshot plus replay equals the state after exactly that prefix, for all three kinds",
    arguments: [11 as UInt64, 12])
  func snapshotPlusReplay(seed: UInt64) throws {
    let directory = TemporaryDirectory("snapshots")
    let store = try Self.store(at: directory.path, interval: 5)
    var generator = SeededGenerator(seed: seed)
    let history = try StoreTests.recordHistory(store, steps: 240, &generator)
    let current = history.last!.states
    store.waitForSnapshots()
    for stream in ["conversation/c", "task/t", "profile/p"] {
      #expect(try store.snapshots.sequences(of: stream).count >= 5, "\(stream) should have snapshots")
    }
    // A fresh store (empty cache) answers from snapshots plus replay.
    let reader = AgentStateStore(log: store.log, snapshotInterval: 0)
    for _ in 0..<120 {
      let entry = history[Int.random(in: 0..<history.count, using: &generator)]
      for (stream, expected) in entry.states {
        #expect(
          try reader.state(ofStream: stream, at: .sequence(entry.sequence)).state == expected, "seed \(seed)")
        #expect(
          try reader.state(ofStream: stream, at: .version(expected.version)).state == expected, "seed \(seed)"
        )
      }
    }
    for stream in ["conversation/c", "task/t", "profile/p"] {
      #expect(try AgentStateStore(log: store.log).state(ofStream: stream).state == current[stream])
    }
  }

  @Test(
    "damaged, deleted and outdated snapshots are skipped and the answer stays right",
    arguments: ["damage", "delete", "outdated", "foreign"])
  func unusableSnapshots(damage: String) throws {
    let directory = TemporaryDirectory("bad-snapshots")
    let store = try Self.store(at: directory.path, interval: 0)
    let task = store.task("t")
    try task.create(goal: "g", subtasks: (0..<30).map { ("s\($0)", "step") })
    for index in 0..<30 {
      try task.startSubtask("s\(index)")
      try task.completeSubtask("s\(index)", result: .int(Int64(index)))
      if index % 10 == 9 { try store.takeSnapshot(of: TaskState.self, id: "t") }
    }
    let expectedLatest = try task.state()
    let expectedMiddle = try task.state(at: .version(41)).state
    let sequences = try store.snapshots.sequences(of: "task/t")
    #expect(sequences.count == 3)
    let folder = store.snapshots.streamDirectory("task/t")
    let newest = folder + "/" + SnapshotStore.fileName(sequences.last!)
    switch damage {
    case "damage":
      var bytes = Files.read(newest)
      bytes[bytes.count / 2] ^= 0x20
      Files.write(newest, bytes)
    case "delete":
      for sequence in sequences { Files.remove(folder + "/" + SnapshotStore.fileName(sequence)) }
    case "outdated":
      var snapshot = try Snapshot(decoding: Files.read(newest))
      snapshot.stateVersion = 0
      Files.write(newest, snapshot.encoded())
    default:
      // A sound snapshot that claims a version the log holds at another sequence.
      var snapshot = try Snapshot(decoding: Files.read(newest))
      snapshot.version -= 1
      Files.write(newest, snapshot.encoded())
    }
    let reader = AgentStateStore(log: store.log, snapshotInterval: 0)
    #expect(try reader.task("t").state() == expectedLatest)
    #expect(try reader.task("t").state(at: .version(41)).state == expectedMiddle)
    #expect(!Files.list(folder).contains { $0.hasSuffix(".tmp") })
  }

  @Test("the remembered list of snapshots follows writes, pruning, removal by hand and other processes")
  func snapshotCatalog() throws {
    let directory = TemporaryDirectory("catalog")
    let store = try Self.store(at: directory.path, interval: 0)
    let task = store.task("t")
    try task.create(goal: "g", subtasks: (0..<4).map { ("s\($0)", "step") })
    var expected: [UInt64: TaskState] = [:]
    for index in 0..<4 {
      try task.startSubtask("s\(index)")
      try store.takeSnapshot(of: TaskState.self, id: "t")
      expected[try task.state().version] = try task.state()
    }
    let snapshots = store.snapshots
    var sequences = try snapshots.sequences(of: "task/t")
    #expect(sequences.count == 4)
    // A reader beside the writer lists the folder each time, so it sees
    // snapshots taken after its first look.
    let reader = try Log.openReadOnly(at: directory.path)
    #expect(try SnapshotStore(log: reader).sequences(of: "task/t") == sequences)
    try task.completeSubtask("s0")
    try store.takeSnapshot(of: TaskState.self, id: "t")
    #expect(try snapshots.sequences(of: "task/t").count == 5)
    #expect(try SnapshotStore(log: reader).sequences(of: "task/t").count == 5)
    try snapshots.prune("task/t", keep: 3)
    sequences = try snapshots.sequences(of: "task/t")
    #expect(sequences.count == 3)
    #expect(
      sequences
        == Files.list(snapshots.streamDirectory("task/t")).compactMap(SnapshotStore.sequence(ofFile:))
        .sorted())
    // Removed by hand: the read falls back to an older snapshot and the list
    // is taken again.
    Files.remove(snapshots.streamDirectory("task/t") + "/" + SnapshotStore.fileName(sequences[1]))
    let fresh = AgentStateStore(log: store.log, snapshotInterval: 0)
    for (version, state) in expected {
      #expect(try fresh.task("t").state(at: .version(version)).state == state)
    }
    #expect(try snapshots.sequences(of: "task/t") == [sequences[0], sequences[2]])
    try reader.close()
  }

  @Test("a sound snapshot whose state does not decode is skipped with a warning, and replay answers")
  func undecodableState() throws {
    let directory = TemporaryDirectory("undecodable")
    let captured = CapturedLog()
    var options = LogOptions()
    options.durability = .buffered
    options.logger = captured.logger
    let store = try AgentStateStore.open(at: directory.path, options: options, snapshotInterval: 0)
    try store.task("t").create(goal: "g", subtasks: [("a", "A")])
    let expected = try store.task("t").startSubtask("a")
    let sequence = try #require(store.log.sequence(ofVersion: 2, inStream: "task/t"))
    try store.snapshots.write(
      Snapshot(
        stream: "task/t", sequence: sequence, version: 2,
        timestamp: try store.log.event(at: sequence).timestamp,
        stateVersion: TaskState.stateVersion, payload: BinaryPayloadCodec().encode(["not": "a task"])))
    let reader = AgentStateStore(log: store.log, cacheCapacity: 0, snapshotInterval: 0)
    #expect(try reader.task("t").state(at: .version(2)).state == expected)
    #expect(captured.messages(atLeast: .warning).contains { $0.contains("does not decode") })
  }

  @Test("a read from a snapshot touches no event before it")
  func snapshotIsUsed() throws {
    let directory = TemporaryDirectory("used")
    do {
      let store = try Self.store(at: directory.path, interval: 0)
      try store.task("t").create(goal: "g", subtasks: [("a", "A")])
      try store.task("t").startSubtask("a")
      try store.takeSnapshot(of: TaskState.self, id: "t")
      try store.close()
    }
    // Damage the first event's batch: a replay from the start would fail.
    let segment = directory.child(SegmentName.segment(1))
    var bytes = Files.read(segment)
    bytes[SegmentHeader.size + BatchHeader.size + 4] ^= 0xFF
    Files.write(segment, bytes)
    let log = try Log.openReadOnly(at: directory.path)
    #expect(throws: StateLogError.self) { try AgentStateStore(log: log).task("t").state(at: .version(1)) }
    let state = try AgentStateStore(log: log).task("t").state()
    #expect(state.version == 2)
    #expect(state.subtasks.first?.status == .running)
  }

  @Test("stream ids of any bytes map to safe snapshot directories")
  func directoryNames() throws {
    let directory = TemporaryDirectory("names")
    let log = try Log.open(at: directory.path)
    let snapshots = SnapshotStore(log: log)
    #expect(snapshots.streamDirectory("task/t 1").hasSuffix("/snapshots/task%2Ft%201"))
    #expect(snapshots.streamDirectory("..").hasSuffix("/snapshots/%2E%2E"))
    #expect(snapshots.streamDirectory("profile/caf\u{E9}").hasSuffix("profile%2Fcaf%C3%A9"))
    #expect(snapshots.streamDirectory(".").hasSuffix("/snapshots/%2E"))
    #expect(snapshots.streamDirectory("...").hasSuffix("/snapshots/..."))
    #expect(snapshots.streamDirectory("a\u{7F}\n").hasSuffix("/snapshots/a%7F%0A"))
    for stream in ["task/t 1", "..", ".", "...", "profile/caf\u{E9}", "conversation/a%b", "a\u{7F}\n"] {
      let folder = String(snapshots.streamDirectory(stream).split(separator: "/").last!)
      #expect(SnapshotStore.stream(ofFolder: folder) == stream)
    }
  }

  @Test(
    "snapshot file names are 20 zero-padded digits that read back as their sequence",
    arguments: [0, 1, 42, 99_999, 10_000_000_000, UInt64.max])
  func fileNames(sequence: UInt64) {
    let name = SnapshotStore.fileName(sequence)
    let digits = String(sequence)
    #expect(name == String(repeating: "0", count: 20 - digits.count) + digits + ".snap")
    #expect(SnapshotStore.sequence(ofFile: name) == sequence)
  }
}
