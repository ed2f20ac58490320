import StateLog
import TestSupport
import Testing

@testable import AgentState

@Suite("Rebuilding every state")
struct RebuildTests {
  /// A store with 400 random events over five conversations, tasks and
  /// profiles, plus events of streams that are not agent streams.
  static func filledStore(_ directory: TemporaryDirectory, seed: UInt64) throws -> AgentStateStore {
    let store = try StoreTests.store(at: directory.path)
    var generator = SeededGenerator(seed: seed)
    for step in 0..<400 {
      try StoreTests.randomStep(store, &generator, suffix: String(Int.random(in: 0..<5, using: &generator)))
      if step % 50 == 0 {
        for stream in ["other/x", "cx/1", "task/"] {
          try store.log.append([NewEvent(stream: stream, type: "other.event", payload: [1, 2, 3])])
        }
      }
    }
    return store
  }

  /// Every agent stream's state at `point`, one stream at a time.
  static func oneByOne(_ store: AgentStateStore, at point: StatePoint) throws -> [String: AnyAgentState] {
    let streams = store.log.streamIDs().filter { AgentStateStore.kind(of: $0) != nil }
    return try store.states(ofStreams: streams, at: point).compactMapValues {
      $0.state.version > 0 ? $0.state : nil
    }
  }

  static func flattened(_ states: AgentStates) -> [String: AnyAgentState] {
    Dictionary(uniqueKeysWithValues: states.streamIDs.map { ($0, states[$0]!) })
  }

  @Test(
    "one pass over the log rebuilds what stream-by-stream replay does, in any number of partitions",
    arguments: [1, 2, 3])
  func matchesStreamByStream(partitions: Int) throws {
    let directory = TemporaryDirectory("rebuild")
    let store = try Self.filledStore(directory, seed: 41)
    var generator = SeededGenerator(seed: 42)
    let last = store.log.lastSequence
    var points: [StatePoint] = [.latest, .sequence(1), .sequence(last)]
    for _ in 0..<6 { points.append(.sequence(UInt64.random(in: 1...last, using: &generator))) }
    points.append(.timestamp(try store.log.event(at: last / 2).timestamp))
    for point in points {
      let states = try store.allStates(at: point, partitions: partitions)
      #expect(Self.flattened(states) == (try Self.oneByOne(store, at: point)), "\(point)")
      #expect(states.count == Self.flattened(states).count)
    }
    let all = try store.allStates(at: .latest, partitions: partitions)
    #expect(all.sequence == last)
    #expect(all.count == 15)
    #expect(all["other/x"] == nil && all["cx/1"] == nil)
  }

  @Test("a version point is refused; a log with its start removed rebuilds from snapshots")
  func versionsAndRetention() throws {
    let directory = TemporaryDirectory("rebuild-retention")
    let store = try Self.filledStore(directory, seed: 43)
    let error = #expect(throws: AgentStateError.self) { try store.allStates(at: .version(3)) }
    #expect(error?.code == .invalidArgument)
    let before = try store.allStates()
    try store.applyRetention(before: store.log.lastSequence / 2)
    #expect(store.log.retentionHorizon > 1)
    #expect(try store.allStates() == before)
  }
}
