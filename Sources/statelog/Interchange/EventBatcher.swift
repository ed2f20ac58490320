import AgentState
import StateLog

/// Groups interchange lines into appends: each closes when full, and a line
/// whose expected version concerns a stream already in the batch starts a new
/// one (an append can only state each stream's version before it).
struct EventBatcher {
  struct Entry {
    var line: Int
    var event: NewEvent
  }

  let capacity: Int
  let codec = BinaryPayloadCodec()
  let registry = AgentStateStore.registry()
  private(set) var entries: [Entry] = []
  private(set) var expectations: [String: ExpectedVersion] = [:]

  init(capacity: Int) { self.capacity = max(1, capacity) }

  var isEmpty: Bool { entries.isEmpty }
  var isFull: Bool { entries.count >= capacity }

  /// Whether `line` must go in the next batch rather than this one.
  func needsNewBatch(for line: InterchangeLine) -> Bool {
    line.expectedVersion != nil && entries.contains { $0.event.stream == line.stream }
  }

  private mutating func add(_ line: InterchangeLine, number: Int) {
    if let expected = line.expectedVersion { expectations[line.stream] = expected }
    entries.append(Entry(line: number, event: line.newEvent(codec: codec, registry: registry)))
  }

  /// Adds `line` to the batch, appending the batch before if `line` must start
  /// a new one, and after if that fills it.
  ///
  /// - Returns: What was appended, as ``flush(to:)`` returns it.
  mutating func add(_ line: InterchangeLine, number: Int, flushingTo log: Log) throws -> [(
    line: Int, event: NewEvent, position: EventPosition
  )] {
    var appended = needsNewBatch(for: line) ? try flush(to: log) : []
    add(line, number: number)
    if isFull { appended += try flush(to: log) }
    return appended
  }

  /// Appends the batch as one atomic append and empties it.
  ///
  /// - Returns: Each entry's line number with its event's position.
  mutating func flush(to log: Log) throws -> [(line: Int, event: NewEvent, position: EventPosition)] {
    defer {
      entries.removeAll(keepingCapacity: true)
      expectations.removeAll()
    }
    guard !entries.isEmpty else { return [] }
    let result = try log.append(entries.map(\.event), expecting: expectations)
    return zip(entries, result.positions).map { ($0.line, $0.event, $1) }
  }

  /// Drops the batch unwritten.
  mutating func discard() {
    entries.removeAll(keepingCapacity: true)
    expectations.removeAll()
  }
}

/// The output line for an appended event.
func positionLine(line: Int, event: NewEvent, position: EventPosition) -> String {
  jsonString([
    "line": line, "seq": position.sequence, "stream": event.stream, "version": position.streamVersion,
    "id": event.id.description,
  ])
}
