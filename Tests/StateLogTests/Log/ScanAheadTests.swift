import Glibc
import TestSupport
import Testing

@testable import StateLog

/// Long scans read and expand batches on a helper thread (``ScanAhead``).
/// These tests hold the helper's scans to the serial scan's answers: the same
/// events for any range, the same stop, and the same error at the same place.
@Suite("Scans with a helper thread")
struct ScanAheadTests {
  /// Options whose every scan uses the helper (the serial ones, `parallelScans: false`).
  static func options(parallel: Bool, compression: LogOptions.Compression = .lz4, io: (any FileIO)? = nil)
    -> LogOptions
  {
    var options = LogOptions.testing(segmentSize: 1 << 20, compression: compression)
    options.parallelScans = parallel
    options.scanAheadAfter = 0
    if let io { options.fileIO = io }
    return options
  }

  /// Writes 6,000 events in batches of 40 over a few segments, with one event
  /// larger than a helper's chunk in the middle, and returns them.
  static func writeLog(at path: String, compression: LogOptions.Compression = .lz4, seed: UInt64) throws
    -> [NewEvent]
  {
    var factory = EventFactory(seed: seed)
    let log = try Log.open(at: path, options: options(parallel: false, compression: compression))
    var written: [NewEvent] = []
    for round in 0..<150 {
      var batch = factory.events(40)
      if round == 75 { batch[0] = factory.event(size: ScanAhead.chunkSize + 100_000) }
      try log.append(batch)
      written += batch
    }
    try log.close()
    return written
  }

  static func sequences(_ log: Log, from start: UInt64, through end: UInt64) throws -> [UInt64] {
    var sequences: [UInt64] = []
    try log.forEachEvent(from: start, through: end) { event in
      sequences.append(event.sequence)
      return true
    }
    return sequences
  }

  @Test(
    "a scan with the helper visits the same events as one without, for any range",
    arguments: [
      LogOptions.Compression.lz4, .none,
    ])
  func sameEvents(compression: LogOptions.Compression) throws {
    let directory = TemporaryDirectory("scan-ahead-same")
    let written = try Self.writeLog(at: directory.path, compression: compression, seed: 41)
    #expect(Files.list(directory.path).filter { $0.hasSuffix(".seg") }.count >= 2)
    let parallel = try Log.open(
      at: directory.path, options: Self.options(parallel: true, compression: compression))
    let serial = try Log.openReadOnly(
      at: directory.path, options: Self.options(parallel: false, compression: compression))
    let count = UInt64(written.count)
    for (start, end) in [
      (1, UInt64.max), (2_999, .max), (1, 3_001), (3_001, 3_011), (count - 5, .max), (7, 7),
    ] {
      let expected = try Self.sequences(serial, from: start, through: end)
      #expect(
        try Self.sequences(parallel, from: start, through: end) == expected, "from \(start) through \(end)")
      #expect(expected.first == start && expected.last == min(end, count))
    }
    let events = try parallel.events()
    #expect(events.count == written.count)
    #expect(zip(events, written).allSatisfy { $0.matches($1) })
    try serial.close()
    try parallel.close()
  }

  @Test("a reader that stops, or throws, stops the helper at once", arguments: [1, 37, 3_000, 5_999])
  func stopsEarly(after wanted: Int) throws {
    let directory = TemporaryDirectory("scan-ahead-stop")
    _ = try Self.writeLog(at: directory.path, seed: 42)
    let log = try Log.open(at: directory.path, options: Self.options(parallel: true))
    var visited = 0
    try log.forEachEvent { _ in
      visited += 1
      return visited < wanted
    }
    #expect(visited == wanted)
    struct Enough: Error {}
    var seen = 0
    #expect(throws: Enough.self) {
      try log.forEachEvent { _ in
        seen += 1
        if seen == wanted { throw Enough() }
        return true
      }
    }
    #expect(seen == wanted)
    #expect(try Self.sequences(log, from: 1, through: .max).count == 6_000)
    try log.close()
  }

  @Test("damage in a segment stops both scans at the same event with the same error")
  func corruptionAsSerial() throws {
    let directory = TemporaryDirectory("scan-ahead-corruption")
    _ = try Self.writeLog(at: directory.path, seed: 43)
    let segment = directory.child(SegmentName.segment(1))
    for offset in [300_000, Files.read(segment).count - 2_000] {
      Files.flipBit(in: segment, at: offset)
      var outcomes: [(visited: Int, error: StateLogError?)] = []
      for parallel in [true, false] {
        let log = try Log.openReadOnly(at: directory.path, options: Self.options(parallel: parallel))
        var visited = 0
        let error = #expect(throws: StateLogError.self) {
          try log.forEachEvent { _ in
            visited += 1
            return true
          }
        }
        outcomes.append((visited, error))
        try log.close()
      }
      #expect(outcomes[0].error?.code == .corruption)
      #expect(outcomes[0].error?.file == SegmentName.segment(1))
      #expect(outcomes[0].error == outcomes[1].error, "at \(offset)")
      #expect(outcomes[0].visited == outcomes[1].visited)
      #expect(outcomes[0].visited > 0)
      Files.flipBit(in: segment, at: offset)
    }
  }

  @Test("a read that fails in the helper fails the scan after every event before it", arguments: [0, 1, 2])
  func readFailure(after reads: Int) throws {
    let directory = TemporaryDirectory("scan-ahead-eio")
    _ = try Self.writeLog(at: directory.path, seed: 44)
    let io = FaultInjectingFileIO()
    let log = try Log.openReadOnly(at: directory.path, options: Self.options(parallel: true, io: io))
    io.inject(.error(EIO), on: .read, after: reads)
    var sequences: [UInt64] = []
    let error = #expect(throws: StateLogError.self) {
      try log.forEachEvent { event in
        sequences.append(event.sequence)
        return true
      }
    }
    #expect(error?.code == .ioFailure)
    #expect(sequences == Array(1..<UInt64(sequences.count + 1)))
    #expect(sequences.count < 6_000)
    try log.close()
  }

  @Test(
    "a segment cut short fails both scans at the same place, also under batches a scan steps over",
    arguments: [1, 2_000])
  func truncatedAsSerial(from start: UInt64) throws {
    let directory = TemporaryDirectory("scan-ahead-truncated")
    _ = try Self.writeLog(at: directory.path, compression: .none, seed: 46)
    let logs = try [true, false].map {
      try Log.openReadOnly(at: directory.path, options: Self.options(parallel: $0))
    }
    // Another program cuts a sealed segment under the open readers.
    let segment = directory.child(SegmentName.segment(1))
    #expect(truncate(segment, off_t(Files.read(segment).count / 2 + 77)) == 0)
    var outcomes: [(sequences: [UInt64], error: StateLogError?)] = []
    for log in logs {
      var sequences: [UInt64] = []
      let error = #expect(throws: StateLogError.self) {
        try log.forEachEvent(from: start) { event in
          sequences.append(event.sequence)
          return true
        }
      }
      outcomes.append((sequences, error))
      try log.close()
    }
    #expect(outcomes[0].error?.code == .corruption)
    #expect(outcomes[0].error?.file == SegmentName.segment(1))
    #expect(outcomes[0].error == outcomes[1].error)
    #expect(outcomes[0].sequences == outcomes[1].sequences)
  }

  @Test("verify with the helper reports what verify without it reports, damaged or not")
  func verifyAsSerial() throws {
    let directory = TemporaryDirectory("scan-ahead-verify")
    _ = try Self.writeLog(at: directory.path, seed: 47)
    let segment = directory.child(SegmentName.segment(1))
    for damage in [nil, 400_000] {
      if let damage { Files.flipBit(in: segment, at: damage) }
      let reports = try [true, false].map { parallel in
        let log = try Log.openReadOnly(at: directory.path, options: Self.options(parallel: parallel))
        defer { try? log.close() }
        return try log.verify()
      }
      #expect(reports[0] == reports[1])
      #expect(reports[0].events == (damage == nil ? 6_000 : reports[0].events))
      #expect(reports[0].problems.isEmpty == (damage == nil))
    }
  }

  @Test("recovery with the helper rebuilds the index and cuts the torn tail exactly as without it")
  func recoveryAsSerial() throws {
    let directory = TemporaryDirectory("scan-ahead-recovery")
    _ = try Self.writeLog(at: directory.path, seed: 48)
    // A crash: the active segment's index never written, half a batch torn.
    let names = Files.list(directory.path)
    let active = try #require(names.filter { $0.hasSuffix(".seg") }.max())
    Files.remove(directory.child(String(active.dropLast(4)) + ".idx"))
    let path = directory.child(active)
    Files.write(path, Files.read(path) + Array(Files.read(path)[40..<1_040]))
    var outcomes: [(report: RecoveryReport, events: [RecordedEvent])] = []
    for parallel in [true, false] {
      let copy = TemporaryDirectory("scan-ahead-recovery-\(parallel)")
      Files.copyDirectory(directory.path, to: copy.path)
      let log = try Log.open(at: copy.path, options: Self.options(parallel: parallel))
      outcomes.append((log.recoveryReport, try log.events()))
      try log.close()
    }
    #expect(outcomes[0].report == outcomes[1].report)
    #expect(outcomes[0].report.truncatedBytes == 1_000)
    #expect(outcomes[0].events.count == 6_000)
    #expect(outcomes[0].events == outcomes[1].events)
  }

  @Test(
    "recovery stops at a checksummed batch whose stream version jumps, with and without the helper",
    arguments: [true, false])
  func recoveryStopsAtVersionJump(parallel: Bool) throws {
    // Two logs whose third batches both hold sequence 3 of stream "task/s":
    // version 2 in the first, version 3 in the second. The second's, spliced
    // into the first, passes every checksum but breaks the versions.
    var factory = EventFactory(seed: 49)
    var batches: [[(offset: Int, bytes: [UInt8])]] = []
    for streams in [["task/s", "task/t", "task/s"], ["task/s", "task/s", "task/s"]] {
      let directory = TemporaryDirectory("scan-ahead-jump-source")
      let log = try Log.open(at: directory.path, options: Self.options(parallel: false))
      for stream in streams { try log.append([factory.event(stream: stream)]) }
      try log.close()
      let bytes = Files.read(directory.child(SegmentName.segment(1)))
      var found: [(offset: Int, bytes: [UInt8])] = []
      var offset = SegmentHeader.size
      for _ in 0..<3 {
        let length = Int(
          bytes[offset..<offset + 4].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.1) << (8 * $1.0) })
        found.append((offset, Array(bytes[offset..<offset + length])))
        offset += length
      }
      batches.append(found)
    }
    let directory = TemporaryDirectory("scan-ahead-jump")
    let log = try Log.open(at: directory.path, options: Self.options(parallel: false))
    try log.close()
    let segment = directory.child(SegmentName.segment(1))
    let start = Array(Files.read(segment)[0..<SegmentHeader.size])
    Files.write(segment, start + batches[0][0].bytes + batches[0][1].bytes + batches[1][2].bytes)
    for name in Files.list(directory.path) where name.hasSuffix(".idx") {
      Files.remove(directory.child(name))
    }

    // A sound batch is no torn tail: opening refuses, naming the batch.
    let error = #expect(throws: StateLogError.self) {
      try Log.open(at: directory.path, options: Self.options(parallel: parallel))
    }
    #expect(error?.code == .corruption)
    #expect(error?.offset == UInt64(batches[0][2].offset))
    #expect(error?.message.contains("stream task/s jumps from version 1 to 3") == true)
  }

  @Test("the helper hands out a segment's batches in file order, as the batch reader finds them")
  func batchesInFileOrder() throws {
    let directory = TemporaryDirectory("scan-ahead-order")
    _ = try Self.writeLog(at: directory.path, compression: .none, seed: 45)
    let io = POSIXFileIO()
    let file = try io.open(directory.child(SegmentName.segment(1)), mode: .readOnly)
    defer { io.close(file) }
    let size = try io.size(of: file)
    var reader = BatchReader(io: io, file: file, name: "1")
    var expected: [(UInt64, UInt64)] = []
    var offset = UInt64(SegmentHeader.size)
    while case .batch(let header) = try reader.step(at: offset, limit: size) {
      expected.append((offset, header.baseSequence))
      offset += UInt64(header.length)
    }
    #expect(expected.count > 20)
    let ahead = try #require(
      ScanAhead.start(
        io: io, file: file, name: "1", from: UInt64(SegmentHeader.size), limit: size, firstSequence: 41))
    defer { ahead.finish() }
    var found: [(UInt64, UInt64)] = []
    var skipped = 0
    var item = ahead.next()
    while case .batch(let header, let batchOffset, let body) = item {
      defer { item = ahead.next() }
      found.append((batchOffset, header.baseSequence))
      let bytes = try body.get()
      if header.nextSequence <= 41 {
        skipped += 1
        #expect(bytes.isEmpty)
      } else {
        #expect(bytes.count == Int(header.bodyLength))
      }
    }
    guard case .footer(let footer) = item else {
      Issue.record("the segment's data ends with \(item), not its footer")
      return
    }
    #expect(footer == offset)
    #expect(skipped == 1)
    #expect(found.map(\.0) == expected.map(\.0))
    #expect(found.map(\.1) == expected.map(\.1))
  }
}
