public import StateLog

/// The state of any agent stream, for code that gets stream ids as text (the
/// CLI, an import): `conversation/…`, `task/…` or `profile/…`.
public enum AnyAgentState: Hashable, Sendable {
  case conversation(ConversationState)
  case task(TaskState)
  case profile(ProfileState)

  /// The three kinds of agent state, the one table of them.
  static let types: [any AgentStream.Type] = [ConversationState.self, TaskState.self, ProfileState.self]

  /// Wraps a state of one of the three ``types``.
  init(_ state: any AgentStream) {
    switch state {
    case let state as ConversationState: self = .conversation(state)
    case let state as TaskState: self = .task(state)
    case let state as ProfileState: self = .profile(state)
    default: preconditionFailure("\(type(of: state)) is not one of AnyAgentState.types")
    }
  }

  /// The state, whatever its kind.
  var value: any AgentStream {
    switch self {
    case .conversation(let state): state
    case .task(let state): state
    case .profile(let state): state
    }
  }

  /// The kind and id of a stream id.
  ///
  /// - Throws: ``AgentStateError/Code/unknownStreamKind`` for any other prefix,
  ///   ``AgentStateError/Code/invalidArgument`` for an empty id.
  public static func parse(_ stream: String) throws(AgentStateError) -> (kind: String, id: String) {
    let (type, id) = try stateType(of: stream)
    return (type.kind, id)
  }

  /// The state type and id of a stream id, with the errors of ``parse(_:)``.
  static func stateType(of stream: String) throws(AgentStateError) -> (type: any AgentStream.Type, id: String)
  {
    guard let slash = stream.firstIndex(of: "/") else {
      throw AgentStateError(.unknownStreamKind, "stream \(stream) has no kind prefix", stream: stream)
    }
    let kind = stream[..<slash]
    let id = String(stream[stream.index(after: slash)...])
    guard let type = types.first(where: { $0.kind == kind }) else {
      throw AgentStateError(
        .unknownStreamKind, "unknown stream kind \"\(kind)\" (expected conversation, task or profile)",
        stream: stream)
    }
    guard !id.isEmpty else {
      throw AgentStateError(.invalidArgument, "stream \(stream) has an empty id", stream: stream)
    }
    return (type, id)
  }

  /// The stream version of the last event applied.
  public var version: UInt64 { value.version }

  /// The state as a JSON-compatible value (what `statelog state` prints).
  public func jsonValue() throws -> JSONValue { try JSONValueEncoder().encode(value) }
}

extension AgentStateStore {
  /// The state of the stream named `stream` at `point`.
  ///
  /// - Returns: The state and the global sequence number of the last event it reflects.
  /// - Throws: ``AgentStateError/Code/unknownStreamKind`` for a stream that is
  ///   not a conversation, task or profile, or as ``state(_:id:at:)``.
  public func state(ofStream stream: String, at point: StatePoint = .latest) throws -> (
    state: AnyAgentState, sequence: UInt64
  ) {
    let (type, id) = try AnyAgentState.stateType(of: stream)
    return try anyState(type, id: id, at: point)
  }

  private func anyState<State: AgentStream>(_ type: State.Type, id: String, at point: StatePoint) throws -> (
    state: AnyAgentState, sequence: UInt64
  ) {
    let result = try state(type, id: id, at: point)
    return (AnyAgentState(result.state), result.sequence)
  }
}
