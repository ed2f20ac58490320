import TestSupport
import Testing

@testable import StateLog

@Suite("Time index")
struct TimeIndexTests {
  /// The answer by definition: the longest prefix whose running maximum
  /// timestamp is at most `time`.
  static func bruteForce(_ timestamps: [Int64], _ time: Int64) -> UInt64 {
    var running = Int64.min
    for (index, timestamp) in timestamps.enumerated() {
      running = max(running, timestamp)
      if running > time { return UInt64(index) }
    }
    return UInt64(timestamps.count)
  }

  @Test(
    "a clock that steps backwards still gives the prefix up to the running maximum",
    arguments: [1 as UInt64, 2, 3, 4])
  func skewedClock(seed: UInt64) throws {
    let directory = TemporaryDirectory("time")
    var generator = SeededGenerator(seed: seed)
    var options = LogOptions.testing(segmentSize: 4096)
    options.indexInterval = 256
    let log = try Log.open(at: directory.path, options: options)
    var timestamps: [Int64] = []
    var clock: Int64 = 1_000_000
    for _ in 0..<120 {
      let count = Int.random(in: 1...4, using: &generator)
      var events: [NewEvent] = []
      for _ in 0..<count {
        // Mostly forward, sometimes a step back of up to 5 ms: a skewed clock.
        clock += Int64.random(in: -5_000...3_000, using: &generator)
        timestamps.append(clock)
        events.append(
          NewEvent(
            stream: "s/\(timestamps.count % 3)", type: "t",
            timestamp: Timestamp(nanosecondsSinceEpoch: clock),
            payload: [UInt8](repeating: 7, count: 40)))
      }
      try log.append(events)
    }
    #expect(Files.list(directory.path).filter { $0.hasSuffix(".seg") }.count > 2)
    let low = timestamps.min()! - 10
    let high = timestamps.max()! + 10
    var probes = timestamps + [low, high, .min, .max]
    for _ in 0..<300 { probes.append(Int64.random(in: low...high, using: &generator)) }
    for reopened in [false, true] {
      let reader = reopened ? try Log.openReadOnly(at: directory.path, options: options) : log
      for probe in probes {
        let answer = try reader.sequence(atOrBefore: Timestamp(nanosecondsSinceEpoch: probe))
        #expect(
          answer == Self.bruteForce(timestamps, probe), "seed \(seed), time \(probe), reopened \(reopened)")
      }
      let through = try reader.events(through: Timestamp(nanosecondsSinceEpoch: timestamps[200]))
      #expect(UInt64(through.count) == Self.bruteForce(timestamps, timestamps[200]))
    }
  }
}
