// The workloads of the benchmark issue on StateLog and on SQLite, for the
// ordo-one/benchmark harness:
//
//   cd Benchmarks && swift package benchmark --target Workloads
//
// Each iteration runs a whole workload over STATELOG_BENCH_EVENTS events
// (default 100,000); the `events/s` metric is the throughput of the measured
// part, and `bytes/event` the footprint on disk after a durable append (W7).
// `swift run -c release compare` runs the same workloads and prints them side by side.
import Benchmark
import Foundation
import BenchSupport
import StateLog

private let eventCount = Int(ProcessInfo.processInfo.environment["STATELOG_BENCH_EVENTS"] ?? "") ?? 100_000

private enum Metrics {
  static let eventsPerSecond = BenchmarkMetric.custom(
    "events/s", polarity: .prefersLarger, useScalingFactor: false)
  static let bytesPerEvent = BenchmarkMetric.custom("bytes/event", polarity: .prefersSmaller, useScalingFactor: false)
}

/// Scratch directories holding a filled log for the replay benchmarks, made by
/// their setup hooks and removed by their teardown hooks.
private final class ReplayFixture: @unchecked Sendable {
  var directory: String?
}
private let stateLogReplay = ReplayFixture()
private let sqliteReplay = ReplayFixture()

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
  let appendMetrics: [BenchmarkMetric] = Benchmark.defaultConfiguration.metrics + [Metrics.bytesPerEvent]

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
    "W4 replay (StateLog)", configuration: .init(warmupIterations: 1),
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
    "W4 replay (SQLite)", configuration: .init(warmupIterations: 1),
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
}
