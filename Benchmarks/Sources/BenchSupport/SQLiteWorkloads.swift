import StateLog

/// The SQLite side of each workload, timed like ``StateLogWorkloads``.
public enum SQLiteWorkloads {
  /// Creates the database in `directory`, appends every batch of `data` (one
  /// transaction each), closes it, and returns the nanoseconds the appends took.
  public static func append(_ data: Dataset, to directory: String, durable: Bool) throws -> UInt64 {
    let store = try SQLiteEventStore(directory: directory, durable: durable)
    let start = monotonicNanoseconds()
    for batch in data.batches {
      try store.append(batch)
    }
    let elapsed = monotonicNanoseconds() - start
    try store.close()
    return elapsed
  }

  /// Opens the database in `directory` and reads every row; returns the
  /// nanoseconds the scan took (open excluded).
  public static func scan(_ directory: String) throws -> (
    nanoseconds: UInt64, result: StateLogWorkloads.ScanResult
  ) {
    let store = try SQLiteEventStore(directory: directory, durable: false)
    defer { try? store.close() }
    let start = monotonicNanoseconds()
    let result = try store.scan()
    return (monotonicNanoseconds() - start, result)
  }
}

@inline(never)
func blackHoleInt(_ value: Int) {
  if value == 0x7FFF_FFFF_FFFF_FFF1 { print("") }
}
