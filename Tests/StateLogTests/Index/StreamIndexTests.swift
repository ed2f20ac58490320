import TestSupport
import Testing

@testable import StateLog

@Suite("Stream index")
struct StreamIndexTests {
  @Test(
    "positions kept in runs answer every lookup as one flat array would",
    arguments: [1, 2, 7, 40] as [Int])
  func runsMatchAFlatArray(runCount: Int) {
    var generator = SeededGenerator(seed: UInt64(runCount))
    var flat: [UInt64] = []
    var next: UInt64 = 1 + generator.next() % 5
    var positions: StreamIndex.Positions?
    for run in 0..<runCount {
      let sequences = (0..<(1 + Int(generator.next() % 20))).map { _ in
        defer { next += 1 + generator.next() % 4 }
        return next
      }
      flat += sequences
      if positions == nil {
        positions = .init(firstVersion: 11, sequences: sequences)
      } else if run % 3 == 2 {
        positions!.append(contentsOf: sequences)
      } else {
        positions!.append(run: sequences)
      }
    }
    let index = positions!
    #expect(index.count == flat.count)
    #expect(index.lastVersion == 10 + UInt64(flat.count))
    for offset in flat.indices { #expect(index.sequence(at: offset) == flat[offset]) }
    for _ in 0..<50 {
      let lower = Int(generator.next() % UInt64(flat.count))
      let upper = lower + Int(generator.next() % UInt64(flat.count - lower))
      let limit = generator.next() % (next + 2)
      #expect(
        index.sequences(at: lower...upper, below: limit) == Array(flat[lower...upper].prefix { $0 < limit }))
    }
    for sequence in 0...(next + 1) {
      #expect(index.count(below: sequence) == flat.partitioningIndex { $0 >= sequence })
    }
    for dropped in 0...flat.count {
      let rest = index.dropping(first: dropped)
      if dropped == flat.count {
        #expect(rest == nil)
      } else {
        #expect(rest?.firstVersion == 11 + UInt64(dropped))
        #expect(rest.map { r in (0..<r.count).map { r.sequence(at: $0) } } == Array(flat[dropped...]))
      }
    }
  }

  @Test("short runs, as a reader refreshing after every append adds them, are joined into few arrays")
  func shortRunsAreJoined() {
    var positions = StreamIndex.Positions(firstVersion: 1, sequences: [1])
    for sequence in UInt64(2)...10_000 { positions.append(run: [sequence]) }
    #expect(positions.count == 10_000)
    #expect(positions.runs.count <= 10_000 / StreamIndex.Positions.shortRun + 1)
    #expect((0..<10_000).allSatisfy { positions.sequence(at: $0) == UInt64($0 + 1) })
  }
}
