public import StateLog

/// One stream of an ``AgentStateStore``: its state now and at a point, and
/// appends of its events. Each kind adds intent-named appends
/// (``ConversationHandle``, ``TaskHandle``, ``ProfileHandle``).
public struct StreamHandle<State: AgentStream>: Sendable {
  public let store: AgentStateStore
  public let id: String

  public func state() throws -> State { try store.state(State.self, id: id) }

  public func state(at point: StatePoint) throws -> StateAtPoint<State> {
    try store.state(State.self, id: id, at: point)
  }

  @discardableResult
  public func append(_ events: State.Event...) throws -> State {
    try store.append(events, to: State.self, id: id)
  }

  /// Applies `decide`'s events with retry on conflict (``AgentStateStore/update(_:id:maximumAttempts:_:)``).
  @discardableResult
  public func update(maximumAttempts: Int = 8, _ decide: (State) throws -> [State.Event]) throws -> State {
    try store.update(State.self, id: id, maximumAttempts: maximumAttempts, decide)
  }
}

/// One conversation of an ``AgentStateStore``, with intent-named appends.
public typealias ConversationHandle = StreamHandle<ConversationState>
/// One task of an ``AgentStateStore``, with intent-named appends.
public typealias TaskHandle = StreamHandle<TaskState>
/// One user profile of an ``AgentStateStore``, with intent-named appends.
public typealias ProfileHandle = StreamHandle<ProfileState>

extension StreamHandle where State == ConversationState {
  @discardableResult
  public func start(agent: String, user: String? = nil, title: String? = nil, model: String? = nil) throws
    -> ConversationState
  {
    try append(.started(.init(agent: agent, user: user, title: title, model: model)))
  }

  @discardableResult
  public func addMessage(
    _ role: ConversationEvent.Role, _ content: String, name: String? = nil,
    toolCalls: [ConversationEvent.ToolCall]? = nil, toolCallID: String? = nil,
    tokens: ConversationEvent.TokenCount? = nil
  ) throws -> ConversationState {
    try append(
      .messageAdded(
        .init(
          role: role, content: content, name: name, toolCalls: toolCalls, toolCallID: toolCallID,
          tokens: tokens)))
  }

  @discardableResult
  public func summarize(_ summary: String, throughMessage: Int) throws -> ConversationState {
    try append(.summarized(.init(summary: summary, throughMessage: throughMessage)))
  }

  @discardableResult
  public func giveFeedback(onMessage message: Int, rating: Double, comment: String? = nil) throws
    -> ConversationState
  {
    try append(.feedback(.init(message: message, rating: rating, comment: comment)))
  }

  @discardableResult
  public func end(reason: String? = nil) throws -> ConversationState {
    try append(.ended(.init(reason: reason)))
  }
}

extension StreamHandle where State == TaskState {
  @discardableResult
  public func create(goal: String, owner: String? = nil, subtasks: [(id: String, description: String)] = [])
    throws -> TaskState
  {
    try append(
      .created(
        .init(
          goal: goal, owner: owner, subtasks: subtasks.map { .init(id: $0.id, description: $0.description) }))
    )
  }

  @discardableResult
  public func addSubtask(_ subtask: String, description: String, after: String? = nil) throws -> TaskState {
    try append(.subtaskAdded(.init(id: subtask, description: description, after: after)))
  }

  @discardableResult
  public func startSubtask(_ subtask: String, agent: String? = nil) throws -> TaskState {
    try append(.subtaskStarted(.init(id: subtask, agent: agent)))
  }

  @discardableResult
  public func completeSubtask(_ subtask: String, result: JSONValue? = nil) throws -> TaskState {
    try append(.subtaskCompleted(.init(id: subtask, result: result)))
  }

  @discardableResult
  public func failSubtask(_ subtask: String, error: String, retryable: Bool) throws -> TaskState {
    try append(.subtaskFailed(.init(id: subtask, error: error, retryable: retryable)))
  }

  @discardableResult
  public func checkpoint(_ data: JSONValue, note: String? = nil) throws -> TaskState {
    try append(.checkpointed(.init(data: data, note: note)))
  }

  @discardableResult
  public func complete(result: JSONValue? = nil) throws -> TaskState {
    try append(.completed(.init(result: result)))
  }

  @discardableResult
  public func fail(error: String) throws -> TaskState { try append(.failed(.init(error: error))) }

  @discardableResult
  public func cancel(reason: String? = nil) throws -> TaskState {
    try append(.cancelled(.init(reason: reason)))
  }
}

extension StreamHandle where State == ProfileState {
  @discardableResult
  public func setPreference(_ key: String, to value: JSONValue) throws -> ProfileState {
    try append(.preferenceSet(.init(key: key, value: value)))
  }

  @discardableResult
  public func removePreference(_ key: String) throws -> ProfileState {
    try append(.preferenceRemoved(.init(key: key)))
  }

  @discardableResult
  public func storeFact(
    _ fact: String, text: String, category: String, confidence: Double? = nil, source: String? = nil
  ) throws -> ProfileState {
    try append(
      .factStored(.init(id: fact, text: text, category: category, confidence: confidence, source: source)))
  }

  @discardableResult
  public func retractFact(_ fact: String) throws -> ProfileState {
    try append(.factRetracted(.init(id: fact)))
  }

  @discardableResult
  public func learn(_ key: String, _ value: JSONValue) throws -> ProfileState {
    try append(.contextLearned(.init(key: key, value: value)))
  }
}
