// W2 (durable single-event appends by one writer and by many concurrent
// writers): run, print its table, and return its rows and the disk's floor
// for results.json.
//
// Environment: STATELOG_BENCH_W2_WRITERS (comma-separated writer counts,
// default "1,8,64"), STATELOG_BENCH_W2_EVENTS (events per run: "2000,20000"
// is 2,000 for one writer and 20,000 for each concurrent configuration; one
// number sizes every configuration), STATELOG_BENCH_W2_REPEATS (runs of each
// configuration, default STATELOG_BENCH_REPEATS; the rates are medians, the
// latency percentiles are over every append of every run; the defaults take
// one to two minutes, mostly SQLite's and LMDB's serialised writers),
// STATELOG_BENCH_W2_SQLITE ("mutex", the default: concurrent SQLite writers
// share one connection under a mutex; "connections": one connection each,
// BEGIN IMMEDIATE and a busy timeout, which measured up to ten times slower
// at 64 writers: SQLite's busy handler sleeps a millisecond and more).
import BenchSupport
import Foundation
import StateLog

/// The integers of a comma-separated environment variable, or of `fallback`.
@MainActor
func integerList(_ name: String, _ fallback: String) -> [Int] {
  (environment[name] ?? fallback).split(separator: ",").compactMap {
    Int($0.trimmingCharacters(in: .whitespaces))
  }
}

@MainActor
func runW2() throws -> (rows: [Row], document: [String: Any]) {
  let writerCounts = integerList("STATELOG_BENCH_W2_WRITERS", "1,8,64").filter { $0 > 0 }
  let counts = integerList("STATELOG_BENCH_W2_EVENTS", "2000,20000").filter { $0 > 0 }
  guard !writerCounts.isEmpty, !counts.isEmpty else {
    throw BenchError("STATELOG_BENCH_W2_WRITERS and STATELOG_BENCH_W2_EVENTS need positive numbers")
  }
  func eventCount(writers: Int) -> Int { writers == 1 ? counts[0] : counts[counts.count - 1] }
  let runs = max(environment["STATELOG_BENCH_W2_REPEATS"].flatMap { Int($0) } ?? repeats, 1)
  let connectionPerWriter = environment["STATELOG_BENCH_W2_SQLITE"] == "connections"
  let largest = writerCounts.map { eventCount(writers: $0) }.max()!
  let events = Dataset.make(events: largest).batches.flatMap { $0 }
  log(
    "W2: \(events.count) events; SQLite writers \(connectionPerWriter ? "on a connection each" : "share a connection")"
  )

  let engines = ["statelog", "sqlite", "rocksdb", "lmdb"]
  var rows: [Row] = []
  var latencyLines: [[String]] = []
  var cpuLines: [[String]] = []
  var floor: [Double] = []
  var overwritingFloor: [Double] = []
  var eventBytes = 0
  var sqliteOneWriter: Double?
  for writers in writerCounts {
    let count = eventCount(writers: writers)
    let work = DurableAppendWorkload.split(Array(events.prefix(count)), writers: writers)
    var row = Row(
      workload: "W2 durable single-event append, \(writers) writer\(writers == 1 ? "" : "s")",
      unit: "events/s",
      higherIsBetter: true, target: writers == 64 ? ">= 10x SQLite" : "(no target)",
      meets: { s, q in s >= 10 * q })
    var latencies: [String: [UInt64]] = [:]
    var cpu: [String: [Double]] = [:]
    for round in 1...runs {
      for engine in engines {
        let directory = try Files.makeTemporaryDirectory("w2-\(engine)")
        defer { Files.remove(directory) }
        let result: DurableAppendWorkload.Result
        switch engine {
        case "statelog":
          result = try DurableAppendWorkload.stateLog(work, directory: directory)
          row.stateLog.append(result.rate)
          if writers == 1 { eventBytes = max(Files.size(of: directory).bytes / count, 1) }
        case "sqlite":
          result = try DurableAppendWorkload.sqlite(
            work, directory: directory, connectionPerWriter: connectionPerWriter)
          row.sqlite.append(result.rate)
        case "rocksdb":
          result = try DurableAppendWorkload.rocksdb(work, directory: directory)
          row.rocksdb.append(result.rate)
        default:
          result = try DurableAppendWorkload.lmdb(work, directory: directory)
          row.lmdb.append(result.rate)
        }
        latencies[engine, default: []] += result.latencies
        cpu[engine, default: []].append(Double(result.cpuNanoseconds) / Double(result.events) / 1_000)
        let percentiles = Percentiles(result.latencies)
        log(
          "round \(round): W2 \(writers) writers \(engine) \(Int(result.rate)) events/s, p50 \(formatLatency(percentiles.p50)), p99 \(formatLatency(percentiles.p99))"
        )
      }
      if writers == 1 {
        // The disk's own limit for one writer: a pwrite of one event's bytes
        // on disk and an fdatasync per event.
        let nanoseconds = try Files.fsyncFloor(batches: count, bytes: eventBytes)
        floor.append(Double(count) / (Double(nanoseconds) / 1e9))
        let overwriting = try Files.fsyncFloor(batches: count, bytes: eventBytes, overwriting: true)
        overwritingFloor.append(Double(count) / (Double(overwriting) / 1e9))
        log(
          "round \(round): W2 floor (pwrite + fdatasync of \(eventBytes) bytes per event) \(Int(floor.last!)) events/s appending, \(Int(overwritingFloor.last!)) overwriting"
        )
      }
    }
    if writers == 1 { sqliteOneWriter = median(row.sqlite) }
    row.notes["writers"] = Double(writers)
    row.notes["events"] = Double(count)
    var line = ["  \(writers == 1 ? "" : "each ")append latency p50 / p99"]
    var cpuLine = ["  CPU time per event (whole process)"]
    for engine in engines {
      let percentiles = Percentiles(latencies[engine] ?? [])
      row.notes["\(engine)LatencyP50Microseconds"] = percentiles.p50 / 1_000
      row.notes["\(engine)LatencyP99Microseconds"] = percentiles.p99 / 1_000
      line.append("\(formatLatency(percentiles.p50)) / \(formatLatency(percentiles.p99))")
      let cpuMicroseconds = median(cpu[engine] ?? [0])
      row.notes["\(engine)CPUMicrosecondsPerEvent"] = cpuMicroseconds
      cpuLine.append(formatLatency(cpuMicroseconds * 1_000))
    }
    if let sqliteOneWriter, writers > 1 {
      row.notes["ratioSQLiteOneWriter"] = median(row.stateLog) / sqliteOneWriter
    }
    rows.append(row)
    latencyLines.append(line + ["-", "-", "-", "-", "-"])
    cpuLines.append(cpuLine + ["-", "-", "-", "-", "-"])
  }

  print(
    "W2 durable single-event append: each append one event, durable before it returns; StateLog .fsyncEveryAppend for 1 writer, .groupCommit for more; events/s over all writers"
  )
  var table = [tableHeader]
  for (index, row) in rows.enumerated() { table += [tableLine(row), latencyLines[index], cpuLines[index]] }
  renderTable(table)
  if !floor.isEmpty {
    let rate = median(floor)
    let overwritingRate = median(overwritingFloor)
    print(
      "W2 floor of this disk: one pwrite of \(eventBytes) bytes + fdatasync per event allows \(format(rate, unit: "events/s")) (\(formatLatency(1e9 / rate)) per fsync) appending to a file, \(format(overwritingRate, unit: "events/s")) (\(formatLatency(1e9 / overwritingRate))) overwriting one already written; concurrent writers pass it only by sharing fsyncs."
    )
  }
  print(
    "SQLite: one transaction per event, synchronous=FULL, WAL, \(connectionPerWriter ? "a connection per writer (BEGIN IMMEDIATE, busy timeout)" : "concurrent writers share one connection under a mutex"); RocksDB: a WriteBatch per event, sync=true, all writers on one DB; LMDB: a durable write transaction per event. \(runs) run(s) each; latency percentiles over every append of every run."
  )
  print("")
  var document: [String: Any] = [
    "writers": writerCounts, "repeats": runs, "eventBytesOnDisk": eventBytes,
    "sqliteConnectionPerWriter": connectionPerWriter,
  ]
  if !floor.isEmpty {
    document["diskFloorEventsPerSecond"] = median(floor)
    document["diskFloorSamples"] = floor
    document["diskFloorOverwritingEventsPerSecond"] = median(overwritingFloor)
    document["diskFloorOverwritingSamples"] = overwritingFloor
  }
  return (rows, document)
}
