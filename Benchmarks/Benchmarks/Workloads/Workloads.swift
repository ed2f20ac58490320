// The workloads of the benchmark issue on StateLog and on SQLite, for the
// ordo-one/benchmark harness:
//
//   cd Benchmarks && swift package benchmark --target Workloads
//
// Each iteration runs a whole workload over STATELOG_BENCH_EVENTS events
// (default 100,000); the `events/s` metric is the throughput of the measured
// part, and `bytes/event` the footprint on disk after a durable append (W7).
// W2 appends 20,000 single events from 64 writers; W5 reads the state of a
// 10,000-event stream at 1,000 random points per iteration (SQLite: 100) and
// reports their p50 and p99; W6 opens the log of W4's events; W8 runs the
// 500-turn agent loop. `swift run -c release compare` runs the same workloads
// (more sizes, RocksDB and LMDB too) and prints them side by side.
import BenchSupport
import Benchmark
import Foundation
import StateLog

private let eventCount = Int(ProcessInfo.processInfo.environment["STATELOG_BENCH_EVENTS"] ?? "") ?? 100_000

private enum Metrics {
  static let eventsPerSecond = BenchmarkMetric.custom(
    "events/s", polarity: .prefersLarger, useScalingFactor: false)
  static let bytesPerEvent = BenchmarkMetric.custom(
    "bytes/event", polarity: .prefersSmaller, useScalingFactor: false)
  static let p50Microseconds = BenchmarkMetric.custom(
    "p50 µs", polarity: .prefersSmaller, useScalingFactor: false)
  static let p99Microseconds = BenchmarkMetric.custom(
    "p99 µs", polarity: .prefersSmaller, useScalingFactor: false)
  static let openMicroseconds = BenchmarkMetric.custom(
    "open µs", polarity: .prefersSmaller, useScalingFactor: false)
  static let diskPerText = BenchmarkMetric.custom(
    "disk/text x100", polarity: .prefersSmaller, useScalingFactor: false)
}

/// Scratch directories holding a filled log for the replay benchmarks, made by
/// their setup hooks and removed by their teardown hooks.
private final class ReplayFixture: @unchecked Sendable {
  var directory: String?
  /// W5: the stream's last version.
  var lastVersion: UInt64 = 0
}
private let stateLogReplay = ReplayFixture()
private let sqliteReplay = ReplayFixture()
private let openFixture = ReplayFixture()
private let pointInTime = [AgentStateWorkloads.Kind: (stateLog: ReplayFixture, sqlite: ReplayFixture)](
  uniqueKeysWithValues: AgentStateWorkloads.Kind.allCases.map { ($0, (ReplayFixture(), ReplayFixture())) })

/// The stream length of W5 here, and the versions its iterations read.
private let w5Events = 10_000
private final class PointSeeds: @unchecked Sendable {
  var next: UInt64 = 0x5EED_0005
}
private let pointSeeds = PointSeeds()

/// Records the p50 and p99 of one iteration's reads, in microseconds.
private func recordLatencies(_ benchmark: Benchmark, _ nanoseconds: [UInt64]) {
  let percentiles = Percentiles(nanoseconds)
  benchmark.measurement(Metrics.p50Microseconds, Int(percentiles.p50 / 1_000))
  benchmark.measurement(Metrics.p99Microseconds, Int(percentiles.p99 / 1_000))
}

/// One W5 iteration: `count` new random versions of the fixture's stream,
/// read by `read`, which returns each read's time.
private func timePoints(
  _ benchmark: Benchmark, _ fixture: ReplayFixture, count: Int,
  _ read: (_ directory: String, _ points: [UInt64]) throws -> [UInt64]
) throws {
  pointSeeds.next &+= 1
  let points = AgentStateWorkloads.randomPoints(
    count: count, last: fixture.lastVersion, seed: pointSeeds.next)
  let nanoseconds = try read(fixture.directory!, points)
  benchmark.stopMeasurement()
  recordLatencies(benchmark, nanoseconds)
}

/// W6's setup: the data set's events in every engine, under a new directory.
private func writeOpenFixture() throws {
  let root = try Files.makeTemporaryDirectory("w6")
  openFixture.directory = root
  _ = try OpenWorkload.write(events: eventCount, under: root) { _ in }
}

private func record(_ benchmark: Benchmark, nanoseconds: UInt64) {
  benchmark.measurement(Metrics.eventsPerSecond, Int(Double(eventCount) / (Double(nanoseconds) / 1e9)))
}

let benchmarks: @Sendable () -> Void = {
  let data = Dataset.make(events: eventCount)

  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .syscalls, Metrics.eventsPerSecond],
    timeUnits: .milliseconds,
    warmupIterations: 0,
    maxDuration: .seconds(10),
    maxIterations: 5
  )
  // Peak resident memory for W7 (the process's, the data set included).
  let appendMetrics: [BenchmarkMetric] =
    Benchmark.defaultConfiguration.metrics + [Metrics.bytesPerEvent, .peakMemoryResident]
  let replayMetrics: [BenchmarkMetric] = Benchmark.defaultConfiguration.metrics + [.peakMemoryResident]

  // W1: batches of 100, each durable before the next.
  Benchmark("W1 durable append (StateLog)", configuration: .init(metrics: appendMetrics)) { benchmark in
    let directory = try Files.makeTemporaryDirectory("statelog-w1")
    defer { Files.remove(directory) }
    let elapsed = try StateLogWorkloads.append(data, to: directory, durability: .fsyncEveryAppend)
    benchmark.stopMeasurement()
    record(benchmark, nanoseconds: elapsed)
    benchmark.measurement(Metrics.bytesPerEvent, Files.size(of: directory).bytes / eventCount)
  }
  Benchmark("W1 durable append (SQLite)", configuration: .init(metrics: appendMetrics)) { benchmark in
    let directory = try Files.makeTemporaryDirectory("sqlite-w1")
    defer { Files.remove(directory) }
    let elapsed = try SQLiteWorkloads.append(data, to: directory, durable: true)
    benchmark.stopMeasurement()
    record(benchmark, nanoseconds: elapsed)
    benchmark.measurement(Metrics.bytesPerEvent, Files.size(of: directory).bytes / eventCount)
  }

  // W3: batches of 100, durable only when the log closes.
  Benchmark("W3 buffered append (StateLog)") { benchmark in
    let directory = try Files.makeTemporaryDirectory("statelog-w3")
    defer { Files.remove(directory) }
    let elapsed = try StateLogWorkloads.append(data, to: directory, durability: .buffered)
    benchmark.stopMeasurement()
    record(benchmark, nanoseconds: elapsed)
  }
  Benchmark("W3 buffered append (SQLite)") { benchmark in
    let directory = try Files.makeTemporaryDirectory("sqlite-w3")
    defer { Files.remove(directory) }
    let elapsed = try SQLiteWorkloads.append(data, to: directory, durable: false)
    benchmark.stopMeasurement()
    record(benchmark, nanoseconds: elapsed)
  }

  // W4: a raw scan of every event, from the page cache.
  Benchmark(
    "W4 replay (StateLog)", configuration: .init(metrics: replayMetrics, warmupIterations: 1),
    closure: { benchmark in
      let scan = try StateLogWorkloads.scan(stateLogReplay.directory!)
      benchmark.stopMeasurement()
      guard scan.result.events == eventCount else { throw BenchError("scanned \(scan.result.events) events") }
      record(benchmark, nanoseconds: scan.nanoseconds)
    },
    setup: {
      let directory = try Files.makeTemporaryDirectory("statelog-w4")
      stateLogReplay.directory = directory
      _ = try StateLogWorkloads.append(data, to: directory, durability: .buffered)
    },
    teardown: { stateLogReplay.directory.map(Files.remove) })
  Benchmark(
    "W4 replay (SQLite)", configuration: .init(metrics: replayMetrics, warmupIterations: 1),
    closure: { benchmark in
      let scan = try SQLiteWorkloads.scan(sqliteReplay.directory!)
      benchmark.stopMeasurement()
      guard scan.result.events == eventCount else { throw BenchError("scanned \(scan.result.events) events") }
      record(benchmark, nanoseconds: scan.nanoseconds)
    },
    setup: {
      let directory = try Files.makeTemporaryDirectory("sqlite-w4")
      sqliteReplay.directory = directory
      _ = try SQLiteWorkloads.append(data, to: directory, durable: false)
    },
    teardown: { sqliteReplay.directory.map(Files.remove) })

  // W2: one event per append, each durable before it returns, from 64
  // writers on their own streams (StateLog in group commit; SQLite's writers
  // share a connection, its fastest setup here).
  let singleEvents = DurableAppendWorkload.split(Array(data.batches.joined().prefix(20_000)), writers: 64)
  Benchmark("W2 durable single-event append, 64 writers (StateLog)") { benchmark in
    let directory = try Files.makeTemporaryDirectory("statelog-w2")
    defer { Files.remove(directory) }
    let result = try DurableAppendWorkload.stateLog(singleEvents, directory: directory)
    benchmark.stopMeasurement()
    benchmark.measurement(Metrics.eventsPerSecond, Int(result.rate))
  }
  Benchmark("W2 durable single-event append, 64 writers (SQLite)") { benchmark in
    let directory = try Files.makeTemporaryDirectory("sqlite-w2")
    defer { Files.remove(directory) }
    let result = try DurableAppendWorkload.sqlite(
      singleEvents, directory: directory, connectionPerWriter: false)
    benchmark.stopMeasurement()
    benchmark.measurement(Metrics.eventsPerSecond, Int(result.rate))
  }

  // W5: the state of a profile or task stream at random versions, on a fresh
  // store with every snapshot kept (one every 32 events); SQLite folds the rows.
  let latencyMetrics: [BenchmarkMetric] = [.wallClock, Metrics.p50Microseconds, Metrics.p99Microseconds]
  for kind in AgentStateWorkloads.Kind.allCases {
    let fixtures = pointInTime[kind]!
    Benchmark(
      "W5 \(kind.rawValue) state at a point, \(w5Events) events, snapshots (StateLog)",
      configuration: .init(metrics: latencyMetrics),
      closure: { benchmark in
        try timePoints(benchmark, fixtures.stateLog, count: 1_000) {
          try AgentStateWorkloads.stateAt(kind, directory: $0, points: $1).nanoseconds
        }
      },
      setup: {
        let directory = try Files.makeTemporaryDirectory("statelog-w5-\(kind.rawValue)")
        fixtures.stateLog.directory = directory
        fixtures.stateLog.lastVersion = try AgentStateWorkloads.writeW5Stream(
          kind, events: w5Events, directory: directory, snapshotInterval: 32,
          snapshotsKept: w5Events / 32 + 10)
      },
      teardown: { fixtures.stateLog.directory.map(Files.remove) })
    Benchmark(
      "W5 \(kind.rawValue) state at a point, \(w5Events) events (SQLite)",
      configuration: .init(metrics: latencyMetrics),
      closure: { benchmark in
        try timePoints(benchmark, fixtures.sqlite, count: 100) {
          try AgentStateWorkloads.sqliteStateAt(kind, directory: $0, points: $1).nanoseconds
        }
      },
      setup: {
        let source = try Files.makeTemporaryDirectory("statelog-w5-source-\(kind.rawValue)")
        defer { Files.remove(source) }
        fixtures.sqlite.lastVersion = try AgentStateWorkloads.writeW5Stream(
          kind, events: w5Events, directory: source, snapshotInterval: 0, snapshotsKept: 3)
        let directory = try Files.makeTemporaryDirectory("sqlite-w5-\(kind.rawValue)")
        fixtures.sqlite.directory = directory
        try AgentStateWorkloads.copyToSQLite(kind, from: source, to: directory)
      },
      teardown: { fixtures.sqlite.directory.map(Files.remove) })
  }

  // W6: a clean open of a log (a database) of the data set's events, and a
  // read of its last sequence.
  let openMetrics: [BenchmarkMetric] = [.wallClock, .syscalls, Metrics.openMicroseconds]
  Benchmark(
    "W6 clean open (StateLog)", configuration: .init(metrics: openMetrics),
    closure: { benchmark in
      let opened = try OpenWorkload.openStateLog(openFixture.directory! + "/statelog", expecting: eventCount)
      benchmark.stopMeasurement()
      benchmark.measurement(Metrics.openMicroseconds, Int(opened.nanoseconds / 1_000))
    },
    setup: writeOpenFixture,
    teardown: { openFixture.directory.map(Files.remove) })
  Benchmark(
    "W6 clean open (SQLite)", configuration: .init(metrics: openMetrics),
    closure: { benchmark in
      let nanoseconds = try OpenWorkload.openSQLite(openFixture.directory! + "/sqlite", expecting: eventCount)
      benchmark.stopMeasurement()
      benchmark.measurement(Metrics.openMicroseconds, Int(nanoseconds / 1_000))
    },
    setup: writeOpenFixture,
    teardown: { openFixture.directory.map(Files.remove) })

  // W8: 500 turns of one conversation, each a durable user message, a
  // durable reply and a state read (LangGraph's checkpointer workload; its
  // reference numbers are in BENCHMARKS.md).
  Benchmark(
    "W8 agent turn loop, 500 turns (StateLog)",
    configuration: .init(
      metrics: [.wallClock, Metrics.p50Microseconds, Metrics.p99Microseconds, Metrics.diskPerText])
  ) { benchmark in
    let directory = try Files.makeTemporaryDirectory("statelog-w8")
    defer { Files.remove(directory) }
    let result = try AgentStateWorkloads.turnLoop(directory: directory, turns: 500, footprintAt: [500])
    benchmark.stopMeasurement()
    recordLatencies(benchmark, result.turns)
    if let last = result.footprint.last, last.text > 0 {
      benchmark.measurement(Metrics.diskPerText, last.bytes * 100 / last.text)
    }
  }
}
