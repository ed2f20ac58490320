import AgentState
import ArgumentParser
import StateLog

struct DiffCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract: "Show what changed in a stream between two points: a summary, the changes, the events.",
    discussion: """
      Points are given as for `state --at`: a sequence (1234, seq:1234), a version (v:17), an \
      ISO 8601 time or a relative time (-2h). --from defaults to the start, --to to the latest.

      Examples:
        statelog diff ./agent-log task/book-trip --from 2026-11-24T14:02:00Z
        statelog diff ./agent-log conversation/trip-planning --from v:2 --to v:6 --format json
      """
  )

  @Argument(help: "The log directory.") var log: String
  @Argument(help: "The stream.") var stream: String
  @Option(parsing: .unconditional, help: "The earlier point (default: before the first event).") var from:
    String?
  @Option(parsing: .unconditional, help: "The later point (default: the latest).") var to: String?
  @Option(help: "Output format: text or json.") var format: OutputFormat = .text

  func run() throws {
    try reportingFailures {
      let store = AgentStateStore(log: try Log.openReadOnly(at: log))
      _ = try AnyAgentState.parse(stream)
      try requireStream(stream, in: store.log)
      let diff = try store.diff(
        ofStream: stream, from: try from.map { try PointParser.parse($0) } ?? .version(0),
        to: try to.map { try PointParser.parse($0) } ?? .latest)
      switch format {
      case .json:
        print(
          jsonString([
            "stream": stream, "from_sequence": diff.fromSequence, "to_sequence": diff.toSequence,
            "summary": diff.summary, "changes": diff.changes.map(Self.object),
            "events": try diff.events.map { try jsonObject($0.recorded, decoded: $0) },
          ]))
      case .text:
        print("\(stream) from sequence \(diff.fromSequence) to \(diff.toSequence): \(diff.summary)")
        for change in diff.changes {
          switch change {
          case .added(let path, let value):
            print("  + \(path): \(oneLineSummary(value.description, width: 100))")
          case .removed(let path, let value):
            print("  - \(path): \(oneLineSummary(value.description, width: 100))")
          case .changed(let path, let old, let new):
            print(
              "  ~ \(path): \(oneLineSummary(old.description, width: 45)) -> \(oneLineSummary(new.description, width: 45))"
            )
          }
        }
        if !diff.events.isEmpty {
          print("events:")
          print(
            table(
              ["  seq", "ver", "time", "type", "data"],
              try diff.events.map {
                [
                  "  \($0.sequence)", String($0.streamVersion), $0.timestamp.description, $0.type,
                  oneLineSummary(try $0.data.description),
                ]
              }))
        }
      }
    }
  }

  static func object(_ change: StateDiff.Change) -> [String: Any] {
    switch change {
    case .added(let path, let value): ["op": "added", "path": path, "new": foundationObject(value)]
    case .removed(let path, let value): ["op": "removed", "path": path, "old": foundationObject(value)]
    case .changed(let path, let old, let new):
      ["op": "changed", "path": path, "old": foundationObject(old), "new": foundationObject(new)]
    }
  }
}
