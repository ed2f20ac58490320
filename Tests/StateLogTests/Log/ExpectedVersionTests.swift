import Dispatch
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import StateLog

@Suite("Expected versions and retries")
struct ExpectedVersionTests {
  static func event(_ stream: String, _ text: String, id: EventID = .random()) -> NewEvent {
    NewEvent(stream: stream, type: "note", id: id, payload: Array(text.utf8))
  }

  struct Case: Sendable, CustomStringConvertible {
    var existing: Int
    var expectation: ExpectedVersion
    var succeeds: Bool
    var description: String { "\(expectation) on a stream of \(existing)" }
  }

  @Test(
    "each kind of expected version accepts or rejects as documented",
    arguments: [
      Case(existing: 0, expectation: .any, succeeds: true),
      Case(existing: 2, expectation: .any, succeeds: true),
      Case(existing: 0, expectation: .noStream, succeeds: true),
      Case(existing: 2, expectation: .noStream, succeeds: false),
      Case(existing: 0, expectation: .streamExists, succeeds: false),
      Case(existing: 2, expectation: .streamExists, succeeds: true),
      Case(existing: 2, expectation: .version(2), succeeds: true),
      Case(existing: 2, expectation: .version(1), succeeds: false),
      Case(existing: 2, expectation: .version(3), succeeds: false),
      Case(existing: 0, expectation: .version(0), succeeds: true),
    ])
  func expectationKinds(_ test: Case) throws {
    let directory = TemporaryDirectory("expected")
    let log = try Log.open(at: directory.path, options: .testing())
    for index in 0..<test.existing { try log.append([Self.event("task/t1", "\(index)")]) }
    try log.append([Self.event("other/o1", "noise")])
    let before = log.lastSequence
    if test.succeeds {
      let result = try log.append([Self.event("task/t1", "new")], expecting: test.expectation)
      #expect(result.positions[0].streamVersion == UInt64(test.existing + 1))
    } else {
      let error = #expect(throws: StateLogError.self) {
        try log.append([Self.event("task/t1", "new")], expecting: test.expectation)
      }
      #expect(error?.code == .wrongExpectedVersion)
      #expect(error?.stream == "task/t1")
      #expect(error?.expectedVersion == test.expectation)
      #expect(error?.actualVersion == UInt64(test.existing))
      #expect(log.lastSequence == before, "nothing written")
    }
  }

  @Test("an append to several streams is checked as a whole: one failed expectation writes nothing")
  func multiStream() throws {
    let directory = TemporaryDirectory("multi")
    let log = try Log.open(at: directory.path, options: .testing())
    try log.append([Self.event("task/t1", "a"), Self.event("conversation/c1", "b")])
    let error = #expect(throws: StateLogError.self) {
      try log.append(
        [Self.event("task/t1", "c"), Self.event("conversation/c1", "d")],
        expecting: ["task/t1": .version(1), "conversation/c1": .version(0)])
    }
    #expect(error?.stream == "conversation/c1")
    #expect(log.lastSequence == 2)
    // An expectation on a stream the append does not write to is checked too.
    let gated = #expect(throws: StateLogError.self) {
      try log.append([Self.event("task/t1", "e")], expecting: ["conversation/c1": .version(7)])
    }
    #expect(gated?.code == .wrongExpectedVersion)
    let result = try log.append(
      [Self.event("task/t1", "c"), Self.event("conversation/c1", "d")],
      expecting: ["task/t1": .version(1), "conversation/c1": .version(1)])
    #expect(result.positions.map(\.streamVersion) == [2, 2])
  }

  @Test("writers racing on one stream: exactly one wins each version, and the stream stays dense")
  func race() throws {
    let directory = TemporaryDirectory("race")
    let log = try Log.open(at: directory.path, options: .testing(durability: .groupCommit))
    let writers = 8
    let target: UInt64 = 200
    let wins = Mutex<[UInt64: Int]>([:])
    let conflicts = Mutex(0)
    let done = DispatchGroup()
    for writer in 0..<writers {
      done.enter()
      Thread {
        defer { done.leave() }
        while true {
          let version = log.lastVersion(of: "task/shared")
          if version >= target { return }
          do {
            let result = try log.append(
              [Self.event("task/shared", "\(writer)")], expecting: .version(version))
            wins.withLock { $0[result.positions[0].streamVersion, default: 0] += 1 }
          } catch let error as StateLogError where error.code == .wrongExpectedVersion {
            conflicts.withLock { $0 += 1 }
          } catch {
            Issue.record("unexpected \(error)")
            return
          }
        }
      }.start()
    }
    done.wait()
    let events = try log.events(inStream: "task/shared")
    #expect(events.map(\.streamVersion) == Array(1...target))
    #expect(wins.withLock { $0 } == Dictionary(uniqueKeysWithValues: (1...target).map { ($0, 1) }))
    print("race: \(target) versions won, \(conflicts.withLock { $0 }) conflicts")
  }

  @Test("a retried append returns the original positions and writes nothing, also after reopen")
  func retry() throws {
    let directory = TemporaryDirectory("retry")
    let batch = [Self.event("task/t1", "plan"), Self.event("conversation/c1", "hello")]
    let first: AppendResult
    do {
      let log = try Log.open(at: directory.path, options: .testing(segmentSize: 4096, compression: .none))
      try log.append([Self.event("task/t1", "before")])
      first = try log.append(batch, expecting: ["task/t1": .version(1)])
      #expect(try log.append(batch, expecting: ["task/t1": .version(1)]) == first)
      #expect(try log.append(batch) == first, "no expectation: still a retry")
      #expect(log.lastSequence == 3)
      // Fill a few segments so the ids must come from sealed segments' indexes.
      for index in 0..<60 {
        try log.append([Self.event("noise/n", String(repeating: "x", count: 200 + index))])
      }
      try log.close()
    }
    let log = try Log.open(at: directory.path, options: .testing(segmentSize: 4096, compression: .none))
    #expect(Files.list(directory.path).filter { $0.hasSuffix(".seg") }.count > 2)
    let lastBefore = log.lastSequence
    #expect(try log.append(batch, expecting: ["task/t1": .version(1)]) == first)
    #expect(log.lastSequence == lastBefore)

    // The same ids at a different expected version, with other content, or
    // mixed with new events are not retries.
    let moved = #expect(throws: StateLogError.self) {
      try log.append(batch, expecting: ["task/t1": .version(2)])
    }
    #expect(moved?.code == .duplicateEventID)
    var changed = batch
    changed[1].payload = Array("hullo".utf8)
    let different = #expect(throws: StateLogError.self) { try log.append(changed) }
    #expect(different?.code == .duplicateEventID)
    let partial = #expect(throws: StateLogError.self) {
      try log.append([batch[0], Self.event("task/t1", "new")])
    }
    #expect(partial?.code == .duplicateEventID)
    let reordered = #expect(throws: StateLogError.self) { try log.append([batch[1], batch[0]]) }
    #expect(reordered?.code == .duplicateEventID)
    #expect(log.lastSequence == lastBefore)
    let repeated = #expect(throws: StateLogError.self) {
      let id = EventID.random()
      try log.append([Self.event("a/b", "1", id: id), Self.event("a/b", "2", id: id)])
    }
    #expect(repeated?.code == .invalidArgument)
  }

  @Test("a retry whose expectation names a stream it does not write to is still recognised")
  func retryWithForeignExpectation() throws {
    let directory = TemporaryDirectory("retry-foreign")
    let log = try Log.open(at: directory.path, options: .testing())
    try log.append([Self.event("conversation/c1", "hello")])
    let batch = [Self.event("task/t1", "plan")]
    let original = try log.append(batch, expecting: ["conversation/c1": .version(1)])
    try log.append([Self.event("conversation/c1", "later")])
    #expect(try log.append(batch, expecting: ["conversation/c1": .version(1)]) == original)
    let moved = #expect(throws: StateLogError.self) {
      try log.append(batch, expecting: ["conversation/c1": .version(2)])
    }
    #expect(moved?.code == .duplicateEventID)
  }

  @Test("ids older than the idempotency window are forgotten")
  func window() throws {
    let directory = TemporaryDirectory("window")
    var options = LogOptions.testing()
    options.idempotencyWindow = 5
    let log = try Log.open(at: directory.path, options: options)
    let old = Self.event("s/1", "old")
    let original = try log.append([old])
    #expect(try log.append([old]) == original)
    for index in 0..<5 { try log.append([Self.event("s/1", "\(index)")]) }
    let again = try log.append([old])
    #expect(again.firstSequence == 7, "outside the window the id is new again")
  }
}
