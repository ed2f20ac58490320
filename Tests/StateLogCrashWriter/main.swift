import Glibc
import StateLog

// The child process of the crash tests: appends durably to the log at
// argv[1] until it is killed, and after each append prints `ack <sequence>`
// for the last sequence that append made durable.
//
// Event content is a pure function of the sequence number (see
// `CrashTests.expectedPayload` in the tests, which must match), so the parent
// can check every event it finds, acknowledged or not.

func payload(for sequence: UInt64) -> [UInt8] {
  let unit = "event \(sequence) of the crash workload; "
  return Array(String(repeating: unit, count: 1 + Int(sequence % 9)).utf8)
}

/// Writes straight to a descriptor: unbuffered, so an acknowledgement is in the
/// pipe before the next append starts.
func emit(_ text: String, to descriptor: Int32) {
  var text = text
  text.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
}

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
  emit("usage: StateLogCrashWriter <log-directory>\n", to: 2)
  exit(2)
}
var options = LogOptions()
options.durability = .fsyncEveryAppend
options.segmentSize = 32 << 10
do {
  let log = try Log.open(at: arguments[1], options: options)
  while true {
    let next = log.lastSequence + 1
    let count = 1 + Int(next % 4)
    let events = (0..<UInt64(count)).map { offset in
      NewEvent(
        stream: "stream/\((next + offset) % 5)", type: "crash.event",
        timestamp: Timestamp(nanosecondsSinceEpoch: Int64(next + offset)),
        payload: payload(for: next + offset))
    }
    let result = try log.append(events)
    emit("ack \(result.lastSequence)\n", to: 1)
  }
} catch {
  emit("error: \(error)\n", to: 2)
  exit(1)
}
