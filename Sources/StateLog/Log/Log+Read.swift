extension Log {
  /// The sequence number of the last event readers can see, or 0 if the log is empty.
  public var lastSequence: UInt64 {
    state.withLock { $0.visibleNextSequence - 1 }
  }

  /// The sequence number of the first event in the log; greater than
  /// ``lastSequence`` when the log is empty.
  public var firstSequence: UInt64 {
    state.withLock { $0.segments.first?.baseSequence ?? $0.nextSequence }
  }

  /// The version of the last event in `stream` that readers can see; 0 if none.
  /// (A stream whose events retention removed keeps counting from them.)
  public func lastVersion(of stream: String) -> UInt64 {
    state.withLock { $0.streams.version(of: ExactName(stream), before: $0.visibleNextSequence) }
  }

  /// The global sequence number of `stream`'s event with version `version`, or
  /// `nil` if readers cannot see such an event.
  ///
  /// - Complexity: O(1): one lookup in the stream index.
  public func sequence(ofVersion version: UInt64, inStream stream: String) -> UInt64? {
    state.withLock { state in
      guard let positions = state.streams.positions(of: ExactName(stream)), version >= positions.firstVersion,
        version <= positions.lastVersion
      else { return nil }
      let sequence = positions.sequence(at: Int(version - positions.firstVersion))
      return sequence < state.visibleNextSequence ? sequence : nil
    }
  }

  /// The ids of every stream with at least one event, sorted.
  public func streamIDs() -> [String] {
    state.withLock { $0.streams.streams.keys.sorted().map(\.string) }
  }

  /// Calls `body` with each event from `start` through `end`, in sequence order,
  /// until it returns `false`.
  ///
  /// Events are borrowed views into a reused read buffer (see ``EventView``), so
  /// a scan costs no allocation per event. Every batch's checksum is verified as
  /// it is read.
  ///
  /// A scan over megabytes of a segment reads and decompresses the batches
  /// ahead of `body` on a helper thread, when the machine has a second core
  /// (``LogOptions/parallelScans``): decompression is most of a scan's work.
  /// `body` is still called on the calling thread, in order.
  ///
  /// - Parameters:
  ///   - start: The first sequence to visit; earlier ones are skipped.
  ///   - end: The last sequence to visit; the scan also stops at the end of the log.
  ///   - readAhead: `false` keeps the scan on the calling thread, for callers
  ///     that already run a scan on every core.
  ///   - body: Called with each event; return `false` to stop.
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/corruption`` naming file
  ///   and offset if a batch fails to verify, ``StateLogError/Code/closed``, or
  ///   whatever `body` throws.
  /// - Complexity: O(log s) to find the start, then O(bytes read).
  public func forEachEvent(
    from start: UInt64 = 1, through end: UInt64 = .max, readAhead: Bool = true,
    _ body: (EventView) throws -> Bool
  ) throws {
    var next = max(start, 1)
    var decoder = BatchDecoder()
    // A scan reads this much on its own before it hands the rest of a segment
    // over to a helper, so that a short read (`event(at:)`, a `limit`) never
    // starts a thread or reads ahead.
    let handOverAfter = readAhead ? options.scanHandOver : nil
    while next <= end {
      guard let cursor = try readCursor(for: next) else { return }
      next = cursor.start
      let last = min(end, cursor.visibleNext - 1)
      guard next <= last else { return }
      let segmentStart = next
      var outcome = try scan(
        cursor, from: cursor.startOffset, next: &next, through: last, decoder: &decoder,
        handOverAfter: handOverAfter, body)
      if case .handOver(let offset) = outcome {
        outcome =
          try scanAhead(cursor, from: offset, next: &next, through: last, decoder: &decoder, body)
          ?? scan(
            cursor, from: offset, next: &next, through: last, decoder: &decoder, handOverAfter: nil, body)
      }
      guard case .ended(let offset) = outcome else { return }
      if next == segmentStart || (next < cursor.segmentNext && next <= last) {
        throw StateLogError(
          .corruption, "segment ends before sequence \(next)", file: cursor.file.name, offset: offset)
      }
    }
  }

  /// How a scan of one segment ended.
  private enum SegmentScan {
    /// The segment's data ended, or the scan passed `last`, at this offset.
    case ended(UInt64)
    /// The reader asked to stop.
    case stopped
    /// The rest, from this batch boundary, is for a helper thread.
    case handOver(UInt64)
  }

  /// Reads the segment of `cursor` from `offset` (a batch boundary) and from
  /// sequence `next` through `last` for ``forEachEvent(from:through:readAhead:_:)``,
  /// moving `next` past each event visited.
  ///
  /// - Parameter handOverAfter: Stop with ``SegmentScan/handOver(_:)`` once
  ///   this many bytes are read and as many are left; `nil` never does.
  private func scan(
    _ cursor: ReadCursor, from offset: UInt64, next: inout UInt64, through last: UInt64,
    decoder: inout BatchDecoder, handOverAfter: UInt64?, _ body: (EventView) throws -> Bool
  ) throws -> SegmentScan {
    var reader = BatchReader(io: io, file: cursor.file.handle, name: cursor.file.name)
    var offset = offset
    let start = offset
    while next <= last {
      if let handOverAfter, offset - start >= handOverAfter, cursor.limit - offset >= handOverAfter {
        return .handOver(offset)
      }
      switch try reader.peek(at: offset, limit: cursor.limit) {
      case .batch(let header):
        let batchOffset = offset
        offset += UInt64(header.length)
        if header.nextSequence <= next { continue }
        try reader.load(header, at: batchOffset)
        try checkBatch(header, contains: next, file: cursor.file.name, offset: batchOffset)
        var progress = ScanProgress(next: next, last: last)
        try reader.withBytes(at: batchOffset, count: Int(header.length)) { bytes in
          _ = try decoder.forEachRecord(
            in: bytes, header: header, from: next, file: cursor.file.name, offset: batchOffset
          ) { try progress.visit($0, body) }
        }
        next = progress.next
        if progress.stopped { return .stopped }
      case .end, .footer:
        return .ended(offset)
      case .problem(let message):
        throw StateLogError(.corruption, message, file: cursor.file.name, offset: offset)
      }
    }
    return .ended(offset)
  }

  /// ``scan(_:from:next:through:decoder:handOverAfter:_:)`` with a ``ScanAhead``
  /// helper reading and expanding the batches on another core; `nil` if no
  /// helper thread could be started.
  private func scanAhead(
    _ cursor: ReadCursor, from offset: UInt64, next: inout UInt64, through last: UInt64,
    decoder: inout BatchDecoder, _ body: (EventView) throws -> Bool
  ) throws -> SegmentScan? {
    guard
      // `cursor` holds the segment's file open until the helper is joined.
      let ahead = ScanAhead.start(
        io: io, file: cursor.file.handle, name: cursor.file.name, from: offset, limit: cursor.limit,
        firstSequence: next, lastSequence: last)
    else { return nil }
    defer { ahead.finish() }
    var offset = offset
    while next <= last {
      switch ahead.next() {
      case .batch(let header, let batchOffset, let expanded):
        offset = batchOffset + UInt64(header.length)
        if header.nextSequence <= next { continue }
        try checkBatch(header, contains: next, file: cursor.file.name, offset: batchOffset)
        var progress = ScanProgress(next: next, last: last)
        _ = try decoder.forEachRecord(
          inBody: try expanded.get(), header: header, from: next, file: cursor.file.name, offset: batchOffset
        ) { try progress.visit($0, body) }
        next = progress.next
        if progress.stopped { return .stopped }
      case .end, .footer:
        return .ended(offset)
      case .problem(let message, let at):
        throw StateLogError(.corruption, message, file: cursor.file.name, offset: at)
      case .failure(let error):
        throw error
      }
    }
    return .ended(offset)
  }

  /// The events from `start` through `end`, copied out of the log.
  ///
  /// - Parameter limit: The most events to return.
  /// - Throws: As ``forEachEvent(from:through:readAhead:_:)``.
  public func events(from start: UInt64 = 1, through end: UInt64 = .max, limit: Int = .max) throws
    -> [RecordedEvent]
  {
    var events: [RecordedEvent] = []
    guard limit > 0 else { return events }
    try forEachEvent(from: start, through: end) { event in
      events.append(try event.recordedEvent())
      return events.count < limit
    }
    return events
  }

  /// The event with sequence number `sequence`.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/sequenceOutOfRange`` if
  ///   no such event is visible, or as ``forEachEvent(from:through:readAhead:_:)``.
  public func event(at sequence: UInt64) throws -> RecordedEvent {
    guard let event = try events(from: sequence, through: sequence).first else {
      throw StateLogError(
        .sequenceOutOfRange, "no event \(sequence) (the log holds \(firstSequence) through \(lastSequence))")
    }
    return event
  }

  /// Calls `body` with the events of one stream from version `start` through
  /// `end`, in version order, until it returns `false`.
  ///
  /// Reading a stream uses the stream index, so it reads only the batches that
  /// hold the stream's events, never the whole log. It reads them through a
  /// read-only memory mapping of each segment, kept while the log is open:
  /// the pages it touches count toward the process's resident memory as
  /// shared file pages, which the kernel may drop again under memory pressure.
  ///
  /// - Throws: As ``forEachEvent(from:through:readAhead:_:)``.
  /// - Complexity: O(k) batches read for k events of the stream, at worst.
  public func forEachEvent(
    inStream stream: String, fromVersion start: UInt64 = 1, throughVersion end: UInt64 = .max,
    _ body: (EventView) throws -> Bool
  ) throws {
    let sequences = try state.withLock { (state) throws(StateLogError) -> [UInt64] in
      if state.isClosed { throw StateLogError(.closed, "log is closed") }
      guard let positions = state.streams.positions(of: ExactName(stream)) else { return [] }
      let lower = max(start, positions.firstVersion)
      let upper = min(end, positions.lastVersion)
      guard lower <= upper else { return [] }
      return positions.sequences(
        at: Int(lower - positions.firstVersion)...Int(upper - positions.firstVersion),
        below: state.visibleNextSequence)
    }
    var decoder = BatchDecoder()
    var position = 0
    while position < sequences.count {
      guard let cursor = try readCursor(for: sequences[position]) else { return }
      // A point read touches a few bytes here and there: through a mapping it
      // costs no system call and no copy. Scans keep to `pread` in large
      // chunks, so a full replay does not fill the process's memory with
      // mapped pages.
      var reader = BatchReader(
        io: io, file: cursor.file.handle, name: cursor.file.name,
        mapping: cursor.file.mapping(covering: cursor.limit, reserve: UInt64(options.segmentSize)))
      var offset = cursor.startOffset
      let before = position
      // The sequence whose index entry was last looked up: the cursor's is its
      // first target's, and a second lookup for the same target lands no further.
      var lookedUp = sequences[position]
      scanning: while position < sequences.count && sequences[position] < cursor.segmentNext {
        switch try reader.peek(at: offset, limit: cursor.limit) {
        case .batch(let header):
          let batchOffset = offset
          offset += UInt64(header.length)
          let target = sequences[position]
          if header.nextSequence <= target {
            // Jump over batches that hold none of the stream's events, reading
            // no more of them than their headers.
            if target != lookedUp {
              lookedUp = target
              if let jump = try readCursor(for: target), jump.file === cursor.file, jump.startOffset > offset
              {
                offset = jump.startOffset
              }
            }
            continue
          }
          try reader.load(header, at: batchOffset)
          guard cursor.start <= target else {
            throw StateLogError(
              .sequenceOutOfRange,
              "event \(target) of stream \(stream) was removed by retention while being read")
          }
          try checkBatch(header, contains: target, file: cursor.file.name, offset: batchOffset)
          var stopped = false
          try reader.withBytes(at: batchOffset, count: Int(header.length)) { bytes in
            // Decode only this stream's records; the rest are skipped by length.
            _ = try decoder.forEachRecord(
              in: bytes, header: header,
              wanted: { position < sequences.count && $0 == sequences[position] }, file: cursor.file.name,
              offset: batchOffset
            ) { event in
              guard ExactName(event.stream) == ExactName(stream) else {
                throw StateLogError(
                  .corruption,
                  "stream index points event \(event.sequence) at \(stream) but it is in \(event.stream)",
                  file: cursor.file.name, offset: batchOffset)
              }
              position += 1
              if try body(event) { return true }
              stopped = true
              return false
            }
          }
          if stopped { return }
        case .end, .footer:
          break scanning
        case .problem(let message):
          throw StateLogError(.corruption, message, file: cursor.file.name, offset: offset)
        }
      }
      if position == before {
        throw StateLogError(
          .corruption, "event \(sequences[position]) of stream \(stream) is missing", file: cursor.file.name,
          offset: offset)
      }
    }
  }

  /// The events of one stream from version `start` through `end`, copied out of the log.
  ///
  /// - Throws: As ``forEachEvent(inStream:fromVersion:throughVersion:_:)``.
  public func events(
    inStream stream: String, fromVersion start: UInt64 = 1, throughVersion end: UInt64 = .max
  )
    throws -> [RecordedEvent]
  {
    var events: [RecordedEvent] = []
    try forEachEvent(inStream: stream, fromVersion: start, throughVersion: end) { event in
      events.append(try event.recordedEvent())
      return true
    }
    return events
  }

  /// The last sequence whose event, and every event before it, has a timestamp
  /// at or before `timestamp`; 0 if the first event is already later.
  ///
  /// Clocks may step backwards, so "at or before" is judged on the running
  /// maximum timestamp: an event stamped earlier than one before it belongs to
  /// the prefix as soon as every earlier event does. The answer is therefore
  /// always a prefix of the log, and a later `timestamp` never gives an earlier
  /// sequence (format-spec.md, "Time index").
  ///
  /// - Throws: As ``forEachEvent(from:through:readAhead:_:)``.
  /// - Complexity: O(log s + log e) index lookups, then at most one index
  ///   interval of batches read.
  public func sequence(atOrBefore timestamp: Timestamp) throws -> UInt64 {
    let time = timestamp.nanosecondsSinceEpoch
    let plan = try state.withLock { (state) throws(StateLogError) -> TimePlan? in
      if state.isClosed { throw StateLogError(.closed, "log is closed") }
      let visibleLast = state.visibleNextSequence - 1
      if let first = state.segments.first, first.baseSequence > 1, time < state.removedMaximumTimestamp {
        throw StateLogError(
          .sequenceOutOfRange,
          "\(Timestamp(nanosecondsSinceEpoch: time)) is before the retention horizon (sequence \(first.baseSequence))"
        )
      }
      guard let position = state.segments.firstIndex(where: { $0.maximumTimestampThrough > time }) else {
        return TimePlan(answer: visibleLast)
      }
      let segment = state.segments[position]
      let before = position > 0 ? state.segments[position - 1].maximumTimestampThrough : .min
      let entry = segment.index.entry(forTimestamp: time, maximumBefore: before)
      return TimePlan(
        answer: min(visibleLast, (entry?.baseSequence ?? segment.baseSequence) - 1),
        file: segment.file, offset: entry?.offset ?? UInt64(SegmentHeader.size), limit: segment.index.dataEnd,
        running: max(before, entry?.maxTimestampBefore ?? .min), visibleLast: visibleLast)
    }
    guard var plan else { return 0 }
    guard let file = plan.file else { return plan.answer }
    var reader = BatchReader(io: io, file: file.handle, name: file.name)
    var decoder = BatchDecoder()
    var offset = plan.offset
    while plan.answer < plan.visibleLast {
      switch try reader.peek(at: offset, limit: plan.limit) {
      case .batch(let header):
        let batchOffset = offset
        offset += UInt64(header.length)
        if max(plan.running, header.maxTimestamp) <= time {
          plan.running = max(plan.running, header.maxTimestamp)
          plan.answer = min(header.lastSequence, plan.visibleLast)
          continue
        }
        try reader.load(header, at: batchOffset)
        try reader.withBytes(at: batchOffset, count: Int(header.length)) { bytes in
          _ = try decoder.forEachRecord(in: bytes, header: header, file: file.name, offset: batchOffset) {
            event in
            plan.running = max(plan.running, event.timestamp.nanosecondsSinceEpoch)
            guard plan.running <= time, event.sequence <= plan.visibleLast else { return false }
            plan.answer = event.sequence
            return true
          }
        }
        return plan.answer
      case .end, .footer:
        return plan.answer
      case .problem(let message):
        throw StateLogError(.corruption, message, file: file.name, offset: offset)
      }
    }
    return plan.answer
  }

  /// The events whose position is at or before `timestamp` (see
  /// ``sequence(atOrBefore:)``), copied out of the log.
  public func events(through timestamp: Timestamp) throws -> [RecordedEvent] {
    let last = try sequence(atOrBefore: timestamp)
    return last == 0 ? [] : try events(from: 1, through: last)
  }
}

/// Where a read starts: the segment, an offset at or before the wanted batch,
/// and how far the segment was written when the read began.
struct ReadCursor {
  /// The sequence to start at: the one asked for, or the log's first if that is later.
  var start: UInt64
  var file: SegmentFile
  var startOffset: UInt64
  var limit: UInt64
  var segmentNext: UInt64
  var visibleNext: UInt64
}

private struct TimePlan {
  var answer: UInt64
  var file: SegmentFile?
  var offset: UInt64 = 0
  var limit: UInt64 = 0
  var running: Int64 = .min
  var visibleLast: UInt64 = 0
}

extension Log {
  /// Finds the segment and index entry to start reading `sequence` from; `nil`
  /// if `sequence` is not visible.
  func readCursor(for sequence: UInt64) throws(StateLogError) -> ReadCursor? {
    try state.withLock { (state) throws(StateLogError) -> ReadCursor? in
      if state.isClosed { throw StateLogError(.closed, "log is closed") }
      guard sequence < state.visibleNextSequence, !state.segments.isEmpty else { return nil }
      let position = state.segmentPosition(for: sequence) ?? 0
      let segment = state.segments[position]
      guard sequence < segment.index.nextSequence else { return nil }
      return ReadCursor(
        start: max(sequence, segment.baseSequence), file: segment.file,
        startOffset: segment.index.entry(for: sequence)?.offset ?? UInt64(SegmentHeader.size),
        limit: segment.index.dataEnd, segmentNext: segment.index.nextSequence,
        visibleNext: state.visibleNextSequence)
    }
  }

  private func checkBatch(_ header: BatchHeader, contains sequence: UInt64, file: String, offset: UInt64)
    throws(StateLogError)
  {
    guard header.baseSequence <= sequence else {
      throw StateLogError(
        .corruption, "batch starts at sequence \(header.baseSequence), expected \(sequence) or earlier",
        file: file, offset: offset)
    }
  }
}

extension Array {
  /// The index of the first element for which `predicate` is true, assuming the
  /// array is partitioned (all false, then all true).
  func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
    var low = 0
    var high = count
    while low < high {
      let middle = (low + high) / 2
      if predicate(self[middle]) { high = middle } else { low = middle + 1 }
    }
    return low
  }
}

/// A scan's way through one batch's records: passes those through `last` to
/// the reader and moves `next` past each.
private struct ScanProgress {
  var next: UInt64
  let last: UInt64
  /// Whether the reader asked to stop.
  var stopped = false

  /// Returns whether to go on with the batch.
  mutating func visit(_ event: EventView, _ body: (EventView) throws -> Bool) rethrows -> Bool {
    guard event.sequence <= last else { return false }
    next = event.sequence + 1
    if try body(event) { return true }
    stopped = true
    return false
  }
}
