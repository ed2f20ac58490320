public import StateLog

// The current state of a conversation is its snapshot plus a few events, and a
// snapshot holds every message: decoding it through `Codable` cost about 2 µs a
// message (1.9 ms for 1,000). These read the members in place, messages and
// feedback with the events' own payload decoders (a message in a snapshot is
// encoded as its `message_added` event is); `SnapshotDecodingTests` checks that
// both ways decode every state alike.

extension ConversationState {
  public init(snapshot: PayloadObject) throws {
    self = try Self(membersCommonToEveryKindOf: snapshot)
    status = try snapshot.rawValue(Status.self, "status")
    agent = try snapshot.stringIfPresent("agent")
    user = try snapshot.stringIfPresent("user")
    title = try snapshot.stringIfPresent("title")
    model = try snapshot.stringIfPresent("model")
    var messages: [Message] = []
    try snapshot.forEachObject(inArray: "messages") { messages.append(try Message(payload: $0)) }
    self.messages = messages
    var summaries: [Summary] = []
    try snapshot.forEachObject(inArray: "summaries") {
      summaries.append(Summary(text: try $0.string("text"), throughMessage: try $0.int("throughMessage")))
    }
    self.summaries = summaries
    var feedback: [Feedback] = []
    try snapshot.forEachObject(inArray: "feedback") { feedback.append(try Feedback(payload: $0)) }
    self.feedback = feedback
    endReason = try snapshot.stringIfPresent("endReason")
  }
}
