public import StateLog

/// The state of any agent stream, for code that gets stream ids as text (the
/// CLI, an import): `conversation/…`, `task/…` or `profile/…`.
public enum AnyAgentState: Hashable, Sendable {
  case conversation(ConversationState)
  case task(TaskState)
  case profile(ProfileState)

  /// The kind and id of a stream id.
  ///
  /// - Throws: ``AgentStateError/Code/unknownStreamKind`` for any other prefix,
  ///   ``AgentStateError/Code/invalidArgument`` for an empty id.
  public static func parse(_ stream: String) throws(AgentStateError) -> (kind: String, id: String) {
    guard let slash = stream.firstIndex(of: "/") else {
      throw AgentStateError(.unknownStreamKind, "stream \(stream) has no kind prefix", stream: stream)
    }
    let kind = String(stream[..<slash])
    let id = String(stream[stream.index(after: slash)...])
    guard [ConversationState.kind, TaskState.kind, ProfileState.kind].contains(kind) else {
      throw AgentStateError(
        .unknownStreamKind, "unknown stream kind \"\(kind)\" (expected conversation, task or profile)",
        stream: stream)
    }
    guard !id.isEmpty else {
      throw AgentStateError(.invalidArgument, "stream \(stream) has an empty id", stream: stream)
    }
    return (kind, id)
  }

  /// The stream version of the last event applied.
  public var version: UInt64 {
    switch self {
    case .conversation(let state): state.version
    case .task(let state): state.version
    case .profile(let state): state.version
    }
  }

  /// The state as a JSON-compatible value (what `statelog state` prints).
  public func jsonValue() throws -> JSONValue {
    switch self {
    case .conversation(let state): try JSONValueEncoder().encode(state)
    case .task(let state): try JSONValueEncoder().encode(state)
    case .profile(let state): try JSONValueEncoder().encode(state)
    }
  }
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
    let (kind, id) = try AnyAgentState.parse(stream)
    switch kind {
    case ConversationState.kind:
      let result = try state(ConversationState.self, id: id, at: point)
      return (.conversation(result.state), result.sequence)
    case TaskState.kind:
      let result = try state(TaskState.self, id: id, at: point)
      return (.task(result.state), result.sequence)
    default:
      let result = try state(ProfileState.self, id: id, at: point)
      return (.profile(result.state), result.sequence)
    }
  }
}
