import StateLog

/// The LMDB side of each workload, timed like ``StateLogWorkloads``.
public enum LMDBWorkloads {
  /// Creates the database in `directory`, appends every batch of `data` (one
  /// write transaction each), closes it, and returns the nanoseconds the
  /// appends took and the nanoseconds the close took (not part of the measure:
  /// it syncs a buffered database once).
  public static func append(_ data: Dataset, to directory: String, durable: Bool) throws -> (
    nanoseconds: UInt64, closeNanoseconds: UInt64
  ) {
    let store = try LMDBEventStore(directory: directory, durable: durable)
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
    // Durable: LMDB's default flags, which map the file read-only (the
    // buffered mode's MDB_WRITEMAP would map it writable). A scan writes
    // nothing, so the mode syncs nothing either way.
    let store = try LMDBEventStore(directory: directory, durable: true)
    defer { try? store.close() }
    let start = monotonicNanoseconds()
    let result = try store.scan()
    return (monotonicNanoseconds() - start, result)
  }
}
