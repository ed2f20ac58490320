public import StateLog

// Replay decodes these straight from the stored bytes (`EventType.init(payload:)`);
// the member names are those of the types' `CodingKeys`, and
// `PayloadDecodingTests` checks that both ways decode every event alike.

extension ConversationEvent.Started {
  public init(payload: PayloadObject) throws {
    self.init(
      agent: try payload.string("agent"), user: try payload.stringIfPresent("user"),
      title: try payload.stringIfPresent("title"), model: try payload.stringIfPresent("model"))
  }
}

extension ConversationEvent.MessageAdded {
  public init(payload: PayloadObject) throws {
    self.init(
      role: try payload.rawValue(ConversationEvent.Role.self, "role"), content: try payload.string("content"),
      name: try payload.stringIfPresent("name"),
      toolCalls: try payload.decodeIfPresent([ConversationEvent.ToolCall].self, "tool_calls"),
      toolCallID: try payload.stringIfPresent("tool_call_id"),
      tokens: try payload.objectIfPresent("tokens").map { (tokens) throws(StateLogError) in
        ConversationEvent.TokenCount(input: try tokens.int("input"), output: try tokens.int("output"))
      })
  }
}

extension ConversationEvent.Summarized {
  public init(payload: PayloadObject) throws {
    self.init(summary: try payload.string("summary"), throughMessage: try payload.int("through_message"))
  }
}

extension ConversationEvent.Feedback {
  public init(payload: PayloadObject) throws {
    self.init(
      message: try payload.int("message"), rating: try payload.double("rating"),
      comment: try payload.stringIfPresent("comment"))
  }
}

extension ConversationEvent.Ended {
  public init(payload: PayloadObject) throws {
    self.init(reason: try payload.stringIfPresent("reason"))
  }
}
