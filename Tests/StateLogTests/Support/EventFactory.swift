import Logging
import TestSupport

@testable import StateLog

/// Makes realistic agent events from a seed: chat-sized payloads of text that
/// compresses like real messages, spread over a few streams.
struct EventFactory {
  var generator: SeededGenerator
  var streams: [String]
  var clock: Int64 = 1_764_000_000_000_000_000

  static let words = [
    "the", "agent", "called", "tool", "search", "with", "query", "weather", "in", "Paris", "result",
    "summary", "user", "asked", "about", "flights", "and", "hotels", "next", "week", "plan", "step",
  ]

  init(seed: UInt64, streams: [String] = ["conversation/c1", "task/t1", "profile/u1", "conversation/c2"]) {
    generator = SeededGenerator(seed: seed)
    self.streams = streams
  }

  mutating func payload(size: Int) -> [UInt8] {
    var text: [UInt8] = []
    text.reserveCapacity(size)
    while text.count < size {
      let word = Self.words[Int(generator.next() % UInt64(Self.words.count))]
      text.append(contentsOf: word.utf8)
      text.append(UInt8(ascii: " "))
    }
    return Array(text.prefix(size))
  }

  mutating func event(size: Int = 300, stream: String? = nil) -> NewEvent {
    clock += Int64(generator.next() % 2_000_000)
    let chosen = stream ?? streams[Int(generator.next() % UInt64(streams.count))]
    let metadata: EventMetadata =
      generator.next() % 4 == 0
      ? EventMetadata(
        correlationID: EventID.random(using: &generator),
        entries: [
          .init(key: "model", value: "gpt-x"), .init(key: "turn", value: String(generator.next() % 100)),
        ])
      : EventMetadata()
    return NewEvent(
      stream: chosen, type: "\(chosen.split(separator: "/").first ?? "x").event", schemaVersion: 1,
      id: EventID.random(using: &generator), timestamp: Timestamp(nanosecondsSinceEpoch: clock),
      metadata: metadata, payload: payload(size: size))
  }

  mutating func events(_ count: Int, size: Int = 300) -> [NewEvent] {
    (0..<count).map { _ in event(size: size) }
  }
}

extension RecordedEvent {
  /// Whether this stored event is exactly `event` as appended.
  func matches(_ event: NewEvent) -> Bool {
    stream == event.stream && type == event.type && schemaVersion == event.schemaVersion && id == event.id
      && timestamp == event.timestamp && metadata == event.metadata && payload == event.payload
  }
}

extension LogOptions {
  /// Options for tests: small segments so that rolls happen, and a fixed clock.
  static func testing(
    segmentSize: Int = 64 << 10, durability: Durability = .buffered, compression: Compression = .lz4
  ) -> LogOptions {
    var options = LogOptions()
    options.segmentSize = segmentSize
    options.durability = durability
    options.compression = compression
    options.indexInterval = 512
    // Fault rules count reads; a helper reading ahead would make the counts
    // depend on timing. The scan-ahead tests turn it on.
    options.parallelScans = false
    options.clock = { Timestamp(nanosecondsSinceEpoch: 1_764_000_000_000_000_000) }
    // Thousands of deliberate recoveries would otherwise each log a warning.
    options.logger = Logger(label: "statelog.tests") { _ in SwiftLogNoOpLogHandler() }
    return options
  }
}
