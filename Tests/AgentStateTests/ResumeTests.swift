import Glibc
import StateLog
import Subprocess
import SystemPackage
import TestSupport
import Testing

@testable import AgentState

/// The crash-and-resume example, run as a child process and killed partway.
@Suite("Crash and resume", .timeLimit(.minutes(2)))
struct ResumeTests {
  static let example = builtProductPath("task-resume-example")
  static let subtasks = 60

  /// Runs the example; kills it with SIGKILL after `kill` completed subtasks,
  /// or lets it finish when `kill` is nil. Returns the subtasks it reported done.
  static func run(_ directory: String, killAfter kill: Int?) async throws -> [String] {
    let result = try await Subprocess.run(
      .path(FilePath(example)), arguments: [directory, String(subtasks)], input: .none, output: .sequence,
      error: .discarded
    ) { execution -> [String] in
      var done: [String] = []
      for try await line in execution.standardOutput.strings() {
        let text = line.filter { !$0.isNewline }
        if text.hasPrefix("done ") { done.append(String(text.split(separator: " ")[1])) }
        if let kill, done.count >= kill {
          try execution.send(signal: .kill)
          break
        }
      }
      return done
    }
    return result.closureResult
  }

  @Test(
    "killed with SIGKILL partway, the example resumes at the first unfinished subtask and ends as an uninterrupted run"
  )
  func resume() async throws {
    #expect(access(Self.example, X_OK) == 0, "example not built at \(Self.example)")
    let uninterrupted = TemporaryDirectory("uninterrupted")
    let reported = try await Self.run(uninterrupted.path, killAfter: nil)
    #expect(reported.count == Self.subtasks)

    let interrupted = TemporaryDirectory("interrupted")
    var generator = SeededGenerator(seed: 31)
    var completed: [String] = []
    for _ in 0..<4 {
      let done = try await Self.run(interrupted.path, killAfter: Int.random(in: 1...12, using: &generator))
      // A restart never reports a subtask an earlier run completed.
      #expect(Set(done).isDisjoint(with: completed), "a completed subtask was repeated")
      completed += done
      let state = try AgentStateStore(log: try Log.openReadOnly(at: interrupted.path)).task("resume-demo")
        .state()
      #expect(state.progress.done >= completed.count, "every reported subtask is recorded")
    }
    let rest = try await Self.run(interrupted.path, killAfter: nil)
    #expect(Set(rest).isDisjoint(with: completed))

    let expected = try AgentStateStore(log: try Log.openReadOnly(at: uninterrupted.path)).task("resume-demo")
      .state()
    let actual = try AgentStateStore(log: try Log.openReadOnly(at: interrupted.path)).task("resume-demo")
      .state()
    #expect(actual == expected)
    #expect(actual.status == .completed)
    #expect(actual.result == .int(Int64((1...Self.subtasks).map { $0 * $0 }.reduce(0, +))))
    #expect(actual.subtasks.allSatisfy { $0.attempts == 1 })
  }
}
