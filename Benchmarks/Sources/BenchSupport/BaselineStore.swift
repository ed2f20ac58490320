import StateLog

/// What the SQLite, RocksDB and LMDB baselines have in common, so that one
/// timing loop serves the three.
public protocol BaselineStore: AnyObject {
  /// Opens, creating it if needed, the store in `directory`: durable (each
  /// append synced) or buffered.
  static func open(directory: String, durable: Bool) throws -> Self
  /// Appends one batch of events, in one transaction or write batch.
  func append(_ events: [NewEvent]) throws
  func close() throws
  /// Reads every event in sequence order.
  func scan() throws -> StateLogWorkloads.ScanResult
}

enum BaselineTiming {
  /// Creates the store in `directory`, appends every batch of `data`, closes
  /// it, and returns the nanoseconds the appends took and those the close
  /// took (not part of the measure, but reported: RocksDB flushes its
  /// memtables then, a buffered LMDB syncs once).
  static func append<Store: BaselineStore>(
    _ type: Store.Type, _ data: Dataset, to directory: String, durable: Bool
  ) throws -> (nanoseconds: UInt64, closeNanoseconds: UInt64) {
    let store = try Store.open(directory: directory, durable: durable)
    let start = monotonicNanoseconds()
    for batch in data.batches {
      try store.append(batch)
    }
    let elapsed = monotonicNanoseconds() - start
    try store.close()
    return (elapsed, monotonicNanoseconds() - start - elapsed)
  }

  /// Opens the store in `directory` and reads every event; returns the
  /// nanoseconds the scan took (open excluded).
  static func scan<Store: BaselineStore>(_ type: Store.Type, _ directory: String, durable: Bool) throws -> (
    nanoseconds: UInt64, result: StateLogWorkloads.ScanResult
  ) {
    let store = try Store.open(directory: directory, durable: durable)
    defer { try? store.close() }
    let start = monotonicNanoseconds()
    let result = try store.scan()
    return (monotonicNanoseconds() - start, result)
  }
}

extension SQLiteEventStore: BaselineStore {
  public static func open(directory: String, durable: Bool) throws -> SQLiteEventStore {
    try SQLiteEventStore(directory: directory, durable: durable)
  }
}

extension RocksDBEventStore: BaselineStore {
  public static func open(directory: String, durable: Bool) throws -> RocksDBEventStore {
    try RocksDBEventStore(directory: directory, durable: durable)
  }

  /// Closes after flushing the memtables, as an orderly shutdown does.
  public func close() throws { try close(flush: true) }
}

extension LMDBEventStore: BaselineStore {
  public static func open(directory: String, durable: Bool) throws -> LMDBEventStore {
    try LMDBEventStore(directory: directory, durable: durable)
  }
}
