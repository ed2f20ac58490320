import ArgumentParser
import StateLog

struct StreamsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "streams",
    abstract: "List streams with their kind, event count, last version and last time.",
    discussion: """
      Examples:
        statelog streams ./agent-log
        statelog streams ./agent-log --kind task --format json
        statelog streams ./agent-log --prefix conversation/trip
      """
  )

  @Argument(help: "The log directory.") var log: String
  @Option(help: "Only streams of this kind (conversation, task, profile, ...).") var kind: String?
  @Option(help: "Only streams whose id starts with this.") var prefix: String?
  @Option(help: "Output format: text or json (JSON Lines).") var format: OutputFormat = .text

  func run() throws {
    try reportingFailures {
      let log = try Log.openReadOnly(at: log)
      var rows: [[String]] = []
      for stream in log.streamIDs() {
        let streamKind = stream.split(separator: "/").first.map(String.init) ?? ""
        if let kind, streamKind != kind { continue }
        if let prefix, !stream.hasPrefix(prefix) { continue }
        let version = log.lastVersion(of: stream)
        guard version > 0, let sequence = log.sequence(ofVersion: version, inStream: stream) else { continue }
        let time = try log.event(at: sequence).timestamp
        switch format {
        case .json:
          print(
            jsonString([
              "stream": stream, "kind": streamKind, "events": version, "last_version": version,
              "last_time": time.description,
            ]))
        case .text:
          rows.append([stream, streamKind, String(version), time.description])
        }
      }
      if format == .text { print(table(["stream", "kind", "events", "last time"], rows)) }
    }
  }
}
