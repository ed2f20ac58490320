import TestSupport
import Testing

@testable import StateLog

/// Power loss at every I/O operation of a workload, through a file system
/// that keeps only what was synced (format-spec.md, "Durability").
@Suite("Power loss")
struct PowerLossTests {
  static let directory = "/power/log"

  static func options(_ io: PowerLossFileIO, durability: Durability) -> LogOptions {
    var options = LogOptions.testing(segmentSize: 4096, durability: durability)
    options.fileIO = io
    options.maximumBatchSize = 1024
    return options
  }

  /// Appends until done or crashed; returns the events acknowledged.
  static func workload(_ io: PowerLossFileIO, durability: Durability) -> [NewEvent] {
    var factory = EventFactory(seed: 3)
    var acknowledged: [NewEvent] = []
    guard let log = try? Log.open(at: directory, options: options(io, durability: durability)) else {
      return []
    }
    for round in 0..<24 {
      let events = factory.events(1 + round % 4, size: 150 + 40 * (round % 5))
      do {
        try log.append(events)
        acknowledged += events
      } catch {
        break
      }
    }
    try? log.close()
    return acknowledged
  }

  @Test(
    "power lost at every I/O step: reopening keeps every acknowledged event and a prefix of the rest",
    arguments: [Durability.fsyncEveryAppend, .groupCommit, .buffered])
  func everyStep(durability: Durability) throws {
    // A dry run counts the operations of the whole workload.
    let counter = PowerLossFileIO(directories: ["/power", Self.directory])
    let all = Self.workload(counter, durability: durability)
    let operations = counter.operationCount
    #expect(all.count > 40 && operations > 40)
    #expect(Set(counter.segmentNames()).count > 3, "the workload should roll segments")
    var generator = SeededGenerator(seed: 17)
    var torn = 0
    // The last crash point is past the end: the workload closes, then power goes.
    for crashAt in 0...operations {
      let io = PowerLossFileIO(directories: ["/power", Self.directory])
      io.crash(atOperation: crashAt)
      let acknowledged = Self.workload(io, durability: durability)
      let completed = !io.didCrash
      // Half the time, part of the unsynced tail reaches the disk anyway.
      let tear = Bool.random(using: &generator)
      io.losePower { unsynced in
        guard tear, unsynced > 0 else { return 0 }
        torn += 1
        return Int.random(in: 0...unsynced, using: &generator)
      }
      let log: Log
      do {
        log = try Log.open(at: Self.directory, options: Self.options(io, durability: durability))
      } catch {
        Issue.record("crash at operation \(crashAt) of \(operations): reopen failed: \(error)")
        continue
      }
      let events = try log.events()
      if completed {
        // The workload ran to its close: whatever the mode, everything is durable.
        #expect(events.count == all.count, "after a clean close, power loss lost events")
      }
      if durability != .buffered {
        #expect(events.count >= acknowledged.count, "crash at \(crashAt): acknowledged events lost")
      }
      #expect(
        zip(events, all).allSatisfy { $0.matches($1) },
        "crash at \(crashAt): not a prefix of what was written")
      #expect(
        events.map(\.sequence) == Array(1...UInt64(max(events.count, 1))).prefix(events.count).map { $0 })
      #expect(try log.verify().isSound, "crash at \(crashAt)")
      // And the log takes appends again.
      try log.append([NewEvent(stream: "after/power", type: "probe", payload: [1])])
    }
    print("power loss (\(durability)): \(operations) crash points, \(torn) files torn")
  }
}

@Suite("Power loss with snapshots and retention")
struct PowerLossSnapshotTests {
  static let directory = "/power/log"

  /// Appends, snapshots a stream every few appends and removes old segments
  /// now and then, until done or crashed; returns the last acknowledged sequence.
  static func workload(_ io: PowerLossFileIO) -> UInt64 {
    var factory = EventFactory(seed: 9, streams: ["task/a", "task/b"])
    var acknowledged: UInt64 = 0
    guard
      let log = try? Log.open(at: directory, options: PowerLossTests.options(io, durability: .groupCommit))
    else { return 0 }
    let snapshots = SnapshotStore(log: log)
    for round in 0..<30 {
      do {
        let result = try log.append(factory.events(2, size: 300))
        acknowledged = result.lastSequence
        if round % 3 == 2 {
          let stream = round % 2 == 0 ? "task/a" : "task/b"
          let version = log.lastVersion(of: stream)
          let sequence = log.sequence(ofVersion: version, inStream: stream)!
          try snapshots.write(
            Snapshot(
              stream: stream, sequence: sequence, version: version,
              timestamp: try log.event(at: sequence).timestamp,
              stateVersion: 1, payload: Array("state of \(stream) at \(version)".utf8)))
          try snapshots.prune(stream, keep: 2)
        }
        if round % 10 == 9 { try log.removeSegments(before: acknowledged - 10) }
      } catch {
        break
      }
    }
    try? log.close()
    return acknowledged
  }

  @Test("power lost at every I/O step while snapshotting and removing segments: reopening is consistent")
  func everyStep() throws {
    let counter = PowerLossFileIO(directories: ["/power", Self.directory])
    let last = Self.workload(counter)
    let operations = counter.operationCount
    #expect(last > 40)
    var generator = SeededGenerator(seed: 23)
    var retained = 0
    for crashAt in 0...operations {
      let io = PowerLossFileIO(directories: ["/power", Self.directory])
      io.crash(atOperation: crashAt)
      let acknowledged = Self.workload(io)
      io.losePower { unsynced in
        Bool.random(using: &generator) ? Int.random(in: 0...unsynced, using: &generator) : 0
      }
      let log: Log
      do {
        log = try Log.open(at: Self.directory, options: PowerLossTests.options(io, durability: .groupCommit))
      } catch {
        Issue.record("crash at operation \(crashAt) of \(operations): reopen failed: \(error)")
        continue
      }
      if log.retentionHorizon > 1 { retained += 1 }
      #expect(log.lastSequence >= acknowledged, "crash at \(crashAt): acknowledged events lost")
      let events = try log.events()
      #expect(events.first?.sequence == log.retentionHorizon || events.isEmpty)
      #expect(
        events.map(\.sequence) == Array(log.retentionHorizon..<(log.retentionHorizon + UInt64(events.count))))
      #expect(try log.verify().isSound, "crash at \(crashAt)")
      let problems = try SnapshotStore(log: log).verify().problems
      #expect(problems.isEmpty, "crash at \(crashAt): \(problems)")
    }
    #expect(retained > 0, "some crash points should come after a retention")
    print("power loss with snapshots and retention: \(operations) crash points, \(retained) after retention")
  }
}

@Suite("Power loss during recovery")
struct PowerLossRecoveryTests {
  static let directory = PowerLossTests.directory

  /// A log of synced segments with every index file gone and a torn batch at
  /// the end of the active segment, synced so that it survives power loss:
  /// opening it rebuilds every index and truncates the tail.
  static func damagedLog() throws -> (io: PowerLossFileIO, events: [NewEvent]) {
    let io = PowerLossFileIO(directories: ["/power", directory])
    var factory = EventFactory(seed: 41)
    var events: [NewEvent] = []
    let log = try Log.open(at: directory, options: PowerLossTests.options(io, durability: .fsyncEveryAppend))
    for round in 0..<20 {
      let batch = factory.events(1 + round % 3, size: 200)
      try log.append(batch)
      events += batch
    }
    try log.close()
    let names = try io.contentsOfDirectory(directory) ?? []
    for name in names where name.hasSuffix(SegmentName.indexExtension) {
      try io.remove(directory + "/" + name)
    }
    try io.synchronizeDirectory(directory)
    let active = try #require(names.filter { $0.hasSuffix(SegmentName.segmentExtension) }.sorted().last)
    let file = try io.open(directory + "/" + active, mode: .readWrite)
    let size = try io.size(of: file)
    // The first bytes of a batch header and nothing after them.
    let torn = [UInt8](repeating: 0x5A, count: BatchHeader.size / 2)
    try torn.withUnsafeBytes { try io.writeAll(file, $0, at: size) }
    try io.synchronize(file)
    return (io, events)
  }

  @Test("power lost at every I/O step of a recovery that rebuilds indexes and truncates a torn tail")
  func everyStep() throws {
    let (prepared, events) = try Self.damagedLog()
    let counter = prepared.copy()
    let first = try Log.open(
      at: Self.directory, options: PowerLossTests.options(counter, durability: .groupCommit))
    #expect(first.recoveryReport.truncatedFile != nil, "the torn tail should be truncated")
    #expect(!first.recoveryReport.rebuiltIndexes.isEmpty, "the indexes should be rebuilt")
    try first.close()
    let operations = counter.operationCount
    var generator = SeededGenerator(seed: 43)
    for crashAt in 0..<operations {
      let io = prepared.copy()
      io.crash(atOperation: crashAt)
      if let log = try? Log.open(
        at: Self.directory, options: PowerLossTests.options(io, durability: .groupCommit))
      {
        try? log.close()
      }
      io.losePower { Bool.random(using: &generator) ? Int.random(in: 0...$0, using: &generator) : 0 }
      let log: Log
      do {
        log = try Log.open(at: Self.directory, options: PowerLossTests.options(io, durability: .groupCommit))
      } catch {
        Issue.record("crash at step \(crashAt) of recovery: the next recovery failed: \(error)")
        continue
      }
      let stored = try log.events()
      #expect(stored.count == events.count, "crash at step \(crashAt) of recovery: events lost")
      #expect(zip(stored, events).allSatisfy { $0.matches($1) }, "crash at step \(crashAt)")
      #expect(try log.verify().isSound, "crash at step \(crashAt)")
      try log.append([NewEvent(stream: "after/recovery", type: "probe", payload: [2])])
      try log.close()
      // What the second recovery left is sound on its own: a third open finds nothing to repair.
      let again = try Log.open(
        at: Self.directory, options: PowerLossTests.options(io, durability: .groupCommit))
      #expect(again.recoveryReport.isClean, "crash at step \(crashAt): \(again.recoveryReport)")
      #expect(try again.events().count == events.count + 1)
      try again.close()
    }
    print("power loss during recovery: \(operations) crash points")
  }
}
