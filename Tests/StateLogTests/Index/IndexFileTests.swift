import TestSupport
import Testing

@testable import StateLog

@Suite("Index files")
struct IndexFileTests {
  @Test("opening a log reads the heads of sealed segments' index files, not their ids")
  func openReadsHeadsOnly() throws {
    let directory = TemporaryDirectory("index-heads")
    var factory = EventFactory(seed: 5)
    do {
      let log = try Log.open(at: directory.path, options: .testing(segmentSize: 16 << 10))
      for _ in 0..<100 { try log.append(factory.events(10)) }
      try log.close()
    }
    let indexes = Files.list(directory.path).filter { $0.hasSuffix(".idx") }.sorted()
    let sealed = indexes.dropLast()
    #expect(sealed.count >= 3)
    let indexBytes = indexes.map { Files.read(directory.child($0)).count }.reduce(0, +)
    // Each sealed index file: the head, its checksum, then 16 bytes per event and a checksum.
    let sealedIDBytes = try sealed.map { name in
      let bytes = Files.read(directory.child(name))
      let head = try #require(IndexFile.headLength(header: Array(bytes.prefix(88)), fileSize: bytes.count))
      return bytes.count - head - 16
    }.reduce(0, +)
    #expect(sealedIDBytes > indexBytes / 2, "the ids are most of an index file")

    let io = FaultInjectingFileIO()
    var options = LogOptions.testing(segmentSize: 16 << 10)
    options.fileIO = io
    let log = try Log.open(at: directory.path, options: options)
    #expect(log.recoveryReport.isClean)
    #expect(log.lastSequence == 1000)
    // Segment headers, footers, last batch headers and index headers (read
    // before the head they start): under 300 bytes a segment.
    #expect(io.bytesRead <= indexBytes - sealedIDBytes + 300 * indexes.count)
    #expect(300 * indexes.count < sealedIDBytes / 2)
    #expect(try log.events().count == 1000)
    try log.close()
  }

  @Test("an index file round-trips, head alone or with its ids, and any other version is refused")
  func roundTrip() throws {
    let directory = TemporaryDirectory("index-round-trip")
    var factory = EventFactory(seed: 6)
    let log = try Log.open(at: directory.path, options: .testing())
    for _ in 0..<20 { try log.append(factory.events(7)) }
    let index = log.state.withLock { $0.segments[0].index }
    try log.close()
    let file = IndexFile.encode(index)
    let full = try IndexFile.decode(file, fileSize: file.count, segmentBase: 1, includeIDs: true).get()
    #expect(full == index)
    let head = try #require(IndexFile.headLength(header: file, fileSize: file.count))
    let headOnly = try IndexFile.decode(
      Array(file.prefix(head + 8)), fileSize: file.count, segmentBase: 1, includeIDs: false
    ).get()
    var withoutIDs = index
    withoutIDs.ids = []
    #expect(headOnly == withoutIDs)
    var older = file
    older[8] = 2
    #expect(throws: DecodingFailure.self) {
      try IndexFile.decode(older, fileSize: older.count, segmentBase: 1, includeIDs: false).get()
    }
  }

  @Test("a stream run of no events is damage, not a stream")
  func emptyRunRefused() throws {
    var index = SegmentIndex(baseSequence: 1)
    index.streams[ExactName("s")] = StreamRun(firstVersion: 1, sequences: [])
    let file = IndexFile.encode(index)
    #expect(throws: DecodingFailure.self) {
      try IndexFile.decode(file, fileSize: file.count, segmentBase: 1, includeIDs: true).get()
    }
  }
}
