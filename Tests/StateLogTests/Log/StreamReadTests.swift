import TestSupport
import Testing

@testable import StateLog

@Suite("Stream reads")
struct StreamReadTests {
  /// A stream whose every event is followed by a large batch of other streams:
  /// the layout of one agent's events in a busy shared log.
  @Test(
    "reading a stream among large batches of other streams copies its own batches, not theirs",
    arguments: [LogOptions.Compression.lz4, .none])
  func skipsOtherStreamsBatches(compression: LogOptions.Compression) throws {
    let directory = TemporaryDirectory("stream-read")
    let io = FaultInjectingFileIO()
    var options = LogOptions.testing(segmentSize: 16 << 20, compression: compression)
    options.indexInterval = 4096
    options.fileIO = io
    var factory = EventFactory(seed: 7)
    let log = try Log.open(at: directory.path, options: options)
    var written: [NewEvent] = []
    var otherBatchBytes = 0
    for _ in 0..<40 {
      let event = factory.event(stream: "conversation/mine")
      written.append(event)
      try log.append([event])
      let others = (0..<100).map { factory.event(stream: "conversation/other-\($0)") }
      otherBatchBytes = others.reduce(0) { $0 + $1.payload.count }
      try log.append(others)
    }
    let before = io.bytesRead
    let read = try log.events(inStream: "conversation/mine", fromVersion: 11, throughVersion: 30)
    let copied = io.bytesRead - before
    #expect(read.map(\.payload) == written[10..<30].map(\.payload))
    // Each of the 20 events costs at most one small first read (4 KiB) and its
    // own batch; reading one other batch whole would already cost 30 KB.
    #expect(copied <= 20 * (BatchReader.firstChunkSize + 1024), "copied \(copied) bytes")
    #expect(otherBatchBytes >= 30_000)
    try log.close()
  }
}
