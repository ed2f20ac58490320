import Glibc
import TestSupport
import Testing

@testable import StateLog

/// EIO, ENOSPC and short writes at every I/O operation of a workload, in turn,
/// through the in-memory file system of ``PowerLossFileIO``: the failure is
/// reported, a log that failed to write or sync refuses appends until it is
/// reopened, and reopening (with or without a power loss after the failure)
/// keeps every acknowledged event and nothing that was not written.
@Suite("Injected errors at every step")
struct InjectedErrorTests {
  static let directory = PowerLossTests.directory
  static let faults: [PowerLossFileIO.Fault] = [.error(EIO), .error(ENOSPC), .shortWrite]

  /// What an append workload saw: the events of its acknowledged appends, the
  /// append that failed, and whether the log took one more after that.
  struct Outcome {
    var acknowledged: [NewEvent] = []
    var failed: [NewEvent] = []
    var failure: StateLogError?
    /// Events of the append tried after the failure, if the log took it.
    var acceptedAfterFailure: [NewEvent] = []
    var refusedAfterFailure: Bool?
    var closeFailure: StateLogError?
  }

  /// Appends across segment rolls until an append fails, then tries one more.
  static func appendWorkload(_ io: PowerLossFileIO, durability: Durability, log captured: CapturedLog? = nil)
    -> Outcome
  {
    var factory = EventFactory(seed: 5)
    var outcome = Outcome()
    var options = PowerLossTests.options(io, durability: durability)
    if let captured { options.logger = captured.logger }
    let log: Log
    do {
      log = try Log.open(at: directory, options: options)
    } catch {
      outcome.failure = error as? StateLogError
      return outcome
    }
    for round in 0..<24 {
      let events = factory.events(1 + round % 4, size: 150 + 40 * (round % 5))
      do {
        try log.append(events)
        outcome.acknowledged += events
      } catch {
        outcome.failure = error as? StateLogError
        outcome.failed = events
        let next = factory.events(1)
        do {
          try log.append(next)
          outcome.acceptedAfterFailure = next
          outcome.refusedAfterFailure = false
        } catch {
          outcome.refusedAfterFailure = true
        }
        break
      }
    }
    do { try log.close() } catch { outcome.closeFailure = error as? StateLogError }
    return outcome
  }

  @Test(
    "EIO, ENOSPC and short writes at every I/O step of appends: reported, refused after, nothing acknowledged lost",
    arguments: [Durability.fsyncEveryAppend, .groupCommit, .buffered])
  func appends(durability: Durability) throws {
    let counter = PowerLossFileIO(directories: ["/power", Self.directory])
    let clean = Self.appendWorkload(counter, durability: durability)
    let operations = counter.operationCount
    #expect(clean.failure == nil && clean.acknowledged.count > 40)
    var generator = SeededGenerator(seed: 31)
    var fired = 0
    var reported = 0
    for operation in 0..<operations {
      for fault in Self.faults {
        let io = PowerLossFileIO(directories: ["/power", Self.directory])
        io.inject(fault, atOperation: operation)
        let captured = CapturedLog()
        let outcome = Self.appendWorkload(io, durability: durability, log: captured)
        let label =
          "\(fault) at operation \(operation) (\(io.faultedOperation.map { "\($0)" } ?? "not fired"))"
        guard let hit = io.faultedOperation else { continue }
        fired += 1
        if case .error = fault,
          [.write, .synchronize, .synchronizeDirectory, .rename, .truncate].contains(hit)
        {
          // A failed write or sync is never swallowed: the append, the open
          // or the close that did it throws; only a derived file (a sealed
          // segment's index, rebuilt at the next open) may fail with a warning.
          let warned = !captured.messages(atLeast: .warning).isEmpty
          let derived = io.faultedPath?.contains(SegmentName.indexExtension) == true
          #expect(
            outcome.failure != nil || outcome.closeFailure != nil || (derived && warned),
            "\(label): not reported (\(io.faultedPath ?? ""))")
          if outcome.refusedAfterFailure != nil {
            #expect(outcome.refusedAfterFailure == true, "\(label): appended again after a failed write")
          }
        }
        if outcome.failure != nil || outcome.closeFailure != nil
          || !captured.messages(atLeast: .warning).isEmpty
        {
          reported += 1
        }
        // Half the time the power goes too, keeping only what was synced.
        let powerLoss = Bool.random(using: &generator)
        if powerLoss { io.losePower { Int.random(in: 0...$0, using: &generator) } }
        let log = try Log.open(
          at: Self.directory, options: PowerLossTests.options(io, durability: durability))
        let stored = try log.events()
        if durability != .buffered || !powerLoss {
          #expect(
            stored.count >= outcome.acknowledged.count + outcome.acceptedAfterFailure.count,
            "\(label): acknowledged events lost")
        }
        // What is stored is what was written, in order: the failed append
        // whole or not at all.
        let written = [
          outcome.acknowledged + outcome.failed + outcome.acceptedAfterFailure,
          outcome.acknowledged + outcome.acceptedAfterFailure,
        ]
        #expect(
          written.contains { candidate in
            stored.count <= candidate.count && zip(stored, candidate).allSatisfy { $0.matches($1) }
          }, "\(label): stored events are not what was written")
        #expect(try log.verify().isSound, "\(label)")
        try log.append([NewEvent(stream: "after/fault", type: "probe", payload: [1])])
        try log.close()
      }
    }
    #expect(fired > operations, "faults should fire at most steps")
    print("injected errors (\(durability)): \(operations) steps, \(fired) faults fired, \(reported) reported")
  }

  @Test("EIO, ENOSPC and short writes at every I/O step of snapshots and retention: reopening is consistent")
  func snapshotsAndRetention() throws {
    let counter = PowerLossFileIO(directories: ["/power", Self.directory])
    _ = PowerLossSnapshotTests.workload(counter)
    let operations = counter.operationCount
    var fired = 0
    for operation in 0..<operations {
      for fault in Self.faults {
        let io = PowerLossFileIO(directories: ["/power", Self.directory])
        io.inject(fault, atOperation: operation)
        let acknowledged = PowerLossSnapshotTests.workload(io)
        guard let hit = io.faultedOperation else { continue }
        fired += 1
        let label = "\(fault) at operation \(operation) (\(hit))"
        let log = try Log.open(
          at: Self.directory, options: PowerLossTests.options(io, durability: .groupCommit))
        #expect(log.lastSequence >= acknowledged, "\(label): acknowledged events lost")
        let events = try log.events()
        #expect(
          events.map(\.sequence)
            == Array(log.retentionHorizon..<(log.retentionHorizon + UInt64(events.count))),
          "\(label)")
        #expect(try log.verify().isSound, "\(label)")
        let problems = try SnapshotStore(log: log).verify().problems
        #expect(problems.isEmpty, "\(label): \(problems)")
        try log.close()
      }
    }
    #expect(fired > operations)
    print("injected errors with snapshots and retention: \(operations) steps, \(fired) faults fired")
  }
}
