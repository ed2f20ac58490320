public import StateLog

/// Where a forked stream came from: the source stream and the exact position
/// whose state the fork started with.
public struct ForkOrigin: Codable, Hashable, Sendable {
  public var stream: String
  /// The global sequence number of the last source event the fork's first state reflects.
  public var sequence: UInt64
  /// The source stream's version at that point.
  public var version: UInt64

  public init(stream: String, sequence: UInt64, version: UInt64) {
    self.stream = stream
    self.sequence = sequence
    self.version = version
  }
}

/// The `<kind>.forked` event that starts a forked stream: its origin and the
/// state it starts with. It must be the stream's first event.
public struct Forked<State: AgentStream>: EventType, Hashable {
  public static var typeName: String { State.kind + ".forked" }
  public static var schemaVersion: UInt32 { State.stateVersion }
  public var origin: ForkOrigin
  public var state: State

  public init(origin: ForkOrigin, state: State) {
    self.origin = origin
    self.state = state
  }
}

extension AgentStream {
  /// Starts this state as a fork: the source's state under this stream's id and
  /// version, remembering the origin.
  mutating func reduceFork(_ fork: Forked<Self>) throws(AgentStateError) {
    guard version == 0 else { throw invalid("a fork event must be a stream's first event") }
    let id = self.id
    self = fork.state
    self.id = id
    self.version = 0
    self.skippedEvents = 0
    self.origin = fork.origin
  }
}

extension AgentStateStore {
  /// Forks `stream` at `point` into a new stream `<kind>/<newID>` that starts
  /// with the state at that point and records where it came from.
  ///
  /// Use it to retry a task from the checkpoint before a bad subtask, or to
  /// replay a conversation with another model. The new stream's first event is
  /// `<kind>.forked`, so its history shows its lineage.
  ///
  /// - Returns: The new stream's state.
  /// - Throws: ``AgentStateError`` with ``AgentStateError/Code/invalidTransition``
  ///   if the new stream already has events, or as ``state(ofStream:at:)``.
  @discardableResult
  public func fork(_ stream: String, at point: StatePoint, into newID: String) throws -> AnyAgentState {
    let (type, id) = try AnyAgentState.stateType(of: stream)
    return AnyAgentState(try fork(type, id: id, at: point, into: newID))
  }

  private func fork<State: AgentStream>(
    _ type: State.Type, id: String, at point: StatePoint, into newID: String
  )
    throws -> State
  {
    let source = try state(type, id: id, at: point)
    let origin = ForkOrigin(
      stream: source.state.streamID, sequence: source.sequence, version: source.state.version)
    // The fork event must be the new stream's first: appending it to a stream
    // that has events is an invalid transition.
    return try append([State.Event.forked(Forked(origin: origin, state: source.state))], to: type, id: newID)
  }
}
