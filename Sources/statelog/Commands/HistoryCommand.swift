import AgentState
import ArgumentParser
import StateLog

struct HistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history",
    abstract: "List a stream's versions with their time and event type.",
    discussion: """
      Examples:
        statelog history ./agent-log task/book-trip
        statelog history ./agent-log conversation/trip-planning --type conversation.message_added --format json
      """
  )

  @Argument(help: "The log directory.") var log: String
  @Argument(help: "The stream.") var stream: String
  @Option(help: "Only events of this type.") var type: String?
  @Option(help: "Output format: text or json (JSON Lines).") var format: OutputFormat = .text

  func run() throws {
    try reportingFailures {
      let log = try Log.openReadOnly(at: log)
      try requireStream(stream, in: log)
      let entries = try log.history(of: stream, limit: .max, types: type.map { [$0] } ?? [])
      switch format {
      case .json:
        for entry in entries {
          print(
            jsonString([
              "version": entry.version, "seq": entry.sequence, "time": entry.timestamp.description,
              "type": entry.type,
            ]))
        }
      case .text:
        let rows = entries.map {
          [String($0.version), String($0.sequence), $0.timestamp.description, $0.type]
        }
        print(table(["version", "seq", "time", "type"], rows))
      }
    }
  }
}
