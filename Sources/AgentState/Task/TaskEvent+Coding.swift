public import StateLog

extension TaskEvent: AgentEvent {
  public static let eventTypes: [any EventType.Type] = [
    Forked<TaskState>.self,
    Created.self, SubtaskAdded.self, SubtaskStarted.self, SubtaskCompleted.self, SubtaskFailed.self,
    Checkpointed.self, Completed.self, Failed.self, Cancelled.self,
  ]

  public static func forked(_ fork: Forked<TaskState>) -> Self { .fork(fork) }

  public var fork: Forked<TaskState>? {
    if case .fork(let fork) = self { return fork }
    return nil
  }

  private static let forkedTypeName = Forked<TaskState>.typeName

  public init(decoding event: some DecodableEvent) throws {
    switch event.type {
    case Created.typeName: self = .created(try event.decode(as: Created.self))
    case SubtaskAdded.typeName: self = .subtaskAdded(try event.decode(as: SubtaskAdded.self))
    case SubtaskStarted.typeName: self = .subtaskStarted(try event.decode(as: SubtaskStarted.self))
    case SubtaskCompleted.typeName: self = .subtaskCompleted(try event.decode(as: SubtaskCompleted.self))
    case SubtaskFailed.typeName: self = .subtaskFailed(try event.decode(as: SubtaskFailed.self))
    case Checkpointed.typeName: self = .checkpointed(try event.decode(as: Checkpointed.self))
    case Completed.typeName: self = .completed(try event.decode(as: Completed.self))
    case Failed.typeName: self = .failed(try event.decode(as: Failed.self))
    case Cancelled.typeName: self = .cancelled(try event.decode(as: Cancelled.self))
    case Self.forkedTypeName: self = .fork(try event.decode(as: Forked<TaskState>.self))
    default: throw Self.unknown(event)
    }
  }

  public func newEvent(in store: EventStore, stream: String, id: EventID) throws -> NewEvent {
    switch self {
    case .fork(let event): try store.newEvent(event, stream: stream, id: id)
    case .created(let event): try store.newEvent(event, stream: stream, id: id)
    case .subtaskAdded(let event): try store.newEvent(event, stream: stream, id: id)
    case .subtaskStarted(let event): try store.newEvent(event, stream: stream, id: id)
    case .subtaskCompleted(let event): try store.newEvent(event, stream: stream, id: id)
    case .subtaskFailed(let event): try store.newEvent(event, stream: stream, id: id)
    case .checkpointed(let event): try store.newEvent(event, stream: stream, id: id)
    case .completed(let event): try store.newEvent(event, stream: stream, id: id)
    case .failed(let event): try store.newEvent(event, stream: stream, id: id)
    case .cancelled(let event): try store.newEvent(event, stream: stream, id: id)
    }
  }
}
