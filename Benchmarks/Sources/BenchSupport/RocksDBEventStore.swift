import CRocksDB
import StateLog

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The RocksDB baseline, through its C API: events by sequence in the default
/// column family and the (stream, version) index in a second one (layout in
/// ``KeyValueRecord``), tuned as an application that wants RocksDB as fast as it
/// can honestly be would tune it.
///
/// - One `WriteBatch` per batch of events, reused; written with `sync=true`
///   (the WAL is fdatasync'ed before the write returns) when appends must be
///   durable, and `sync=false` (the WAL is written, not synced) when not.
/// - LZ4 for every level of both column families.
/// - 128 MiB memtables (four per column family before writes stall), so that
///   a batch is a WAL append plus skip-list inserts and flushes are few and
///   large; flushes and compactions run on two background threads (both cores).
/// - 32 KiB blocks, about the size of StateLog's unit of compression (a batch
///   of 100 events, 35 KB before LZ4): they compress better than the default
///   4 KiB and scan faster (W4: 2.1 million events/s with 4 KiB, 3.3 with
///   32 KiB). A 64 MiB block cache, as SQLite's page cache; a scan does not
///   fill it.
/// - No statistics, no perf counters (see ``disablePerfCounters()``), no
///   periodic stats dump, and the info log at WARN.
/// - No bloom filters: no workload looks a key up, and both column families are
///   read by range.
/// - Closing flushes both memtables to LZ4-compressed tables (as closing SQLite
///   checkpoints its WAL), so that W7 and W4 see the data at rest.
/// - The application keeps each stream's last version in memory, as the SQLite
///   baseline does. RocksDB does not enforce the index's uniqueness (a put
///   overwrites): that would cost a read per event.
public final class RocksDBEventStore {
  // Internal for ``ConcurrentWriter``, which shares the handle.
  let db: OpaquePointer
  private let options: OpaquePointer
  private let tableOptions: OpaquePointer
  private let cache: OpaquePointer
  let writeOptions: OpaquePointer
  let events: OpaquePointer
  let streams: OpaquePointer
  private let batch: OpaquePointer
  /// One event's value and index key, encoded before they are copied into the batch.
  private let scratch = KeyValueRecord.Scratch(capacity: 4096)
  private var versions: [String: UInt64] = [:]
  private var lastSequence: UInt64 = 0
  /// Whether the store was made empty by this process: the versions of streams
  /// written before are not read back, so only a new store takes appends.
  private let isNew: Bool
  private var isClosed = false

  /// Opens (creating) the database in `directory`.
  public init(directory: String, durable: Bool) throws {
    let options: OpaquePointer = rocksdb_options_create()
    rocksdb_options_set_create_if_missing(options, 1)
    rocksdb_options_set_create_missing_column_families(options, 1)
    rocksdb_options_set_compression(options, Int32(rocksdb_lz4_compression))
    rocksdb_options_set_write_buffer_size(options, 128 << 20)
    rocksdb_options_set_max_write_buffer_number(options, 4)
    rocksdb_options_set_max_background_jobs(options, 2)
    rocksdb_options_set_info_log_level(options, 2)  // WARN_LEVEL
    rocksdb_options_set_keep_log_file_num(options, 1)
    rocksdb_options_set_stats_dump_period_sec(options, 0)
    rocksdb_options_set_stats_persist_period_sec(options, 0)
    let tableOptions: OpaquePointer = rocksdb_block_based_options_create()
    rocksdb_block_based_options_set_block_size(tableOptions, 32 << 10)
    let cache: OpaquePointer = rocksdb_cache_create_lru(64 << 20)
    rocksdb_block_based_options_set_block_cache(tableOptions, cache)
    rocksdb_options_set_block_based_table_factory(options, tableOptions)
    self.options = options
    self.tableOptions = tableOptions
    self.cache = cache
    writeOptions = rocksdb_writeoptions_create()
    rocksdb_writeoptions_set_sync(writeOptions, durable ? 1 : 0)
    batch = rocksdb_writebatch_create()
    // Extra options to try, e.g. "write_buffer_size=67108864;max_write_buffer_number=2".
    if let extra = getenv("STATELOG_BENCH_ROCKSDB_OPTIONS") {
      try RocksDBEventStore.check("STATELOG_BENCH_ROCKSDB_OPTIONS") {
        rocksdb_get_options_from_string(options, extra, options, $0)
      }
    }

    let names: [UnsafeMutablePointer<CChar>?] = ["default", "streams"].map { (name: String) in strdup(name) }
    defer { names.forEach { free($0) } }
    let namePointers: [UnsafePointer<CChar>?] = names.map { $0.map { UnsafePointer($0) } }
    let familyOptions: [OpaquePointer?] = [options, options]
    var handles: [OpaquePointer?] = [nil, nil]
    var opened: OpaquePointer?
    try RocksDBEventStore.check("rocksdb_open_column_families(\(directory))") { error in
      opened = rocksdb_open_column_families(
        options, directory, 2, namePointers, familyOptions, &handles, error)
    }
    guard let opened, let events = handles[0], let streams = handles[1] else {
      throw BenchError("rocksdb_open_column_families(\(directory)) returned no database")
    }
    db = opened
    self.events = events
    self.streams = streams

    let readOptions = rocksdb_readoptions_create()
    defer { rocksdb_readoptions_destroy(readOptions) }
    let iterator = rocksdb_create_iterator_cf(opened, readOptions, events)
    defer { rocksdb_iter_destroy(iterator) }
    rocksdb_iter_seek_to_last(iterator)
    isNew = rocksdb_iter_valid(iterator) == 0
  }

  deinit {
    if !isClosed { try? close() }
  }

  /// Flushes both memtables to tables, waiting for it, and closes the database.
  ///
  /// - Parameter flush: `false` closes without flushing, as a killed process
  ///   would leave the database: what the memtables held is only in the WAL,
  ///   and the next open replays it (W6).
  public func close(flush: Bool = true) throws {
    guard !isClosed else { return }
    isClosed = true
    let flushOptions = rocksdb_flushoptions_create()
    defer { rocksdb_flushoptions_destroy(flushOptions) }
    rocksdb_flushoptions_set_wait(flushOptions, 1)
    // Closes even when a flush fails, and throws the first error after.
    var failure: (any Error)?
    for family in flush ? [events, streams] : [] {
      do {
        try Self.check("rocksdb_flush_cf") { rocksdb_flush_cf(db, flushOptions, family, $0) }
      } catch {
        failure = failure ?? error
      }
    }
    rocksdb_column_family_handle_destroy(events)
    rocksdb_column_family_handle_destroy(streams)
    rocksdb_close(db)
    rocksdb_writebatch_destroy(batch)
    rocksdb_writeoptions_destroy(writeOptions)
    rocksdb_options_destroy(options)
    rocksdb_block_based_options_destroy(tableOptions)
    rocksdb_cache_destroy(cache)
    if let failure { throw failure }
  }

  /// RocksDB counts every key comparison, block read and more in a thread-local
  /// perf context unless told not to (its default level is "count"); through
  /// the shared library each count is a TLS lookup, about a sixth of W3's time.
  /// The level is per thread, so it is set on the thread about to write or read.
  static func disablePerfCounters() {
    rocksdb_set_perf_level(Int32(rocksdb_disable))
  }

  /// Runs `body` with RocksDB's `char** errptr` and throws the error it reports.
  static func check(
    _ what: String, _ body: (_ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Void
  ) throws {
    var error: UnsafeMutablePointer<CChar>?
    body(&error)
    if let error {
      let message = String(cString: error)
      rocksdb_free(error)
      throw BenchError("\(what): \(message)")
    }
  }

  /// Appends `events` in one write batch, giving each the next sequence and
  /// the next version of its stream.
  public func append(_ events: [NewEvent]) throws {
    guard isNew, !isClosed else { throw BenchError("appends go to a new, open store only") }
    Self.disablePerfCounters()
    rocksdb_writebatch_clear(batch)
    var sequence = lastSequence
    for event in events {
      sequence += 1
      let version = (versions[event.stream] ?? 0) + 1
      try put(event, sequence: sequence, version: version)
      versions[event.stream] = version
    }
    try Self.check("rocksdb_write") { rocksdb_write(db, writeOptions, batch, $0) }
    lastSequence = sequence
  }

  @inline(__always)
  private func put(_ event: NewEvent, sequence: UInt64, version: UInt64) throws {
    try Self.stage(
      event, sequence: sequence, version: version, into: batch, events: events, streams: streams,
      scratch: scratch)
  }

  /// Adds `event`'s value (keyed by `sequence`) and its index entry to
  /// `batch`, encoding them in `scratch` first.
  @inline(__always)
  static func stage(
    _ event: NewEvent, sequence: UInt64, version: UInt64, into batch: OpaquePointer, events: OpaquePointer,
    streams: OpaquePointer, scratch: KeyValueRecord.Scratch
  ) throws {
    try KeyValueRecord.withBytes(of: event) { stream, type, payload in
      let valueSize = KeyValueRecord.valueSize(stream: stream, type: type, payload: payload)
      let indexKeySize = KeyValueRecord.indexKeySize(stream: stream)
      let value = scratch.reserve(valueSize + indexKeySize)
      let indexKey = value + valueSize
      try KeyValueRecord.encodeValue(
        event, version: version, stream: stream, type: type, payload: payload, into: value)
      KeyValueRecord.encodeIndexKey(stream: stream, version: version, into: indexKey)
      var key = sequence.bigEndian
      withUnsafeBytes(of: &key) { key in
        let keyBytes = key.baseAddress!.assumingMemoryBound(to: CChar.self)
        rocksdb_writebatch_put_cf(
          batch, events, keyBytes, key.count, value.assumingMemoryBound(to: CChar.self), valueSize)
        rocksdb_writebatch_put_cf(
          batch, streams, indexKey.assumingMemoryBound(to: CChar.self), indexKeySize, keyBytes, key.count)
      }
    }
  }

  /// The last sequence stored: a seek to the last key of the events column
  /// family, as an event store reads its head when it opens.
  public func lastStoredSequence() throws -> UInt64 {
    let readOptions = rocksdb_readoptions_create()
    defer { rocksdb_readoptions_destroy(readOptions) }
    let iterator = rocksdb_create_iterator_cf(db, readOptions, events)
    defer { rocksdb_iter_destroy(iterator) }
    rocksdb_iter_seek_to_last(iterator)
    try Self.check("iterator") { rocksdb_iter_get_error(iterator, $0) }
    guard rocksdb_iter_valid(iterator) != 0 else { return 0 }
    var keyCount = 0
    let key = rocksdb_iter_key(iterator, &keyCount)
    guard keyCount == 8, let key else { throw BenchError("malformed event key of \(keyCount) bytes") }
    return UInt64(bigEndian: UnsafeRawPointer(key).loadUnaligned(as: UInt64.self))
  }

  /// Reads every event in sequence order with an iterator over the events
  /// column family, touching each value as SQLite's scan touches each column.
  public func scan() throws -> StateLogWorkloads.ScanResult {
    let readOptions = rocksdb_readoptions_create()
    defer { rocksdb_readoptions_destroy(readOptions) }
    // A whole scan should not push out what the block cache holds for other
    // readers (RocksDB's advice for bulk scans); it reads from the OS page cache.
    rocksdb_readoptions_set_fill_cache(readOptions, 0)
    Self.disablePerfCounters()
    let iterator = rocksdb_create_iterator_cf(db, readOptions, events)
    defer { rocksdb_iter_destroy(iterator) }
    var result = StateLogWorkloads.ScanResult()
    var touched = 0
    rocksdb_iter_seek_to_first(iterator)
    while rocksdb_iter_valid(iterator) != 0 {
      var keyCount = 0
      var valueCount = 0
      let key = rocksdb_iter_key(iterator, &keyCount)
      let value = rocksdb_iter_value(iterator, &valueCount)
      try KeyValueRecord.read(
        key: UnsafeRawBufferPointer(start: key, count: keyCount),
        value: UnsafeRawBufferPointer(start: value, count: valueCount), into: &result, touched: &touched)
      rocksdb_iter_next(iterator)
    }
    try Self.check("iterator") { rocksdb_iter_get_error(iterator, $0) }
    blackHoleInt(touched)
    return result
  }
}
