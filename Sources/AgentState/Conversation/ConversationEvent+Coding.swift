public import StateLog

extension ConversationEvent: AgentEvent {
  public static let eventTypes: [any EventType.Type] = [
    Forked<ConversationState>.self,
    Started.self, MessageAdded.self, Summarized.self, Feedback.self, Ended.self,
  ]

  public static func forked(_ fork: Forked<ConversationState>) -> Self { .fork(fork) }

  public var fork: Forked<ConversationState>? {
    if case .fork(let fork) = self { return fork }
    return nil
  }

  private static let forkedTypeName = Forked<ConversationState>.typeName

  public init(decoding event: some DecodableEvent) throws {
    // The most frequent type first: replay tests the cases in order.
    switch event.type {
    case MessageAdded.typeName: self = .messageAdded(try event.decode(as: MessageAdded.self))
    case Started.typeName: self = .started(try event.decode(as: Started.self))
    case Summarized.typeName: self = .summarized(try event.decode(as: Summarized.self))
    case Feedback.typeName: self = .feedback(try event.decode(as: Feedback.self))
    case Ended.typeName: self = .ended(try event.decode(as: Ended.self))
    case Self.forkedTypeName: self = .fork(try event.decode(as: Forked<ConversationState>.self))
    default: throw Self.unknown(event)
    }
  }

  public func newEvent(in store: EventStore, stream: String, id: EventID) throws -> NewEvent {
    switch self {
    case .fork(let event): try store.newEvent(event, stream: stream, id: id)
    case .started(let event): try store.newEvent(event, stream: stream, id: id)
    case .messageAdded(let event): try store.newEvent(event, stream: stream, id: id)
    case .summarized(let event): try store.newEvent(event, stream: stream, id: id)
    case .feedback(let event): try store.newEvent(event, stream: stream, id: id)
    case .ended(let event): try store.newEvent(event, stream: stream, id: id)
    }
  }
}
