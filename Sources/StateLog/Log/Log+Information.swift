/// A summary of a log, as ``Log/information()`` reads it.
public struct LogInformation: Hashable, Sendable {
  /// Events readers can see.
  public var eventCount: UInt64
  /// The first event's sequence number.
  public var firstSequence: UInt64
  /// The last event's sequence number (0 when the log is empty).
  public var lastSequence: UInt64
  /// The first event's timestamp.
  public var firstTimestamp: Timestamp?
  /// The last event's timestamp.
  public var lastTimestamp: Timestamp?
  /// The largest timestamp of any event (clocks may step backwards).
  public var maximumTimestamp: Timestamp?
  /// Segment files.
  public var segmentCount: Int
  /// Bytes of segment files.
  public var bytesOnDisk: UInt64
  /// The format version of the newest segment.
  public var formatVersion: Int
}

extension Log {
  /// Summarises the log: how many events and segments, which sequences and
  /// times it spans, and how many bytes it takes.
  ///
  /// - Throws: ``StateLogError`` if the log is closed or the first or last event
  ///   cannot be read.
  /// - Complexity: O(segments), plus reading two events.
  public func information() throws -> LogInformation {
    // Only what is needed leaves the lock: a copy of the segments would make
    // the next append copy the active segment's index.
    let (files, first, visibleNext, maximumTimestamp) = try state.withLock { (state) throws(StateLogError) in
      if state.isClosed { throw StateLogError(.closed, "log is closed") }
      return (
        state.segments.map(\.file), state.segments.first?.baseSequence ?? state.visibleNextSequence,
        state.visibleNextSequence, state.segments.last?.maximumTimestampThrough ?? .min
      )
    }
    let last = visibleNext - 1
    var bytes: UInt64 = 0
    for file in files { bytes += try io.size(of: file.handle) }
    let hasEvents = last >= first
    return LogInformation(
      eventCount: hasEvents ? last - first + 1 : 0, firstSequence: first, lastSequence: last,
      firstTimestamp: hasEvents ? try event(at: first).timestamp : nil,
      lastTimestamp: hasEvents ? try event(at: last).timestamp : nil,
      // A running maximum: the last segment's covers every earlier one.
      maximumTimestamp: hasEvents ? Timestamp(nanosecondsSinceEpoch: maximumTimestamp) : nil,
      segmentCount: files.count, bytesOnDisk: bytes, formatVersion: Int(SegmentHeader.currentFormatVersion)
    )
  }
}
