import Foundation
import StateLog

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// W6: opening a large log, cleanly closed or as a crash left it, on StateLog
/// and on each baseline. Only the open and the first read of the last
/// sequence are timed; writing the data, making the crash images and closing
/// are not.
public enum OpenWorkload {
  /// The four engines' copies of the same events, under one directory.
  public struct Stores: Sendable {
    public let root: String
    public let events: Int
    /// StateLog's log, closed cleanly.
    public var stateLog: String { root + "/statelog" }
    /// SQLite's database, closed cleanly (the WAL checkpointed and removed).
    public var sqlite: String { root + "/sqlite" }
    /// SQLite's database as a killed writer leaves it: the database file and
    /// a WAL that was never checkpointed. Cloned for each crash open.
    public var sqliteCrashed: String { root + "/sqlite-crashed" }
    /// RocksDB's database, flushed and closed cleanly.
    public var rocksdb: String { root + "/rocksdb" }
    /// RocksDB's database as a killed writer leaves it: the memtables' data
    /// only in the WAL. Cloned for each crash open.
    public var rocksdbCrashed: String { root + "/rocksdb-crashed" }
    /// LMDB's environment.
    public var lmdb: String { root + "/lmdb" }
  }

  /// What ``tearStateLog(_:)`` puts back before each crash open.
  public struct TornTail: Sendable {
    /// The active segment, the one a crash leaves torn.
    public let segment: String
    /// Its size after the clean close: where its last complete batch ends.
    public let committedSize: UInt64
    /// The first bytes of a real batch, as a writer killed in the middle of
    /// writing it leaves them.
    public let bytes: [UInt8]
  }

  /// Writes the same `events` events of the data set to all four engines, in
  /// batches of 100 with buffered settings (StateLog `.buffered`, SQLite
  /// `synchronous=OFF`, RocksDB `sync=false`, LMDB `MDB_NOSYNC`), and closes
  /// each as described in ``Stores``.
  public static func write(events: Int, under root: String, progress: (Int) -> Void) throws -> Stores {
    let stores = Stores(root: root, events: events)
    for directory in [stores.stateLog, stores.sqliteCrashed, stores.rocksdbCrashed, stores.lmdb] {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    let log = try Log.open(at: stores.stateLog, options: StateLogWorkloads.options(durability: .buffered))
    let sqlite = try SQLiteEventStore(directory: stores.sqliteCrashed, durable: false)
    let rocksdb = try RocksDBEventStore(directory: stores.rocksdbCrashed, durable: false)
    let lmdb = try LMDBEventStore(directory: stores.lmdb, durable: false)
    // The batches are generated as they are written: ten million events
    // would not fit in memory as one Dataset.
    var generator = Dataset.Generator()
    while generator.count < events {
      let batch = generator.next(min(100, events - generator.count))
      try log.append(batch)
      try sqlite.append(batch)
      try rocksdb.append(batch)
      try lmdb.append(batch)
      if generator.count % 1_000_000 == 0 { progress(generator.count) }
    }
    try log.close()
    try sqlite.closeWithoutCheckpoint()
    try rocksdb.close(flush: false)
    try lmdb.close()

    // The clean copies: opened once (recovering) and closed cleanly.
    try FileManager.default.createDirectory(atPath: stores.sqlite, withIntermediateDirectories: false)
    for suffix in ["", "-wal"] {
      try FileManager.default.copyItem(
        atPath: SQLiteEventStore.path(in: stores.sqliteCrashed) + suffix,
        toPath: SQLiteEventStore.path(in: stores.sqlite) + suffix)
    }
    try SQLiteEventStore(directory: stores.sqlite, durable: false).close()
    try cloneRocksDB(stores.rocksdbCrashed, to: stores.rocksdb)
    try RocksDBEventStore(directory: stores.rocksdb, durable: false).close()
    return stores
  }

  /// Opens StateLog's log with the library's default options and reads its
  /// last sequence; returns the time both took and what recovery did.
  public static func openStateLog(_ directory: String, expecting events: Int) throws -> (
    nanoseconds: UInt64, report: RecoveryReport
  ) {
    let start = monotonicNanoseconds()
    let log = try Log.open(at: directory, options: LogOptions())
    let last = log.lastSequence
    let elapsed = monotonicNanoseconds() - start
    defer { try? log.close() }
    try check("StateLog", last: last, events: events)
    let report = log.recoveryReport
    try log.close()
    return (elapsed, report)
  }

  /// Opens SQLite's database as ``SQLiteEventStore`` does (connection,
  /// pragmas, schema, prepared statements) and runs `SELECT max(seq)`.
  ///
  /// - Parameter checkpoint: Whether closing checkpoints the WAL (after the
  ///   timing); a crash image's clone is closed without, so that the database
  ///   file it shares with the image is never written.
  public static func openSQLite(_ directory: String, expecting events: Int, checkpoint: Bool = true) throws
    -> UInt64
  {
    let start = monotonicNanoseconds()
    let store = try SQLiteEventStore(directory: directory, durable: true)
    let last = try store.lastStoredSequence()
    let elapsed = monotonicNanoseconds() - start
    if checkpoint { try store.close() } else { try store.closeWithoutCheckpoint() }
    try check("SQLite", last: last, events: events)
    return elapsed
  }

  /// Opens RocksDB's database as ``RocksDBEventStore`` does (both column
  /// families, replaying any WAL) and seeks to the last event.
  public static func openRocksDB(_ directory: String, expecting events: Int) throws -> UInt64 {
    let start = monotonicNanoseconds()
    let store = try RocksDBEventStore(directory: directory, durable: true)
    let last = try store.lastStoredSequence()
    let elapsed = monotonicNanoseconds() - start
    try store.close()
    try check("RocksDB", last: last, events: events)
    return elapsed
  }

  /// Opens LMDB's environment as ``LMDBEventStore`` does (and its two
  /// databases) and reads the last event's key in a read transaction.
  public static func openLMDB(_ directory: String, expecting events: Int) throws -> UInt64 {
    let start = monotonicNanoseconds()
    let store = try LMDBEventStore(directory: directory, durable: true)
    let last = try store.lastStoredSequence()
    let elapsed = monotonicNanoseconds() - start
    try store.close()
    try check("LMDB", last: last, events: events)
    return elapsed
  }

  private static func check(_ engine: String, last: UInt64, events: Int) throws {
    guard last == UInt64(events) else {
      throw BenchError("W6 \(engine): the last sequence is \(last) after writing \(events) events")
    }
  }

  // MARK: Crash images

  /// StateLog's segment and index files in `directory`, in log order.
  public static func segments(in directory: String) throws -> (segments: [String], indexes: [String]) {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    return (
      names.filter { $0.hasSuffix(".seg") }.map { directory + "/" + $0 },
      names.filter { $0.hasSuffix(".idx") }.map { directory + "/" + $0 }
    )
  }

  /// Removes every index file of StateLog's log, so that the next open
  /// rebuilds them all from the segments.
  public static func removeIndexes(_ directory: String) throws {
    for index in try segments(in: directory).indexes { try FileManager.default.removeItem(atPath: index) }
  }

  /// Captures the first `bytes` bytes of a real batch appended after the
  /// log's last one, for ``tearStateLog(_:)``, and leaves the log as it was:
  /// appends one more batch of 100 events, reads it back and cuts it off
  /// again.
  public static func prepareTornTail(_ stores: Stores, bytes count: Int = 512) throws -> TornTail {
    guard let segment = try segments(in: stores.stateLog).segments.last else {
      throw BenchError("W6: the log has no segment")
    }
    let committedSize = try Files.fileSize(segment)
    // Events like the data set's, from another seed: their ids must be new.
    var generator = Dataset.Generator(seed: 0x7EA2)
    let log = try Log.open(at: stores.stateLog, options: StateLogWorkloads.options(durability: .buffered))
    try log.append(generator.next(100))
    try log.close()
    guard try segments(in: stores.stateLog).segments.last == segment else {
      throw BenchError("W6: the extra batch rolled the segment")
    }
    let batch = try Files.readBytes(segment, from: committedSize)
    guard batch.count > count else {
      throw BenchError("W6: the extra batch is \(batch.count) bytes, not more than \(count)")
    }
    try Files.truncateFile(segment, to: committedSize)
    // The active index now describes the batch just cut off; the clean log's
    // is written by the next clean close.
    try FileManager.default.removeItem(atPath: indexPath(of: segment))
    _ = try openStateLog(stores.stateLog, expecting: stores.events)
    return TornTail(segment: segment, committedSize: committedSize, bytes: Array(batch.prefix(count)))
  }

  /// Leaves StateLog's log as a writer killed in the middle of an append
  /// would: the active segment without its index file (written only at a
  /// clean close) and with a torn batch at its end.
  public static func tearStateLog(_ tail: TornTail) throws {
    guard try Files.fileSize(tail.segment) == tail.committedSize else {
      throw BenchError("W6: \(tail.segment) is not at its committed size")
    }
    try Files.writeBytes(tail.bytes, to: tail.segment, at: tail.committedSize)
    let index = indexPath(of: tail.segment)
    if FileManager.default.fileExists(atPath: index) { try FileManager.default.removeItem(atPath: index) }
  }

  private static func indexPath(of segment: String) -> String {
    String(segment.dropLast(".seg".count)) + ".idx"
  }

  /// Copies RocksDB's crash image to `destination` for one open: the table
  /// files, which RocksDB never changes once written, as hard links; the WAL,
  /// the manifest and the rest as copies.
  public static func cloneRocksDB(_ source: String, to destination: String) throws {
    try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
    for name in try FileManager.default.contentsOfDirectory(atPath: source) {
      if name.hasSuffix(".sst") {
        try FileManager.default.linkItem(atPath: source + "/" + name, toPath: destination + "/" + name)
      } else {
        try FileManager.default.copyItem(atPath: source + "/" + name, toPath: destination + "/" + name)
      }
    }
  }

  /// Copies SQLite's crash image to `destination` for one open: the database
  /// file as a hard link (recovering a WAL rebuilds only the WAL index, and
  /// the clone is closed without a checkpoint; `sqliteImageStamp` checks that
  /// the file stayed untouched) and the WAL as a copy. No `-shm`: the first
  /// connection rebuilds it from the WAL either way.
  public static func cloneSQLite(_ source: String, to destination: String) throws {
    try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
    try FileManager.default.linkItem(
      atPath: SQLiteEventStore.path(in: source), toPath: SQLiteEventStore.path(in: destination))
    try FileManager.default.copyItem(
      atPath: SQLiteEventStore.path(in: source) + "-wal",
      toPath: SQLiteEventStore.path(in: destination) + "-wal")
  }

  /// The size and modification time of the crash image's database file.
  public static func sqliteImageStamp(_ stores: Stores) throws -> [Int] {
    var info = stat()
    guard stat(SQLiteEventStore.path(in: stores.sqliteCrashed), &info) == 0 else {
      throw BenchError("stat failed: errno \(errno)")
    }
    return [Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
  }
}
