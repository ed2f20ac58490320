import Glibc
import TestSupport
import Testing

@testable import StateLog

/// Regenerates the tiny example log of format-spec.md ("Example") and checks
/// that the spec's annotated hex dump still matches the bytes the code writes.
///
/// The dump is produced by reading the files with a second, independent
/// decoder written from the spec's tables, so the test also checks that the
/// tables describe what the code does. Run with `STATELOG_UPDATE_SPEC=1` to
/// rewrite the section after an intended format change.
@Suite("Format spec example")
struct FormatSpecExampleTests {
  static let begin = "<!-- example-dump:begin -->"
  static let end = "<!-- example-dump:end -->"

  static var specPath: String {
    var path = #filePath
    for _ in 0..<4 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return path + "/format-spec.md"
  }

  /// Writes the example: a sealed segment with one two-event batch, and an
  /// active segment with one event that carries metadata, closed cleanly.
  static func writeExample(at directory: String) throws {
    var options = LogOptions()
    options.durability = .buffered
    options.compression = .none
    options.clock = { Timestamp(nanosecondsSinceEpoch: 1_795_528_800_000_000_000) }
    let log = try Log.open(at: directory, options: options)
    let start: Int64 = 1_795_528_920_000_000_000
    try log.append([
      NewEvent(
        stream: "conversation/c1", type: "conversation.started",
        id: EventID("6ba7b810-9dad-41d1-80b4-00c04fd430c8")!,
        timestamp: Timestamp(nanosecondsSinceEpoch: start),
        payload: Array(#"{"agent":"planner"}"#.utf8)),
      NewEvent(
        stream: "conversation/c1", type: "conversation.message_added",
        id: EventID("6ba7b811-9dad-41d1-80b4-00c04fd430c8")!,
        timestamp: Timestamp(nanosecondsSinceEpoch: start + 1_500_000),
        payload: Array(#"{"role":"user","content":"hi"}"#.utf8)),
    ])
    try log.rollSegment()
    try log.append([
      NewEvent(
        stream: "profile/u1", type: "profile.preference_set", schemaVersion: 2,
        id: EventID("6ba7b812-9dad-41d1-80b4-00c04fd430c8")!,
        timestamp: Timestamp(nanosecondsSinceEpoch: start + 60_000_000_000),
        metadata: EventMetadata(
          correlationID: EventID("00000000-0000-4000-8000-000000000001")!,
          entries: [.init(key: "model", value: "gpt-x")]),
        payload: Array(#"{"key":"ui.theme","value":"dark"}"#.utf8))
    ])
    try log.close()
  }

  static func generateDump() throws -> String {
    let directory = TemporaryDirectory("spec-example")
    try writeExample(at: directory.path)
    var dump = ExampleDump()
    // Each segment, then its index.
    let names = Files.list(directory.path).filter { $0.hasSuffix(".seg") || $0.hasSuffix(".idx") }
      .sorted {
        ($0.prefix(20), $0.hasSuffix(".idx") ? 1 : 0) < ($1.prefix(20), $1.hasSuffix(".idx") ? 1 : 0)
      }
    for name in names {
      let bytes = Files.read(directory.child(name))
      dump.title("\(name) (\(bytes.count) bytes)")
      if name.hasSuffix(".seg") { dump.segment(bytes) } else { dump.index(bytes) }
    }
    return dump.lines.joined(separator: "\n")
  }

  @Test("format-spec.md's example dump matches what the code writes")
  func exampleMatches() throws {
    let generated = "```\n" + (try Self.generateDump()) + "\n```"
    let spec = String(decoding: Files.read(Self.specPath), as: UTF8.self)
    guard let begin = spec.range(of: Self.begin), let end = spec.range(of: Self.end) else {
      Issue.record("format-spec.md lacks the \(Self.begin) and \(Self.end) markers")
      return
    }
    let current = spec[begin.upperBound..<end.lowerBound].trimmingCharacters(in: "\n")
    if getenv("STATELOG_UPDATE_SPEC") != nil {
      let updated = spec[..<begin.upperBound] + "\n" + generated + "\n" + spec[end.lowerBound...]
      Files.write(Self.specPath, Array(updated.utf8))
      return
    }
    Files.write("/tmp/format-spec-example.txt", Array(generated.utf8))
    #expect(
      current == generated,
      "the spec's example no longer matches the code; see /tmp/format-spec-example.txt, or rerun with STATELOG_UPDATE_SPEC=1"
    )
  }
}

extension Substring {
  fileprivate func trimmingCharacters(in character: Character) -> String {
    String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
  }
}

/// Renders files as annotated hex: offset, up to 16 bytes per line, and what
/// the bytes mean, decoding them by the spec's tables alone.
struct ExampleDump {
  var lines: [String] = []
  private var bytes: [UInt8] = []
  private var position = 0

  mutating func title(_ text: String) {
    if !lines.isEmpty { lines.append("") }
    lines.append(text)
  }

  private mutating func section(_ text: String) {
    lines.append("  -- \(text)")
  }

  /// Takes `count` bytes and prints them with `note`.
  @discardableResult
  private mutating func field(_ count: Int, _ note: String) -> [UInt8] {
    let taken = Array(bytes[position..<position + count])
    var first = true
    for start in stride(from: 0, to: max(count, 1), by: 16) {
      let chunk = taken[start..<min(start + 16, count)]
      let hex = chunk.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
      let offset = String(position + start, radix: 16)
      let padded = String(repeating: "0", count: max(0, 4 - offset.count)) + offset
      let annotation = first ? note : ""
      lines.append("  \(padded)  \(hex.padding(to: 47))  \(annotation)".trimmingTrailingSpaces())
      first = false
    }
    position += count
    return taken
  }

  private func integer(_ bytes: [UInt8]) -> UInt64 {
    bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
  }

  private func peek(_ count: Int) -> [UInt8] {
    Array(bytes[position..<position + count])
  }

  private mutating func unsigned(_ size: Int, _ name: String, hex: Bool = false) -> UInt64 {
    let value = integer(peek(size))
    field(size, hex ? "\(name) 0x\(String(value, radix: 16))" : "\(name) \(value)")
    return value
  }

  private mutating func u16(_ name: String) -> UInt64 { unsigned(2, name) }
  private mutating func u32(_ name: String) -> UInt64 { unsigned(4, name) }
  private mutating func u64(_ name: String, hex: Bool = false) -> UInt64 { unsigned(8, name, hex: hex) }

  private mutating func i64(_ name: String) {
    let value = Int64(bitPattern: integer(peek(8)))
    field(8, "\(name) \(value) (\(Timestamp(nanosecondsSinceEpoch: value)))")
  }

  private mutating func varint(_ name: String, describe: (UInt64) -> String = { _ in "" }) -> UInt64 {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    var length = 0
    while true {
      let byte = bytes[position + length]
      value |= UInt64(byte & 0x7F) << shift
      length += 1
      if byte < 0x80 { break }
      shift += 7
    }
    field(length, "\(name) \(value) (varint)\(describe(value))")
    return value
  }

  private mutating func string(_ name: String) -> String {
    let length = Int(varint("\(name) length"))
    let text = String(decoding: peek(length), as: UTF8.self)
    field(length, "\"\(text)\"")
    return text
  }

  mutating func segment(_ file: [UInt8]) {
    bytes = file
    position = 0
    section("segment header (40 bytes)")
    field(8, "magic \"SLOGSEG\\0\"")
    _ = u16("formatVersion")
    _ = u16("minimumReaderVersion")
    _ = u32("reserved")
    _ = u64("baseSequence")
    i64("createdAt")
    _ = u64("checksum XXH3-64 of [0, 32)", hex: true)
    while position < bytes.count {
      if integer(peek(4)) == 0xFFFF_FFFF {
        footer()
      } else {
        batch()
      }
    }
  }

  private mutating func batch() {
    let start = position
    section("batch at offset \(start)")
    let length = Int(u32("length"))
    let flags = integer(peek(2))
    let codec = flags & 3 == 1 ? "LZ4" : "none"
    field(2, "flags \(flags): codec \(codec), \(flags & 4 == 0 ? "last batch of its append" : "continued")")
    _ = u16("reserved")
    let base = u64("baseSequence")
    let count = u32("recordCount")
    _ = u32("bodyLength")
    i64("minTimestamp")
    i64("maxTimestamp")
    _ = u64("checksum XXH3-64 of [48, length)", hex: true)
    _ = u32("headerChecksum: low 32 bits of XXH3-64 of [0, 40)")
    _ = u32("reserved")
    section("body: string table")
    let strings = Int(varint("string count"))
    for index in 0..<strings { _ = string("string \(index)") }
    for record in 0..<count {
      section("record \(base + record)")
      _ = varint("recordLength")
      _ = varint("timestampDelta")
      _ = varint("streamIndex")
      _ = varint("streamVersion")
      _ = varint("typeIndex")
      _ = varint("schemaVersion")
      let id = peek(16)
      field(16, "id \(EventID(high: integer(id[0..<8].reversed()), low: integer(id[8..<16].reversed())))")
      let metadataLength = Int(varint("metadataLength"))
      if metadataLength > 0 {
        let flags = field(1, "metadata flags")[0]
        if flags & 1 != 0 { field(16, "correlation id") }
        if flags & 2 != 0 { field(16, "causation id") }
        let entries = varint("entry count")
        for _ in 0..<entries {
          _ = string("key")
          _ = string("value")
        }
      }
      let payloadLength = Int(varint("payloadLength"))
      field(payloadLength, "payload \(String(decoding: peek(payloadLength), as: UTF8.self))")
    }
    precondition(position == start + length, "batch length disagrees with its contents")
  }

  private mutating func footer() {
    section("footer (56 bytes)")
    _ = u32("marker 0xFFFFFFFF")
    field(4, "magic \"SEAL\"")
    _ = u64("lastSequence")
    _ = u64("recordCount")
    _ = u32("batchCount")
    _ = u32("reserved")
    i64("minTimestamp")
    i64("maxTimestamp")
    _ = u64("checksum XXH3-64 of [0, 48)", hex: true)
  }

  mutating func index(_ file: [UInt8]) {
    bytes = file
    position = 0
    section("index header (88 bytes)")
    field(8, "magic \"SLOGIDX\\0\"")
    _ = u16("formatVersion")
    field(6, "reserved")
    let base = u64("segmentBase")
    _ = u64("coveredLength")
    let next = u64("nextSequence")
    _ = u64("lastBatchOffset")
    _ = u64("lastBatchChecksum", hex: true)
    _ = u32("batchCount")
    let entries = u32("entryCount")
    i64("minTimestamp")
    i64("maxTimestamp")
    let streams = u32("streamCount")
    _ = u32("headLength")
    for entry in 0..<entries {
      section("entry \(entry)")
      _ = u64("offset")
      _ = u64("baseSequence")
      field(8, "maxTimestampBefore \(Int64(bitPattern: integer(peek(8))))")
    }
    for _ in 0..<streams {
      section("stream run")
      _ = string("name")
      _ = varint("firstVersion")
      let count = varint("count")
      var previous = base
      for _ in 0..<count {
        let base = previous
        previous += varint("sequence delta") { " -> sequence \(base + $0)" }
      }
    }
    section("head checksum")
    _ = u64("XXH3-64 of the head, everything before", hex: true)
    section("event ids")
    for sequence in base..<next {
      let id = peek(16)
      field(
        16,
        "id of \(sequence): \(EventID(high: integer(id[0..<8].reversed()), low: integer(id[8..<16].reversed())))"
      )
    }
    section("ids checksum")
    _ = u64("XXH3-64 of the event ids", hex: true)
  }
}

extension String {
  fileprivate func padding(to width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }

  fileprivate func trimmingTrailingSpaces() -> String {
    String(self.reversed().drop { $0 == " " }.reversed())
  }
}
