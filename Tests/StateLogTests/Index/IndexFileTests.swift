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

  /// The version 2 form of a version 3 index file: the same head with zeros
  /// at 84, the ids right after the stream runs, one checksum at the end.
  static func versionTwo(of file: [UInt8]) throws -> [UInt8] {
    let head = try #require(IndexFile.headLength(header: file, fileSize: file.count))
    var bytes = Array(file[0..<head])
    bytes[8] = 2
    bytes.replaceSubrange(84..<88, with: [0, 0, 0, 0])
    bytes += file[(head + 8)..<(file.count - 8)]
    withUnsafeBytes(of: Checksum.xxh3(bytes, from: 0, to: bytes.count).littleEndian) { bytes += $0 }
    return bytes
  }

  @Test("version 2 index files are read whole, with their ids, and a writer rewrites them as version 3")
  func versionTwoIsRead() throws {
    let directory = TemporaryDirectory("index-v2")
    var factory = EventFactory(seed: 7)
    let written = factory.events(300)
    do {
      let log = try Log.open(at: directory.path, options: .testing(segmentSize: 16 << 10))
      for chunk in stride(from: 0, to: 300, by: 10) { try log.append(Array(written[chunk..<chunk + 10])) }
      try log.close()
    }
    let indexes = Files.list(directory.path).filter { $0.hasSuffix(".idx") }.sorted()
    #expect(indexes.count >= 3)
    let current = Dictionary(uniqueKeysWithValues: indexes.map { ($0, Files.read(directory.child($0))) })
    for name in indexes { Files.write(directory.child(name), try Self.versionTwo(of: current[name]!)) }

    // A read-only reader uses them as they are: no scan, nothing rewritten.
    let reader = try Log.openReadOnly(at: directory.path, options: .testing(segmentSize: 16 << 10))
    #expect(reader.recoveryReport.rebuiltIndexes.isEmpty, "\(reader.recoveryReport)")
    #expect(try reader.events().count == 300)
    #expect(Files.read(directory.child(indexes[0]))[8] == 2)

    let log = try Log.open(at: directory.path, options: .testing(segmentSize: 16 << 10))
    #expect(log.recoveryReport.rebuiltIndexes.isEmpty, "\(log.recoveryReport)")
    for name in indexes {
      #expect(Files.read(directory.child(name)) == current[name], "\(name) rewritten as version 3")
    }
    let events = try log.events()
    #expect(zip(events, written).allSatisfy { $0.matches($1) })
    // The ids came through: a retry of the first append is recognised.
    let retry = try log.append(Array(written[0..<10]))
    #expect(retry.firstSequence == 1)
    #expect(log.lastSequence == 300)
    #expect(try log.verify().isSound)
    try log.close()
  }
}
