import ArgumentParser
import Glibc
import StateLog

struct VerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check every checksum, record, footer and index of a log.",
    discussion: """
      Exits with 0 only if the log is sound; otherwise lists each problem (file and offset) \
      and exits with 1. Safe to run while an agent is writing the log.

      Examples:
        statelog verify ./agent-log
        statelog verify ./agent-log --format json
      """
  )

  @Argument(help: "The log directory.") var log: String
  @Option(help: "Output format: text or json.") var format: OutputFormat = .text

  func run() throws {
    var sound = true
    try reportingFailures {
      let log = try Log.openReadOnly(at: log)
      let showProgress = isatty(2) != 0
      var report = try log.verify { done, total in
        guard showProgress, total > 0 else { return }
        let width = 30
        let filled = Int(Double(done) / Double(total) * Double(width))
        writeProgress(
          "verifying [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done * 100 / total)%"
        )
      }
      if showProgress { writeProgress("") }
      let snapshots = try SnapshotStore(log: log).verify()
      report.problems += snapshots.problems
      sound = report.isSound
      switch format {
      case .json:
        print(
          jsonString([
            "sound": report.isSound, "segments": report.segments, "batches": report.batches,
            "events": report.events, "bytes": report.bytes, "indexes": report.indexes,
            "snapshots": snapshots.checked,
            "problems": report.problems.map {
              ["file": $0.file ?? "", "offset": $0.offset ?? 0, "message": $0.message]
            },
          ]))
      case .text:
        print(
          "\(report.isSound ? "sound" : "DAMAGED"): \(report.segments) segments, \(report.batches) batches, "
            + "\(report.events) events, \(report.bytes) bytes, \(report.indexes) index files, "
            + "\(snapshots.checked) snapshots checked")
        for problem in report.problems { print("  problem: \(problem)") }
      }
    }
    if !sound { throw ExitCode(1) }
  }

  private func writeProgress(_ text: String) {
    var line = "\r\u{1B}[2K" + text
    line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
  }
}
