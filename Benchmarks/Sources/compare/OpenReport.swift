// W6 (opening a large log: clean, after a crash, and rebuilding every index):
// run, print a table per log size, and return the rows and the sizes for
// results.json.
//
// Environment: STATELOG_BENCH_W6_SIZES (comma-separated event counts, default
// "1000000"; "1000000,10000000" adds the large case, which writes about 2 GB
// per engine), STATELOG_BENCH_W6_REPEATS (opens of each kind, default 5;
// medians), STATELOG_BENCH_W6_COLD ("0" skips the cold-cache opens, which
// drop the whole machine's page cache before each open and need root).
import BenchSupport
import Foundation
import StateLog

/// `1000000` as "1,000,000", as the tables print rates.
func grouped(_ number: Int) -> String {
  let formatter = NumberFormatter()
  formatter.numberStyle = .decimal
  return formatter.string(from: NSNumber(value: number)) ?? "\(number)"
}

@MainActor
func runW6() throws -> (rows: [Row], document: [[String: Any]]) {
  let sizes = integerList("STATELOG_BENCH_W6_SIZES", "1000000").filter { $0 > 0 }
  let opens = max(environment["STATELOG_BENCH_W6_REPEATS"].flatMap { Int($0) } ?? 5, 1)
  var cold = environment["STATELOG_BENCH_W6_COLD"] != "0"
  var rows: [Row] = []
  var document: [[String: Any]] = []
  func milliseconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e6 }
  func text(_ samples: [Double]) -> String { samples.last.map { String(format: "%.2f ms", $0) } ?? "-" }

  for size in sizes {
    let root = try Files.makeTemporaryDirectory("w6")
    defer { Files.remove(root) }
    log("W6: writing \(size) events to each engine (buffered, batches of 100)…")
    let writeStart = monotonicNanoseconds()
    let stores = try OpenWorkload.write(events: size, under: root) { log("W6: \($0) events written") }
    let writeNanoseconds = monotonicNanoseconds() - writeStart
    log("W6: written in \(formatLatency(Double(writeNanoseconds)))")
    let files = try OpenWorkload.segments(in: stores.stateLog)
    let stateLogBytes = Files.size(of: stores.stateLog).bytes
    let sqliteBytes = Files.size(of: stores.sqlite).bytes
    let rocksdbBytes = Files.size(of: stores.rocksdb).bytes
    let lmdbBytes = Files.size(of: stores.lmdb).allocated  // the file is sparse, as big as the map
    let sqliteWALBytes = Int(try Files.fileSize(SQLiteEventStore.path(in: stores.sqliteCrashed) + "-wal"))
    let rocksdbWALBytes = try FileManager.default.contentsOfDirectory(atPath: stores.rocksdbCrashed)
      .filter { $0.hasSuffix(".log") }.reduce(0) {
        $0 + Int(try Files.fileSize(stores.rocksdbCrashed + "/" + $1))
      }

    let label = grouped(size) + " events"
    var clean = Row(
      workload: "Clean open", unit: "ms", higherIsBetter: false,
      target: size <= 1_000_000 ? "< 50 ms" : "(1M: < 50 ms)", meets: { s, _ in s < 50 })
    var cleanCold = Row(
      workload: "Clean open, cold cache", unit: "ms", higherIsBetter: false, target: "(for reference)",
      meets: { _, _ in true })
    var crash = Row(
      workload: "Crash recovery", unit: "ms", higherIsBetter: false, target: "< 1 s",
      meets: { s, _ in s < 1_000 })
    var crashCold = Row(
      workload: "Crash recovery, cold cache", unit: "ms", higherIsBetter: false, target: "(for reference)",
      meets: { _, _ in true })
    var rebuild = Row(
      workload: "Open rebuilding every index", unit: "ms", higherIsBetter: false, target: "(for reference)",
      meets: { _, _ in true })

    // Clean opens. One unmeasured open of each first, as W4 scans once:
    // the main figures are with the files in the page cache.
    _ = try OpenWorkload.openStateLog(stores.stateLog, expecting: size)
    _ = try OpenWorkload.openSQLite(stores.sqlite, expecting: size)
    _ = try OpenWorkload.openRocksDB(stores.rocksdb, expecting: size)
    _ = try OpenWorkload.openLMDB(stores.lmdb, expecting: size)
    for round in 1...opens {
      let opened = try OpenWorkload.openStateLog(stores.stateLog, expecting: size)
      guard opened.report.isClean else { throw BenchError("W6: a clean open recovered: \(opened.report)") }
      clean.stateLog.append(milliseconds(opened.nanoseconds))
      clean.sqlite.append(milliseconds(try OpenWorkload.openSQLite(stores.sqlite, expecting: size)))
      clean.rocksdb.append(milliseconds(try OpenWorkload.openRocksDB(stores.rocksdb, expecting: size)))
      clean.lmdb.append(milliseconds(try OpenWorkload.openLMDB(stores.lmdb, expecting: size)))
      log(
        "round \(round): W6 \(size) clean open StateLog \(text(clean.stateLog)), SQLite \(text(clean.sqlite)), RocksDB \(text(clean.rocksdb)), LMDB \(text(clean.lmdb))"
      )
    }
    for round in 1...opens where cold {
      guard Files.dropCaches() else {
        log("W6: cannot drop the page cache (needs root); no cold-cache figures")
        cold = false
        break
      }
      cleanCold.stateLog.append(
        milliseconds(try OpenWorkload.openStateLog(stores.stateLog, expecting: size).nanoseconds))
      _ = Files.dropCaches()
      cleanCold.sqlite.append(milliseconds(try OpenWorkload.openSQLite(stores.sqlite, expecting: size)))
      _ = Files.dropCaches()
      cleanCold.rocksdb.append(milliseconds(try OpenWorkload.openRocksDB(stores.rocksdb, expecting: size)))
      _ = Files.dropCaches()
      cleanCold.lmdb.append(milliseconds(try OpenWorkload.openLMDB(stores.lmdb, expecting: size)))
      log(
        "round \(round): W6 \(size) cold clean open StateLog \(text(cleanCold.stateLog)), SQLite \(text(cleanCold.sqlite)), RocksDB \(text(cleanCold.rocksdb)), LMDB \(text(cleanCold.lmdb))"
      )
    }

    // Every index file deleted: the open scans every segment and rewrites
    // the sealed ones' indexes (the close writes the active one's).
    for round in 1...opens {
      try OpenWorkload.removeIndexes(stores.stateLog)
      sync()
      let opened = try OpenWorkload.openStateLog(stores.stateLog, expecting: size)
      guard !opened.report.rebuiltIndexes.isEmpty || files.segments.count == 1 else {
        throw BenchError("W6: the open found indexes to trust: \(opened.report)")
      }
      rebuild.stateLog.append(milliseconds(opened.nanoseconds))
      log("round \(round): W6 \(size) open rebuilding every index StateLog \(text(rebuild.stateLog))")
    }

    // Crash images. Each is written out (sync) before its open, as it would
    // be a while after the crash; "cold" drops the page cache as well.
    let tail = try OpenWorkload.prepareTornTail(stores)
    let sqliteImage = try OpenWorkload.sqliteImageStamp(stores)
    for isCold in cold ? [false, true] : [false] {
      var row = isCold ? crashCold : crash
      func settle() { if isCold { _ = Files.dropCaches() } else { sync() } }
      for round in 1...opens {
        try OpenWorkload.tearStateLog(tail)
        settle()
        let opened = try OpenWorkload.openStateLog(stores.stateLog, expecting: size)
        guard opened.report.truncatedBytes == UInt64(tail.bytes.count) else {
          throw BenchError(
            "W6: recovery truncated \(opened.report.truncatedBytes) bytes, not the torn \(tail.bytes.count)")
        }
        row.stateLog.append(milliseconds(opened.nanoseconds))

        let sqliteClone = root + "/sqlite-clone"
        try OpenWorkload.cloneSQLite(stores.sqliteCrashed, to: sqliteClone)
        settle()
        row.sqlite.append(
          milliseconds(try OpenWorkload.openSQLite(sqliteClone, expecting: size, checkpoint: false)))
        Files.remove(sqliteClone)
        guard try OpenWorkload.sqliteImageStamp(stores) == sqliteImage else {
          throw BenchError("W6: opening a clone of SQLite's crash image changed its database file")
        }

        let rocksdbClone = root + "/rocksdb-clone"
        try OpenWorkload.cloneRocksDB(stores.rocksdbCrashed, to: rocksdbClone)
        settle()
        row.rocksdb.append(milliseconds(try OpenWorkload.openRocksDB(rocksdbClone, expecting: size)))
        Files.remove(rocksdbClone)
        log(
          "round \(round): W6 \(size) \(isCold ? "cold " : "")crash recovery StateLog \(text(row.stateLog)) (\(opened.report)), SQLite \(text(row.sqlite)), RocksDB \(text(row.rocksdb))"
        )
      }
      if isCold { crashCold = row } else { crash = row }
    }

    let sizeRows = [clean, cleanCold, crash, crashCold, rebuild].filter { !$0.stateLog.isEmpty }
    print(
      "W6 open, \(label): Log.open + lastSequence; SQLite open + SELECT max(seq); RocksDB open + seek to last; LMDB env open + read txn. Medians of \(opens); warm cache (files in the page cache) unless marked cold."
    )
    renderTable([tableHeader] + sizeRows.map(tableLine))
    let megabytes = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1e6) }
    print(
      """
      StateLog: \(files.segments.count) segment\(files.segments.count == 1 ? "" : "s"), \(megabytes(stateLogBytes)); crash = the active segment (\(megabytes(Int(tail.committedSize)))) \
      without its index and with a torn batch of \(tail.bytes.count) bytes at its end, scanned and truncated. \
      SQLite: \(megabytes(sqliteBytes)); crash = closed without a checkpoint, a \(megabytes(sqliteWALBytes)) WAL to recover. \
      RocksDB: \(megabytes(rocksdbBytes)); crash = closed without flushing, \(megabytes(rocksdbWALBytes)) of WAL to replay. \
      LMDB: \(megabytes(lmdbBytes)) allocated; no recovery step (a crash leaves the last committed tree; its open is the clean one).
      """
    )
    print("")
    for var row in sizeRows {
      row.workload = "W6 \(row.workload.prefix(1).lowercased() + row.workload.dropFirst()), \(label)"
      row.notes["events"] = Double(size)
      rows.append(row)
    }
    document.append([
      "events": size, "opens": opens, "coldCache": cold, "stateLogSegments": files.segments.count,
      "stateLogBytes": stateLogBytes, "stateLogActiveSegmentBytes": tail.committedSize,
      "stateLogTornBytes": tail.bytes.count, "sqliteBytes": sqliteBytes,
      "sqliteCrashWALBytes": sqliteWALBytes,
      "rocksdbBytes": rocksdbBytes, "rocksdbCrashWALBytes": rocksdbWALBytes, "lmdbAllocatedBytes": lmdbBytes,
      "writeNanoseconds": writeNanoseconds,
    ])
  }
  return (rows, document)
}
