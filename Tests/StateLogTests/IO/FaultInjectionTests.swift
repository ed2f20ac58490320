import Glibc
import TestSupport
import Testing

@testable import StateLog

@Suite("Injected faults")
struct FaultInjectionTests {
  static func options(_ io: FaultInjectingFileIO, durability: Durability = .fsyncEveryAppend) -> LogOptions {
    var options = LogOptions.testing(segmentSize: 8 << 10, durability: durability)
    options.fileIO = io
    return options
  }

  /// Appends until `failing` throws, then checks the contract: the failure is
  /// reported, later appends refuse, and a reopen holds every acknowledged event
  /// and at most the one append that failed.
  static func check(
    fault: FaultInjectingFileIO.Fault, on operation: FaultInjectingFileIO.Operation, after: Int,
    durability: Durability = .fsyncEveryAppend
  ) throws {
    let directory = TemporaryDirectory("fault")
    let io = FaultInjectingFileIO()
    var factory = EventFactory(seed: 17)
    var acknowledged: [NewEvent] = []
    var failedAppend: [NewEvent] = []
    do {
      let log = try Log.open(at: directory.path, options: options(io, durability: durability))
      io.inject(fault, on: operation, after: after)
      for _ in 0..<200 {
        let events = factory.events(3)
        do {
          try log.append(events)
          acknowledged += events
        } catch let error as StateLogError {
          #expect(error.code == .ioFailure, "\(error)")
          failedAppend = events
          break
        }
      }
      #expect(io.injectedCount == 1, "the fault at \(operation) #\(after) never fired")
      #expect(!failedAppend.isEmpty, "no append failed")
      // The log never retries and pretends: it refuses until reopened.
      let refused = #expect(throws: StateLogError.self) { try log.append(factory.events(1)) }
      #expect(refused?.code == .failed)
      #expect(try log.events().count == acknowledged.count, "readers see only what was acknowledged")
    }
    let log = try Log.open(at: directory.path, options: .testing(segmentSize: 8 << 10))
    let events = try log.events()
    #expect(events.count == acknowledged.count || events.count == acknowledged.count + failedAppend.count)
    #expect(zip(events, acknowledged + failedAppend).allSatisfy { $0.matches($1) })
    #expect(try log.verify().isSound)
    try log.append(factory.events(2))
  }

  @Test(
    "EIO or ENOSPC on a write fails the append and nothing acknowledged is lost", arguments: [EIO, ENOSPC])
  func writeErrors(code: Int32) throws {
    for after in [0, 3, 17, 40] {
      try Self.check(fault: .error(code), on: .write, after: after)
    }
  }

  @Test("a short write followed by ENOSPC leaves a torn tail that reopening removes")
  func shortWriteThenFull() throws {
    let directory = TemporaryDirectory("short")
    let io = FaultInjectingFileIO()
    var factory = EventFactory(seed: 3)
    let first = factory.events(5)
    do {
      let log = try Log.open(at: directory.path, options: Self.options(io))
      try log.append(first)
      io.inject(.shortWrite(100), on: .write)
      io.inject(.error(ENOSPC), on: .write, after: 1)
      let error = #expect(throws: StateLogError.self) { try log.append(factory.events(5)) }
      #expect(error?.errno == ENOSPC)
    }
    let log = try Log.open(at: directory.path, options: .testing())
    #expect(log.recoveryReport.truncatedBytes == 100)
    #expect(try log.events().count == first.count)
  }

  @Test("a short write that the next write completes is not an error")
  func shortWriteRecovered() throws {
    let directory = TemporaryDirectory("short-ok")
    let io = FaultInjectingFileIO()
    var factory = EventFactory(seed: 4)
    let log = try Log.open(at: directory.path, options: Self.options(io))
    io.inject(.shortWrite(7), on: .write)
    let events = factory.events(4)
    try log.append(events)
    #expect(try log.events().count == 4)
    try log.close()
    #expect(try Log.open(at: directory.path).events().map(\.id) == events.map(\.id))
  }

  @Test(
    "a failed fsync fails the append and the log refuses further appends",
    arguments: [Durability.fsyncEveryAppend, .groupCommit])
  func fsyncFailure(durability: Durability) throws {
    for after in [0, 5, 30] {
      try Self.check(fault: .error(EIO), on: .synchronize, after: after, durability: durability)
    }
  }

  /// The number of writes made before the append that first rolls a segment,
  /// found by a dry run of the same deterministic workload.
  static func writesBeforeFirstRoll() throws -> Int {
    let directory = TemporaryDirectory("dry-run")
    let io = FaultInjectingFileIO()
    var factory = EventFactory(seed: 9)
    let log = try Log.open(at: directory.path, options: options(io))
    while true {
      let before = io.count(.write)
      try log.append(factory.events(4))
      if Files.exists(directory.child(SegmentName.index(1))) { return before }
    }
  }

  @Test(
    "a failure while rolling a segment is reported and loses nothing",
    arguments: [FaultInjectingFileIO.Operation.write, .open, .synchronizeDirectory])
  func rollFailure(operation: FaultInjectingFileIO.Operation) throws {
    let directory = TemporaryDirectory("roll")
    let io = FaultInjectingFileIO()
    if operation == .write {
      // The first write of the rolling append is the sealed segment's footer.
      io.inject(.error(EIO), on: .write, after: try Self.writesBeforeFirstRoll())
    }
    var factory = EventFactory(seed: 9)
    var acknowledged: [NewEvent] = []
    do {
      let log = try Log.open(at: directory.path, options: Self.options(io))
      if operation != .write {
        // After opening, only a roll creates files and syncs the directory.
        io.inject(.error(EIO), on: operation, sticky: true)
      }
      var failure: StateLogError?
      while failure == nil && acknowledged.count < 400 {
        let events = factory.events(4)
        do {
          try log.append(events)
          acknowledged += events
        } catch let error as StateLogError {
          failure = error
        }
      }
      #expect(failure?.code == .ioFailure, "no roll failed")
      let refused = #expect(throws: StateLogError.self) { try log.append(factory.events(1)) }
      #expect(refused?.code == .failed)
    }
    let log = try Log.open(at: directory.path, options: .testing(segmentSize: 8 << 10))
    let events = try log.events()
    #expect(events.count == acknowledged.count)
    #expect(zip(events, acknowledged).allSatisfy { $0.matches($1) })
    #expect(try log.verify().isSound)
    try log.append(factory.events(1))
  }
}
