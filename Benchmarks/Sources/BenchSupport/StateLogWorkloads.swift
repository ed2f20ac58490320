import StateLog

/// The workloads on StateLog, through its public API only.
public enum StateLogWorkloads {
  /// The options of the log under test: the library's defaults (LZ4 on, 64 MiB
  /// segments) with the given durability.
  public static func options(durability: Durability, compression: LogOptions.Compression = .lz4)
    -> LogOptions
  {
    var options = LogOptions()
    options.durability = durability
    options.compression = compression
    return options
  }

  /// Opens a new log in `directory`, appends every batch of `data` (one
  /// `append` each), closes it, and returns the nanoseconds the appends took
  /// (open and close excluded).
  public static func append(
    _ data: Dataset, to directory: String, durability: Durability,
    compression: LogOptions.Compression = .lz4
  ) throws -> UInt64 {
    let log = try Log.open(
      at: directory, options: options(durability: durability, compression: compression))
    let start = monotonicNanoseconds()
    for batch in data.batches {
      try log.append(batch)
    }
    let elapsed = monotonicNanoseconds() - start
    try log.close()
    return elapsed
  }

  /// The result of a scan: enough to check that every event was read and that
  /// both engines read the same bytes.
  public struct ScanResult: Equatable, Sendable {
    public var events = 0
    public var payloadBytes = 0
    public var checksum: UInt64 = 0
    public init() {}

    @inline(__always)
    mutating func add(sequence: UInt64, version: UInt64, payload: UnsafeRawBufferPointer) {
      events += 1
      payloadBytes += payload.count
      // Touches the first and the last payload byte and the positions.
      let first = payload.isEmpty ? 0 : UInt64(payload[0])
      let last = payload.isEmpty ? 0 : UInt64(payload[payload.count - 1])
      checksum = checksum &* 31 &+ (sequence ^ version << 20 ^ first << 40 ^ last << 48)
    }
  }

  /// Opens the log in `directory` and reads every event with `forEachEvent`,
  /// touching each payload; returns the nanoseconds the scan took (open excluded).
  public static func scan(_ directory: String) throws -> (nanoseconds: UInt64, result: ScanResult) {
    let log = try Log.open(at: directory, options: options(durability: .buffered))
    defer { try? log.close() }
    var result = ScanResult()
    let start = monotonicNanoseconds()
    try log.forEachEvent { event in
      result.add(sequence: event.sequence, version: event.streamVersion, payload: event.payload)
      return true
    }
    return (monotonicNanoseconds() - start, result)
  }
}
