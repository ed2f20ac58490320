// Runs each workload on StateLog and on the SQLite, RocksDB and LMDB baselines
// a few times, prints the medians side by side and writes them to results.json.
//
//   cd Benchmarks && swift run -c release compare [--output PATH]
//
// Environment: STATELOG_BENCH_EVENTS (default 100000), STATELOG_BENCH_REPEATS
// (default 3), STATELOG_BENCH_DIR (scratch folder, default /tmp; must be on the
// disk under test), STATELOG_BENCH_ONLY (comma-separated workloads of W1 to W8,
// e.g. W3,W4; W2 and W6 are sized by their own variables, see
// DurableAppendReport.swift and OpenReport.swift),
// STATELOG_BENCH_SQLITE_PRAGMAS (extra pragmas for the baseline, e.g.
// "locking_mode=EXCLUSIVE"), STATELOG_BENCH_ROCKSDB_OPTIONS (extra RocksDB
// options, e.g. "max_write_buffer_number=2"). `--profile W1|W3|W4` runs only
// StateLog's side, for perf; `--peak-memory` is the child process of W7's
// memory rows (PeakMemory.swift).
import BenchSupport
import Foundation
import StateLog

let environment = ProcessInfo.processInfo.environment
let eventCount = environment["STATELOG_BENCH_EVENTS"].flatMap { Int($0) } ?? 100_000
let repeats = max(environment["STATELOG_BENCH_REPEATS"].flatMap { Int($0) } ?? 3, 1)
let only = environment["STATELOG_BENCH_ONLY"].map {
  Set($0.uppercased().split(separator: ",").map(String.init))
}
let defaultOutput = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("results.json").path
var output = defaultOutput
if let index = CommandLine.arguments.firstIndex(of: "--output"), index + 1 < CommandLine.arguments.count {
  output = CommandLine.arguments[index + 1]
}

let knownWorkloads: Set = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"]
if let only, !only.isSubset(of: knownWorkloads) {
  let unknown = only.subtracting(knownWorkloads).sorted()
  FileHandle.standardError.write(
    Data("STATELOG_BENCH_ONLY: unknown \(unknown); known: \(knownWorkloads.sorted())\n".utf8))
  exit(2)
}

func wanted(_ workload: String) -> Bool { only?.contains(workload) ?? true }

func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  let middle = sorted.count / 2
  return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

func rate(_ nanoseconds: UInt64) -> Double { Double(eventCount) / (Double(nanoseconds) / 1e9) }

struct Row {
  var workload: String
  var unit: String
  var higherIsBetter: Bool
  var stateLog: [Double] = []
  var sqlite: [Double] = []
  /// Empty for the workloads that have no RocksDB or LMDB run (W4 rebuild).
  var rocksdb: [Double] = []
  var lmdb: [Double] = []
  var target: String
  /// Whether the medians (StateLog's, SQLite's) meet the issue's target.
  var meets: (Double, Double) -> Bool
  var notes: [String: Double] = [:]
  /// Notes measured in every run; results.json gets their medians.
  var noteSamples: [String: [Double]] = [:]
}

func log(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}

if let index = CommandLine.arguments.firstIndex(of: "--peak-memory"), index + 3 < CommandLine.arguments.count
{
  let arguments = CommandLine.arguments
  runPeakMemoryChild(
    workload: arguments[index + 1].uppercased(), engine: arguments[index + 2],
    directory: arguments[index + 3],
    events: eventCount)
}

// W2, W5, W6 and W8 make their own data; the batches are for W1, W3, W4 and W7.
let needsBatches =
  CommandLine.arguments.contains("--profile") || ["W1", "W3", "W4", "W7"].contains(where: wanted)
log("generating \(needsBatches ? eventCount : 0) events…")
let data = Dataset.make(events: needsBatches ? eventCount : 0)
log(
  "\(data.count) events in \(data.batches.count) batches, \(data.payloadBytes / max(data.count, 1)) payload bytes on average; scratch under \(Files.root)"
)

// `--profile W1`, `W3` or `W4`: only StateLog's side, STATELOG_BENCH_REPEATS
// times and no report, for `perf record`.
if let index = CommandLine.arguments.firstIndex(of: "--profile"), index + 1 < CommandLine.arguments.count {
  let workload = CommandLine.arguments[index + 1].uppercased()
  do {
    let directory = try Files.makeTemporaryDirectory("statelog-profile")
    defer { Files.remove(directory) }
    if workload == "W4" { _ = try StateLogWorkloads.append(data, to: directory, durability: .buffered) }
    var samples: [Double] = []
    for round in 0..<repeats {
      switch workload {
      case "W1", "W3":
        let path = directory + "/\(round)"
        let durability: Durability = workload == "W1" ? .fsyncEveryAppend : .buffered
        samples.append(rate(try StateLogWorkloads.append(data, to: path, durability: durability)))
        Files.remove(path)
      case "W4":
        samples.append(rate(try StateLogWorkloads.scan(directory).nanoseconds))
      default:
        throw BenchError("--profile takes W1, W3 or W4")
      }
    }
    print("\(workload) StateLog, \(repeats) runs: median \(Int(median(samples))) events/s")
  } catch {
    log("profile failed: \(error)")
    exit(1)
  }
  exit(0)
}

var w1 = Row(
  workload: "W1 durable append, batches of 100", unit: "events/s", higherIsBetter: true,
  target: ">= 400,000/s and >= 12x SQLite", meets: { s, q in s >= 400_000 && s >= 12 * q })
var w3 = Row(
  workload: "W3 buffered append, batches of 100", unit: "events/s", higherIsBetter: true,
  target: ">= 2,000,000/s", meets: { s, _ in s >= 2_000_000 })
var w4 = Row(
  workload: "W4 replay, raw scan of all events", unit: "events/s", higherIsBetter: true,
  target: ">= 15,000,000/s", meets: { s, _ in s >= 15_000_000 })
var w4rebuild = Row(
  workload: "W4 rebuild of every agent state", unit: "events/s", higherIsBetter: true,
  target: ">= 1,000,000/s", meets: { s, _ in s >= 1_000_000 })
var w7 = Row(
  workload: "W7 footprint after W1", unit: "bytes/event", higherIsBetter: false,
  target: "<= 0.5x SQLite", meets: { s, q in s <= 0.5 * q })
var w7raw = Row(
  workload: "W7 footprint, StateLog without LZ4", unit: "bytes/event", higherIsBetter: false,
  target: "(for reference)", meets: { _, _ in true })

// The most resident memory each engine added while it ran, each run in a
// child process (PeakMemory.swift): W1 from its open through its close, W4 the
// scan with its open and close.
var w7memoryW1 = Row(
  workload: "W7 peak memory added, W1", unit: "MB", higherIsBetter: false,
  target: "(no target)", meets: { _, _ in true })
var w7memoryW4 = Row(
  workload: "W7 peak memory added, W4 raw scan", unit: "MB", higherIsBetter: false,
  target: "(no target)", meets: { _, _ in true })

var floor: [Double] = []
var replayStateLog: String?
var replaySQLite: String?
var replayRocksDB: String?
var replayLMDB: String?
@MainActor func removeReplayDirectories() {
  replayStateLog.map(Files.remove)
  replaySQLite.map(Files.remove)
  replayRocksDB.map(Files.remove)
  replayLMDB.map(Files.remove)
}

do {
  for round in 1...repeats {
    if wanted("W1") || wanted("W7") {
      let directory = try Files.makeTemporaryDirectory("statelog-w1")
      let elapsed = try StateLogWorkloads.append(data, to: directory, durability: .fsyncEveryAppend)
      let size = Files.size(of: directory)
      Files.remove(directory)
      w1.stateLog.append(rate(elapsed))
      w7.stateLog.append(Double(size.bytes) / Double(eventCount))
      w7.notes["statelogAllocatedBytesPerEvent"] = Double(size.allocated) / Double(eventCount)
      log("round \(round): W1 StateLog \(Int(rate(elapsed))) events/s")

      let sqliteDirectory = try Files.makeTemporaryDirectory("sqlite-w1")
      let sqliteElapsed = try SQLiteWorkloads.append(data, to: sqliteDirectory, durable: true)
      let sqliteSize = Files.size(of: sqliteDirectory)
      Files.remove(sqliteDirectory)
      w1.sqlite.append(rate(sqliteElapsed))
      w7.sqlite.append(Double(sqliteSize.bytes) / Double(eventCount))
      w7.notes["sqliteAllocatedBytesPerEvent"] = Double(sqliteSize.allocated) / Double(eventCount)
      log("round \(round): W1 SQLite \(Int(rate(sqliteElapsed))) events/s")

      let rocksdbDirectory = try Files.makeTemporaryDirectory("rocksdb-w1")
      let rocksdbElapsed = try RocksDBWorkloads.append(data, to: rocksdbDirectory, durable: true)
      let rocksdbSize = Files.size(of: rocksdbDirectory)
      Files.remove(rocksdbDirectory)
      w1.rocksdb.append(rate(rocksdbElapsed.nanoseconds))
      w7.rocksdb.append(Double(rocksdbSize.bytes) / Double(eventCount))
      w7.notes["rocksdbAllocatedBytesPerEvent"] = Double(rocksdbSize.allocated) / Double(eventCount)
      // The close is not timed; RocksDB's includes flushing the memtables.
      w1.noteSamples["rocksdbCloseMilliseconds", default: []].append(
        Double(rocksdbElapsed.closeNanoseconds) / 1e6)
      log("round \(round): W1 RocksDB \(Int(rate(rocksdbElapsed.nanoseconds))) events/s")

      let lmdbDirectory = try Files.makeTemporaryDirectory("lmdb-w1")
      let lmdbElapsed = try LMDBWorkloads.append(data, to: lmdbDirectory, durable: true)
      let lmdbSize = Files.size(of: lmdbDirectory)
      Files.remove(lmdbDirectory)
      w1.lmdb.append(rate(lmdbElapsed.nanoseconds))
      w7.lmdb.append(Double(lmdbSize.bytes) / Double(eventCount))
      w7.notes["lmdbAllocatedBytesPerEvent"] = Double(lmdbSize.allocated) / Double(eventCount)
      log("round \(round): W1 LMDB \(Int(rate(lmdbElapsed.nanoseconds))) events/s")

      // The disk's own limit for W1: one pwrite + fdatasync per batch of the
      // batch's compressed size (StateLog's footprint per event × 100).
      let batchBytes = max(size.bytes / max(data.batches.count, 1), 1)
      floor.append(rate(try Files.fsyncFloor(batches: data.batches.count, bytes: batchBytes)))
      log(
        "round \(round): W1 floor (pwrite + fdatasync of \(batchBytes) bytes per batch) \(Int(floor.last!)) events/s"
      )
    }
    if wanted("W3") || wanted("W4") {
      let directory = try Files.makeTemporaryDirectory("statelog-w3")
      let elapsed = try StateLogWorkloads.append(data, to: directory, durability: .buffered)
      w3.stateLog.append(rate(elapsed))
      replayStateLog.map(Files.remove)
      replayStateLog = directory
      log("round \(round): W3 StateLog \(Int(rate(elapsed))) events/s")

      let sqliteDirectory = try Files.makeTemporaryDirectory("sqlite-w3")
      let sqliteElapsed = try SQLiteWorkloads.append(data, to: sqliteDirectory, durable: false)
      w3.sqlite.append(rate(sqliteElapsed))
      replaySQLite.map(Files.remove)
      replaySQLite = sqliteDirectory
      log("round \(round): W3 SQLite \(Int(rate(sqliteElapsed))) events/s")

      let rocksdbDirectory = try Files.makeTemporaryDirectory("rocksdb-w3")
      let rocksdbElapsed = try RocksDBWorkloads.append(data, to: rocksdbDirectory, durable: false)
      w3.rocksdb.append(rate(rocksdbElapsed.nanoseconds))
      w3.noteSamples["rocksdbCloseMilliseconds", default: []].append(
        Double(rocksdbElapsed.closeNanoseconds) / 1e6)
      replayRocksDB.map(Files.remove)
      replayRocksDB = rocksdbDirectory
      log("round \(round): W3 RocksDB \(Int(rate(rocksdbElapsed.nanoseconds))) events/s")

      let lmdbDirectory = try Files.makeTemporaryDirectory("lmdb-w3")
      let lmdbElapsed = try LMDBWorkloads.append(data, to: lmdbDirectory, durable: false)
      w3.lmdb.append(rate(lmdbElapsed.nanoseconds))
      w3.noteSamples["lmdbCloseMilliseconds", default: []].append(Double(lmdbElapsed.closeNanoseconds) / 1e6)
      replayLMDB.map(Files.remove)
      replayLMDB = lmdbDirectory
      log("round \(round): W3 LMDB \(Int(rate(lmdbElapsed.nanoseconds))) events/s")
    }
  }

  if wanted("W4"), let replayStateLog, let replaySQLite, let replayRocksDB, let replayLMDB {
    // One unmeasured scan each first, so all read from the page cache.
    let expected = try StateLogWorkloads.scan(replayStateLog).result
    let sqliteExpected = try SQLiteWorkloads.scan(replaySQLite).result
    let rocksdbExpected = try RocksDBWorkloads.scan(replayRocksDB).result
    let lmdbExpected = try LMDBWorkloads.scan(replayLMDB).result
    guard expected.events == eventCount, expected == sqliteExpected, expected == rocksdbExpected,
      expected == lmdbExpected
    else {
      throw BenchError(
        "the scans disagree: StateLog \(expected), SQLite \(sqliteExpected), RocksDB \(rocksdbExpected), LMDB \(lmdbExpected)"
      )
    }
    for round in 1...repeats {
      let scan = try StateLogWorkloads.scan(replayStateLog)
      let sqliteScan = try SQLiteWorkloads.scan(replaySQLite)
      let rocksdbScan = try RocksDBWorkloads.scan(replayRocksDB)
      let lmdbScan = try LMDBWorkloads.scan(replayLMDB)
      guard scan.result == expected, sqliteScan.result == expected, rocksdbScan.result == expected,
        lmdbScan.result == expected
      else {
        throw BenchError("a scan read different events")
      }
      w4.stateLog.append(rate(scan.nanoseconds))
      w4.sqlite.append(rate(sqliteScan.nanoseconds))
      w4.rocksdb.append(rate(rocksdbScan.nanoseconds))
      w4.lmdb.append(rate(lmdbScan.nanoseconds))
      log(
        "round \(round): W4 StateLog \(Int(rate(scan.nanoseconds))), SQLite \(Int(rate(sqliteScan.nanoseconds))), RocksDB \(Int(rate(rocksdbScan.nanoseconds))), LMDB \(Int(rate(lmdbScan.nanoseconds))) events/s"
      )
    }
  }

  if wanted("W7") {
    for round in 1...repeats {
      let directories = try peakMemoryEngines.map { try Files.makeTemporaryDirectory("\($0)-w7-memory") }
      defer { directories.forEach(Files.remove) }
      try recordPeakMemory("W1", round: round, directories: directories, into: &w7memoryW1)
    }
  }
  if wanted("W4") && wanted("W7"), let replayStateLog, let replaySQLite, let replayRocksDB, let replayLMDB {
    for round in 1...repeats {
      try recordPeakMemory(
        "W4", round: round, directories: [replayStateLog, replaySQLite, replayRocksDB, replayLMDB],
        into: &w7memoryW4)
    }
  }

  if wanted("W4") {
    let directory = try Files.makeTemporaryDirectory("statelog-rebuild")
    let sqliteDirectory = try Files.makeTemporaryDirectory("sqlite-rebuild")
    defer {
      Files.remove(directory)
      Files.remove(sqliteDirectory)
    }
    try RebuildWorkload.write(events: eventCount, stateLog: directory, sqlite: sqliteDirectory)
    // One unmeasured rebuild each first, so both read from the page cache.
    let expected = try RebuildWorkload.rebuildStateLog(directory).digest
    let sqliteExpected = try RebuildWorkload.rebuildSQLite(sqliteDirectory).digest
    guard expected == sqliteExpected else {
      throw BenchError("the rebuilds disagree: StateLog \(expected), SQLite \(sqliteExpected)")
    }
    log("W4 rebuild: \(expected)")
    for round in 1...repeats {
      let rebuilt = try RebuildWorkload.rebuildStateLog(directory)
      let sqliteRebuilt = try RebuildWorkload.rebuildSQLite(sqliteDirectory)
      guard rebuilt.digest == expected, sqliteRebuilt.digest == expected else {
        throw BenchError("a rebuild produced different states")
      }
      w4rebuild.stateLog.append(rate(rebuilt.nanoseconds))
      w4rebuild.sqlite.append(rate(sqliteRebuilt.nanoseconds))
      log(
        "round \(round): W4 rebuild StateLog \(Int(rate(rebuilt.nanoseconds))), SQLite \(Int(rate(sqliteRebuilt.nanoseconds))) events/s"
      )
    }
  }

  if wanted("W7") {
    let directory = try Files.makeTemporaryDirectory("statelog-w7")
    _ = try StateLogWorkloads.append(data, to: directory, durability: .buffered, compression: .none)
    w7raw.stateLog.append(Double(Files.size(of: directory).bytes) / Double(eventCount))
    w7raw.sqlite = w7.sqlite
    w7raw.rocksdb = w7.rocksdb
    w7raw.lmdb = w7.lmdb
    Files.remove(directory)
  }
} catch {
  log("benchmark failed: \(error)")
  removeReplayDirectories()
  exit(1)
}
removeReplayDirectories()

// MARK: Report

func format(_ value: Double, unit: String) -> String {
  if unit == "ms" { return formatLatency(value * 1e6) }
  if unit == "events/s" {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.maximumFractionDigits = 0
    return (formatter.string(from: NSNumber(value: value.rounded())) ?? "\(Int(value))") + "/s"
  }
  if unit == "MB" { return String(format: "%.1f MB", value) }
  return String(format: "%.1f B", value)
}

let tableHeader = [
  "Workload", "StateLog", "SQLite", "RocksDB", "LMDB", "StateLog/SQLite", "StateLog/RocksDB",
  "StateLog/LMDB", "Target", "Met",
]

/// A row's line in a table: the medians, StateLog's ratio to each baseline,
/// the target and whether it is met. An engine without samples shows "-".
func tableLine(_ row: Row) -> [String] {
  let s = median(row.stateLog)
  let baselines = [row.sqlite, row.rocksdb, row.lmdb].map { $0.isEmpty ? nil : median($0) }
  let isReference = row.target.hasPrefix("(")
  let met = row.meets(s, baselines[0] ?? .nan)
  return [row.workload, format(s, unit: row.unit)]
    + baselines.map { $0.map { format($0, unit: row.unit) } ?? "-" }
    + baselines.map { $0.map { String(format: "%.2fx", s / $0) } ?? "-" }
    + [row.target, isReference ? "-" : (met ? "yes" : "no")]
}

/// A row's entry in results.json.
func jsonEntry(_ row: Row) -> [String: Any] {
  let s = median(row.stateLog)
  // "ratio" stays StateLog/SQLite, as in results.json files before the other baselines.
  var entry: [String: Any] = [
    "workload": row.workload, "unit": row.unit, "statelog": s, "statelogSamples": row.stateLog,
    "target": row.target,
  ]
  if !row.sqlite.isEmpty {
    let q = median(row.sqlite)
    entry["sqlite"] = q
    entry["sqliteSamples"] = row.sqlite
    entry["ratio"] = s / q
  }
  if !row.rocksdb.isEmpty {
    let r = median(row.rocksdb)
    entry["rocksdb"] = r
    entry["rocksdbSamples"] = row.rocksdb
    entry["ratioRocksDB"] = s / r
  }
  if !row.lmdb.isEmpty {
    let l = median(row.lmdb)
    entry["lmdb"] = l
    entry["lmdbSamples"] = row.lmdb
    entry["ratioLMDB"] = s / l
  }
  if !row.target.hasPrefix("(") {
    entry["met"] = row.meets(s, row.sqlite.isEmpty ? .nan : median(row.sqlite))
  }
  for (key, value) in row.notes { entry[key] = value }
  for (key, samples) in row.noteSamples { entry[key] = median(samples) }
  return entry
}

let rows = [w1, w3, w4, w4rebuild, w7, w7raw, w7memoryW1, w7memoryW4].filter {
  !$0.stateLog.isEmpty && !$0.sqlite.isEmpty
}
let table = [tableHeader] + rows.map(tableLine)
var json = rows.map(jsonEntry)

if !rows.isEmpty { renderTable(table) }
if !floor.isEmpty {
  print(
    "W1 floor of this disk: one pwrite + fdatasync per batch of 100 allows \(format(median(floor), unit: "events/s")) (\(String(format: "%.0f", 1e9 / (median(floor) / 100) / 1000)) µs per batch)."
  )
}
if !rows.isEmpty {
  print(
    "\(eventCount) events of \(data.payloadBytes / max(eventCount, 1)) payload bytes on average, in batches of 100, \(repeats) run(s) each, medians."
  )
}

var w2Document: [String: Any] = [:]
var w6Document: [[String: Any]] = []
do {
  if wanted("W2") {
    let w2 = try runW2()
    json += w2.rows.map(jsonEntry)
    w2Document = w2.document
  }
  if wanted("W6") {
    let w6 = try runW6()
    json += w6.rows.map(jsonEntry)
    w6Document = w6.document
  }
} catch {
  log("benchmark failed: \(error)")
  exit(1)
}

let agentState = runAgentStateWorkloads()

var uts = utsname()
uname(&uts)
let kernel = withUnsafeBytes(of: &uts.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
let document: [String: Any] = [
  "events": eventCount,
  "repeats": repeats,
  "averagePayloadBytes": Double(data.payloadBytes) / Double(max(eventCount, 1)),
  "batchSize": 100,
  "processors": ProcessInfo.processInfo.activeProcessorCount,
  "kernel": kernel,
  "scratchDirectory": Files.root,
  "date": ISO8601DateFormatter().string(from: Date()),
  "results": json,
  "w1DiskFloorEventsPerSecond": floor.isEmpty ? 0 : median(floor),
  "w1DiskFloorSamples": floor,
  "w2DurableSingleEventAppend": w2Document,
  "w6Open": w6Document,
  "w5PointInTimeState": agentState.w5,
  "w8AgentTurnLoop": agentState.w8,
]
do {
  let bytes = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
  try bytes.write(to: URL(fileURLWithPath: output))
  print("wrote \(output)")
} catch {
  log("could not write \(output): \(error)")
  exit(1)
}
