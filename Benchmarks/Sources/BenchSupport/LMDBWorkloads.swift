import StateLog

/// The LMDB side of each workload, timed like ``StateLogWorkloads``.
public enum LMDBWorkloads {
  /// Appends every batch of `data` (one write transaction each) to a new
  /// database; the close, not timed, syncs a buffered database once.
  public static func append(_ data: Dataset, to directory: String, durable: Bool) throws -> (
    nanoseconds: UInt64, closeNanoseconds: UInt64
  ) {
    try BaselineTiming.append(LMDBEventStore.self, data, to: directory, durable: durable)
  }

  /// Reads every event of the database in `directory` (open excluded).
  public static func scan(_ directory: String) throws -> (
    nanoseconds: UInt64, result: StateLogWorkloads.ScanResult
  ) {
    // Durable: LMDB's default flags, which map the file read-only (the
    // buffered mode's MDB_WRITEMAP would map it writable). A scan writes
    // nothing, so the mode syncs nothing either way.
    try BaselineTiming.scan(LMDBEventStore.self, directory, durable: true)
  }
}
