import StateLog

/// The SQLite side of each workload, timed like ``StateLogWorkloads``.
public enum SQLiteWorkloads {
  /// Appends every batch of `data` (one transaction each) to a new database;
  /// returns the nanoseconds the appends took.
  public static func append(_ data: Dataset, to directory: String, durable: Bool) throws -> UInt64 {
    try BaselineTiming.append(SQLiteEventStore.self, data, to: directory, durable: durable).nanoseconds
  }

  /// Reads every row of the database in `directory` (open excluded).
  public static func scan(_ directory: String) throws -> (
    nanoseconds: UInt64, result: StateLogWorkloads.ScanResult
  ) {
    try BaselineTiming.scan(SQLiteEventStore.self, directory, durable: false)
  }
}

@inline(never)
func blackHoleInt(_ value: Int) {
  if value == 0x7FFF_FFFF_FFFF_FFF1 { print("") }
}
