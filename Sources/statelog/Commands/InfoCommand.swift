import ArgumentParser
import Foundation
import StateLog

struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Summarise a log: events, streams, segments and time range.",
    discussion: """
      Examples:
        statelog info ./agent-log
        statelog info ./agent-log --format json
      """
  )

  @Argument(help: "The log directory.") var log: String
  @Option(help: "Output format: text or json.") var format: OutputFormat = .text

  func run() throws {
    try reportingFailures {
      let log = try Log.openReadOnly(at: log)
      let info = try log.information()
      let snapshots = try SnapshotStore(log: log).verify().checked
      let kinds = Dictionary(grouping: log.streamIDs()) {
        $0.split(separator: "/").first.map(String.init) ?? ""
      }
      .mapValues(\.count)
      switch format {
      case .json:
        print(
          jsonString([
            "directory": log.directory, "events": info.eventCount, "first_sequence": info.firstSequence,
            "last_sequence": info.lastSequence, "first_time": info.firstTimestamp?.description ?? NSNull(),
            "last_time": info.lastTimestamp?.description ?? NSNull(), "segments": info.segmentCount,
            "bytes": info.bytesOnDisk, "streams": kinds, "format_version": info.formatVersion,
            "snapshots": snapshots,
          ]))
      case .text:
        print(
          table(
            ["field", "value"],
            [
              ["directory", log.directory], ["format version", String(info.formatVersion)],
              ["events", String(info.eventCount)],
              ["sequences", info.eventCount == 0 ? "-" : "\(info.firstSequence) … \(info.lastSequence)"],
              ["time", info.firstTimestamp.map { "\($0) … \(info.lastTimestamp!)" } ?? "-"],
              ["segments", String(info.segmentCount)], ["bytes on disk", String(info.bytesOnDisk)],
              ["snapshots", String(snapshots)],
              [
                "streams",
                kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "),
              ],
            ]))
      }
    }
  }
}
