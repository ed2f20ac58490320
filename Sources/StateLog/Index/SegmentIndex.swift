/// One entry of a segment's sparse offset and time index (format-spec.md, "Index files").
struct IndexEntry: Hashable, Sendable {
  /// Where the batch starts in the segment file.
  var offset: UInt64
  /// The batch's first sequence number.
  var baseSequence: UInt64
  /// The largest timestamp of any record before this batch in the same segment,
  /// or `Int64.min` for the first batch.
  var maxTimestampBefore: Int64
}

/// The contiguous run of one stream's events inside one segment.
///
/// Stream versions are dense and a segment holds a contiguous range of
/// sequence numbers, so a stream's events in a segment always have consecutive
/// versions: the run needs its first version and the sequence of each event.
struct StreamRun: Hashable, Sendable {
  var firstVersion: UInt64
  var sequences: [UInt64]
}

/// What the engine knows about one segment: its extent, statistics and sparse index.
///
/// Built by scanning the segment, by loading its index file, or batch by batch as
/// appends go; each path produces the same value, which the index tests check.
struct SegmentIndex: Hashable, Sendable {
  var baseSequence: UInt64
  /// One past the last sequence in the segment (equal to ``baseSequence`` when empty).
  var nextSequence: UInt64
  /// The offset just past the last batch; a sealed segment's footer starts here.
  var dataEnd: UInt64 = UInt64(SegmentHeader.size)
  var entries: [IndexEntry] = []
  var batchCount: UInt32 = 0
  var minTimestamp: Int64 = .max
  var maxTimestamp: Int64 = .min
  var lastBatchOffset: UInt64 = 0
  var lastBatchChecksum: UInt64 = 0
  /// Each stream's run in this segment, kept for the active segment and while
  /// building an index file; empty for sealed segments once loaded.
  var streams: [ExactName: StreamRun] = [:]
  /// Every record's event id in sequence order, kept like ``streams``.
  var ids: [EventID] = []

  /// Drops the per-stream runs and the ids, which only a writer's active
  /// segment keeps: the log's ``StreamIndex`` holds every position, and the
  /// index file the ids.
  mutating func dropPositions() {
    streams = [:]
    ids = []
  }

  init(baseSequence: UInt64) {
    self.baseSequence = baseSequence
    self.nextSequence = baseSequence
  }

  var recordCount: UInt64 { nextSequence - baseSequence }
  var isEmpty: Bool { batchCount == 0 }

  /// Adds a batch that was written or verified at `offset`, adding an index entry
  /// when the batch starts at least `interval` bytes after the last entry.
  mutating func add(_ header: BatchHeader, at offset: UInt64, interval: Int) {
    if entries.isEmpty || offset - entries[entries.count - 1].offset >= UInt64(interval) {
      entries.append(
        IndexEntry(offset: offset, baseSequence: header.baseSequence, maxTimestampBefore: maxTimestamp))
    }
    batchCount += 1
    nextSequence = header.nextSequence
    dataEnd = offset + UInt64(header.length)
    minTimestamp = min(minTimestamp, header.minTimestamp)
    maxTimestamp = max(maxTimestamp, header.maxTimestamp)
    lastBatchOffset = offset
    lastBatchChecksum = header.checksum
  }

  /// Adds one record's stream position and id to ``streams`` and ``ids``.
  mutating func addPosition(stream: ExactName, version: UInt64, sequence: UInt64, id: EventID) {
    ids.append(id)
    // One hash per event: appending through `values` does not look the key up again.
    if let run = streams.index(forKey: stream) {
      streams.values[run].sequences.append(sequence)
    } else {
      streams[stream] = StreamRun(firstVersion: version, sequences: [sequence])
    }
  }

  /// Adds one append's new positions of `stream` to ``streams`` (the append
  /// adds its ids to ``ids`` itself, in record order).
  mutating func addRun(_ stream: ExactName, _ run: StreamRun) {
    if let existing = streams.index(forKey: stream) {
      streams.values[existing].sequences.append(contentsOf: run.sequences)
    } else {
      streams[stream] = run
    }
  }

  /// The entry to start from when looking for `sequence`: the last one whose batch
  /// starts at or before it.
  func entry(for sequence: UInt64) -> IndexEntry? {
    var low = 0
    var high = entries.count
    while low < high {
      let middle = (low + high) / 2
      if entries[middle].baseSequence <= sequence { low = middle + 1 } else { high = middle }
    }
    return low == 0 ? nil : entries[low - 1]
  }

  /// The entry to start from when looking for the last record whose running
  /// maximum timestamp is at most `timestamp`, given the running maximum of all
  /// segments before this one.
  func entry(forTimestamp timestamp: Int64, maximumBefore: Int64) -> IndexEntry? {
    var low = 0
    var high = entries.count
    while low < high {
      let middle = (low + high) / 2
      if max(entries[middle].maxTimestampBefore, maximumBefore) <= timestamp {
        low = middle + 1
      } else {
        high = middle
      }
    }
    return low == 0 ? nil : entries[low - 1]
  }
}
