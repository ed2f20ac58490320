/// One entry of a stream's history.
public struct HistoryEntry: Hashable, Sendable {
  public var version: UInt64
  public var sequence: UInt64
  public var timestamp: Timestamp
  public var type: String
}

extension Log {
  /// A page of `stream`'s history: (version, sequence, timestamp, type) of its
  /// events from version `start` on, optionally only some types and a time range.
  ///
  /// - Parameters:
  ///   - start: The first version to consider; pass the last entry's version
  ///     plus one to get the next page.
  ///   - limit: The most entries to return.
  ///   - types: Only these event types; all when empty.
  ///   - since: Only events stamped at or after this time.
  ///   - until: Only events stamped at or before this time.
  /// - Throws: As ``forEachEvent(inStream:fromVersion:throughVersion:_:)``.
  public func history(
    of stream: String, fromVersion start: UInt64 = 1, limit: Int = 100, types: Set<String> = [],
    since: Timestamp = .distantPast, until: Timestamp = .distantFuture
  ) throws -> [HistoryEntry] {
    var entries: [HistoryEntry] = []
    guard limit > 0 else { return entries }
    try forEachEvent(inStream: stream, fromVersion: start) { event in
      if (types.isEmpty || types.contains(event.type)) && event.timestamp >= since && event.timestamp <= until
      {
        entries.append(
          HistoryEntry(
            version: event.streamVersion, sequence: event.sequence, timestamp: event.timestamp,
            type: event.type))
      }
      return entries.count < limit
    }
    return entries
  }

  /// How much compression saves: the bytes of every batch body before and
  /// after compression.
  ///
  /// - Complexity: Reads every segment (batch headers only are decoded).
  public func compressionStatistics() throws -> (uncompressed: UInt64, stored: UInt64) {
    // Not the segments themselves: a copy would make the next append copy the
    // active segment's index.
    let segments = try state.withLock { (state) throws(StateLogError) in
      if state.isClosed { throw StateLogError(.closed, "log is closed") }
      return state.segments.map { (file: $0.file, name: $0.name, dataEnd: $0.index.dataEnd) }
    }
    var uncompressed: UInt64 = 0
    var stored: UInt64 = 0
    for segment in segments {
      var reader = BatchReader(io: io, file: segment.file.handle, name: segment.name)
      var offset = UInt64(SegmentHeader.size)
      while case .batch(let header) = try reader.step(at: offset, limit: segment.dataEnd) {
        uncompressed += UInt64(header.bodyLength)
        stored += UInt64(header.length) - UInt64(BatchHeader.size)
        offset += UInt64(header.length)
      }
    }
    return (uncompressed, stored)
  }
}
