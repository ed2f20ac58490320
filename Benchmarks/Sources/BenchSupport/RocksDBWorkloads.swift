import StateLog

/// The RocksDB side of each workload, timed like ``StateLogWorkloads``.
public enum RocksDBWorkloads {
  /// Creates the database in `directory`, appends every batch of `data` (one
  /// write batch each), closes it, and returns the nanoseconds the appends took
  /// and the nanoseconds the close took (not part of the measure: it flushes the
  /// memtables to tables, work RocksDB defers out of the appends).
  public static func append(_ data: Dataset, to directory: String, durable: Bool) throws -> (
    nanoseconds: UInt64, closeNanoseconds: UInt64
  ) {
    let store = try RocksDBEventStore(directory: directory, durable: durable)
    let start = monotonicNanoseconds()
    for batch in data.batches {
      try store.append(batch)
    }
    let elapsed = monotonicNanoseconds() - start
    try store.close()
    return (elapsed, monotonicNanoseconds() - start - elapsed)
  }

  /// Opens the database in `directory` and reads every event; returns the
  /// nanoseconds the scan took (open excluded).
  public static func scan(_ directory: String) throws -> (
    nanoseconds: UInt64, result: StateLogWorkloads.ScanResult
  ) {
    let store = try RocksDBEventStore(directory: directory, durable: false)
    defer { try? store.close() }
    let start = monotonicNanoseconds()
    let result = try store.scan()
    return (monotonicNanoseconds() - start, result)
  }
}
