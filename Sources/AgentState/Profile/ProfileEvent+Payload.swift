public import StateLog

// Replay decodes these straight from the stored bytes (`EventType.init(payload:)`);
// the member names are those of the types' `CodingKeys`, and
// `PayloadDecodingTests` checks that both ways decode every event alike.

extension ProfileEvent.PreferenceSet {
  public init(payload: PayloadObject) throws {
    self.init(key: try payload.string("key"), value: try payload.value("value"))
  }
}

extension ProfileEvent.PreferenceRemoved {
  public init(payload: PayloadObject) throws {
    self.init(key: try payload.string("key"))
  }
}

extension ProfileEvent.FactStored {
  public init(payload: PayloadObject) throws {
    self.init(
      id: try payload.string("id"), text: try payload.string("text"),
      category: try payload.string("category"),
      confidence: try payload.doubleIfPresent("confidence"), source: try payload.stringIfPresent("source"))
  }
}

extension ProfileEvent.FactRetracted {
  public init(payload: PayloadObject) throws {
    self.init(id: try payload.string("id"))
  }
}

extension ProfileEvent.PreferencesUpdated {
  public init(payload: PayloadObject) throws {
    let usage = try payload.object("token_usage")
    self.init(
      preferences: try payload.decode([String: JSONValue].self, "preferences"),
      tokenUsage: TokenUsage(total: try usage.int("total"), session: try usage.int("session")))
  }
}

extension ProfileEvent.ContextLearned {
  public init(payload: PayloadObject) throws {
    self.init(key: try payload.string("key"), value: try payload.value("value"))
  }
}
