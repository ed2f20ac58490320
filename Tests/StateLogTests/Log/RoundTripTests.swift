import TestSupport
import Testing

@testable import StateLog

@Suite("Round trip")
struct RoundTripTests {
  @Test("names are exact bytes: canonically equivalent spellings are different streams")
  func exactNames() throws {
    let directory = TemporaryDirectory()
    let composed = "profile/caf\u{E9}"
    let decomposed = "profile/cafe\u{301}"
    #expect(composed == decomposed, "Swift compares these as equal strings")
    let log = try Log.open(at: directory.path, options: .testing())
    try log.append([
      NewEvent(stream: composed, type: "t", payload: [1]),
      NewEvent(stream: decomposed, type: "t", payload: [2]),
      NewEvent(stream: composed, type: "t", payload: [3]),
    ])
    try log.close()
    let reopened = try Log.open(at: directory.path, options: .testing())
    #expect(reopened.streamIDs().count == 2)
    #expect(reopened.lastVersion(of: composed) == 2)
    #expect(reopened.lastVersion(of: decomposed) == 1)
    let second = try reopened.events(inStream: decomposed)
    #expect(second.map(\.payload) == [[2]])
    #expect(second.allSatisfy { Array($0.stream.utf8) == Array(decomposed.utf8) })
    #expect(
      try reopened.events().map { Array($0.stream.utf8) }
        == [composed, decomposed, composed].map { Array($0.utf8) })
  }

  @Test(
    "one append over many interleaved streams gives each stream its versions; a shared name is stored once")
  func manyStreamsInOneAppend() throws {
    let directory = TemporaryDirectory()
    // More streams than NameTable compares one by one, each event's name in a
    // string of its own storage, and one name used both as a stream and a type.
    let streams = (0..<40).map { "task/9c41b7de-\($0)" } + ["shared/name"]
    var generator = SeededGenerator(seed: 11)
    var events: [NewEvent] = []
    var expectedVersions: [String: UInt64] = [:]
    for index in 0..<400 {
      let stream = streams[Int(generator.next() % UInt64(streams.count))]
      events.append(
        NewEvent(
          stream: String(decoding: Array(stream.utf8), as: UTF8.self),
          type: index % 7 == 0 ? "shared/name" : "task.step", payload: [UInt8(index % 256)]))
    }
    do {
      let log = try Log.open(at: directory.path, options: .testing(compression: .none))
      try log.append([NewEvent(stream: streams[3], type: "task.step", payload: [0])])
      expectedVersions[streams[3]] = 1
      let result = try log.append(events)
      for (event, position) in zip(events, result.positions) {
        expectedVersions[event.stream, default: 0] += 1
        #expect(position.streamVersion == expectedVersions[event.stream])
      }
      try log.close()
    }
    let log = try Log.open(at: directory.path, options: .testing(compression: .none))
    for stream in streams where expectedVersions[stream] != nil {
      let read = try log.events(inStream: stream)
      #expect(read.map(\.streamVersion) == Array(1...expectedVersions[stream]!))
      #expect(log.lastVersion(of: stream) == expectedVersions[stream])
    }
    let segment = Files.list(directory.path).first { $0.hasSuffix(".seg") }!
    let bytes = Files.read(directory.path + "/" + segment)
    let shared = Array("shared/name".utf8)
    let occurrences = (0...(bytes.count - shared.count)).filter {
      bytes[$0..<($0 + shared.count)].elementsEqual(shared)
    }
    #expect(occurrences.count == 1, "the batch's string table holds \"shared/name\" once")
  }

  @Test(
    "events written across segment rolls read back identically by sequence, stream and time",
    arguments: [LogOptions.Compression.lz4, .none])
  func roundTrip(compression: LogOptions.Compression) throws {
    let directory = TemporaryDirectory()
    var factory = EventFactory(seed: 42)
    var written: [NewEvent] = []
    do {
      let log = try Log.open(
        at: directory.path, options: .testing(segmentSize: 16 << 10, compression: compression))
      for round in 0..<60 {
        let batch = factory.events(1 + round % 17)
        let result = try log.append(batch)
        #expect(result.positions.count == batch.count)
        #expect(result.firstSequence == UInt64(written.count + 1))
        written += batch
      }
      try log.close()
    }
    let segments = Files.list(directory.path).filter { $0.hasSuffix(".seg") }
    #expect(segments.count > 3, "expected several segment rolls, got \(segments)")

    let log = try Log.open(
      at: directory.path, options: .testing(segmentSize: 16 << 10, compression: compression))
    #expect(log.recoveryReport.isClean, "\(log.recoveryReport)")
    #expect(log.lastSequence == UInt64(written.count))
    let all = try log.events()
    #expect(all.count == written.count)
    for (index, event) in all.enumerated() {
      #expect(event.sequence == UInt64(index + 1))
      #expect(event.matches(written[index]), "event \(index + 1) differs")
    }

    // By stream: versions are dense and in append order.
    for stream in Set(written.map(\.stream)) {
      let expected = written.filter { $0.stream == stream }
      let read = try log.events(inStream: stream)
      #expect(read.count == expected.count)
      #expect(read.map(\.streamVersion) == Array(1...UInt64(expected.count)))
      #expect(zip(read, expected).allSatisfy { $0.matches($1) })
      let middle = try log.events(inStream: stream, fromVersion: 3, throughVersion: 5)
      #expect(middle.map(\.streamVersion) == [3, 4, 5])
      #expect(log.lastVersion(of: stream) == UInt64(expected.count))
    }

    // By sequence range.
    let range = try log.events(from: 100, through: 150)
    #expect(range.map(\.sequence) == Array(100...150))
    #expect(try log.event(at: 77).matches(written[76]))

    // By time: the clock only moves forward here, so the answer is the last
    // event stamped at or before the time.
    for probe in [0, 1, 57, 200, written.count - 1] {
      let time = written[probe].timestamp!
      let sequence = try log.sequence(atOrBefore: time)
      let expected = written.lastIndex { $0.timestamp! <= time }! + 1
      #expect(sequence == UInt64(expected))
    }
    #expect(try log.sequence(atOrBefore: Timestamp(nanosecondsSinceEpoch: 0)) == 0)
    #expect(try log.sequence(atOrBefore: .distantFuture) == UInt64(written.count))
    try log.close()
  }
}
