import Dispatch
import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import StateLog

@Suite("Durability modes")
struct DurabilityTests {
  @Test("group commit: concurrent appenders get dense sequences and share fsyncs")
  func groupCommitSharesFsyncs() throws {
    let directory = TemporaryDirectory("group")
    let io = FaultInjectingFileIO()
    var options = LogOptions.testing(segmentSize: 1 << 20, durability: .groupCommit)
    options.fileIO = io
    let log = try Log.open(at: directory.path, options: options)
    let syncsBefore = io.count(.synchronize)
    let writers = 8
    // Sharing is then certain rather than a matter of timing: the next group
    // holds the other seven appends and one fsync covers it.
    let appendsPerWriter = 100
    let failures = Mutex(0)
    let held = Self.runWriters(
      writers, io: io, holdingFirstSyncUntil: { log.appendQueue.queuedCount >= writers - 1 }
    ) { writer in
      for index in 0..<appendsPerWriter {
        let event = NewEvent(
          stream: "writer/\(writer)", type: "t", payload: Array("\(writer):\(index)".utf8))
        do {
          let result = try log.append([event])
          // Acknowledged means durable: readers in this process see it.
          if log.lastSequence < result.lastSequence { failures.withLock { $0 += 1 } }
        } catch {
          failures.withLock { $0 += 1 }
        }
      }
    }
    #expect(failures.withLock { $0 } == 0)
    let events = try log.events()
    #expect(events.map(\.sequence) == Array(1...UInt64(writers * appendsPerWriter)))
    for writer in 0..<writers {
      let mine = try log.events(inStream: "writer/\(writer)")
      #expect(
        mine.map { String(decoding: $0.payload, as: UTF8.self) }
          == (0..<appendsPerWriter).map { "\(writer):\($0)" })
    }
    let syncs = io.count(.synchronize) - syncsBefore
    print("group commit: \(writers * appendsPerWriter) appends, \(syncs) fsyncs")
    #expect(syncs <= writers * appendsPerWriter - (writers - 2), "concurrent appends should share fsyncs")
    #expect(held)
    #expect(syncs >= 1)
  }

  @Test("group commit: a failed fsync fails every append of its group; the acknowledged survive reopening")
  func groupCommitFailure() throws {
    let directory = TemporaryDirectory("group-failure")
    let io = FaultInjectingFileIO()
    var options = LogOptions.testing(segmentSize: 1 << 20, durability: .groupCommit)
    options.fileIO = io
    let log = try Log.open(at: directory.path, options: options)
    let writers = 8
    // The other seven form the next group, whose fsync fails.
    let outcomes = Mutex<[Int: Result<UInt64, StateLogError>]>([:])
    let held = Self.runWriters(
      writers, io: io, holdingFirstSyncUntil: { log.appendQueue.queuedCount >= writers - 1 },
      then: { io.inject(.error(EIO), on: .synchronize) }
    ) { writer in
      let event = NewEvent(stream: "writer/\(writer)", type: "t", payload: [UInt8(writer)])
      do throws(StateLogError) {
        let result = try StateLogError.typed { try log.append([event]) }
        outcomes.withLock { $0[writer] = .success(result.lastSequence) }
      } catch {
        outcomes.withLock { $0[writer] = .failure(error) }
      }
    }
    #expect(held, "the other appends queued while the first one's fsync was held")
    let results = outcomes.withLock { $0 }
    let acknowledged = results.values.compactMap { try? $0.get() }
    let failed = results.values.compactMap { outcome -> StateLogError? in
      if case .failure(let error) = outcome { return error }
      return nil
    }
    #expect(acknowledged == [1], "only the first append, alone in its group, is acknowledged")
    #expect(failed.count == writers - 1)
    #expect(failed.allSatisfy { $0.code == .ioFailure && $0.errno == EIO }, "\(failed)")
    #expect(throws: StateLogError.self) { try log.append([NewEvent(stream: "s", type: "t", payload: [0])]) }
    _ = try? log.close()

    let reopened = try Log.open(at: directory.path, options: .testing(segmentSize: 1 << 20))
    let events = try reopened.events()
    #expect(events.first?.sequence == 1 && events.first?.payload.count == 1)
    // The failed group was written before its fsync failed: reopening keeps
    // each of its appends whole or drops it, never anything else.
    #expect(events.map(\.sequence) == Array(1...UInt64(events.count)))
    #expect(Set(events.map(\.stream)).count == events.count)
    try reopened.close()
  }

  /// Runs `body` on `count` threads (real threads: a pool sized to the two
  /// cores would run two at a time) and returns when all are done, with writer
  /// 0's first append alone in its group: writer 0 starts first and the others
  /// start only once its first fsync is being held. That fsync is released
  /// when `condition` holds (bounded, so a broken condition fails the test
  /// rather than hanging it), after `then` has run; later fsyncs pass.
  ///
  /// - Returns: Whether `condition` held while the first fsync was held.
  private static func runWriters(
    _ count: Int, io: FaultInjectingFileIO, holdingFirstSyncUntil condition: @escaping @Sendable () -> Bool,
    then: @escaping @Sendable () -> Void = {}, _ body: @escaping @Sendable (Int) -> Void
  ) -> Bool {
    let firstSyncHeld = DispatchSemaphore(value: 0)
    // nil until the first fsync; then whether `condition` held during it.
    let conditionHeld = Mutex<Bool?>(nil)
    io.beforeSynchronize {
      let isFirst = conditionHeld.withLock { held in
        guard held == nil else { return false }
        held = false
        return true
      }
      guard isFirst else { return }
      firstSyncHeld.signal()
      var spins = 0
      while !condition() && spins < 100_000_000 {
        sched_yield()
        spins += 1
      }
      conditionHeld.withLock { $0 = condition() }
      then()
    }
    let done = DispatchGroup()
    func start(_ writer: Int) {
      done.enter()
      Thread {
        defer { done.leave() }
        body(writer)
      }.start()
    }
    start(0)
    if firstSyncHeld.wait(timeout: .now() + 60) == .success {
      for writer in 1..<count { start(writer) }
    }
    done.wait()
    return conditionHeld.withLock { $0 } == true
  }

  @Test("fsyncEveryAppend syncs once per append; buffered syncs only at close")
  func syncCounts() throws {
    for (durability, expected) in [(Durability.fsyncEveryAppend, 20), (.buffered, 0)] {
      let directory = TemporaryDirectory("syncs")
      let io = FaultInjectingFileIO()
      var options = LogOptions.testing(segmentSize: 1 << 20, durability: durability)
      options.fileIO = io
      let log = try Log.open(at: directory.path, options: options)
      let before = io.count(.synchronize)
      for index in 0..<20 { try log.append([NewEvent(stream: "s", type: "t", payload: [UInt8(index)])]) }
      #expect(io.count(.synchronize) - before == expected, "\(durability)")
      try log.close()
      #expect(io.count(.synchronize) - before == expected + 1, "close syncs (\(durability))")
    }
  }

  @Test("periodic mode syncs in the background without an append waiting")
  func periodicSyncs() throws {
    let directory = TemporaryDirectory("periodic")
    let io = FaultInjectingFileIO()
    var options = LogOptions.testing(durability: .periodic(milliseconds: 1))
    options.fileIO = io
    let log = try Log.open(at: directory.path, options: options)
    let before = io.count(.synchronize)
    try log.append([NewEvent(stream: "s", type: "t", payload: [1])])
    #expect(io.count(.synchronize) == before, "the append itself does not sync")
    // Wait, bounded, for the timer's sync rather than sleeping a fixed time.
    var spins = 0
    while io.count(.synchronize) == before && spins < 50_000_000 {
      sched_yield()
      spins += 1
    }
    #expect(io.count(.synchronize) > before, "no background sync happened")
    try log.close()
  }
}
