import ArgumentParser
import Glibc
import StateLog

struct AppendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "append",
    abstract: "Append JSON Lines events from stdin, durably, printing each one's position.",
    discussion: """
      Reads one event per line in the interchange format (see the README). A batch closes \
      when it is full or when input pauses, and is appended atomically; its positions are \
      printed (one JSON line per input line, in order) only once it is durable, so every \
      printed line survives a crash. A bad line is reported with its line number, nothing \
      of its batch is written, and the command exits with 8.

      Examples:
        echo '{"stream":"task/t1","type":"task.created","data":{"goal":"ship"}}' | statelog append ./log
        tail -f events.jsonl | statelog append ./log
      """
  )

  @Argument(help: "The log directory (created if missing).") var log: String
  @Option(help: "The most events in one append.") var batchSize = 100
  @Option(help: "Close a batch when no input arrives for this many milliseconds.") var pauseMilliseconds = 20
  @Option(help: "Output format: json (JSON Lines, the default) or text.") var format: OutputFormat = .json

  func validate() throws {
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    guard pauseMilliseconds >= 0 else { throw ValidationError("--pause-milliseconds must not be negative") }
  }

  func run() throws {
    try reportingFailures {
      let log = try Log.open(at: log)
      defer { try? log.close() }
      var batcher = EventBatcher(capacity: batchSize)
      var reader = LineReader(descriptor: 0)
      var number = 0
      func report(_ batch: [(line: Int, event: NewEvent, position: EventPosition)]) {
        for appended in batch {
          switch format {
          case .json:
            print(positionLine(line: appended.line, event: appended.event, position: appended.position))
          case .text:
            print(
              "line \(appended.line): seq \(appended.position.sequence), \(appended.event.stream) "
                + "v\(appended.position.streamVersion), id \(appended.event.id)")
          }
        }
        fflushStandardOutput()
      }
      while true {
        // Close the batch when input pauses, so a slow producer is not kept waiting.
        if !batcher.isEmpty && !reader.hasBufferedLine
          && !reader.waitForInput(milliseconds: pauseMilliseconds)
        {
          report(try batcher.flush(to: log))
        }
        guard let text = try reader.nextLine() else { break }
        number += 1
        if text.allSatisfy(\.isWhitespace) { continue }
        let line: InterchangeLine
        do {
          line = try InterchangeLine.parse(text, line: number)
        } catch {
          batcher.discard()
          throw error
        }
        report(try batcher.add(line, number: number, flushingTo: log))
      }
      report(try batcher.flush(to: log))
    }
  }
}

func fflushStandardOutput() {
  fflush(nil)
}

/// Reads lines from a file descriptor, and can wait for input with a timeout.
struct LineReader {
  let descriptor: Int32
  private var buffer: [UInt8] = []
  private var atEnd = false

  init(descriptor: Int32) { self.descriptor = descriptor }

  var hasBufferedLine: Bool { buffer.contains(UInt8(ascii: "\n")) || (atEnd && !buffer.isEmpty) }

  /// Whether input (or end of file) is ready within `milliseconds`.
  func waitForInput(milliseconds: Int) -> Bool {
    if atEnd { return true }
    var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
    return poll(&request, 1, Int32(milliseconds)) > 0
  }

  /// The next line without its newline, or `nil` at end of input.
  mutating func nextLine() throws -> String? {
    while true {
      if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: buffer[..<newline], as: UTF8.self)
        buffer.removeSubrange(...newline)
        return line
      }
      if atEnd {
        guard !buffer.isEmpty else { return nil }
        defer { buffer.removeAll() }
        return String(decoding: buffer, as: UTF8.self)
      }
      var chunk = [UInt8](repeating: 0, count: 1 << 16)
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw CommandFailure("cannot read input (errno \(errno))", exitCode: 7)
      }
      if count == 0 { atEnd = true } else { buffer += chunk[0..<count] }
    }
  }
}
