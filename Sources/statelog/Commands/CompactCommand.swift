import AgentState
import ArgumentParser
import StateLog

struct CompactCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compact",
    abstract: "Apply a retention policy: remove old segments, keeping every state from the horizon on.",
    discussion: """
      Every conversation, task and profile with events in the removed segments is first \
      snapshotted at its last event before the new horizon, so its state stays rebuildable; \
      time travel to before the horizon then fails with a message naming it. Whole segments \
      only; the active segment always stays. Takes the writer's lock.

      Examples:
        statelog compact ./agent-log --before 2026-11-01T00:00:00Z
        statelog compact ./agent-log --before -30d
        statelog compact ./agent-log --max-bytes 1073741824
      """
  )

  @Argument(help: "The log directory.") var log: String
  @Option(parsing: .unconditional, help: "Remove segments whose events are all before this time.") var before:
    String?
  @Option(help: "Remove the oldest segments until the log takes at most this many bytes.") var maxBytes:
    UInt64?
  @Option(help: "Output format: text or json.") var format: OutputFormat = .text

  func validate() throws {
    guard (before == nil) != (maxBytes == nil) else {
      throw ValidationError("give exactly one of --before and --max-bytes")
    }
  }

  func run() throws {
    try reportingFailures {
      let store = AgentStateStore(log: try Log.open(at: log, options: existingLogOptions()))
      defer { try? store.close() }
      let removed: [String]
      if let before {
        removed = try store.applyRetention(olderThan: try PointParser.time(before))
      } else {
        let sequence = try store.log.retentionSequence(toFit: maxBytes ?? 0)
        removed = sequence == 0 ? [] : try store.applyRetention(before: sequence)
      }
      switch format {
      case .json: print(jsonString(["removed": removed, "horizon": store.log.retentionHorizon]))
      case .text:
        print(
          "removed \(removed.count) segments; the log now starts at sequence \(store.log.retentionHorizon)")
      }
    }
  }
}
