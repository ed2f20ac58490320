import Glibc
import TestSupport
import Testing

@testable import StateLog

@Suite("Corruption")
struct CorruptionTests {
  /// Opens, reads and verifies a log; returns whether anything noticed a problem.
  /// A problem noticed is fine; wrong data returned as good is not.
  static func detects(_ directory: String, expected: [NewEvent], io: (any FileIO)? = nil) -> Bool {
    do {
      var options = LogOptions.testing(segmentSize: 4096, compression: .none)
      if let io { options.fileIO = io }
      let log = try Log.open(at: directory, options: options)
      if !log.recoveryReport.isClean { return true }
      if !(try log.verify().isSound) { return true }
      let events = try log.events()
      #expect(events.count == expected.count)
      #expect(zip(events, expected).allSatisfy { $0.matches($1) }, "wrong data returned as good")
      return false
    } catch let error as StateLogError {
      #expect(error.code == .corruption || error.code == .newerFormat, "\(error)")
      return true
    } catch {
      Issue.record("unexpected error \(error)")
      return true
    }
  }

  @Test("a single flipped bit anywhere in any segment is detected, never returned as data")
  func bitFlips() throws {
    let source = TemporaryDirectory("flip-source")
    var factory = EventFactory(seed: 11)
    let written = factory.events(40, size: 200)
    do {
      let log = try Log.open(at: source.path, options: .testing(segmentSize: 4096, compression: .none))
      for chunk in stride(from: 0, to: written.count, by: 4) {
        try log.append(Array(written[chunk..<chunk + 4]))
      }
      try log.close()
    }
    let segments = Files.list(source.path).filter { $0.hasSuffix(".seg") }
    #expect(segments.count >= 2)
    var generator = SeededGenerator(seed: 99)
    for segment in segments {
      let original = Files.read(source.child(segment))
      for offset in 0..<original.count {
        var damaged = original
        damaged[offset] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
        let copy = TemporaryDirectory("flip")
        Files.copyDirectory(source.path, to: copy.path)
        Files.write(copy.child(segment), damaged)
        #expect(Self.detects(copy.path, expected: written), "flip in \(segment) at \(offset) went unnoticed")
      }
    }
  }

  @Test("damage in the middle of the active segment is an error naming file and offset")
  func middleOfActiveSegment() throws {
    let directory = TemporaryDirectory("middle")
    var factory = EventFactory(seed: 5)
    var ends: [Int] = []
    var log: Log? = try Log.open(at: directory.path, options: .testing())
    for _ in 0..<6 {
      try log!.append(factory.events(2))
      ends.append(Files.read(directory.child(SegmentName.segment(1))).count)
    }
    // No close: the next open has to scan the whole active segment.
    let path = directory.child(SegmentName.segment(1))
    var bytes = Files.read(path)
    bytes[ends[1] + 60] ^= 0xFF
    Files.write(path, bytes)
    log = nil  // released without close, as a crash would
    let error = #expect(throws: StateLogError.self) { try Log.open(at: directory.path, options: .testing()) }
    #expect(error?.code == .corruption)
    #expect(error?.file == SegmentName.segment(1))
    #expect(error?.offset == UInt64(ends[1]))
    #expect(Files.read(path) == bytes, "a failed open must not change the segment")
  }

  @Test("salvage moves the unreadable rest aside and keeps the sound prefix")
  func salvage() throws {
    let directory = TemporaryDirectory("salvage")
    var factory = EventFactory(seed: 5)
    var ends: [Int] = []
    var written: [NewEvent] = []
    var log: Log? = try Log.open(at: directory.path, options: .testing())
    for _ in 0..<6 {
      let events = factory.events(2)
      try log!.append(events)
      written += events
      ends.append(Files.read(directory.child(SegmentName.segment(1))).count)
    }
    let path = directory.child(SegmentName.segment(1))
    var bytes = Files.read(path)
    bytes[ends[2] + 70] ^= 0x10
    Files.write(path, bytes)
    log = nil  // released without close, as a crash would
    var options = LogOptions.testing()
    options.salvage = true
    let salvaged = try Log.open(at: directory.path, options: options)
    let aside = "\(SegmentName.segment(1)).\(ends[2]).corrupt"
    #expect(salvaged.recoveryReport.movedAside == [aside])
    #expect(Files.read(directory.child(aside)) == Array(bytes[ends[2]...]))
    let events = try salvaged.events()
    #expect(events.count == 6)
    #expect(zip(events, written).allSatisfy { $0.matches($1) })
  }

  @Test(
    "deleted or damaged index files are rebuilt and give identical reads",
    arguments: ["delete", "damage", "damage ids", "stale"])
  func indexRebuild(damage: String) throws {
    let directory = TemporaryDirectory("index")
    var factory = EventFactory(seed: 21)
    let written = factory.events(300)
    do {
      let log = try Log.open(at: directory.path, options: .testing(segmentSize: 16 << 10))
      for chunk in stride(from: 0, to: written.count, by: 10) {
        try log.append(Array(written[chunk..<chunk + 10]))
      }
      try log.close()
    }
    let indexes = Files.list(directory.path).filter { $0.hasSuffix(".idx") }
    #expect(indexes.count >= 3)
    let before = Dictionary(uniqueKeysWithValues: indexes.map { ($0, Files.read(directory.child($0))) })
    for name in indexes {
      switch damage {
      case "delete": Files.remove(directory.child(name))
      case "damage":
        // In the head: the entries start at 88.
        var bytes = before[name]!
        bytes[100] ^= 0x40
        Files.write(directory.child(name), bytes)
      case "damage ids":
        // In the last id, which only a reader of the ids checks.
        var bytes = before[name]!
        bytes[bytes.count - 12] ^= 0x40
        Files.write(directory.child(name), bytes)
      default:
        // A sound index file of another segment: its base does not match.
        Files.write(
          directory.child(name), before[indexes[(indexes.firstIndex(of: name)! + 1) % indexes.count]]!)
      }
    }
    let log = try Log.open(at: directory.path, options: .testing(segmentSize: 16 << 10))
    let sealed = indexes.dropLast()
    if damage == "damage ids" {
      // Opening reads only the heads of sealed segments' index files; their
      // ids are read, found damaged and rewritten at the first append, which
      // loads the idempotency window.
      #expect(Set(log.recoveryReport.rebuiltIndexes).isDisjoint(with: sealed), "\(log.recoveryReport)")
      #expect(try !log.verify().isSound)
      try log.append([NewEvent(stream: "s", type: "t", payload: [1])])
      try log.rollSegment()
    } else {
      #expect(Set(log.recoveryReport.rebuiltIndexes).isSuperset(of: sealed), "\(log.recoveryReport)")
    }
    let events = try log.events()
    #expect(events.count == written.count + (damage == "damage ids" ? 1 : 0))
    #expect(zip(events, written).allSatisfy { $0.matches($1) })
    for stream in Set(written.map(\.stream)) {
      #expect(try log.events(inStream: stream).count == written.filter { $0.stream == stream }.count)
    }
    for name in sealed {
      #expect(Files.read(directory.child(name)) == before[name], "\(name) rebuilt differently")
    }
    #expect(try log.verify().isSound)
  }

  @Test("ids found damaged at the first append, in a segment damaged too, fail the append naming the segment")
  func damagedIDsAndSegment() throws {
    let directory = TemporaryDirectory("index-ids-segment")
    var factory = EventFactory(seed: 22)
    do {
      let log = try Log.open(at: directory.path, options: .testing(segmentSize: 16 << 10))
      for _ in 0..<30 { try log.append(factory.events(10)) }
      try log.close()
    }
    let first = SegmentName.segment(1)
    // The first segment's last id, and a byte in the middle of its data,
    // neither of which opening reads.
    var index = Files.read(directory.child(SegmentName.index(1)))
    index[index.count - 12] ^= 0x40
    Files.write(directory.child(SegmentName.index(1)), index)
    var segment = Files.read(directory.child(first))
    segment[segment.count / 2] ^= 0x40
    Files.write(directory.child(first), segment)

    let log = try Log.open(at: directory.path, options: .testing(segmentSize: 16 << 10))
    let last = log.lastSequence
    let error = #expect(throws: StateLogError.self) {
      try log.append([NewEvent(stream: "s", type: "t", payload: [1])])
    }
    #expect(error?.code == .corruption)
    #expect(error?.file == first)
    #expect(log.lastSequence == last)
    #expect(
      Files.read(directory.child(SegmentName.index(1))) == index, "a partial scan is not written as an index")
  }

  @Test("a segment missing from the middle, or renamed, is an error")
  func missingSegment() throws {
    let directory = TemporaryDirectory("missing")
    var factory = EventFactory(seed: 3)
    do {
      let log = try Log.open(at: directory.path, options: .testing(segmentSize: 8 << 10))
      for _ in 0..<30 { try log.append(factory.events(3)) }
      try log.close()
    }
    let segments = Files.list(directory.path).filter { $0.hasSuffix(".seg") }
    #expect(segments.count >= 3)
    let copy = TemporaryDirectory("renamed")
    Files.copyDirectory(directory.path, to: copy.path)

    Files.remove(directory.child(segments[1]))
    let missing = #expect(throws: StateLogError.self) {
      try Log.open(at: directory.path, options: .testing())
    }
    #expect(missing?.code == .corruption)
    #expect(missing?.file == segments[2])

    Files.write(copy.child("00000000000000999999.seg"), Files.read(copy.child(segments[1])))
    Files.remove(copy.child(segments[1]))
    let renamed = #expect(throws: StateLogError.self) { try Log.open(at: copy.path, options: .testing()) }
    #expect(renamed?.code == .corruption)
  }

  @Test("a segment from a newer format version is refused, naming both versions")
  func newerFormat() throws {
    let directory = TemporaryDirectory("newer")
    do {
      let log = try Log.open(at: directory.path, options: .testing())
      try log.append([NewEvent(stream: "s", type: "t", payload: [1, 2, 3])])
      try log.close()
    }
    let path = directory.child(SegmentName.segment(1))
    var bytes = Files.read(path)
    var header = SegmentHeader(baseSequence: 1, createdAt: 0)
    header.formatVersion = 3
    header.minimumReaderVersion = 2
    bytes.replaceSubrange(0..<SegmentHeader.size, with: header.encoded())
    Files.write(path, bytes)
    let error = #expect(throws: StateLogError.self) { try Log.openReadOnly(at: directory.path) }
    #expect(error?.code == .newerFormat)
    #expect(error?.message.contains("version 2") == true && error?.message.contains("version 1") == true)
  }
}

@Suite("Corruption: lengths, copied batches, duplicated segments")
struct StructuralCorruptionTests {
  /// A log of identical-length batches (the same stream, type and payload
  /// size, no metadata), so that one batch can stand in for another.
  static func uniformLog(_ directory: String) throws -> [NewEvent] {
    let log = try Log.open(at: directory, options: .testing(segmentSize: 4096, compression: .none))
    var events: [NewEvent] = []
    for index in 0..<40 {
      let event = NewEvent(
        stream: "stream/a", type: "uniform", id: EventID(high: 1, low: UInt64(index)),
        timestamp: Timestamp(nanosecondsSinceEpoch: 1_000 + Int64(index)),
        payload: [UInt8](repeating: UInt8(index), count: 300))
      try log.append([event])
      events.append(event)
    }
    try log.close()
    return events
  }

  /// Where each batch of a segment starts, following the length fields.
  static func batchOffsets(_ bytes: [UInt8]) -> [Int] {
    var offsets: [Int] = []
    var offset = SegmentHeader.size
    while offset + BatchHeader.size <= bytes.count {
      let length = bytes.withUnsafeBytes {
        UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
      }
      guard length != SegmentFooter.marker, offset + Int(length) <= bytes.count else { break }
      offsets.append(offset)
      offset += Int(length)
    }
    return offsets
  }

  @Test(
    "length fields set to huge values are corruption, with no giant allocation",
    arguments: [(0, UInt32.max - 1), (0, UInt32(Int32.max)), (20, UInt32.max), (20, UInt32(Int32.max))])
  func hugeLengths(field: Int, value: UInt32) throws {
    let source = TemporaryDirectory("huge")
    let events = try Self.uniformLog(source.path)
    let segments = Files.list(source.path).filter { $0.hasSuffix(".seg") }
    // The first batch of a sealed segment and the last batch of the active one.
    for segment in [segments[0], segments[segments.count - 1]] {
      let copy = TemporaryDirectory("huge-copy")
      Files.copyDirectory(source.path, to: copy.path)
      var bytes = Files.read(copy.child(segment))
      let batch = segment == segments[0] ? SegmentHeader.size : Self.batchOffsets(bytes).last!
      withUnsafeBytes(of: value.littleEndian) {
        bytes.replaceSubrange(batch + field..<batch + field + 4, with: $0)
      }
      Files.write(copy.child(segment), bytes)
      let io = FaultInjectingFileIO()
      #expect(
        CorruptionTests.detects(copy.path, expected: events, io: io), "\(segment): field \(field) = \(value)")
      // Reads are sized by what the file holds, never by a length field.
      #expect(io.largestRead <= 1 << 20, "\(segment): a read of \(io.largestRead) bytes")
    }
  }

  @Test("a sound batch copied from elsewhere in the log is detected by its sequence")
  func copiedBatch() throws {
    let source = TemporaryDirectory("copied")
    let events = try Self.uniformLog(source.path)
    let segments = Files.list(source.path).filter { $0.hasSuffix(".seg") }
    #expect(segments.count >= 3)
    let first = Files.read(source.child(segments[0]))
    let second = Files.read(source.child(segments[1]))
    let firstBatches = Self.batchOffsets(first)
    let length = firstBatches[1] - firstBatches[0]
    #expect(Self.batchOffsets(second)[1] - SegmentHeader.size == length, "batches should be the same size")
    // The second segment's first batch in place of the first segment's second.
    var damaged = first
    let target = firstBatches[1]
    damaged.replaceSubrange(
      target..<target + length, with: second[SegmentHeader.size..<SegmentHeader.size + length])
    let copy = TemporaryDirectory("copied-copy")
    Files.copyDirectory(source.path, to: copy.path)
    Files.write(copy.child(segments[0]), damaged)
    #expect(CorruptionTests.detects(copy.path, expected: events))
    let error = #expect(throws: StateLogError.self) {
      try Log.openReadOnly(at: copy.path, options: .testing()).events()
    }
    #expect(error?.code == .corruption)
    #expect(error?.file == segments[0])
  }

  @Test("a segment duplicated under the next name is an error naming it")
  func duplicatedSegment() throws {
    let source = TemporaryDirectory("duplicated")
    _ = try Self.uniformLog(source.path)
    let segments = Files.list(source.path).filter { $0.hasSuffix(".seg") }
    let log = try Log.openReadOnly(at: source.path, options: .testing())
    let next = SegmentName.segment(log.lastSequence + 1)
    try log.close()
    Files.write(source.child(next), Files.read(source.child(segments[segments.count - 2])))
    let error = #expect(throws: StateLogError.self) { try Log.open(at: source.path, options: .testing()) }
    #expect(error?.code == .corruption)
    #expect(error?.file == next || error?.file == segments.last, "\(String(describing: error))")
  }
}
