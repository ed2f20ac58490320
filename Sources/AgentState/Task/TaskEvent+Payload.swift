public import StateLog

// Replay decodes these straight from the stored bytes (`EventType.init(payload:)`);
// the member names are those of the types' `CodingKeys`, and
// `PayloadDecodingTests` checks that both ways decode every event alike.

extension TaskEvent.Created {
  public init(payload: PayloadObject) throws {
    self.init(
      goal: try payload.string("goal"), owner: try payload.stringIfPresent("owner"),
      subtasks: try payload.decodeIfPresent([TaskEvent.SubtaskSpec].self, "subtasks"))
  }
}

extension TaskEvent.SubtaskAdded {
  public init(payload: PayloadObject) throws {
    self.init(
      id: try payload.string("id"), description: try payload.string("description"),
      after: try payload.stringIfPresent("after"))
  }
}

extension TaskEvent.SubtaskStarted {
  public init(payload: PayloadObject) throws {
    self.init(id: try payload.string("id"), agent: try payload.stringIfPresent("agent"))
  }
}

extension TaskEvent.SubtaskCompleted {
  public init(payload: PayloadObject) throws {
    self.init(id: try payload.string("id"), result: try payload.valueIfPresent("result"))
  }
}

extension TaskEvent.SubtaskFailed {
  public init(payload: PayloadObject) throws {
    self.init(
      id: try payload.string("id"), error: try payload.string("error"),
      retryable: try payload.bool("retryable"))
  }
}

extension TaskEvent.Checkpointed {
  public init(payload: PayloadObject) throws {
    self.init(data: try payload.value("data"), note: try payload.stringIfPresent("note"))
  }
}

extension TaskEvent.Completed {
  public init(payload: PayloadObject) throws {
    self.init(result: try payload.valueIfPresent("result"))
  }
}

extension TaskEvent.Failed {
  public init(payload: PayloadObject) throws {
    self.init(error: try payload.string("error"))
  }
}

extension TaskEvent.Cancelled {
  public init(payload: PayloadObject) throws {
    self.init(reason: try payload.stringIfPresent("reason"))
  }
}
