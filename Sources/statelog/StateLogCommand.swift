import ArgumentParser
import StateLog

@main
struct StateLogCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "statelog",
    abstract: "Inspect, verify and travel in time through a StateLog event log.",
    discussion: """
      Exit codes: 0 success; 1 a problem was found (verify) or an unexpected error; \
      2 bad usage; 3 no such log or not a StateLog log; 4 locked by another writer; \
      5 corruption; 6 newer format version; 7 I/O failure; 8 invalid argument (a bad --at); \
      9 unknown stream; 10 conflict (a wrong expected version or a reused event id); \
      11 before the retention horizon.
      """,
    subcommands: [
      DemoCommand.self, InfoCommand.self, VerifyCommand.self, StreamsCommand.self, EventsCommand.self,
      StateCommand.self, HistoryCommand.self, DiffCommand.self, AppendCommand.self, ImportCommand.self,
      ExportCommand.self,
      RecoverCommand.self, SnapshotCommand.self, CompactCommand.self,
    ]
  )
}
