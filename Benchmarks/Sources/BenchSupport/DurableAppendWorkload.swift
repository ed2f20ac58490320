import CLMDB
import CRocksDB
import Foundation
import StateLog
import Synchronization

/// W2: single-event appends, each durable before it returns, by one writer or
/// by many threads at once, on StateLog and on each baseline.
///
/// Every writer appends its own share of the data set one event per append and
/// times each append; the run's time is from the moment all writers are
/// released until the last one finishes. Opening and closing are not timed.
public enum DurableAppendWorkload {
  /// One run: its wall time, every append's latency, and the events appended.
  public struct Result: Sendable {
    public var nanoseconds: UInt64
    public var latencies: [UInt64]
    public var events: Int
    /// The CPU time (user and system) the whole process used during the run,
    /// the engine's background threads included: with two cores, it tells a
    /// run bound by the disk from one bound by the processors.
    public var cpuNanoseconds: UInt64

    /// Events per second over all writers.
    public var rate: Double { Double(events) / (Double(nanoseconds) / 1e9) }
  }

  /// Deals `events` round-robin to `writers` writers. With more than one
  /// writer, each writes to its own copies of the data set's streams (the
  /// stream id, "/w" and the writer's number): writers never share a stream,
  /// as when each agent appends to its own conversation, and a baseline can
  /// keep each stream's last version in the writer that owns it.
  public static func split(_ events: [NewEvent], writers: Int) -> [[NewEvent]] {
    var work = [[NewEvent]](repeating: [], count: writers)
    for (index, event) in events.enumerated() {
      var event = event
      if writers > 1 { event.stream += "/w\(index % writers)" }
      work[index % writers].append(event)
    }
    return work
  }

  /// StateLog: `.fsyncEveryAppend` for one writer, `.groupCommit` for several
  /// (concurrent appends then share fsyncs), LZ4 and the other defaults.
  public static func stateLog(_ work: [[NewEvent]], directory: String) throws -> Result {
    let durability: Durability = work.count == 1 ? .fsyncEveryAppend : .groupCommit
    let log = try Log.open(at: directory, options: StateLogWorkloads.options(durability: durability))
    defer { try? log.close() }
    let result = try run(work) { _, event in try log.append([event]) }
    try check("StateLog", stored: log.lastSequence, expected: result.events)
    try log.close()
    return result
  }

  /// SQLite: one transaction per event, `synchronous=FULL` in WAL mode (one
  /// fsync of the WAL per commit). SQLite has one writer at a time, so
  /// concurrent writers either share one connection under a mutex (the
  /// default: a waiting writer is woken as soon as the lock is free), or
  /// `connectionPerWriter` gives each its own connection with `BEGIN
  /// IMMEDIATE` and a busy timeout (SQLite's busy handler then polls with
  /// sleeps of 1 ms and more, which measured slower).
  public static func sqlite(_ work: [[NewEvent]], directory: String, connectionPerWriter: Bool) throws
    -> Result
  {
    if !connectionPerWriter || work.count == 1 {
      let shared = Locked(try SQLiteEventStore(directory: directory, durable: true))
      let result = try run(work) { _, event in try shared.value.withLock { try $0.append([event]) } }
      try shared.value.withLock { store in
        try check("SQLite", stored: try store.lastStoredSequence(), expected: result.events)
        try store.close()
      }
      return result
    }
    // The first connection creates the schema before the others open.
    var stores: [ThreadConfined<SQLiteEventStore>] = []
    for _ in work.indices {
      stores.append(
        ThreadConfined(
          try SQLiteEventStore(
            directory: directory, durable: true, busyTimeout: 60_000, beginImmediately: true)))
    }
    let connections = stores
    let result = try run(work) { writer, event in try connections[writer].value.append([event]) }
    try check("SQLite", stored: try connections[0].value.lastStoredSequence(), expected: result.events)
    for connection in connections { try connection.value.close() }
    return result
  }

  /// RocksDB: one `WriteBatch` per event written with `sync=true`, every
  /// writer on the same database from its own thread, so that RocksDB's own
  /// group commit (a leader writes and syncs the WAL for the writers queued
  /// behind it) shares fsyncs.
  public static func rocksdb(_ work: [[NewEvent]], directory: String) throws -> Result {
    let store = try RocksDBEventStore(directory: directory, durable: true)
    let sequences = SequenceCounter()
    let writers = work.indices.map { _ in
      ThreadConfined(RocksDBEventStore.ConcurrentWriter(store: store, sequences: sequences))
    }
    let result = try run(work) { writer, event in try writers[writer].value.append(event) }
    try check("RocksDB", stored: try store.lastStoredSequence(), expected: result.events)
    try store.close()
    return result
  }

  /// LMDB: one write transaction per event with LMDB's durable commit (data
  /// pages, then the meta page, each synced). LMDB has one write transaction
  /// at a time: concurrent writers queue on its writer lock.
  public static func lmdb(_ work: [[NewEvent]], directory: String) throws -> Result {
    let store = try LMDBEventStore(directory: directory, durable: true)
    let sequences = SequenceCounter()
    let writers = work.indices.map { _ in
      ThreadConfined(LMDBEventStore.ConcurrentWriter(store: store, sequences: sequences))
    }
    let result = try run(work) { writer, event in try writers[writer].value.append(event) }
    try check("LMDB", stored: try store.lastStoredSequence(), expected: result.events)
    try store.close()
    return result
  }

  private static func check(_ engine: String, stored: UInt64, expected: Int) throws {
    guard stored == UInt64(expected) else {
      throw BenchError("W2 \(engine): \(stored) events stored, \(expected) appended")
    }
  }

  /// Runs one thread per writer, each calling `append` for each of its events
  /// in order, and times each append and the whole.
  ///
  /// Threads rather than tasks: the appends block in fsync, and Swift's
  /// cooperative pool has only as many threads as cores, which would cap the
  /// writers at two.
  static func run(
    _ work: [[NewEvent]], append: @escaping @Sendable (_ writer: Int, _ event: NewEvent) throws -> Void
  ) throws -> Result {
    let ready = DispatchGroup()
    let finished = DispatchGroup()
    let go = DispatchSemaphore(value: 0)
    let outcome = Locked<(latencies: [UInt64], failure: (any Error)?)>(([], nil))
    for (writer, events) in work.enumerated() {
      ready.enter()
      finished.enter()
      let thread = Thread {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(events.count)
        var failure: (any Error)?
        ready.leave()
        go.wait()
        for event in events {
          let start = monotonicNanoseconds()
          do {
            try append(writer, event)
          } catch {
            failure = error
            break
          }
          latencies.append(monotonicNanoseconds() - start)
        }
        outcome.value.withLock {
          $0.latencies += latencies
          $0.failure = $0.failure ?? failure
        }
        finished.leave()
      }
      thread.start()
    }
    // Every thread is started and waiting before the clock starts.
    ready.wait()
    let cpuStart = processCPUNanoseconds()
    let start = monotonicNanoseconds()
    for _ in work { go.signal() }
    finished.wait()
    let elapsed = monotonicNanoseconds() - start
    let cpu = processCPUNanoseconds() - cpuStart
    let (latencies, failure) = outcome.value.withLock { ($0.latencies, $0.failure) }
    if let failure { throw failure }
    return Result(nanoseconds: elapsed, latencies: latencies, events: latencies.count, cpuNanoseconds: cpu)
  }

  /// The user and system CPU time of every thread of the process so far.
  static func processCPUNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
  }
}

/// A value behind a mutex, in a class so that escaping closures can share it.
final class Locked<Value>: Sendable {
  let value: Mutex<Value>
  init(_ value: sending Value) { self.value = Mutex(value) }
}

/// A value that one writer thread uses alone: it is made before the thread
/// starts and used again only after the thread has finished, and both are
/// ordered by the semaphores and groups of ``DurableAppendWorkload/run(_:append:)``.
/// Writers of one engine share its store only for handles the engine makes
/// safe to use from several threads (RocksDB's database, LMDB's environment),
/// which the store never changes.
final class ThreadConfined<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// The global sequence that concurrent writers of the key-value baselines
/// give their events, from 1.
final class SequenceCounter: Sendable {
  private let last = Atomic<UInt64>(0)
  func next() -> UInt64 { last.wrappingAdd(1, ordering: .relaxed).newValue }
}

extension RocksDBEventStore {
  /// One of several threads appending single events to one database at once
  /// (W2). The database handle is thread-safe; the write batch, the scratch
  /// buffer and the stream versions are the writer's own. It is a copy of
  /// ``RocksDBEventStore/append(_:)``'s path rather than a share of it, so
  /// that W1 and W3 run exactly the code they always ran.
  final class ConcurrentWriter {
    private let store: RocksDBEventStore
    private let sequences: SequenceCounter
    private let batch: OpaquePointer
    private let scratch = KeyValueRecord.Scratch(capacity: 4096)
    private var versions: [String: UInt64] = [:]

    init(store: RocksDBEventStore, sequences: SequenceCounter) {
      self.store = store
      self.sequences = sequences
      batch = rocksdb_writebatch_create()
    }

    deinit { rocksdb_writebatch_destroy(batch) }

    /// Appends `event` as one write batch of its value and its index entry.
    func append(_ event: NewEvent) throws {
      // The perf level is per thread (see disablePerfCounters()).
      RocksDBEventStore.disablePerfCounters()
      rocksdb_writebatch_clear(batch)
      let sequence = sequences.next()
      let version = (versions[event.stream] ?? 0) + 1
      try RocksDBEventStore.stage(
        event, sequence: sequence, version: version, into: batch, events: store.events,
        streams: store.streams,
        scratch: scratch)
      try RocksDBEventStore.check("rocksdb_write") { rocksdb_write(store.db, store.writeOptions, batch, $0) }
      versions[event.stream] = version
    }
  }
}

extension LMDBEventStore {
  /// One of several threads appending single events to one environment at
  /// once (W2), each in its own write transaction; LMDB's writer lock lets one
  /// transaction run at a time and the others wait in `mdb_txn_begin`. The
  /// scratch buffer and the stream versions are the writer's own.
  final class ConcurrentWriter {
    private let store: LMDBEventStore
    private let sequences: SequenceCounter
    private let scratch = KeyValueRecord.Scratch(capacity: 256)
    private var versions: [String: UInt64] = [:]

    init(store: LMDBEventStore, sequences: SequenceCounter) {
      self.store = store
      self.sequences = sequences
    }

    /// Appends `event` in one durable write transaction.
    func append(_ event: NewEvent) throws {
      var transaction: OpaquePointer?
      try LMDBEventStore.check("mdb_txn_begin", mdb_txn_begin(store.environment, nil, 0, &transaction))
      // Taken inside the transaction, which holds the writer lock: sequences
      // are committed in order, as MDB_APPEND requires.
      let sequence = sequences.next()
      let version = (versions[event.stream] ?? 0) + 1
      do {
        try put(event, sequence: sequence, version: version, transaction: transaction)
      } catch {
        mdb_txn_abort(transaction)
        throw error
      }
      try LMDBEventStore.check("mdb_txn_commit", mdb_txn_commit(transaction))
      versions[event.stream] = version
    }

    private func put(_ event: NewEvent, sequence: UInt64, version: UInt64, transaction: OpaquePointer?) throws
    {
      try LMDBEventStore.store(
        event, sequence: sequence, version: version, scratch: scratch,
        putEvent: { mdb_put(transaction, store.events, &$0, &$1, UInt32(MDB_APPEND | MDB_RESERVE)) },
        putIndex: { mdb_put(transaction, store.streams, &$0, &$1, UInt32(MDB_NOOVERWRITE)) })
    }
  }
}
