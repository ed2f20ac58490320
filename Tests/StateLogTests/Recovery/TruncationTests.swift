import TestSupport
import Testing

@testable import StateLog

@Suite("Torn tails")
struct TruncationTests {
  /// A small one-segment log, the events of each append, and the segment's
  /// size after each append.
  struct Fixture {
    var directory = TemporaryDirectory("truncation")
    var appends: [[NewEvent]] = []
    var ends: [Int] = []
    var segment: String { directory.child(SegmentName.segment(1)) }
  }

  static func makeFixture(compression: LogOptions.Compression) throws -> Fixture {
    var fixture = Fixture()
    var factory = EventFactory(seed: 7)
    var options = LogOptions.testing(compression: compression)
    options.maximumBatchSize = 1024
    let log = try Log.open(at: fixture.directory.path, options: options)
    for round in 0..<8 {
      // Every third append spans several batches, to cover the continued flag.
      let events = round % 3 == 2 ? factory.events(4, size: 400) : factory.events(1 + round % 2, size: 120)
      try log.append(events)
      fixture.appends.append(events)
      fixture.ends.append(Files.read(fixture.segment).count)
    }
    try log.close()
    return fixture
  }

  @Test(
    "truncating the active segment at every byte keeps exactly the appends that fit",
    arguments: [LogOptions.Compression.lz4, .none])
  func truncateEverywhere(compression: LogOptions.Compression) throws {
    let fixture = try Self.makeFixture(compression: compression)
    let original = Files.read(fixture.segment)
    #expect(original.count == fixture.ends.last)
    for length in 0...original.count {
      let directory = TemporaryDirectory("truncated")
      Files.write(directory.child(SegmentName.segment(1)), Array(original[0..<length]))
      let log = try Log.open(at: directory.path, options: .testing(compression: compression))
      let kept = fixture.ends.lastIndex { $0 <= length }.map { $0 + 1 } ?? 0
      let expected = Array(fixture.appends.prefix(kept).joined())
      let events = try log.events()
      #expect(events.count == expected.count, "truncated at \(length)")
      #expect(zip(events, expected).allSatisfy { $0.matches($1) }, "truncated at \(length)")
      let end = kept == 0 ? SegmentHeader.size : fixture.ends[kept - 1]
      if length >= SegmentHeader.size {
        #expect(log.recoveryReport.truncatedBytes == UInt64(length - end), "truncated at \(length)")
      }
      // The log stays appendable after recovery and the next sequence follows on.
      let result = try log.append([NewEvent(stream: "after/crash", type: "probe", payload: [1])])
      #expect(result.firstSequence == UInt64(expected.count + 1))
      try log.close()
    }
  }

  @Test("a zero-filled tail is truncated and reported", arguments: [16, 4096, 70_000])
  func zeroTail(zeros: Int) throws {
    let fixture = try Self.makeFixture(compression: .lz4)
    let original = Files.read(fixture.segment)
    Files.write(fixture.segment, original + [UInt8](repeating: 0, count: zeros))
    let log = try Log.open(at: fixture.directory.path, options: .testing())
    #expect(log.recoveryReport.truncatedBytes == UInt64(zeros))
    #expect(try log.events().count == fixture.appends.joined().count)
    #expect(Files.read(fixture.segment) == original)
  }

  @Test("a garbage tail is truncated and reported", arguments: [1 as UInt64, 2, 3])
  func garbageTail(seed: UInt64) throws {
    let fixture = try Self.makeFixture(compression: .lz4)
    let original = Files.read(fixture.segment)
    var generator = SeededGenerator(seed: seed)
    let garbage = (0..<3000).map { _ in UInt8.random(in: 0...255, using: &generator) }
    Files.write(fixture.segment, original + garbage)
    let log = try Log.open(at: fixture.directory.path, options: .testing())
    #expect(log.recoveryReport.truncatedBytes == 3000, "seed \(seed)")
    #expect(try log.events().count == fixture.appends.joined().count, "seed \(seed)")
  }

  @Test("a read-only open ignores a tail being written and changes nothing")
  func readOnlyTolerantTail() throws {
    let fixture = try Self.makeFixture(compression: .lz4)
    let original = Files.read(fixture.segment)
    // The first 30 bytes of a copy of the last batch: a write in progress.
    let lastStart = fixture.ends[fixture.ends.count - 2]
    let partial = Array(original[lastStart..<lastStart + 30])
    Files.write(fixture.segment, original + partial)
    let log = try Log.openReadOnly(at: fixture.directory.path, options: .testing())
    #expect(try log.events().count == fixture.appends.joined().count)
    #expect(Files.read(fixture.segment).count == original.count + 30)
  }
}
