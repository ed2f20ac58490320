import CLMDB
import StateLog

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The LMDB baseline: events by sequence in one database and the (stream,
/// version) index in another (layout in ``KeyValueRecord``), tuned as an
/// application that wants LMDB as fast as it can honestly be would tune it.
///
/// - One write transaction per batch of events. Durable appends use LMDB's
///   default commit (the dirty pages are written and fdatasync'ed, then the meta
///   page is written and synced: two flushes per commit). Buffered appends use
///   `MDB_WRITEMAP | MDB_NOSYNC`: a commit writes into the shared map and
///   flushes nothing (the commit survives the process, not the machine), and
///   the close syncs once.
/// - Events are put with `MDB_APPEND` (sequences only grow, so each goes to the
///   end of the last page with no search and pages split full) and
///   `MDB_RESERVE` (LMDB returns the value's room in the page and the event is
///   encoded straight into it, with no intermediate copy).
/// - The index is put with `MDB_NOOVERWRITE`, so that it enforces
///   (stream, version) uniqueness as SQLite's UNIQUE index does.
/// - An 8 GiB map (address space only; the file grows with the data).
/// - The application keeps each stream's last version in memory, as the SQLite
///   baseline does.
public final class LMDBEventStore {
  // Internal for ``ConcurrentWriter``, which shares the environment.
  let environment: OpaquePointer
  let events: MDB_dbi
  let streams: MDB_dbi
  /// One event's index key, encoded before it is put.
  private let scratch = KeyValueRecord.Scratch(capacity: 256)
  private var versions: [String: UInt64] = [:]
  private var lastSequence: UInt64 = 0
  private let durable: Bool
  /// Whether the store was made empty by this process: the versions of streams
  /// written before are not read back, so only a new store takes appends.
  private let isNew: Bool
  private var isClosed = false

  /// The database's files inside `directory` are `data.mdb` and `lock.mdb`.
  public init(directory: String, durable: Bool) throws {
    var environment: OpaquePointer?
    try LMDBEventStore.check("mdb_env_create", mdb_env_create(&environment))
    guard let environment else { throw BenchError("mdb_env_create returned no environment") }
    do {
      try LMDBEventStore.check("mdb_env_set_maxdbs", mdb_env_set_maxdbs(environment, 2))
      try LMDBEventStore.check("mdb_env_set_mapsize", mdb_env_set_mapsize(environment, 8 << 30))
      // Buffered: commits write into the shared map (no pwrite of a copy of
      // each dirty page: W3's median 1.24 million events/s against 1.05 with
      // MDB_NOSYNC | MDB_NOMETASYNC, though one run in four or five is slower)
      // and flush neither the data nor the meta page. The file then takes the
      // map's size, sparse; W7 measures durable databases, which stay compact.
      let flags = durable ? 0 : UInt32(MDB_WRITEMAP | MDB_NOSYNC)
      try LMDBEventStore.check(
        "mdb_env_open(\(directory))", mdb_env_open(environment, directory, flags, 0o644))

      var transaction: OpaquePointer?
      try LMDBEventStore.check("mdb_txn_begin", mdb_txn_begin(environment, nil, 0, &transaction))
      var events: MDB_dbi = 0
      var streams: MDB_dbi = 0
      var isEmpty = true
      do {
        try LMDBEventStore.check(
          "mdb_dbi_open(events)", mdb_dbi_open(transaction, "events", UInt32(MDB_CREATE), &events))
        try LMDBEventStore.check(
          "mdb_dbi_open(streams)", mdb_dbi_open(transaction, "streams", UInt32(MDB_CREATE), &streams))
        var statistics = MDB_stat()
        try LMDBEventStore.check("mdb_stat", mdb_stat(transaction, events, &statistics))
        isEmpty = statistics.ms_entries == 0
      } catch {
        mdb_txn_abort(transaction)
        throw error
      }
      try LMDBEventStore.check("mdb_txn_commit", mdb_txn_commit(transaction))
      self.events = events
      self.streams = streams
      isNew = isEmpty
    } catch {
      mdb_env_close(environment)
      throw error
    }
    self.environment = environment
    self.durable = durable
  }

  deinit {
    if !isClosed { try? close() }
  }

  /// Flushes the buffered commits to disk (once, as closing a buffered StateLog
  /// log makes it durable) and closes the environment.
  public func close() throws {
    guard !isClosed else { return }
    isClosed = true
    let code = durable ? MDB_SUCCESS : mdb_env_sync(environment, 1)
    mdb_env_close(environment)
    try Self.check("mdb_env_sync", code)
  }

  static func check(_ what: String, _ code: Int32) throws {
    guard code == MDB_SUCCESS else { throw BenchError("\(what): \(String(cString: mdb_strerror(code)))") }
  }

  /// Appends `events` in one write transaction, giving each the next sequence
  /// and the next version of its stream.
  public func append(_ events: [NewEvent]) throws {
    guard isNew, !isClosed else { throw BenchError("appends go to a new, open store only") }
    var transaction: OpaquePointer?
    try Self.check("mdb_txn_begin", mdb_txn_begin(environment, nil, 0, &transaction))
    var sequence = lastSequence
    do {
      var eventCursor: OpaquePointer?
      var indexCursor: OpaquePointer?
      try Self.check("mdb_cursor_open", mdb_cursor_open(transaction, self.events, &eventCursor))
      try Self.check("mdb_cursor_open", mdb_cursor_open(transaction, streams, &indexCursor))
      // Cursors of a write transaction are freed with it; closing them first is
      // what LMDB's documentation asks for.
      defer {
        mdb_cursor_close(eventCursor)
        mdb_cursor_close(indexCursor)
      }
      for event in events {
        sequence += 1
        let version = (versions[event.stream] ?? 0) + 1
        try put(
          event, sequence: sequence, version: version, eventCursor: eventCursor, indexCursor: indexCursor)
        versions[event.stream] = version
      }
    } catch {
      mdb_txn_abort(transaction)
      throw error
    }
    try Self.check("mdb_txn_commit", mdb_txn_commit(transaction))
    lastSequence = sequence
  }

  @inline(__always)
  private func put(
    _ event: NewEvent, sequence: UInt64, version: UInt64, eventCursor: OpaquePointer?,
    indexCursor: OpaquePointer?
  ) throws {
    try Self.store(
      event, sequence: sequence, version: version, scratch: scratch,
      putEvent: { mdb_cursor_put(eventCursor, &$0, &$1, UInt32(MDB_APPEND | MDB_RESERVE)) },
      putIndex: { mdb_cursor_put(indexCursor, &$0, &$1, UInt32(MDB_NOOVERWRITE)) })
  }

  /// Stores `event` under `sequence` and its index entry: `putEvent` reserves
  /// the value's room in the map (`MDB_RESERVE`), where the value is then
  /// encoded in place; the index key is encoded in `scratch` first.
  static func store(
    _ event: NewEvent, sequence: UInt64, version: UInt64, scratch: KeyValueRecord.Scratch,
    putEvent: (inout MDB_val, inout MDB_val) -> Int32, putIndex: (inout MDB_val, inout MDB_val) -> Int32
  ) throws {
    try KeyValueRecord.withBytes(of: event) { stream, type, payload in
      var sequenceKey = sequence.bigEndian
      try withUnsafeMutableBytes(of: &sequenceKey) { sequenceKey in
        var key = MDB_val(mv_size: sequenceKey.count, mv_data: sequenceKey.baseAddress)
        var value = MDB_val(
          mv_size: KeyValueRecord.valueSize(stream: stream, type: type, payload: payload), mv_data: nil)
        try check("put(events)", putEvent(&key, &value))
        try KeyValueRecord.encodeValue(
          event, version: version, stream: stream, type: type, payload: payload, into: value.mv_data!)
        let indexKeySize = KeyValueRecord.indexKeySize(stream: stream)
        let indexKeyBytes = scratch.reserve(indexKeySize)
        KeyValueRecord.encodeIndexKey(stream: stream, version: version, into: indexKeyBytes)
        var indexKey = MDB_val(mv_size: indexKeySize, mv_data: indexKeyBytes)
        var indexValue = MDB_val(mv_size: sequenceKey.count, mv_data: sequenceKey.baseAddress)
        try check("put(streams)", putIndex(&indexKey, &indexValue))
      }
    }
  }

  /// Runs `body` with a cursor over the events database in a read transaction.
  private func withEventsCursor<Result>(_ body: (OpaquePointer?) throws -> Result) throws -> Result {
    var transaction: OpaquePointer?
    try Self.check("mdb_txn_begin", mdb_txn_begin(environment, nil, UInt32(MDB_RDONLY), &transaction))
    defer { mdb_txn_abort(transaction) }
    var cursor: OpaquePointer?
    try Self.check("mdb_cursor_open", mdb_cursor_open(transaction, events, &cursor))
    defer { mdb_cursor_close(cursor) }
    return try body(cursor)
  }

  /// The last sequence stored, read in a read transaction with a cursor at the
  /// last key of the events database, as an event store reads its head when
  /// it opens.
  public func lastStoredSequence() throws -> UInt64 {
    try withEventsCursor { cursor in
      var key = MDB_val()
      var value = MDB_val()
      let code = mdb_cursor_get(cursor, &key, &value, MDB_LAST)
      if code == MDB_NOTFOUND { return 0 }
      try Self.check("mdb_cursor_get", code)
      guard key.mv_size == 8, let data = key.mv_data else {
        throw BenchError("malformed event key of \(key.mv_size) bytes")
      }
      return UInt64(bigEndian: data.loadUnaligned(as: UInt64.self))
    }
  }

  /// Reads every event in sequence order with a cursor over the events
  /// database, in one read transaction, touching each value as SQLite's scan
  /// touches each column. The values are read in place, in LMDB's map.
  public func scan() throws -> StateLogWorkloads.ScanResult {
    try withEventsCursor { cursor in
      var result = StateLogWorkloads.ScanResult()
      var touched = 0
      var key = MDB_val()
      var value = MDB_val()
      var code = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
      while code == MDB_SUCCESS {
        try KeyValueRecord.read(
          key: UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
          value: UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size), into: &result,
          touched: &touched)
        code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
      }
      if code != MDB_NOTFOUND { try Self.check("mdb_cursor_get", code) }
      blackHoleInt(touched)
      return result
    }
  }
}
