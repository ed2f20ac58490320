import CSQLite
import StateLog

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The SQLite baseline: the same events in one table, tuned as an application
/// that wants SQLite as fast as it can honestly be would tune it.
///
/// - WAL journal, `synchronous=FULL` when appends must be durable (one fsync of
///   the WAL per commit) and `OFF` when they need not be.
/// - One prepared INSERT, one transaction per batch.
/// - `seq` is the rowid, so appends go to the end of the table's b-tree.
/// - A 64 MiB page cache and memory-mapped reads.
/// - The application keeps each stream's last version in memory (as an event
///   store on SQLite would); the UNIQUE index still enforces it.
public final class SQLiteEventStore {
  public static let schema = """
    CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY,
      stream TEXT NOT NULL,
      version INTEGER NOT NULL,
      type TEXT NOT NULL,
      schema_version INTEGER NOT NULL,
      time INTEGER NOT NULL,
      id BLOB NOT NULL,
      payload BLOB NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS events_stream_version ON events(stream, version);
    CREATE INDEX IF NOT EXISTS events_time ON events(time);
    """

  let db: OpaquePointer
  private var insert: OpaquePointer?
  private var begin: OpaquePointer?
  private var commit: OpaquePointer?
  /// W5's fold query, prepared on first use.
  var foldStatement: OpaquePointer?
  private var versions: [String: Int64] = [:]
  private var isClosed = false

  /// The database file inside `directory`.
  public static func path(in directory: String) -> String { directory + "/events.sqlite" }

  /// Opens (creating) `events.sqlite` in `directory`.
  ///
  /// - Parameters:
  ///   - busyTimeout: Milliseconds a statement waits for another connection's
  ///     lock before it fails with `SQLITE_BUSY`; 0 fails at once.
  ///   - beginImmediately: Whether appends start with `BEGIN IMMEDIATE`, taking
  ///     the write lock up front. Needed when several connections append: a
  ///     deferred transaction that must upgrade its read lock can fail with
  ///     `SQLITE_BUSY_SNAPSHOT` without waiting.
  public init(directory: String, durable: Bool, busyTimeout: Int32 = 0, beginImmediately: Bool = false)
    throws
  {
    var handle: OpaquePointer?
    let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
    guard sqlite3_open_v2(Self.path(in: directory), &handle, flags, nil) == SQLITE_OK, let handle else {
      let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
      sqlite3_close(handle)
      throw BenchError("sqlite3_open_v2: \(message)")
    }
    db = handle
    // Before the pragmas: with other connections open, even they may wait.
    if busyTimeout > 0 { sqlite3_busy_timeout(handle, busyTimeout) }
    try execute("PRAGMA journal_mode=WAL")
    try execute("PRAGMA synchronous=\(durable ? "FULL" : "OFF")")
    try execute("PRAGMA cache_size=-65536")
    try execute("PRAGMA mmap_size=1073741824")
    try execute("PRAGMA temp_store=MEMORY")
    // Extra pragmas to try, e.g. "locking_mode=EXCLUSIVE;page_size=8192".
    if let extra = getenv("STATELOG_BENCH_SQLITE_PRAGMAS") {
      for pragma in String(cString: extra).split(separator: ";") { try execute("PRAGMA \(pragma)") }
    }
    try execute(Self.schema)
    insert = try prepare(
      "INSERT INTO events(stream, version, type, schema_version, time, id, payload) VALUES (?,?,?,?,?,?,?)")
    begin = try prepare(beginImmediately ? "BEGIN IMMEDIATE" : "BEGIN")
    commit = try prepare("COMMIT")
  }

  deinit {
    if !isClosed { try? close() }
  }

  /// Finalizes the statements and closes the connection (which checkpoints the
  /// WAL into the database file and deletes it).
  public func close() throws {
    sqlite3_finalize(insert)
    sqlite3_finalize(begin)
    sqlite3_finalize(commit)
    sqlite3_finalize(foldStatement)
    foldStatement = nil
    insert = nil
    begin = nil
    commit = nil
    isClosed = true
    guard sqlite3_close(db) == SQLITE_OK else { throw error("sqlite3_close") }
  }

  /// Closes the connection without checkpointing the WAL, leaving the files
  /// as a process killed at this point would: the next open must recover the
  /// WAL (W6).
  public func closeWithoutCheckpoint() throws {
    guard csqlite_disable_checkpoint_on_close(db) == SQLITE_OK else {
      throw error("SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE")
    }
    try close()
  }

  /// The last sequence stored, `SELECT max(seq)`: a seek to the end of the
  /// table's b-tree, as an event store reads its head when it opens.
  public func lastStoredSequence() throws -> UInt64 {
    var statement: OpaquePointer?
    guard sqlite3_prepare_v2(db, "SELECT max(seq) FROM events", -1, &statement, nil) == SQLITE_OK else {
      throw error("SELECT max(seq)")
    }
    defer { sqlite3_finalize(statement) }
    guard sqlite3_step(statement) == SQLITE_ROW else { throw error("SELECT max(seq)") }
    return UInt64(sqlite3_column_int64(statement, 0))
  }

  func execute(_ sql: String) throws {
    var message: UnsafeMutablePointer<CChar>?
    guard sqlite3_exec(db, sql, nil, nil, &message) == SQLITE_OK else {
      let text = message.map { String(cString: $0) } ?? "?"
      sqlite3_free(message)
      throw BenchError("\(sql): \(text)")
    }
  }

  func prepare(_ sql: String) throws -> OpaquePointer {
    var statement: OpaquePointer?
    guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
      let statement
    else { throw error(sql) }
    return statement
  }

  func error(_ what: String) -> BenchError {
    BenchError("\(what): \(String(cString: sqlite3_errmsg(db)))")
  }

  @inline(__always)
  private func step(_ statement: OpaquePointer?, _ what: String) throws {
    let code = sqlite3_step(statement)
    sqlite3_reset(statement)
    guard code == SQLITE_DONE else { throw error(what) }
  }

  /// Appends `events` in one transaction, giving each the next version of its stream.
  public func append(_ events: [NewEvent]) throws {
    try step(begin, "BEGIN")
    do {
      for event in events {
        let version = (versions[event.stream] ?? 0) + 1
        try insert(event, version: version)
        versions[event.stream] = version
      }
    } catch {
      _ = sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
      throw error
    }
    try step(commit, "COMMIT")
  }

  @inline(__always)
  private func insert(_ event: NewEvent, version: Int64) throws {
    let statement = insert
    var stream = event.stream
    var type = event.type
    var id = (event.id.high.bigEndian, event.id.low.bigEndian)
    let code: Int32 = stream.withUTF8 { stream in
      type.withUTF8 { type in
        withUnsafeBytes(of: &id) { id in
          event.payload.withUnsafeBytes { payload in
            sqlite3_bind_text(
              statement, 1, UnsafeRawPointer(stream.baseAddress)?.assumingMemoryBound(to: CChar.self),
              Int32(stream.count), csqlite_static())
            sqlite3_bind_int64(statement, 2, version)
            sqlite3_bind_text(
              statement, 3, UnsafeRawPointer(type.baseAddress)?.assumingMemoryBound(to: CChar.self),
              Int32(type.count), csqlite_static())
            sqlite3_bind_int64(statement, 4, Int64(event.schemaVersion))
            sqlite3_bind_int64(statement, 5, event.timestamp?.nanosecondsSinceEpoch ?? 0)
            sqlite3_bind_blob(statement, 6, id.baseAddress, Int32(id.count), csqlite_static())
            // A zero-length blob needs a non-null pointer to be a blob, not NULL.
            sqlite3_bind_blob(
              statement, 7, payload.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(payload.count),
              csqlite_static())
            let code = sqlite3_step(statement)
            sqlite3_reset(statement)
            return code
          }
        }
      }
    }
    guard code == SQLITE_DONE else { throw error("INSERT") }
  }

  /// Reads every row in `seq` order, touching each column as a raw scan would
  /// (text and blobs as pointers, no copies).
  public func scan() throws -> StateLogWorkloads.ScanResult {
    let select = try prepare(
      "SELECT seq, stream, version, type, schema_version, time, id, payload FROM events ORDER BY seq")
    defer { sqlite3_finalize(select) }
    var result = StateLogWorkloads.ScanResult()
    var touched = 0
    while true {
      let code = sqlite3_step(select)
      if code == SQLITE_DONE { break }
      guard code == SQLITE_ROW else { throw error("SELECT") }
      let sequence = UInt64(sqlite3_column_int64(select, 0))
      touched &+= Int(bitPattern: sqlite3_column_text(select, 1)) & 1
      touched &+= Int(sqlite3_column_bytes(select, 1))
      let version = UInt64(sqlite3_column_int64(select, 2))
      touched &+= Int(bitPattern: sqlite3_column_text(select, 3)) & 1
      touched &+= Int(sqlite3_column_int64(select, 4))
      touched &+= Int(truncatingIfNeeded: sqlite3_column_int64(select, 5))
      touched &+= Int(bitPattern: sqlite3_column_blob(select, 6)) & 1
      let payload = UnsafeRawBufferPointer(
        start: sqlite3_column_blob(select, 7), count: Int(sqlite3_column_bytes(select, 7)))
      result.add(sequence: sequence, version: version, payload: payload)
    }
    blackHoleInt(touched)
    return result
  }
}
