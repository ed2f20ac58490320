import AgentState
import Glibc
import StateLog

// The child process of the agent-state crash tests: appends to a conversation,
// a task and a profile with snapshots every few events (written in the
// background) and, in "retention" mode, applies retention now and then, until
// it is killed. Prints `ack <sequence>` after each append returns.
//
//   AgentStateCrashWorker <log-directory> snapshots|retention

func emit(_ text: String) {
  var line = text + "\n"
  line.withUTF8 { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, ["snapshots", "retention"].contains(arguments[2]) else {
  emit("usage: AgentStateCrashWorker <log-directory> snapshots|retention")
  exit(2)
}
let retention = arguments[2] == "retention"
do {
  var options = LogOptions()
  options.durability = .fsyncEveryAppend
  options.segmentSize = 8 << 10
  let store = try AgentStateStore.open(
    at: arguments[1], options: options, snapshotInterval: 5, snapshotsKept: 2)
  let task = store.task("t")
  if try task.state().status == .new { try task.create(goal: "endless") }
  while true {
    let sequence = store.log.lastSequence + 1
    switch sequence % 3 {
    case 0: try store.conversation("c").addMessage(.user, "message \(sequence)")
    case 1: try task.addSubtask("s\(sequence)", description: "step \(sequence)")
    default: try store.profile("p").setPreference("counter.value", to: .int(Int64(sequence)))
    }
    emit("ack \(store.log.lastSequence)")
    if retention && sequence % 40 == 0 && sequence > 120 {
      try store.applyRetention(before: sequence - 100)
    }
  }
} catch {
  emit("error: \(error)")
  exit(1)
}
