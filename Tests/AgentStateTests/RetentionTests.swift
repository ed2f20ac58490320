import TestSupport
import Testing

@testable import AgentState
@testable import StateLog

@Suite("Retention", .timeLimit(.minutes(1)))
struct RetentionTests {
  static func store(at path: String) throws -> AgentStateStore {
    var options = LogOptions()
    options.durability = .buffered
    options.segmentSize = 4096
    options.compression = .none
    return try AgentStateStore.open(at: path, options: options, snapshotInterval: 0)
  }

  /// A history over three streams, and every stream's state after each event.
  static func history(_ store: AgentStateStore) throws -> StoreTests.History {
    var generator = SeededGenerator(seed: 77)
    return try StoreTests.recordHistory(store, steps: 200, &generator)
  }

  @Test(
    "after retention every state from the horizon on is unchanged, and earlier points are an error naming it")
  func retention() throws {
    let directory = TemporaryDirectory("retention")
    let store = try Self.store(at: directory.path)
    let history = try Self.history(store)
    let segmentsBefore = Files.list(directory.path).filter { $0.hasSuffix(".seg") }.count
    let removed = try store.applyRetention(before: 120)
    let horizon = store.log.retentionHorizon
    #expect(!removed.isEmpty)
    #expect(horizon > 1 && horizon <= 120)
    #expect(
      Files.list(directory.path).filter { $0.hasSuffix(".seg") }.count == segmentsBefore - removed.count)
    #expect(Files.exists(directory.child("RETENTION")))

    for reopen in [false, true] {
      let reader =
        reopen ? AgentStateStore(log: try Log.openReadOnly(at: directory.path), snapshotInterval: 0) : store
      for entry in history where entry.sequence >= horizon - 1 {
        for (stream, expected) in entry.states {
          #expect(try reader.state(ofStream: stream, at: .sequence(entry.sequence)).state == expected)
        }
      }
      for stream in ["conversation/c", "task/t", "profile/p"] {
        #expect(try reader.state(ofStream: stream).state == history.last!.states[stream])
        let error = #expect(throws: AgentStateError.self) {
          try reader.state(ofStream: stream, at: .sequence(1))
        }
        #expect(error?.code == .historyRemoved)
        #expect(error?.message.contains("horizon: sequence \(horizon)") == true)
      }
      // A raw scan of "everything" starts at the horizon.
      #expect(try reader.log.events(from: 1, limit: 1).first?.sequence == horizon)
      #expect(reader.log.firstSequence == horizon)
    }
    // Appends go on with the right versions.
    let before = try store.task("t").state().version
    _ = try store.task("t").checkpoint(["after": "retention"])
    #expect(try store.task("t").state().version == before + 1)
  }

  @Test(
    "a stream whose events were all removed keeps its state and versions; times before the horizon are errors"
  )
  func fullyRemovedStream() throws {
    let directory = TemporaryDirectory("retention-whole")
    let store = try Self.store(at: directory.path)
    try store.task("old").create(goal: "done long ago", subtasks: [("a", "A")])
    try store.task("old").startSubtask("a")
    let early = try store.log.event(at: 2).timestamp
    let before = try store.task("old").state()
    _ = try Self.history(store)
    try store.takeSnapshot(of: TaskState.self, id: "t")
    try store.applyRetention(before: 150)
    #expect(store.log.retentionHorizon > 2)
    #expect(store.log.firstStoredVersion(of: "task/old") == nil)
    #expect(store.log.lastVersion(of: "task/old") == 2)
    let reader = AgentStateStore(log: store.log, cacheCapacity: 0, snapshotInterval: 0)
    #expect(try reader.task("old").state() == before)
    let removed = #expect(throws: AgentStateError.self) { try reader.task("old").state(at: .version(1)) }
    #expect(removed?.code == .historyRemoved)
    let tooEarly = #expect(throws: AgentStateError.self) {
      try reader.task("old").state(at: .timestamp(early))
    }
    #expect(tooEarly?.code == .historyRemoved)
    #expect(tooEarly?.message.contains("before the retention horizon") == true)
    // The stream goes on at version 3.
    #expect(try reader.task("old").completeSubtask("a").version == 3)
    // Snapshots of removed history are pruned, also for the stream whose
    // events all went, so verification stays sound after more retention.
    #expect(try store.log.verify().isSound)
    #expect(try store.snapshots.verify().problems.isEmpty)
    try store.takeSnapshot(of: TaskState.self, id: "old")
    _ = try Self.history(store)
    try store.applyRetention(before: store.log.lastSequence - 5)
    #expect(try store.snapshots.sequences(of: "task/old").count == 1, "only the anchor stays")
    #expect(try store.snapshots.verify().problems.isEmpty)
    #expect(try reader.task("old").state().version == 3)
  }

  @Test("a subscription that falls behind the horizon gets an error, not a silent skip")
  func subscriptionGap() async throws {
    let directory = TemporaryDirectory("retention-gap")
    let store = try Self.store(at: directory.path)
    _ = try Self.history(store)
    try store.applyRetention(before: 120)
    let error = await #expect(throws: StateLogError.self) {
      for try await _ in store.log.subscribe(from: 1) {}
    }
    #expect(error?.code == .sequenceOutOfRange)
  }

  @Test("retention interrupted after its file was written is finished by the next writer")
  func interrupted() throws {
    let directory = TemporaryDirectory("retention-crash")
    let copy = TemporaryDirectory("retention-copy")
    let store = try Self.store(at: directory.path)
    _ = try Self.history(store)
    try store.close()
    Files.copyDirectory(directory.path, to: copy.path)
    Files.copyDirectory(directory.path + "/snapshots", to: copy.path + "/snapshots")
    let finished = try Self.store(at: directory.path)
    let removed = try finished.applyRetention(before: 120)
    let expected = try ["conversation/c", "task/t", "profile/p"].map {
      try finished.state(ofStream: $0).state
    }
    try finished.close()
    // The copy gets the retention file and the snapshots, but keeps its old segments:
    // as if the process died right after writing the retention file.
    Files.write(copy.child("RETENTION"), Files.read(directory.child("RETENTION")))
    for folder in Files.list(directory.path + "/snapshots") {
      Files.copyDirectory(directory.path + "/snapshots/" + folder, to: copy.path + "/snapshots/" + folder)
    }
    let resumed = try Self.store(at: copy.path)
    #expect(Set(resumed.log.recoveryReport.removedFiles).isSuperset(of: removed))
    #expect(
      try ["conversation/c", "task/t", "profile/p"].map { try resumed.state(ofStream: $0).state } == expected)
  }
}
