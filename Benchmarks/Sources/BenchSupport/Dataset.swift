import StateLog

/// The events every workload writes, identical for StateLog and SQLite: chat
/// messages of about 300 bytes of JSON text spread over a few conversation
/// streams, generated from a fixed seed so that every run writes the same bytes.
public struct Dataset: Sendable {
  /// The appends, in order; each is one batch (one StateLog append, one SQLite transaction).
  public let batches: [[NewEvent]]
  /// The number of events in all batches.
  public let count: Int
  /// The sum of the payload sizes.
  public let payloadBytes: Int

  /// - Parameters:
  ///   - events: How many events in all.
  ///   - batchSize: Events per append.
  ///   - streams: How many conversation streams the events are spread over.
  ///   - seed: The generator's seed.
  public static func make(events: Int, batchSize: Int = 100, streams: Int = 8, seed: UInt64 = 0x5EED)
    -> Dataset
  {
    var generator = Generator(streams: streams, seed: seed)
    var batches: [[NewEvent]] = []
    batches.reserveCapacity((events + batchSize - 1) / batchSize)
    var batch: [NewEvent] = []
    for _ in 0..<events {
      batch.append(generator.next())
      if batch.count == batchSize {
        batches.append(batch)
        batch.removeAll(keepingCapacity: true)
      }
    }
    if !batch.isEmpty { batches.append(batch) }
    return Dataset(batches: batches, count: events, payloadBytes: generator.payloadBytes)
  }

  /// The events of ``make(events:batchSize:streams:seed:)`` one at a time, the
  /// same bytes in the same order, for logs too large to hold as one `Dataset`
  /// in memory (W6 writes up to 10 million events).
  public struct Generator: Sendable {
    var random: SplitMix64
    let streamIDs: [String]
    var turns: [Int]
    /// How many events were generated so far.
    public private(set) var count = 0
    /// The sum of the payload sizes generated so far.
    public private(set) var payloadBytes = 0

    static let roles = ["user", "assistant", "assistant", "tool"]
    static let baseTime: Int64 = 1_750_000_000_000_000_000

    public init(streams: Int = 8, seed: UInt64 = 0x5EED) {
      var random = SplitMix64(seed: seed)
      streamIDs = (0..<streams).map { index in
        "conversation/" + Dataset.hex(random.next(), digits: 12) + "-\(index)"
      }
      self.random = random
      turns = [Int](repeating: 0, count: streams)
    }

    public mutating func next() -> NewEvent {
      let stream = Int(random.next() % UInt64(streamIDs.count))
      turns[stream] += 1
      let role = Self.roles[Int(random.next() % UInt64(Self.roles.count))]
      // 230 to 370 bytes of JSON, 300 on average.
      let target = 230 + Int(random.next() % 141)
      let payload = Dataset.message(role: role, turn: turns[stream], totalBytes: target, random: &random)
      payloadBytes += payload.count
      let event = NewEvent(
        stream: streamIDs[stream], type: "conversation.message_added", schemaVersion: 1,
        id: EventID.random(using: &random),
        timestamp: Timestamp(nanosecondsSinceEpoch: Self.baseTime + Int64(count) * 1_000_000),
        payload: payload)
      count += 1
      return event
    }

    /// The next `count` events, as one batch.
    public mutating func next(_ count: Int) -> [NewEvent] {
      (0..<count).map { _ in next() }
    }
  }

  /// `{"role":"…","turn":N,"content":"…"}` of exactly `totalBytes` bytes (or a
  /// little more when the fixed part alone is longer).
  static func message(role: String, turn: Int, totalBytes: Int, random: inout SplitMix64) -> [UInt8] {
    let head = Array("{\"role\":\"\(role)\",\"turn\":\(turn),\"content\":\"".utf8)
    let tail = Array("\"}".utf8)
    let room = max(totalBytes - head.count - tail.count, 1)
    var content: [UInt8] = []
    content.reserveCapacity(room + 16)
    var sentenceStart = true
    while content.count < room {
      var word = Array(words[Int(random.next() % UInt64(words.count))].utf8)
      if sentenceStart { word[0] = word[0] & ~0x20 }  // capitalise ASCII
      if !content.isEmpty { content.append(UInt8(ascii: " ")) }
      content += word
      sentenceStart = random.next() % 9 == 0
      if sentenceStart { content.append(UInt8(ascii: random.next() % 4 == 0 ? "?" : ".")) }
    }
    content.removeLast(content.count - room)
    return head + content + tail
  }

  static func hex(_ value: UInt64, digits: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(digits - text.count, 0)) + text.suffix(digits)
  }

  static let words: [String] = """
    the a to of and in is it you that for on with as this be are can I we will your \
    not have from or by an if at do what so but how which more would should could \
    file function error test build log event stream version append durable snapshot \
    agent task step tool call result message model token context window prompt reply \
    please thanks sure here let me check again run the tests failed passed because \
    memory disk write read fsync batch index segment recovery crash resume state \
    user assistant question answer example code change review update config value \
    first next last before after while until then also just only still maybe likely \
    data schema payload record sequence time order offset header checksum compress \
    Swift package target module import struct class enum protocol extension closure \
    server client request response latency throughput benchmark measure compare \
    looks good I think we need to fix this line and add one more case for it
    """.split(whereSeparator: \.isWhitespace).map(String.init)
}
