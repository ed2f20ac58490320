import AgentState
import ArgumentParser
import StateLog

struct EventsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "events",
    abstract: "List events, filtered by stream, type and sequence range.",
    discussion: """
      Examples:
        statelog events ./agent-log --limit 20
        statelog events ./agent-log --stream conversation/c1 --format json
        statelog events ./agent-log --type task.subtask_failed --from 100 --to 200
      statelog events ./agent-log --raw --format json      # payloads as stored, not upcast

      Payloads in the binary encoding are shown upcast to their type's current schema \
      version; --raw shows them as stored.
      """
  )

  @Argument(help: "The log directory.") var log: String
  @Option(help: "Only events of this stream.") var stream: String?
  @Option(help: "Only events of this type.") var type: String?
  @Option(help: "First sequence number.") var from: UInt64 = 1
  @Option(help: "Last sequence number.") var to: UInt64 = .max
  @Option(help: "The most events to print.") var limit: Int = .max
  @Flag(help: "Show payloads as stored instead of upcast to the current schema version.") var raw = false
  @Option(help: "Output format: text or json (JSON Lines).") var format: OutputFormat = .text

  func validate() throws {
    guard limit >= 0 else { throw ValidationError("--limit must not be negative") }
    guard from <= to else { throw ValidationError("--from must not be after --to") }
  }

  func run() throws {
    try reportingFailures {
      let log = try Log.openReadOnly(at: log)
      let store = EventStore(log: log, registry: AgentStateStore.registry())
      var rows: [[String]] = []
      var printed = 0
      let visit: (EventView) throws -> Bool = { view in
        guard printed < limit else { return false }
        if let stream, view.stream != stream { return true }
        if let type, view.type != type { return true }
        guard view.sequence >= from && view.sequence <= to else { return view.sequence < to }
        let event = try view.recordedEvent()
        let decoded = !raw && event.payload.first == BinaryPayloadCodec.marker ? try store.decode(event) : nil
        printed += 1
        switch format {
        case .json: print(jsonString(jsonObject(event, decoded: decoded)))
        case .text:
          rows.append([
            String(event.sequence), event.timestamp.description, event.stream, String(event.streamVersion),
            event.type, decoded.map { oneLineSummary($0.data.description) } ?? summary(event.payload),
          ])
        }
        return printed < limit
      }
      if let stream {
        try log.forEachEvent(inStream: stream, visit)
      } else {
        try log.forEachEvent(from: from, through: to, visit)
      }
      if format == .text {
        print(table(["seq", "time", "stream", "ver", "type", "data"], rows))
      }
    }
  }
}
