public import StateLog

// Time travel decodes a profile's snapshot on every query: these read the
// members in place (the names are those of the `Codable` coding keys, and
// `SnapshotDecodingTests` checks that both ways decode every state alike).

extension ProfileState {
  public init(snapshot: PayloadObject) throws {
    self = try Self(membersCommonToEveryKindOf: snapshot)
    preferences = try snapshot.value("preferences")
    var facts: [String: Fact] = [:]
    try snapshot.forEachObject(inObject: "facts") { id, fact in facts[id] = try Fact(payload: fact) }
    self.facts = facts
    context = try snapshot.dictionary("context")
  }
}
