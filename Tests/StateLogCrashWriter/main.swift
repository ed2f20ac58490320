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

// Options: `--file-size-limit BYTES` sets RLIMIT_FSIZE, so that the disk is
// "full" at that size: writes past it fail with EFBIG and the writer prints
// `error: ...` and exits with 3.
let arguments = CommandLine.arguments
guard arguments.count == 2 || (arguments.count == 4 && arguments[2] == "--file-size-limit") else {
  emit("usage: StateLogCrashWriter <log-directory> [--file-size-limit BYTES]\n", to: 2)
  exit(2)
}
if arguments.count == 4 {
  guard let bytes = rlim_t(arguments[3]) else {
    emit("bad --file-size-limit \(arguments[3])\n", to: 2)
    exit(2)
  }
  // The default action of SIGXFSZ kills the process: a full disk must be an
  // error the log reports, so take the errno instead.
  signal(SIGXFSZ, SIG_IGN)
  var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
  guard setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0 else {
    emit("setrlimit failed\n", to: 2)
    exit(2)
  }
}
var options = LogOptions()
options.durability = .fsyncEveryAppend
// With a size limit, segments are larger than it, so the disk fills in the
// middle of one.
options.segmentSize = arguments.count == 4 ? 1 << 20 : 32 << 10
do {
  let log = try Log.open(at: arguments[1], options: options)
  let snapshots = SnapshotStore(log: log)
  var appends = 0
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
    appends += 1
    // Mixed work: a snapshot of one stream every few appends, pruned to the
    // newest three, so that kills also land while snapshots are written.
    if appends % 5 == 0 {
      let stream = "stream/\((appends / 5) % 5)"
      let version = log.lastVersion(of: stream)
      if version > 0, let sequence = log.sequence(ofVersion: version, inStream: stream) {
        try snapshots.write(
          Snapshot(
            stream: stream, sequence: sequence, version: version,
            timestamp: Timestamp(nanosecondsSinceEpoch: Int64(sequence)), stateVersion: 1,
            payload: Array("\(stream) at version \(version)".utf8)))
        try snapshots.prune(stream, keep: 3)
      }
    }
  }
} catch let error as StateLogError {
  emit("error: \(error)\n", to: 2)
  exit(error.code == .locked ? 4 : 3)
} catch {
  emit("error: \(error)\n", to: 2)
  exit(1)
}
