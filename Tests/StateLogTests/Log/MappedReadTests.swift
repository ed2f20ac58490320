import Glibc
import TestSupport
import Testing

@testable import StateLog

/// Stream reads go through a memory mapping of each segment when the file
/// system can map: these tests pin down that the mapping shows exactly what
/// `pread` would, as segments grow, roll, change on disk or get salvaged.
@Suite("Mapped stream reads")
struct MappedReadTests {
  @Test("stream reads through mappings follow appends, rolls and segments that outgrow their mapping")
  func followsGrowingSegments() throws {
    let directory = TemporaryDirectory("mapped-growth")
    let writerIO = FaultInjectingFileIO(mapsFiles: true)
    var writerOptions = LogOptions.testing(segmentSize: 16 << 10)
    writerOptions.fileIO = writerIO
    let log = try Log.open(at: directory.path, options: writerOptions)
    // A reader that expects 4 KiB segments maps too little of each and has to
    // map a segment again whenever it has grown past its mapping.
    let readerIO = FaultInjectingFileIO(mapsFiles: true)
    var readerOptions = LogOptions.testing(segmentSize: 4096)
    readerOptions.fileIO = readerIO
    let reader = try Log.openReadOnly(at: directory.path, options: readerOptions)
    var factory = EventFactory(seed: 31, streams: ["task/a", "task/b", "task/c"])
    var written: [String: [NewEvent]] = [:]
    for _ in 0..<150 {
      let event = factory.event(size: Int(factory.generator.next() % 1_400) + 100)
      written[event.stream, default: []].append(event)
      try log.append([event])
      try reader.refresh()
      for stream in factory.streams {
        let expected = written[stream, default: []]
        for (name, log, io) in [("writer", log, writerIO), ("reader", reader, readerIO)] {
          let before = io.bytesRead
          let read = try log.events(inStream: stream)
          #expect(io.bytesRead == before, "a stream read by the \(name) copied bytes with read(2)")
          #expect(read.count == expected.count)
          #expect(zip(read, expected).allSatisfy { $0.matches($1) })
        }
      }
    }
    let segments = Files.list(directory.path).filter { $0.hasSuffix(".seg") }.count
    #expect(segments > 3)
    #expect(writerIO.count(.map) == segments)
    #expect(readerIO.count(.map) > 2 * segments, "segments did not outgrow the reader's mappings")
    try reader.close()
    try log.close()
  }

  @Test("a file system that cannot map falls back to read(2) with the same answers")
  func mappingFailureFallsBack() throws {
    let directory = TemporaryDirectory("mapped-fallback")
    let io = FaultInjectingFileIO(mapsFiles: true)
    io.inject(.error(ENOMEM), on: .map, sticky: true)
    var options = LogOptions.testing(segmentSize: 8 << 10)
    options.fileIO = io
    var factory = EventFactory(seed: 32)
    let log = try Log.open(at: directory.path, options: options)
    let written = factory.events(80)
    for event in written { try log.append([event]) }
    for stream in factory.streams {
      let before = io.bytesRead
      let read = try log.events(inStream: stream)
      let expected = written.filter { $0.stream == stream }
      #expect(read.count == expected.count)
      #expect(zip(read, expected).allSatisfy { $0.matches($1) })
      #expect(io.bytesRead > before)
    }
    #expect(io.injectedCount > 0)
    try log.close()
  }

  @Test("a byte flipped on disk under a mapping is reported as pread reports it: file and offset")
  func corruptionUnderMapping() throws {
    let directory = TemporaryDirectory("mapped-corruption")
    let mapped = FaultInjectingFileIO(mapsFiles: true)
    // Small segments: the damage lands in a sealed one, which a reader opening
    // the log later trusts through its index file instead of scanning it.
    var options = LogOptions.testing(segmentSize: 4096, compression: .none)
    options.fileIO = mapped
    var factory = EventFactory(seed: 33, streams: ["profile/u1"])
    let log = try Log.open(at: directory.path, options: options)
    var ends: [Int] = []
    for _ in 0..<30 {
      try log.append([factory.event()])
      if Files.list(directory.path).filter({ $0.hasSuffix(".seg") }).count == 1 {
        ends.append(Files.read(directory.child(SegmentName.segment(1))).count)
      }
    }
    #expect(try log.events(inStream: "profile/u1").count == 30)
    #expect(mapped.count(.map) > 1)
    #expect(ends.count > 5)
    Files.flipBit(in: directory.child(SegmentName.segment(1)), at: ends[3] + 100)

    let viaMapping = #expect(throws: StateLogError.self) { try log.events(inStream: "profile/u1") }
    var readOptions = LogOptions.testing(segmentSize: 4096, compression: .none)
    readOptions.fileIO = FaultInjectingFileIO()
    let reader = try Log.openReadOnly(at: directory.path, options: readOptions)
    let viaRead = #expect(throws: StateLogError.self) { try reader.events(inStream: "profile/u1") }
    #expect(viaMapping?.code == .corruption)
    #expect(viaMapping?.file == SegmentName.segment(1))
    #expect(viaMapping?.offset == UInt64(ends[3]))
    #expect(viaMapping?.code == viaRead?.code)
    #expect(viaMapping?.file == viaRead?.file)
    #expect(viaMapping?.offset == viaRead?.offset)
    try reader.close()
    try log.close()
  }

  @Test("a read-only reader's mapping of the active segment shows what the writer appends later")
  func readerFollowsWriter() throws {
    let directory = TemporaryDirectory("mapped-reader")
    var factory = EventFactory(seed: 34, streams: ["conversation/c1", "conversation/c2"])
    let writer = try Log.open(at: directory.path, options: .testing(segmentSize: 1 << 20))
    var written = factory.events(20)
    try writer.append(written)
    let io = FaultInjectingFileIO(mapsFiles: true)
    var options = LogOptions.testing(segmentSize: 1 << 20)
    options.fileIO = io
    let reader = try Log.openReadOnly(at: directory.path, options: options)
    for round in 0..<5 {
      for stream in factory.streams {
        let before = io.bytesRead
        let read = try reader.events(inStream: stream)
        let expected = written.filter { $0.stream == stream }
        #expect(io.bytesRead == before)
        #expect(read.count == expected.count, "round \(round)")
        #expect(zip(read, expected).allSatisfy { $0.matches($1) })
      }
      let more = factory.events(20)
      try writer.append(more)
      written += more
      try reader.refresh()
    }
    #expect(io.count(.map) == 1, "the first mapping reserves the whole segment")
    try reader.close()
    try writer.close()
  }

  @Test("salvage does not cut a segment from under a reader that has it mapped")
  func salvageUnderMapping() throws {
    let directory = TemporaryDirectory("mapped-salvage")
    var factory = EventFactory(seed: 35)
    var ends: [Int] = []
    var late: [NewEvent] = []
    var writer: Log? = try Log.open(at: directory.path, options: .testing(compression: .none))
    // Two pages of "early" events, the batch to damage, then "late" events on
    // the pages that a truncation at the damage would cut off.
    for index in 0..<41 {
      let stream = index < 20 ? "task/early" : index == 20 ? "task/damaged" : "task/late"
      let event = factory.event(size: 400, stream: stream)
      if stream == "task/late" { late.append(event) }
      try writer!.append([event])
      ends.append(Files.read(directory.child(SegmentName.segment(1))).count)
    }
    writer = nil  // released without close, as a crash would
    let io = FaultInjectingFileIO(mapsFiles: true)
    var options = LogOptions.testing(compression: .none)
    options.fileIO = io
    let reader = try Log.openReadOnly(at: directory.path, options: options)
    #expect(try reader.events(inStream: "task/late").count == late.count)
    #expect(io.count(.map) == 1)

    let damaged = ends[19]
    #expect(ends.last! - damaged > 2 * 4096)
    Files.flipBit(in: directory.child(SegmentName.segment(1)), at: damaged + 100)
    var salvageOptions = LogOptions.testing(compression: .none)
    salvageOptions.salvage = true
    let salvaged = try Log.open(at: directory.path, options: salvageOptions)
    #expect(salvaged.recoveryReport.movedAside == ["\(SegmentName.segment(1)).\(damaged).corrupt"])
    #expect(try salvaged.events(inStream: "task/late").isEmpty)
    #expect(try salvaged.events(inStream: "task/early").count == 20)

    // The reader still maps the file it opened, whole.
    let read = try reader.events(inStream: "task/late")
    #expect(read.count == late.count)
    #expect(zip(read, late).allSatisfy { $0.matches($1) })
    try salvaged.close()
    try reader.close()
  }
}
