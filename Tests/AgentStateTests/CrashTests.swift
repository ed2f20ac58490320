import Glibc
import Subprocess
import SystemPackage
import TestSupport
import Testing

@testable import AgentState
@testable import StateLog

/// Kills a process that is writing snapshots (and applying retention) with
/// SIGKILL at random moments; every reopen must be consistent.
@Suite("Agent state crashes", .timeLimit(.minutes(3)))
struct AgentStateCrashTests {
  static let worker = builtProductPath("AgentStateCrashWorker")

  static func runAndKill(_ directory: String, mode: String, after acknowledgements: Int) async throws
    -> UInt64
  {
    let result = try await Subprocess.run(
      .path(FilePath(worker)), arguments: [directory, mode], input: .none, output: .sequence,
      error: .discarded
    ) { execution -> UInt64 in
      var last: UInt64 = 0
      var seen = 0
      for try await line in execution.standardOutput.strings() {
        for text in line.split(separator: "\n") where text.hasPrefix("ack ") {
          last = UInt64(text.dropFirst(4)) ?? last
          seen += 1
        }
        if seen >= acknowledgements {
          try execution.send(signal: .kill)
          break
        }
      }
      return last
    }
    return result.closureResult
  }

  @Test(
    "killed while writing snapshots or applying retention, the store reopens consistent",
    arguments: ["snapshots", "retention"])
  func killLoop(mode: String) async throws {
    #expect(access(Self.worker, X_OK) == 0, "worker not built at \(Self.worker)")
    let directory = TemporaryDirectory("agent-crash")
    let path = directory.child("log")
    var generator = SeededGenerator(seed: mode == "snapshots" ? 5 : 6)
    var acknowledged: UInt64 = 0
    for round in 0..<12 {
      acknowledged = try await Self.runAndKill(
        path, mode: mode, after: Int.random(in: 20...120, using: &generator))
      let store = try AgentStateStore.open(at: path, snapshotInterval: 0)
      #expect(store.log.lastSequence >= acknowledged, "round \(round): acknowledged events lost")
      #expect(try store.log.verify().isSound, "round \(round)")
      let snapshotProblems = try store.snapshots.verify().problems
      #expect(snapshotProblems.isEmpty, "round \(round): \(snapshotProblems)")
      // Every state is rebuildable, and the one built from snapshots equals a
      // replay of the stored events on top of the oldest usable starting point.
      for stream in ["conversation/c", "task/t", "profile/p"] where store.log.lastVersion(of: stream) > 0 {
        let fromSnapshots = try store.state(ofStream: stream).state
        let latest = try store.state(ofStream: stream, at: .sequence(store.log.lastSequence)).state
        #expect(fromSnapshots == latest, "round \(round), \(stream)")
        #expect(fromSnapshots.version == store.log.lastVersion(of: stream))
      }
      if mode == "snapshots" {
        // Without retention a pure replay is possible: it must agree.
        let copy = TemporaryDirectory("agent-crash-replay")
        for name in Files.list(path)
        where name.hasSuffix(".seg") || name.hasSuffix(".idx") || name == "RETENTION" {
          Files.write(copy.child(name), Files.read(path + "/" + name))
        }
        let replay = AgentStateStore(log: try Log.openReadOnly(at: copy.path), snapshotInterval: 0)
        for stream in ["conversation/c", "task/t", "profile/p"] where store.log.lastVersion(of: stream) > 0 {
          #expect(
            try replay.state(ofStream: stream).state == store.state(ofStream: stream).state, "round \(round)")
        }
      } else if store.log.retentionHorizon > 1 {
        #expect(
          !Files.list(path).contains {
            SegmentName.baseSequence(ofSegment: $0).map { $0 < store.log.retentionHorizon } ?? false
          })
      }
      try store.close()
    }
    if mode == "retention" {
      let store = try AgentStateStore.open(at: path, snapshotInterval: 0)
      #expect(store.log.retentionHorizon > 1, "the workload should have applied retention")
      try store.close()
    }
  }
}
