import ArgumentParser
import Glibc
import StateLog

struct ImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Bulk-load a JSON Lines file of events into a log.",
    discussion: """
      The file is in the interchange format (see the README); `statelog export` writes it. \
      Events are appended in batches; a bad line stops the import with its line number, \
      after the batches before it.

      Examples:
        statelog import ./new-log backup.jsonl
      """
  )

  @Argument(help: "The log directory (created if missing).") var log: String
  @Argument(help: "The JSON Lines file.") var file: String
  @Option(help: "Events per append.") var batchSize = 1_000
  @Option(help: "Output format: text or json.") var format: OutputFormat = .text

  func run() throws {
    try reportingFailures {
      let descriptor = open(file, O_RDONLY | O_CLOEXEC)
      guard descriptor >= 0 else { throw CommandFailure("cannot open \(file) (errno \(errno))", exitCode: 3) }
      defer { close(descriptor) }
      let log = try Log.open(at: log)
      defer { try? log.close() }
      var batcher = EventBatcher(capacity: batchSize)
      var reader = LineReader(descriptor: descriptor)
      var number = 0
      var imported = 0
      while let text = try reader.nextLine() {
        number += 1
        if text.allSatisfy(\.isWhitespace) { continue }
        let line = try InterchangeLine.parse(text, line: number)
        imported += try batcher.add(line, number: number, flushingTo: log).count
      }
      imported += try batcher.flush(to: log).count
      try log.close()
      switch format {
      case .json: print(jsonString(["imported": imported, "lines": number, "log": self.log]))
      case .text: print("imported \(imported) events from \(number) lines into \(self.log)")
      }
    }
  }
}

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Dump events as JSON Lines, exactly as stored (an exact backup).",
    discussion: """
      Each line has seq, stream, version, type, schema_version (as written, not upcast), \
      time, id and data; importing the output into a new log reproduces identical states.

      Examples:
        statelog export ./log > backup.jsonl
        statelog export ./log --stream task/t1 --stream conversation/c1
        statelog export ./log --format text      # a readable listing, not a backup
      """
  )

  @Argument(help: "The log directory.") var log: String
  @Option(help: "Only these streams (repeatable).") var stream: [String] = []
  @Option(help: "json (JSON Lines, the interchange format; the default) or text (a listing).")
  var format: OutputFormat = .json

  func run() throws {
    try reportingFailures {
      let log = try Log.openReadOnly(at: log)
      let wanted = Set(stream)
      var rows: [[String]] = []
      try log.forEachEvent { view in
        guard wanted.isEmpty || wanted.contains(view.stream) else { return true }
        let event = try view.recordedEvent()
        switch format {
        case .json: print(InterchangeLine.exportLine(event))
        case .text:
          rows.append([
            String(event.sequence), event.timestamp.description, event.stream, String(event.streamVersion),
            "\(event.type) v\(event.schemaVersion)", summary(event.payload),
          ])
        }
        return true
      }
      if format == .text { print(table(["seq", "time", "stream", "ver", "type", "data (as stored)"], rows)) }
    }
  }
}

struct RecoverCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recover",
    abstract: "Open a damaged log with salvage and report what was truncated or moved aside.",
    discussion: """
      Torn tails are truncated; unreadable data elsewhere is moved aside to .corrupt files \
      (never deleted), and the log keeps the sound prefix. Takes the writer's lock.

      Examples:
        statelog recover ./log
      """
  )

  @Argument(help: "The log directory.") var log: String
  @Option(help: "Output format: text or json.") var format: OutputFormat = .text

  func run() throws {
    try reportingFailures {
      var options = existingLogOptions()
      options.salvage = true
      let log = try Log.open(at: log, options: options)
      let report = log.recoveryReport
      let last = log.lastSequence
      try log.close()
      switch format {
      case .json:
        print(
          jsonString([
            "clean": report.isClean, "truncated_file": report.truncatedFile ?? "",
            "truncated_bytes": report.truncatedBytes, "dropped_events": report.droppedEvents,
            "moved_aside": report.movedAside, "rebuilt_indexes": report.rebuiltIndexes,
            "removed_files": report.removedFiles, "last_sequence": last,
          ]))
      case .text:
        print("\(report.isClean ? "clean" : report.description); the log now ends at sequence \(last)")
      }
    }
  }
}
