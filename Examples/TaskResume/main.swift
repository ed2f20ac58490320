import AgentState
import Glibc
import StateLog

// Works through a task of many subtasks, checkpointing after each, so that if
// it is killed (even with SIGKILL) and started again it resumes at the first
// unfinished subtask and repeats no completed one.
//
//   task-resume-example <log-directory> <subtask-count>
//
// Each subtask's result depends on the checkpoint before it (a running sum),
// so a resumed run that skipped or repeated work would end in another state.

func emit(_ line: String) {
  var text = line + "\n"
  text.withUTF8 { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[2]), count > 0 else {
  emit("usage: task-resume-example <log-directory> <subtask-count>")
  exit(2)
}
do {
  var options = LogOptions()
  options.durability = .fsyncEveryAppend
  let store = try AgentStateStore.open(at: arguments[1], options: options)
  let task = store.task("resume-demo")
  var state = try task.state()
  if state.status == .new {
    state = try task.create(
      goal: "Sum the first \(count) squares", owner: "example",
      subtasks: (1...count).map { ("step-\($0)", "add \($0) squared") })
  }
  emit(
    "resuming at \(state.nextSubtask?.id ?? "the end") (\(state.progress.done) of \(state.progress.total) done)"
  )
  while let next = state.nextSubtask {
    // A subtask interrupted while running was started already: its work is
    // redone, but it is the same attempt.
    if next.status != .running { state = try task.startSubtask(next.id, agent: "example") }
    let sum = state.lastCheckpoint?.data["sum"]?.intValue ?? 0
    let number = Int64(next.id.dropFirst("step-".count))!
    let newSum = sum + number * number
    // The result and the checkpoint go in one append: both or neither survive a crash.
    state = try task.append(
      .subtaskCompleted(.init(id: next.id, result: .int(newSum))),
      .checkpointed(
        .init(data: ["sum": .int(newSum), "through": .string(next.id)], note: "after \(next.id)")))
    emit("done \(next.id) sum \(newSum)")
  }
  if !state.status.isFinished { state = try task.complete(result: state.lastCheckpoint?.data["sum"]) }
  emit("finished: \(state.result?.description ?? "-")")
  try store.close()
} catch {
  emit("error: \(error)")
  exit(1)
}
