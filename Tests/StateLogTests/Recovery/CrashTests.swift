import Glibc
import Subprocess
import Synchronization
import SystemPackage
import TestSupport
import Testing

@testable import StateLog

/// Kills a real writer process with SIGKILL at random moments and checks that
/// every append it acknowledged survives.
@Suite("Crashes")
struct CrashTests {
  /// Must match `payload(for:)` in the StateLogCrashWriter executable.
  static func expectedPayload(_ sequence: UInt64) -> [UInt8] {
    let unit = "event \(sequence) of the crash workload; "
    return Array(String(repeating: unit, count: 1 + Int(sequence % 9)).utf8)
  }

  /// Whether `last` ends one of the writer's appends. Each append starting at
  /// sequence `n` holds `1 + n % 4` events spread over several streams (see the
  /// writer), so an append is atomic exactly when recovery ends on one of these.
  static func isAppendBoundary(_ last: UInt64) -> Bool {
    var next: UInt64 = 1
    while next - 1 < last { next += 1 + next % 4 }
    return next - 1 == last
  }

  /// The crash writer, built beside the test bundle.
  static var writerPath: String { builtProductPath("StateLogCrashWriter") }

  /// Runs the writer until it has acknowledged `acknowledgements` appends, then
  /// kills it; returns the last sequence it acknowledged.
  static func runAndKill(directory: String, acknowledgements: Int) async throws -> UInt64 {
    let result = try await run(
      .path(FilePath(writerPath)), arguments: [directory], input: .none, output: .sequence,
      error: .string(limit: 4096)
    ) { execution -> UInt64 in
      var last: UInt64 = 0
      var seen = 0
      for try await line in execution.standardOutput.strings() {
        let text = line.filter { !$0.isNewline }
        guard text.hasPrefix("ack "), let sequence = UInt64(text.dropFirst(4)) else { continue }
        last = sequence
        seen += 1
        if seen >= acknowledgements {
          try execution.send(signal: .kill)
          break
        }
      }
      return last
    }
    if case .exited(let code) = result.terminationStatus {
      Issue.record("writer exited by itself with \(code): \(result.standardError)")
    }
    return result.closureResult
  }

  @Test("a read-only reader in this process follows a writer process, and a second writer is refused")
  func readerBesideWriterProcess() async throws {
    let directory = TemporaryDirectory("live")
    let path = directory.child("log")
    let result = try await run(
      .path(FilePath(Self.writerPath)), arguments: [path], input: .none, output: .sequence, error: .discarded
    ) { execution -> (checked: Int, locked: StateLogError?) in
      var reader: Log?
      var checked = 0
      var locked: StateLogError?
      for try await line in execution.standardOutput.strings() {
        let text = line.filter { !$0.isNewline }
        guard text.hasPrefix("ack "), let acknowledged = UInt64(text.dropFirst(4)) else { continue }
        if reader == nil {
          reader = try Log.openReadOnly(at: path)
          do { _ = try Log.open(at: path) } catch let error as StateLogError { locked = error }
        }
        let visible = try reader!.refresh()
        #expect(visible >= acknowledged, "reader sees \(visible), writer acknowledged \(acknowledged)")
        let last = try reader!.event(at: visible)
        #expect(Array(last.payload) == Self.expectedPayload(visible))
        checked += 1
        if checked == 200 {
          try execution.send(signal: .kill)
          break
        }
      }
      return (checked, locked)
    }
    #expect(result.closureResult.checked == 200)
    #expect(result.closureResult.locked?.code == .locked)
    #expect(result.closureResult.locked?.pid == result.processIdentifier.value)
  }

  @Test("a read-only subscription in this process follows a writer process", .timeLimit(.minutes(1)))
  func crossProcessSubscription() async throws {
    let directory = TemporaryDirectory("tail")
    let path = directory.child("log")
    let result = try await run(
      .path(FilePath(Self.writerPath)), arguments: [path], input: .none, output: .sequence, error: .discarded
    ) { execution -> [UInt64] in
      // Wait for the first acknowledgement so the log exists, then tail it.
      for try await line in execution.standardOutput.strings() where line.hasPrefix("ack ") { break }
      let reader = try Log.openReadOnly(at: path)
      var subscription = reader.subscribe(from: 1)
      subscription.pollInterval = .milliseconds(5)
      var received: [UInt64] = []
      for try await event in subscription {
        #expect(Array(event.payload) == Self.expectedPayload(event.sequence))
        received.append(event.sequence)
        if received.count == 2_000 { break }
      }
      try execution.send(signal: .kill)
      return received
    }
    #expect(result.closureResult == Array(1...2_000))
  }

  /// How many times the kill loop kills the writer: 100 by default (CI), the
  /// full 1,000 from `scripts/torture.sh` (`STATELOG_KILLS`).
  static var kills: Int {
    max(1, getenv("STATELOG_KILLS").flatMap { Int(String(cString: $0)) } ?? 100)
  }

  @Test(
    "a writer appending, rolling and snapshotting, killed with SIGKILL again and again, loses nothing acknowledged"
  )
  func sigkillLoop() async throws {
    #expect(access(Self.writerPath, X_OK) == 0, "crash writer not built at \(Self.writerPath)")
    let directory = TemporaryDirectory("crash")
    let path = directory.child("log")
    var generator = SeededGenerator(seed: 2026)
    var acknowledged: UInt64 = 0
    var truncations = 0
    let kills = Self.kills
    for round in 0..<kills {
      let wanted = Int.random(in: 1...40, using: &generator)
      let last = try await Self.runAndKill(directory: path, acknowledgements: wanted)
      #expect(last > acknowledged, "round \(round): no progress")
      acknowledged = last

      let log = try Log.open(at: path)
      if log.recoveryReport.truncatedBytes > 0 { truncations += 1 }
      #expect(
        log.lastSequence >= acknowledged,
        "round \(round) (seed 2026): acknowledged \(acknowledged), found \(log.lastSequence)")
      var expected: UInt64 = 1
      try log.forEachEvent { event in
        #expect(event.sequence == expected)
        #expect(
          Array(event.payload) == Self.expectedPayload(event.sequence), "event \(event.sequence) damaged")
        expected += 1
        return true
      }
      #expect(expected - 1 == log.lastSequence)
      #expect(Self.isAppendBoundary(log.lastSequence), "round \(round): a multi-stream append was split")
      #expect(try log.verify().isSound)
      let snapshots = try SnapshotStore(log: log).verify()
      #expect(snapshots.problems.isEmpty, "round \(round): \(snapshots.problems)")
      try log.close()
    }
    let segments = Files.list(path).filter { $0.hasSuffix(".seg") }
    #expect(segments.count > 2, "the workload should roll segments")
    let reader = try Log.openReadOnly(at: path)
    #expect(try SnapshotStore(log: reader).count() > 0, "the workload should snapshot")
    try reader.close()
    print(
      "crash loop: \(kills) kills, \(acknowledged) events acknowledged, \(truncations) torn tails truncated")
  }

  @Test(
    "a writer whose segment reaches the file size limit (RLIMIT_FSIZE, EFBIG) reports it and loses nothing acknowledged",
    .timeLimit(.minutes(1)))
  func fileSizeLimit() async throws {
    let directory = TemporaryDirectory("full")
    let path = directory.child("log")
    let limit = 48 << 10
    let result = try await run(
      .path(FilePath(Self.writerPath)), arguments: [path, "--file-size-limit", String(limit)], input: .none,
      output: .string(limit: 1 << 20), error: .string(limit: 4096))
    #expect(result.terminationStatus == .exited(3), "\(result.terminationStatus): \(result.standardError)")
    #expect(result.standardError.contains("errno \(EFBIG)") == true, "\(result.standardError)")
    let acknowledged =
      result.standardOutput.split(separator: "\n").compactMap { UInt64($0.dropFirst(4)) }.last ?? 0
    #expect(acknowledged > 50)
    let log = try Log.open(at: path)
    #expect(log.lastSequence >= acknowledged)
    #expect(Self.isAppendBoundary(log.lastSequence))
    try log.forEachEvent { event in
      #expect(Array(event.payload) == Self.expectedPayload(event.sequence))
      return true
    }
    #expect(try log.verify().isSound)
    // With room again, the log takes appends.
    try log.append([NewEvent(stream: "after/full", type: "probe", payload: [3])])
    try log.close()
  }

  @Test(
    "writers racing to open one new log: exactly one wins, the others are refused", .timeLimit(.minutes(1)))
  func openRace() async throws {
    let directory = TemporaryDirectory("race")
    let path = directory.child("log")
    let racers = 4
    // Each racer reports once: a winner at its first acknowledgement, a loser
    // when it exits. Winners keep the lock until all have reported, so that a
    // slow loser cannot win after them; should two win, both still end.
    let reports = RaceReports(racers: racers)
    let outcomes = try await withThrowingTaskGroup(of: (won: Bool, status: TerminationStatus).self) { group in
      for racer in 0..<racers {
        group.addTask {
          let result = try await run(
            .path(FilePath(Self.writerPath)), arguments: [path], input: .none, output: .sequence,
            error: .discarded
          ) { execution -> Bool in
            for try await line in execution.standardOutput.strings() where line.hasPrefix("ack ") {
              reports.report()
              for await _ in reports.streams[racer].stream {}
              try execution.send(signal: .kill)
              return true
            }
            reports.report()
            return false
          }
          return (result.closureResult, result.terminationStatus)
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(outcomes.filter(\.won).count == 1)
    for outcome in outcomes where !outcome.won {
      #expect(outcome.status == .exited(4), "a loser should be refused as locked, not \(outcome.status)")
    }
    let log = try Log.open(at: path)
    #expect(try log.verify().isSound)
    try log.close()
  }
}

/// The racers of ``CrashTests/openRace()``: how many have reported, and a
/// stream per racer that ends once all have.
private final class RaceReports: Sendable {
  let racers: Int
  let streams: [(stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)]
  private let count = Mutex(0)

  init(racers: Int) {
    self.racers = racers
    streams = (0..<racers).map { _ in AsyncStream.makeStream(of: Void.self) }
  }

  func report() {
    let reported = count.withLock {
      $0 += 1
      return $0
    }
    if reported == racers { streams.forEach { $0.continuation.finish() } }
  }
}
