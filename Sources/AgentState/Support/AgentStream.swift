public import StateLog

/// One kind of agent state: its stream prefix, its event vocabulary and its reducer.
///
/// Reducers are pure: ``apply(_:mode:)`` changes only the state value. In
/// ``ApplyMode/strict`` mode (used before appending) an event that does not fit
/// the state throws ``AgentStateError/Code/invalidTransition`` and nothing is
/// written. In ``ApplyMode/lenient`` mode (used when replaying) such an event,
/// which another writer may have stored, changes nothing but is counted in
/// ``skippedEvents``, so replay never fails on it.
public protocol AgentStream: Codable, Hashable, Sendable {
  associatedtype Event: AgentEvent where Event.State == Self
  /// The stream kind: `"conversation"`, `"task"` or `"profile"`.
  static var kind: String { get }
  /// The version of the state's own shape, stored with snapshots.
  static var stateVersion: UInt32 { get }
  /// An empty state of the stream `<kind>/<id>`.
  init(id: String)
  /// The id after the kind prefix.
  var id: String { get set }
  /// Where the stream was forked from, if it was.
  var origin: ForkOrigin? { get set }
  /// The stream version of the last event applied (0 for none).
  var version: UInt64 { get set }
  /// Events that did not fit the state when replayed, and were skipped.
  var skippedEvents: Int { get set }
  /// Applies one event's change (the reducer), without touching ``version``.
  ///
  /// A reducer checks everything before it changes anything, so when it throws
  /// the state is as it was: ``apply(_:mode:)`` relies on that to reduce in
  /// place, since copying a state with thousands of messages per event would
  /// make replay quadratic.
  mutating func reduce(_ event: Event) throws(AgentStateError)
  /// Decodes a snapshot of the state in place, from the root object of its
  /// payload. The default goes through `Decodable`; a state whose snapshots
  /// are read on every time-travel query may read its members directly.
  init(snapshot: PayloadObject) throws
}

extension AgentStream {
  public init(snapshot: PayloadObject) throws {
    self = try snapshot.decode(as: Self.self)
  }

  /// An empty state carrying the members every kind has (id, version,
  /// skipped events, origin), read in place from a snapshot: where the
  /// in-place snapshot decoders start before reading their own members.
  init(membersCommonToEveryKindOf snapshot: PayloadObject) throws {
    self.init(id: try snapshot.string("id"))
    version = try snapshot.integer(UInt64.self, "version")
    skippedEvents = try snapshot.int("skippedEvents")
    origin = try snapshot.decodeIfPresent(ForkOrigin.self, "origin")
  }
}

/// How a reducer treats an event that does not fit the state.
public enum ApplyMode: Sendable {
  /// Throw ``AgentStateError/Code/invalidTransition``.
  case strict
  /// Skip it and count it in ``AgentStream/skippedEvents``.
  case lenient
}

extension AgentStream {
  /// The stream id, `<kind>/<id>`.
  public var streamID: String { "\(Self.kind)/\(id)" }

  /// Applies `event`, which is the stream's next version.
  public mutating func apply(_ event: Event, mode: ApplyMode) throws(AgentStateError) {
    do {
      if let fork = event.fork { try reduceFork(fork) } else { try reduce(event) }
      version += 1
    } catch {
      guard mode == .lenient else { throw error }
      version += 1
      skippedEvents += 1
    }
  }

  /// Applies a stored event, decoding it first; used by replay.
  public mutating func apply(_ event: some DecodableEvent) throws {
    guard event.streamVersion == version + 1 else {
      throw AgentStateError(
        .historyRemoved, "event version \(event.streamVersion) does not follow state version \(version)",
        stream: event.stream)
    }
    try apply(try Event(decoding: event), mode: .lenient)
  }
}

/// A stream kind's event vocabulary: typed events that decode from and encode
/// to stored events.
public protocol AgentEvent: Hashable, Sendable {
  associatedtype State: AgentStream
  /// The event that starts a forked stream.
  static func forked(_ fork: Forked<State>) -> Self
  /// The fork this event carries, if it is one.
  var fork: Forked<State>? { get }
  /// Decodes a stored (and upcast) event of this vocabulary.
  init(decoding event: some DecodableEvent) throws
  /// The event as something ``EventStore`` can append.
  func newEvent(in store: EventStore, stream: String, id: EventID) throws -> NewEvent
  /// Every type of the vocabulary, for the schema registry.
  static var eventTypes: [any EventType.Type] { get }
}

extension AgentEvent {
  static func unknown(_ event: some DecodableEvent) -> AgentStateError {
    AgentStateError(.unknownEventType, "event \(event.sequence) has type \(event.type)", stream: event.stream)
  }
}

func invalid(_ message: String) -> AgentStateError {
  AgentStateError(.invalidTransition, message)
}
