import AgentState
import Glibc
import Logging
import StateLog
import TestSupport

/// The readers `scripts/fuzz.sh` fuzzes with libFuzzer, one input at a time,
/// and `FuzzRegressionTests` replays from the committed corpora.
///
/// An input may be refused with a typed error: that is the point of reading
/// bad bytes. What must never happen is a crash, a hang, a giant allocation,
/// or a wrong answer; ``check(_:)`` returns what is wrong when an oracle finds
/// a wrong answer, and the fuzzing entry point then traps, which libFuzzer
/// reports like any crash.
public enum FuzzTarget: String, CaseIterable, Sendable {
  /// The bytes are the only segment of a log: recovery, reading, verifying.
  case segment
  /// The bytes replace the index file of a sealed segment: every read must
  /// still return exactly the log's events.
  case index
  /// The bytes replace a task stream's newest snapshot: every state must still
  /// be the one replay gives.
  case snapshot
  /// The bytes are an event payload: the binary codec, in-place decoding of
  /// every agent event type, and the snapshot file format.
  case payload
  /// The bytes are a line of the JSON Lines interchange format.
  case interchange
  /// The bytes are a `--at` point or an ISO 8601 time.
  case point

  /// Reads one input.
  ///
  /// - Returns: What is wrong with the answer, or `nil` if nothing is.
  public func check(_ bytes: [UInt8]) -> String? {
    switch self {
    case .segment: Self.segment(bytes)
    case .index: Self.index(bytes)
    case .snapshot: Self.snapshot(bytes)
    case .payload: Self.payload(bytes)
    case .interchange: Self.interchange(bytes)
    case .point: Self.point(bytes)
    }
  }

  /// Inputs to start from, taken from a real log: its segment, index and
  /// snapshot files, payloads, interchange lines and points.
  public func seeds() -> [[UInt8]] {
    let fixture = Fixture.shared
    switch self {
    case .segment: return [Files.read(fixture.directory + "/" + fixture.activeSegment)]
    case .index: return [Files.read(fixture.indexPath)]
    case .snapshot: return [fixture.snapshotBytes]
    case .payload: return fixture.events.prefix(40).map(\.payload) + [fixture.snapshotBytes]
    case .interchange: return fixture.events.prefix(20).map { Array(InterchangeLine.exportLine($0).utf8) }
    case .point:
      return [
        "1234", "seq:7", "v:17", "-2h", "-1.5d", "2026-11-24T14:02:00Z",
        "2026-11-24T16:02:00.123456789+02:00",
      ]
      .map { Array($0.utf8) }
    }
  }

  static let quiet = Logger(label: "statelog.fuzz") { _ in SwiftLogNoOpLogHandler() }

  static func options() -> LogOptions {
    var options = LogOptions()
    options.durability = .buffered
    options.logger = quiet
    return options
  }

  private static func segment(_ bytes: [UInt8]) -> String? {
    let directory = Fixture.shared.scratch("segment")
    Files.write(directory + "/" + Fixture.segmentName(1), bytes)
    guard let log = try? Log.open(at: directory, options: options()) else { return nil }
    defer { try? log.close() }
    let events = (try? log.events()) ?? []
    // What recovery kept must read back and verify: it truncated everything else.
    guard let report = try? log.verify() else { return ("verify threw after a successful open") }
    guard report.isSound else { return ("recovered log does not verify: \(report.problems)") }
    guard events.count == Int(log.lastSequence) else { return ("recovered log does not read back") }
    for stream in Set(events.map(\.stream)) {
      guard let read = try? log.events(inStream: stream),
        read.count == events.filter({ $0.stream == stream }).count
      else { return ("stream \(stream) does not read back") }
    }
    guard (try? log.append([NewEvent(stream: "fuzz", type: "probe", payload: [1])])) != nil else {
      return ("recovered log takes no append")
    }
    return nil
  }

  private static func index(_ bytes: [UInt8]) -> String? {
    let fixture = Fixture.shared
    let directory = fixture.scratch("index")
    for name in Files.list(fixture.directory) where name.hasSuffix(".seg") || name.hasSuffix(".idx") {
      Files.write(directory + "/" + name, Files.read(fixture.directory + "/" + name))
    }
    Files.write(directory + "/" + fixture.indexName, bytes)
    // Both the reader, which trusts nothing it cannot check, and the writer,
    // which rewrites a damaged index, must read exactly the log's events.
    for readOnly in [true, false] {
      // The index is derived data: the writer rebuilds a bad one, so it may
      // not fail; the reader, which writes nothing, may refuse it.
      let log: Log
      do {
        log =
          try readOnly
          ? Log.openReadOnly(at: directory, options: options()) : Log.open(at: directory, options: options())
      } catch {
        if readOnly { continue }
        return "a damaged index made the writer fail to open: \(error)"
      }
      defer { try? log.close() }
      let events: [RecordedEvent]
      do {
        events = try log.events()
      } catch {
        if readOnly { continue }
        return "a damaged index made the writer fail to read: \(error)"
      }
      guard events == fixture.events else { return ("a damaged index changed what the log reads") }
      for (stream, expected) in fixture.streams {
        guard let read = try? log.events(inStream: stream) else { continue }
        guard read == expected else { return ("a damaged index changed stream \(stream)") }
      }
      for (time, expected) in fixture.timePoints {
        guard let sequence = try? log.sequence(atOrBefore: time) else { continue }
        guard sequence == expected else { return ("a damaged index changed the time index at \(time)") }
      }
    }
    return nil
  }

  private static func snapshot(_ bytes: [UInt8]) -> String? {
    let fixture = Fixture.shared
    Files.write(fixture.snapshotPath, bytes)
    defer { Files.write(fixture.snapshotPath, fixture.snapshotBytes) }
    let store = AgentStateStore(log: fixture.reader, cacheCapacity: 0, snapshotInterval: 0)
    for (version, expected) in fixture.taskStates {
      // Snapshots are derived data: a bad one is skipped, never an error or a wrong state.
      guard let state = try? store.task(Fixture.taskID).state(at: .version(version)).state else {
        return ("a damaged snapshot made reading version \(version) fail")
      }
      guard state == expected else { return ("a damaged snapshot changed the state at version \(version)") }
    }
    return nil
  }

  private static func payload(_ bytes: [UInt8]) -> String? {
    let codec = BinaryPayloadCodec()
    func decode<Event: EventType>(_ type: Event.Type, _ raw: UnsafeRawBufferPointer) {
      _ = try? codec.decode(event: type, from: raw)
    }
    let problem = bytes.withUnsafeBytes { raw -> String? in
      for type in Fixture.eventTypes { decode(type, raw) }
      func decodeState<State: AgentStream>(_ type: State.Type) -> String? {
        let inPlace = try? codec.decodeObject(from: raw) { try State(snapshot: $0) }
        let codable = try? codec.decode(State.self, from: raw)
        // The two ways to read a snapshot agree on what they accept and what it says.
        return inPlace == codable ? nil : "\(State.self) decodes differently in place and through Codable"
      }
      if let problem = decodeState(TaskState.self) ?? decodeState(ProfileState.self)
        ?? decodeState(ConversationState.self)
      {
        return problem
      }
      guard let value = try? codec.decode(raw) else { return nil }
      // What decodes re-encodes to bytes that decode and re-encode to the
      // same bytes (bytes, not values: NaN is not equal to itself).
      let again = codec.encode(value)
      guard let reread = try? again.withUnsafeBytes({ try codec.decode($0) }), codec.encode(reread) == again
      else {
        return "a decoded payload does not survive encoding"
      }
      return nil
    }
    _ = try? Snapshot(decoding: bytes)
    return problem
  }

  private static func interchange(_ bytes: [UInt8]) -> String? {
    guard let line = try? InterchangeLine(parsing: String(decoding: bytes, as: UTF8.self)) else { return nil }
    _ = line.newEvent(codec: BinaryPayloadCodec(), registry: Fixture.shared.registry)
    return nil
  }

  private static func point(_ bytes: [UInt8]) -> String? {
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? StatePoint(parsing: text, now: Timestamp(nanosecondsSinceEpoch: 1_764_000_000_000_000_000))
    guard let time = Timestamp(iso8601: text) else { return nil }
    // A time in years 1000 to 9999 prints as a text that parses back to it.
    let printed = time.description
    if printed.utf8.count >= 20, printed.utf8.first != UInt8(ascii: "-"),
      printed.prefix(4).allSatisfy(\.isNumber), printed.dropFirst(4).first == "-",
      Timestamp(iso8601: printed) != time
    {
      return ("\(text) parses to \(printed), which parses to something else")
    }
    return nil
  }
}
