import Dispatch
public import StateLog
import Synchronization

/// Where in a stream's history to read its state.
public enum StatePoint: Hashable, Sendable {
  /// After the last event.
  case latest
  /// After the last event whose global sequence number is at most this.
  case sequence(UInt64)
  /// As the log stood at this time (``Log/sequence(atOrBefore:)``).
  case timestamp(Timestamp)
  /// After the stream's event with this version.
  case version(UInt64)
}

/// A state and the exact position in the log it reflects.
public struct StateAtPoint<State: AgentStream>: Hashable, Sendable {
  public var state: State
  /// The global sequence number of the last event applied, 0 if none.
  public var sequence: UInt64
  /// The stream version of the last event applied, 0 if none.
  public var version: UInt64 { state.version }
}

/// What agent code links: conversations, tasks and user profiles on one log,
/// appended to through intent-named methods and read at any point in time.
///
/// ```swift
/// let store = try AgentStateStore.open(at: "/var/lib/agent/state")
/// let chat = store.conversation("c1")
/// try chat.start(agent: "planner", user: "alice")
/// try chat.addMessage(.user, "Plan a weekend in Lisbon")
/// let window = try chat.state().contextWindow(tokenBudget: 4_000)
/// ```
///
/// Every append is validated against the stream's current state first (an
/// invalid transition throws ``AgentStateError`` and writes nothing) and is
/// made with the expected version of that state, so two agents writing one
/// stream cannot lose each other's updates: one gets a conflict, and
/// ``update(_:id:maximumAttempts:_:)`` re-reads and re-decides for it.
///
/// The current state of recently used streams is kept in a bounded cache that
/// appends update, so reading an active conversation's state after each turn
/// costs a dictionary lookup, not a replay. All methods are safe to call from
/// concurrent tasks.
public final class AgentStateStore: Sendable {
  /// The log and codec underneath.
  public let events: EventStore
  public var log: Log { events.log }
  /// Where state snapshots are kept.
  public let snapshots: SnapshotStore
  /// A snapshot of a stream is taken in the background each time its version
  /// passes a multiple of this; 0 turns automatic snapshots off.
  public let snapshotInterval: Int
  /// How many snapshots per stream are kept.
  public let snapshotsKept: Int
  private let cache: Mutex<StateCache>
  /// Writes snapshots off the append path, one at a time.
  private let snapshotQueue = DispatchQueue(label: "statelog.snapshots")

  /// The schema registry with every AgentState event type, plus `extra`'s
  /// registrations and upcasters (for an application's own migrations).
  public static func registry(adding extra: SchemaRegistry = SchemaRegistry()) -> SchemaRegistry {
    var registry = extra
    ProfileEvent.registerUpcasters(in: &registry)
    let kinds: [[any EventType.Type]] = [
      ConversationEvent.eventTypes, TaskEvent.eventTypes, ProfileEvent.eventTypes,
    ]
    for type in kinds.joined() where registry.currentVersion(of: type.typeName) == nil {
      registry.register(type)
    }
    return registry
  }

  /// Opens (or creates) a store on the log at `path`.
  ///
  /// - Parameters:
  ///   - options: The log's options.
  ///   - registry: Upcasters for event versions older than this code's.
  ///   - cacheCapacity: How many streams' current states to keep in memory.
  /// - Throws: ``StateLogError`` as ``Log/open(at:options:)`` does.
  ///   - snapshotInterval: Take a snapshot of a stream every this many of its
  ///     events (0: never automatically).
  ///   - snapshotsKept: Snapshots kept per stream.
  public static func open(
    at path: String, options: LogOptions = LogOptions(), registry: SchemaRegistry = SchemaRegistry(),
    cacheCapacity: Int = 1_024, snapshotInterval: Int = 1_000, snapshotsKept: Int = 3
  ) throws -> AgentStateStore {
    AgentStateStore(
      log: try Log.open(at: path, options: options), registry: registry, cacheCapacity: cacheCapacity,
      snapshotInterval: snapshotInterval, snapshotsKept: snapshotsKept)
  }

  /// A store over an open log (read-only logs can be read, not appended to).
  public init(
    log: Log, registry: SchemaRegistry = SchemaRegistry(), cacheCapacity: Int = 1_024,
    snapshotInterval: Int = 1_000,
    snapshotsKept: Int = 3
  ) {
    events = EventStore(log: log, registry: Self.registry(adding: registry))
    cache = Mutex(StateCache(capacity: cacheCapacity))
    snapshots = SnapshotStore(log: log)
    self.snapshotInterval = max(0, snapshotInterval)
    self.snapshotsKept = max(1, snapshotsKept)
  }

  /// Waits for snapshots being written in the background, then closes the log.
  public func close() throws {
    waitForSnapshots()
    try log.close()
  }

  /// Returns once every snapshot scheduled so far is written.
  public func waitForSnapshots() {
    snapshotQueue.sync {}
  }

  /// Takes a snapshot of the stream's current state now.
  ///
  /// - Returns: The snapshot's sequence, or `nil` if the stream has no events.
  @discardableResult
  public func takeSnapshot<State: AgentStream>(of type: State.Type, id: String) throws -> UInt64? {
    let state = try state(type, id: id)
    guard state.version > 0, let sequence = log.sequence(ofVersion: state.version, inStream: state.streamID)
    else {
      return nil
    }
    try writeSnapshot(state, sequence: sequence)
    return sequence
  }

  /// Takes a snapshot of the current state of the stream named `stream`.
  ///
  /// - Returns: The snapshot's sequence, or `nil` if the stream has no events.
  /// - Throws: As ``AnyAgentState/parse(_:)`` for a stream that is not an
  ///   agent stream, or as ``takeSnapshot(of:id:)``.
  @discardableResult
  public func takeSnapshot(ofStream stream: String) throws -> UInt64? {
    let (type, id) = try AnyAgentState.stateType(of: stream)
    return try takeSnapshot(of: type, id: id)
  }

  func writeSnapshot<State: AgentStream>(_ state: State, sequence: UInt64, prune: Bool = true) throws {
    let payload = BinaryPayloadCodec().encode(try JSONValueEncoder().encode(state))
    try snapshots.write(
      Snapshot(
        stream: state.streamID, sequence: sequence, version: state.version,
        timestamp: try log.event(at: sequence).timestamp, stateVersion: State.stateVersion, payload: payload))
    if prune { try snapshots.prune(state.streamID, keep: snapshotsKept) }
  }

  /// The newest usable snapshot's state at or before the limits, or an empty state.
  ///
  /// - Throws: ``AgentStateError/Code/historyRemoved`` if retention removed
  ///   events the state needs and no usable snapshot covers them.
  private func startingState<State: AgentStream>(
    _ type: State.Type, id: String, stream: String, atOrBefore sequence: UInt64 = .max, version: UInt64 = .max
  ) throws(AgentStateError) -> (state: State, sequence: UInt64) {
    // Events up to `removed` are gone; only a snapshot at or after them helps.
    let removed = log.lastRemovedVersion(of: stream)
    if let snapshot = snapshots.latest(
      of: stream, atOrBefore: sequence, version: version, stateVersion: State.stateVersion),
      snapshot.version >= removed
    {
      do {
        let state = try snapshot.payload.withUnsafeBytes {
          try BinaryPayloadCodec().decodeObject(from: $0) { try State(snapshot: $0) }
        }
        if state.version == snapshot.version { return (state, snapshot.sequence) }
        snapshots.reportUndecodable(
          snapshot, AgentStateError(.invalidArgument, "the state is at version \(state.version)"))
      } catch {
        // Derived data: replay instead, but say so.
        snapshots.reportUndecodable(snapshot, error)
      }
    }
    guard removed == 0 else {
      throw AgentStateError(
        .historyRemoved,
        "versions 1 through \(removed) were removed by retention (horizon: sequence \(log.retentionHorizon)) "
          + "and no snapshot covers the point asked for",
        stream: stream)
    }
    return (State(id: id), 0)
  }

  public func conversation(_ id: String) -> ConversationHandle { ConversationHandle(store: self, id: id) }
  public func task(_ id: String) -> TaskHandle { TaskHandle(store: self, id: id) }
  public func profile(_ id: String) -> ProfileHandle { ProfileHandle(store: self, id: id) }

  /// The current state of stream `<kind>/<id>`.
  ///
  /// - Complexity: O(1) for a cached stream that has not changed; otherwise a
  ///   replay of the events the cache has not seen.
  @_specialize(where State == ConversationState)
  @_specialize(where State == TaskState)
  @_specialize(where State == ProfileState)
  public func state<State: AgentStream>(_ type: State.Type, id: String) throws -> State {
    let stream = try Self.streamID(State.self, id)
    let cached: State? = cache.withLock { $0.state(stream) }
    let last = log.lastVersion(of: stream)
    if let cached, cached.version == last { return cached }
    // A cached state older than what retention kept cannot be brought up to date.
    let removed = log.lastRemovedVersion(of: stream)
    let usable = cached.flatMap { $0.version <= last && $0.version >= removed ? $0 : nil }
    var state = try usable ?? startingState(type, id: id, stream: stream).state
    try events.replay(inStream: stream, fromVersion: state.version + 1) { event in
      try state.apply(event)
      return true
    }
    let result = state
    cache.withLock { $0.store(result, for: stream) }
    return result
  }

  /// The state of stream `<kind>/<id>` at a point in its history.
  ///
  /// - Returns: The state and the exact position it reflects.
  /// - Complexity: A replay of the stream's events up to the point.
  @_specialize(where State == ConversationState)
  @_specialize(where State == TaskState)
  @_specialize(where State == ProfileState)
  public func state<State: AgentStream>(_ type: State.Type, id: String, at point: StatePoint) throws
    -> StateAtPoint<State>
  {
    let stream = try Self.streamID(State.self, id)
    if point == .latest {
      let state = try state(type, id: id)
      return StateAtPoint(
        state: state, sequence: log.sequence(ofVersion: state.version, inStream: stream) ?? 0)
    }
    var limitSequence = UInt64.max
    var limitVersion = UInt64.max
    switch point {
    case .latest: break
    case .sequence(let sequence): limitSequence = sequence
    case .timestamp(let time): limitSequence = try sequence(atOrBefore: time, stream: stream)
    case .version(let version):
      limitVersion = version
      // The version's sequence lets the snapshot lookup go by file name
      // instead of opening every newer snapshot to read its version.
      if let sequence = log.sequence(ofVersion: version, inStream: stream) { limitSequence = sequence }
    }
    var (state, sequence) = try startingState(
      type, id: id, stream: stream, atOrBefore: limitSequence, version: limitVersion)
    try events.replay(inStream: stream, fromVersion: state.version + 1, throughVersion: limitVersion) {
      event in
      guard event.sequence <= limitSequence else { return false }
      try state.apply(event)
      sequence = event.sequence
      return true
    }
    return StateAtPoint(state: state, sequence: sequence)
  }

  /// Validates `newEvents` against the stream's current state and appends them,
  /// expecting the version that state is at.
  ///
  /// - Returns: The state after the append.
  /// - Throws: ``AgentStateError`` with ``AgentStateError/Code/invalidTransition``
  ///   (nothing written), ``StateLogError`` with
  ///   ``StateLogError/Code/wrongExpectedVersion`` if another writer appended
  ///   first, or as ``Log/append(_:expecting:)``.
  @discardableResult
  public func append<State: AgentStream>(_ newEvents: [State.Event], to type: State.Type, id: String) throws
    -> State
  {
    try append(newEvents, to: type, id: id, after: try state(type, id: id))
  }

  private func append<State: AgentStream>(
    _ newEvents: [State.Event], to type: State.Type, id: String, after current: consuming State
  )
    throws -> State
  {
    let stream = current.streamID
    let version = current.version
    // The cache shares the state's storage: without its entry `next` is the
    // only owner, and the events change it in place rather than copying it
    // (every message of a conversation) on each append. A failed append just
    // leaves the stream out of the cache.
    cache.withLock { $0.remove(stream) }
    var next = consume current
    do throws(AgentStateError) {
      for event in newEvents { try next.apply(event, mode: .strict) }
    } catch var error {
      error.stream = stream
      throw error
    }
    let stored = try newEvents.map { try $0.newEvent(in: events, stream: stream, id: .random()) }
    let appended = try log.append(stored, expecting: [stream: .version(version)])
    let result = next
    cache.withLock { $0.store(result, for: stream) }
    let interval = UInt64(snapshotInterval)
    if interval > 0 && result.version / interval > version / interval {
      snapshotQueue.async { [self] in
        // Derived data: a snapshot that cannot be written is simply not there.
        try? writeSnapshot(result, sequence: appended.lastSequence)
      }
    }
    return result
  }

  /// Reads the stream's state, asks `decide` what to append, and appends it
  /// expecting that state's version; on a conflict with another writer it
  /// reads again and asks again.
  ///
  /// This is how several agents share one task (a blackboard) without losing
  /// updates: `decide` sees the state its events will follow.
  ///
  /// - Parameter decide: The events to append given the current state; none
  ///   means nothing to do.
  /// - Returns: The state after the append.
  /// - Throws: ``AgentStateError/Code/retriesExhausted`` if every attempt met a
  ///   conflict, or what `decide` or the append throws.
  @discardableResult
  public func update<State: AgentStream>(
    _ type: State.Type, id: String, maximumAttempts: Int = 8, _ decide: (State) throws -> [State.Event]
  ) throws -> State {
    for _ in 0..<max(1, maximumAttempts) {
      let current = try state(type, id: id)
      let decided = try decide(current)
      if decided.isEmpty { return current }
      do {
        return try append(decided, to: type, id: id, after: consume current)
      } catch let error as StateLogError where error.code == .wrongExpectedVersion {
        continue
      }
    }
    throw AgentStateError(
      .retriesExhausted, "every one of \(maximumAttempts) attempts met a concurrent update",
      stream: "\(State.kind)/\(id)")
  }

  /// The sequence of the last event at or before `time`.
  ///
  /// - Throws: ``AgentStateError/Code/historyRemoved`` for a time before the
  ///   retention horizon, the same error as for a sequence or version there.
  func sequence(atOrBefore time: Timestamp, stream: String? = nil) throws -> UInt64 {
    do {
      return try log.sequence(atOrBefore: time)
    } catch let error as StateLogError where error.code == .sequenceOutOfRange {
      throw AgentStateError(.historyRemoved, error.message, stream: stream)
    }
  }

  static func streamID<State: AgentStream>(_ type: State.Type, _ id: String) throws(AgentStateError) -> String
  {
    guard !id.isEmpty else { throw AgentStateError(.invalidArgument, "a \(State.kind) needs a non-empty id") }
    return "\(State.kind)/\(id)"
  }
}

/// The bounded cache of current states, least recently used evicted first.
struct StateCache: Sendable {
  let capacity: Int
  private var entries: [String: (state: any AgentStream, used: UInt64)] = [:]
  private var clock: UInt64 = 0

  init(capacity: Int) { self.capacity = max(0, capacity) }

  mutating func state<State: AgentStream>(_ stream: String) -> State? {
    guard let entry = entries[stream], let state = entry.state as? State else { return nil }
    clock += 1
    entries[stream]!.used = clock
    return state
  }

  mutating func store(_ state: some AgentStream, for stream: String) {
    guard capacity > 0 else { return }
    clock += 1
    if entries[stream] == nil && entries.count >= capacity,
      let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key
    {
      entries[oldest] = nil
    }
    entries[stream] = (state, clock)
  }

  mutating func remove(_ stream: String) {
    entries[stream] = nil
  }
}
