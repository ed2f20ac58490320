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
      guard log.lastVersion(of: stream) > 0 else {
        throw CommandFailure("unknown stream \(stream): it has no events", exitCode: 9)
      }
      var rows: [[String]] = []
      try log.forEachEvent(inStream: stream) { event in
        if let type, event.type != type { return true }
        switch format {
        case .json:
          print(
            jsonString([
              "version": event.streamVersion, "seq": event.sequence, "time": event.timestamp.description,
              "type": event.type,
            ]))
        case .text:
          rows.append([
            String(event.streamVersion), String(event.sequence), event.timestamp.description, event.type,
          ])
        }
        return true
      }
      if format == .text { print(table(["version", "seq", "time", "type"], rows)) }
    }
  }
}
