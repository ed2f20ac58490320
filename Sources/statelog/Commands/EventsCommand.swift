import AgentState
import ArgumentParser
import Glibc
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
      statelog events ./agent-log --since -2h --until 2026-11-24T14:05:00Z
      statelog events ./agent-log --follow --format json   # keep printing new events

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
  @Option(
    parsing: .unconditional, help: "Only events at or after this time (ISO 8601 or relative, like -2h).")
  var since: String?
  @Option(parsing: .unconditional, help: "Only events at or before this time.") var until: String?
  @Flag(help: "After the stored events, keep printing new ones as they are appended (polls every 50 ms).")
  var follow = false
  @Flag(help: "Show payloads as stored instead of upcast to the current schema version.") var raw = false
  @Option(help: "Output format: text or json (JSON Lines).") var format: OutputFormat = .text

  func validate() throws {
    guard limit >= 0 else { throw ValidationError("--limit must not be negative") }
    guard from <= to else { throw ValidationError("--from must not be after --to") }
  }

  func run() throws {
    try reportingFailures {
      let earliest = try since.map { try PointParser.time($0) } ?? .distantPast
      let latest = try until.map { try PointParser.time($0) } ?? .distantFuture
      let log = try Log.openReadOnly(at: log)
      let store = EventStore(log: log, registry: AgentStateStore.registry())
      var rows: [[String]] = []
      var printed = 0
      let visit: (EventView) throws -> Bool = { view in
        guard printed < limit else { return false }
        if let stream, view.stream != stream { return true }
        if let type, view.type != type { return true }
        if view.timestamp < earliest || view.timestamp > latest { return true }
        guard view.sequence >= from && view.sequence <= to else { return view.sequence < to }
        let event = try view.recordedEvent()
        let decoded = !raw && event.payload.first == BinaryPayloadCodec.marker ? try store.decode(event) : nil
        printed += 1
        switch format {
        case .json: print(jsonString(try jsonObject(event, decoded: decoded)))
        case .text:
          rows.append([
            String(event.sequence), event.timestamp.description, event.stream, String(event.streamVersion),
            event.type, try decoded.map { oneLineSummary(try $0.data.description) } ?? summary(event.payload),
          ])
        }
        return printed < limit
      }
      if let stream {
        try log.forEachEvent(inStream: stream, visit)
      } else {
        try log.forEachEvent(from: from, through: to, visit)
      }
      if format == .text && !(follow && rows.isEmpty) {
        print(table(["seq", "time", "stream", "ver", "type", "data"], rows))
        rows.removeAll()
      }
      guard follow else { return }
      // Tail the log: each new event printed as one line as soon as it is seen.
      var next = max(from, log.lastSequence + 1)
      while printed < limit && next <= to {
        fflushStandardOutput()
        if try log.refresh() < next {
          usleep(50_000)
          continue
        }
        try log.forEachEvent(from: next, through: to) { view in
          next = view.sequence + 1
          return try visit(view)
        }
        if format == .text {
          for row in rows { print(row.joined(separator: "  ")) }
          rows.removeAll()
        }
      }
    }
  }
}
