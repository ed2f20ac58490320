public import StateLog

// Time travel decodes a task's snapshot on every query: these read the
// members in place (the names are those of the `Codable` coding keys, and
// `SnapshotDecodingTests` checks that both ways decode every state alike).

extension TaskState {
  public init(snapshot: PayloadObject) throws {
    self = try Self(membersCommonToEveryKindOf: snapshot)
    status = try snapshot.rawValue(Status.self, "status")
    goal = try snapshot.stringIfPresent("goal")
    owner = try snapshot.stringIfPresent("owner")
    var subtasks: [Subtask] = []
    try snapshot.forEachObject(inArray: "subtasks") { subtasks.append(try Subtask(snapshot: $0)) }
    self.subtasks = subtasks
    if let checkpoint = try snapshot.objectIfPresent("lastCheckpoint") {
      lastCheckpoint = Checkpoint(
        data: try checkpoint.value("data"), note: try checkpoint.stringIfPresent("note"),
        version: try checkpoint.integer(UInt64.self, "version"))
    }
    errors = try snapshot.decode([String].self, "errors")
    result = try snapshot.valueIfPresent("result")
    cancellationReason = try snapshot.stringIfPresent("cancellationReason")
  }
}

extension TaskState.Subtask {
  init(snapshot: PayloadObject) throws {
    self.init(id: try snapshot.string("id"), description: try snapshot.string("description"))
    status = try snapshot.rawValue(Status.self, "status")
    attempts = try snapshot.int("attempts")
    agent = try snapshot.stringIfPresent("agent")
    result = try snapshot.valueIfPresent("result")
    error = try snapshot.stringIfPresent("error")
    retryable = try snapshot.bool("retryable")
  }
}
