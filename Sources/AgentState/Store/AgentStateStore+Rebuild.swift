import Dispatch
import Glibc
import StateLog
import Synchronization

/// Every conversation, task and profile state of a log at one point.
public struct AgentStates: Hashable, Sendable {
  /// Conversation states by stream id (`conversation/<id>`).
  public var conversations: [String: ConversationState] = [:]
  /// Task states by stream id (`task/<id>`).
  public var tasks: [String: TaskState] = [:]
  /// Profile states by stream id (`profile/<id>`).
  public var profiles: [String: ProfileState] = [:]
  /// The global sequence number of the last event the states reflect.
  public var sequence: UInt64 = 0

  public init() {}

  /// How many streams there are.
  public var count: Int { conversations.count + tasks.count + profiles.count }

  /// The state of the stream with id `stream`, or `nil`.
  public subscript(stream: String) -> AnyAgentState? {
    if let state = conversations[stream] { return .conversation(state) }
    if let state = tasks[stream] { return .task(state) }
    return profiles[stream].map { .profile($0) }
  }

  /// Every stream id, sorted.
  public var streamIDs: [String] { (Array(conversations.keys) + tasks.keys + profiles.keys).sorted() }

  /// Every stream's state, sorted by stream id.
  public var all: [(stream: String, state: AnyAgentState)] {
    let states: [(stream: String, state: AnyAgentState)] =
      conversations.map { ($0.key, .conversation($0.value)) } + tasks.map { ($0.key, .task($0.value)) }
      + profiles.map { ($0.key, .profile($0.value)) }
    return states.sorted { $0.stream < $1.stream }
  }
}

extension AgentStateStore {
  /// The state of every conversation, task and profile stream at `point`,
  /// rebuilt in one pass over the log: what an agent runtime does when it
  /// starts, and what `statelog state --all` prints.
  ///
  /// Streams of other kinds are left out. If retention removed the start of
  /// the log, each stream starts from its snapshot instead
  /// (``states(ofStreams:at:)``).
  ///
  /// - Parameter point: ``StatePoint/latest``, a sequence number or a timestamp
  ///   (a stream version names a point in one stream only).
  /// - Throws: ``AgentStateError/Code/invalidArgument`` for a version point,
  ///   ``AgentStateError/Code/historyRemoved`` for a point before the retention
  ///   horizon, or errors of reading and decoding the log.
  /// - Complexity: One scan of the log up to the point, each event decoded
  ///   and applied once.
  public func allStates(at point: StatePoint = .latest) throws -> AgentStates {
    try allStates(at: point, partitions: nil)
  }

  /// ``allStates(at:)`` with `partitions` partitions of streams, one thread
  /// each, or as many as there are cores and enough events if `nil`.
  func allStates(at point: StatePoint, partitions: Int?) throws -> AgentStates {
    let limit: UInt64
    switch point {
    case .latest: limit = log.lastSequence
    case .sequence(let sequence): limit = min(sequence, log.lastSequence)
    case .timestamp(let time): limit = try sequence(atOrBefore: time)
    case .version:
      throw AgentStateError(
        .invalidArgument, "a stream version is a point in one stream; all states take a sequence or a time")
    }
    guard log.retentionHorizon <= 1 else { return try allStatesFromSnapshots(through: limit) }
    // Streams are independent, so each core rebuilds the streams of one
    // partition, reading the whole log but decoding and applying only its
    // own events: reading is cheap next to decoding and applying.
    let partitions =
      partitions
      ?? (limit < Self.eventsPerPartition
        ? 1 : min(Self.processorCount, Int(limit / Self.eventsPerPartition)))
    if partitions <= 1 { return try rebuild(through: limit, partition: 0, of: 1) }
    let results = Mutex<[Result<AgentStates, any Error>]>([])
    DispatchQueue.concurrentPerform(iterations: partitions) { partition in
      let result = Result { try rebuild(through: limit, partition: partition, of: partitions) }
      results.withLock { $0.append(result) }
    }
    var states = AgentStates()
    for result in results.withLock({ $0 }) {
      let part = try result.get()
      states.conversations.merge(part.conversations) { first, _ in first }
      states.tasks.merge(part.tasks) { first, _ in first }
      states.profiles.merge(part.profiles) { first, _ in first }
    }
    states.sequence = limit
    return states
  }

  /// Below this many events per partition, a second thread costs more than it saves.
  static var eventsPerPartition: UInt64 { 20_000 }

  static let processorCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

  /// The states of the streams in `partition` (of `count`), from one scan of
  /// the log through `limit`.
  private func rebuild(through limit: UInt64, partition: Int, of count: Int) throws -> AgentStates {
    var states = AgentStates()
    // Partitions already keep every core busy: a helper thread per scan
    // would only take turns with them.
    try events.replay(from: 1, through: limit, readAhead: count == 1) { event in
      let stream = event.stream
      guard let kind = Self.kind(of: stream, partition: partition, of: count) else { return true }
      switch kind {
      case .conversation:
        try states.conversations[stream, default: ConversationState(id: Self.id(in: stream))].apply(event)
      case .task:
        try states.tasks[stream, default: TaskState(id: Self.id(in: stream))].apply(event)
      case .profile:
        try states.profiles[stream, default: ProfileState(id: Self.id(in: stream))].apply(event)
      }
      return true
    }
    states.sequence = limit
    return states
  }

  private func allStatesFromSnapshots(through limit: UInt64) throws -> AgentStates {
    var states = AgentStates()
    let streams = log.streamIDs().filter { Self.kind(of: $0) != nil }
    for (stream, entry) in try self.states(ofStreams: streams, at: .sequence(limit)) {
      switch entry.state {
      case .conversation(let state): if state.version > 0 { states.conversations[stream] = state }
      case .task(let state): if state.version > 0 { states.tasks[stream] = state }
      case .profile(let state): if state.version > 0 { states.profiles[stream] = state }
      }
    }
    states.sequence = limit
    return states
  }

  enum Kind { case conversation, task, profile }

  /// The kind of an agent stream id, by its prefix, or `nil` for another
  /// stream or one outside `partition` (of `count`).
  static func kind(of stream: String, partition: Int = 0, of count: Int = 1) -> Kind? {
    // The first byte tells the kinds apart; the rest of the prefix is
    // compared only then. This runs for every event of a rebuild.
    var stream = stream
    return stream.withUTF8 { bytes in
      guard let first = bytes.first else { return nil }
      let kind: Kind
      let prefix: StaticString
      switch first {
      case UInt8(ascii: "c"): (kind, prefix) = (.conversation, "conversation/")
      case UInt8(ascii: "t"): (kind, prefix) = (.task, "task/")
      case UInt8(ascii: "p"): (kind, prefix) = (.profile, "profile/")
      default: return nil
      }
      let length = prefix.utf8CodeUnitCount
      guard bytes.count > length, memcmp(bytes.baseAddress!, prefix.utf8Start, length) == 0 else {
        return nil
      }
      guard count > 1 else { return kind }
      // FNV-1a of the id: cheap, and stable for the whole scan.
      var hash: UInt32 = 2_166_136_261
      for byte in bytes[length...] { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
      return Int(hash % UInt32(count)) == partition ? kind : nil
    }
  }

  static func id(in stream: String) -> String {
    String(stream[stream.index(after: stream.firstIndex(of: "/")!)...])
  }
}
