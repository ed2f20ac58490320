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
      let snapshots = try SnapshotStore(log: log).count()
      let compression = try log.compressionStatistics()
      let ratio = compression.stored == 0 ? 1 : Double(compression.uncompressed) / Double(compression.stored)
      let ratioText = String(Int((ratio * 100).rounded())).paddedRatio
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
            "snapshots": snapshots, "compression_ratio": ratio,
            "uncompressed_body_bytes": compression.uncompressed, "stored_body_bytes": compression.stored,
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
                "compression",
                "\(ratioText)x (\(compression.uncompressed) bytes of records in \(compression.stored))",
              ],
              [
                "streams",
                kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "),
              ],
            ]))
      }
    }
  }
}

extension String {
  /// "257" as "2.57": a ratio kept to two decimals without Foundation formatting.
  fileprivate var paddedRatio: String {
    let digits = count < 3 ? String(repeating: "0", count: 3 - count) + self : self
    return String(digits.dropLast(2)) + "." + String(digits.suffix(2))
  }
}
