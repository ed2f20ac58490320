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
    let writesBefore = io.count(.write)
    let writers = 8
    // Hold the first fsync until every writer has written its first append, so
    // that sharing is certain rather than a matter of timing: the next fsync
    // then covers all of them.
    let heldBack = Mutex(false)
    io.beforeSynchronize {
      guard !heldBack.withLock({ $0 }) else { return }
      heldBack.withLock { $0 = true }
      var spins = 0
      while io.count(.write) < writesBefore + writers && spins < 100_000_000 {
        sched_yield()
        spins += 1
      }
    }
    let appendsPerWriter = 100
    let failures = Mutex(0)
    // Real threads, one per writer: a thread pool sized to the two cores would
    // run only two writers at a time.
    let done = DispatchGroup()
    for writer in 0..<writers {
      done.enter()
      Thread {
        defer { done.leave() }
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
      }.start()
    }
    done.wait()
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
    #expect(syncs >= 1)
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
