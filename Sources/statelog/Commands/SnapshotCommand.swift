import AgentState
import ArgumentParser
import StateLog

struct SnapshotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "snapshot",
    abstract: "Take, list and prune state snapshots.",
    discussion: """
      Snapshots are derived data that make time travel fast; deleting them loses nothing.

      Examples:
        statelog snapshot take ./agent-log                       # every conversation, task and profile
        statelog snapshot take ./agent-log --stream task/book-trip
        statelog snapshot list ./agent-log --format json
        statelog snapshot prune ./agent-log --keep 1
      """,
    subcommands: [Take.self, List.self, Prune.self]
  )

  /// The agent streams to work on: those given, or every conversation, task and profile.
  static func streams(_ given: [String], in log: Log) throws -> [String] {
    if !given.isEmpty {
      for stream in given { _ = try AnyAgentState.parse(stream) }
      return given
    }
    return log.streamIDs().filter { (try? AnyAgentState.parse($0)) != nil }
  }

  struct Take: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Snapshot streams' current state now.")
    @Argument(help: "The log directory.") var log: String
    @Option(help: "Only this stream (repeatable).") var stream: [String] = []
    @Option(help: "Output format: text or json (JSON Lines).") var format: OutputFormat = .text

    func run() throws {
      try reportingFailures {
        let store = AgentStateStore(log: try Log.open(at: log, options: existingLogOptions()))
        defer { try? store.close() }
        var taken = 0
        for stream in try SnapshotCommand.streams(stream, in: store.log) {
          if let sequence = try store.takeSnapshot(ofStream: stream) {
            switch format {
            case .json: print(jsonString(["stream": stream, "sequence": sequence]))
            case .text: print("\(stream): snapshot at sequence \(sequence)")
            }
            taken += 1
          }
        }
        if format == .text { print("took \(taken) snapshots") }
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List each stream's snapshots.")
    @Argument(help: "The log directory.") var log: String
    @Option(help: "Only this stream (repeatable).") var stream: [String] = []
    @Option(help: "Output format: text or json (JSON Lines).") var format: OutputFormat = .text

    func run() throws {
      try reportingFailures {
        let log = try Log.openReadOnly(at: log)
        let snapshots = SnapshotStore(log: log)
        var rows: [[String]] = []
        for stream in try SnapshotCommand.streams(stream, in: log) {
          let sequences = try snapshots.sequences(of: stream)
          guard !sequences.isEmpty else { continue }
          switch format {
          case .json: print(jsonString(["stream": stream, "sequences": sequences]))
          case .text: rows.append([stream, sequences.map(String.init).joined(separator: ", ")])
          }
        }
        if format == .text { print(table(["stream", "snapshot sequences"], rows)) }
      }
    }
  }

  struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Keep only each stream's newest snapshots.")
    @Argument(help: "The log directory.") var log: String
    @Option(help: "How many to keep per stream.") var keep = 1
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text

    func validate() throws {
      guard keep >= 0 else { throw ValidationError("--keep must not be negative") }
    }

    func run() throws {
      try reportingFailures {
        let log = try Log.open(at: log, options: existingLogOptions())
        defer { try? log.close() }
        let snapshots = SnapshotStore(log: log)
        var removed = 0
        for stream in try snapshots.streams() {
          let before = try snapshots.sequences(of: stream).count
          try snapshots.prune(stream, keep: keep)
          removed += before - (try snapshots.sequences(of: stream).count)
        }
        switch format {
        case .json: print(jsonString(["removed": removed]))
        case .text: print("removed \(removed) snapshots")
        }
      }
    }
  }
}
