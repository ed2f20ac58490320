import StateLog

/// The RocksDB side of each workload, timed like ``StateLogWorkloads``.
public enum RocksDBWorkloads {
  /// Appends every batch of `data` (one write batch each) to a new database;
  /// the close, not timed, flushes the memtables, work RocksDB defers out of
  /// the appends.
  public static func append(_ data: Dataset, to directory: String, durable: Bool) throws -> (
    nanoseconds: UInt64, closeNanoseconds: UInt64
  ) {
    try BaselineTiming.append(RocksDBEventStore.self, data, to: directory, durable: durable)
  }

  /// Reads every event of the database in `directory` (open excluded).
  public static func scan(_ directory: String) throws -> (
    nanoseconds: UInt64, result: StateLogWorkloads.ScanResult
  ) {
    try BaselineTiming.scan(RocksDBEventStore.self, directory, durable: false)
  }
}
