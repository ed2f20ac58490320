extension Log {
  /// Appends events, to one stream or several, as one atomic unit.
  ///
  /// The log assigns each event the next global sequence number and the next
  /// version of its stream, in the order given. Events without a timestamp get
  /// the log clock's time. The append is written as one batch, or as several
  /// batches flagged as one unit when its records exceed
  /// ``LogOptions/maximumBatchSize``; after a crash either all of them are in the
  /// log or none. The call returns when the append is as durable as
  /// ``LogOptions/durability`` promises.
  ///
  /// - Parameter events: The events to append; at least one.
  /// - Returns: The position of each event, in the order given.
  /// - Throws: ``StateLogError``: ``StateLogError/Code/invalidArgument`` for an
  ///   empty append or a malformed stream id or type,
  ///   ``StateLogError/Code/payloadTooLarge``, ``StateLogError/Code/readOnly``,
  ///   ``StateLogError/Code/closed``; ``StateLogError/Code/ioFailure`` if a write or
  ///   fsync fails, after which the log refuses appends with
  ///   ``StateLogError/Code/failed`` until it is reopened. Nothing of a failed
  ///   append is acknowledged; reopening keeps or drops it whole.
  /// - Complexity: O(total bytes of `events`), one `pwrite`, and in a durable
  ///   mode one fsync (shared between concurrent appenders in
  ///   ``Durability/groupCommit``); an append that rolls the segment also syncs
  ///   the sealed segment, the new one and the directory.
  @discardableResult
  public func append(_ events: [NewEvent]) throws -> AppendResult {
    guard !isReadOnly else { throw StateLogError(.readOnly, "cannot append to a log opened read-only") }
    guard !events.isEmpty else { throw StateLogError(.invalidArgument, "an append needs at least one event") }
    for event in events { try event.validate(maximumPayloadSize: options.maximumPayloadSize) }
    let now = options.clock().nanosecondsSinceEpoch
    let result = try state.withLock { (state) throws(StateLogError) in
      try write(events, now: now, into: &state)
    }
    if let coordinator {
      try coordinator.waitUntilDurable(through: result.lastSequence) { () throws(StateLogError) in
        try synchronizeWritten()
      }
    }
    return result
  }

  /// Makes every append so far durable, whatever the durability mode.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/ioFailure`` if the fsync
  ///   fails (the log then refuses appends), or ``StateLogError/Code/closed``.
  public func synchronize() throws {
    guard !isReadOnly else { return }
    _ = try synchronizeWritten()
  }

  /// Syncs the active segment and returns the last sequence that is now durable.
  func synchronizeWritten() throws(StateLogError) -> UInt64 {
    let (file, through) = try state.withLock { (state) throws(StateLogError) in
      try state.checkWritable()
      return (state.segments[state.segments.count - 1].file, state.nextSequence - 1)
    }
    do {
      try io.synchronize(file.handle)
    } catch {
      state.withLock { $0.failure = $0.failure ?? error }
      throw error
    }
    state.withLock { $0.visibleNextSequence = max($0.visibleNextSequence, through + 1) }
    return through
  }

  private func write(_ events: [NewEvent], now: Int64, into state: inout LogState) throws(StateLogError)
    -> AppendResult
  {
    try state.checkWritable()
    var timestamps: [Int64] = []
    var versions: [UInt64] = []
    var positions: [EventPosition] = []
    timestamps.reserveCapacity(events.count)
    versions.reserveCapacity(events.count)
    positions.reserveCapacity(events.count)
    var appended: [ExactName: UInt64] = [:]
    for event in events {
      let name = ExactName(event.stream)
      let version = (appended[name] ?? state.streams.lastVersion(of: name)) + 1
      appended[name] = version
      versions.append(version)
      timestamps.append(event.timestamp?.nanosecondsSinceEpoch ?? now)
      positions.append(
        EventPosition(sequence: state.nextSequence + UInt64(positions.count), streamVersion: version))
    }

    // Cut the append into batches of at most `maximumBatchSize` record bytes.
    var ranges: [Range<Int>] = []
    var start = 0
    var size = 0
    var estimatedSize = 0
    for (index, event) in events.enumerated() {
      let recordSize =
        event.payload.count + event.metadata.encodedSize + event.stream.utf8.count
        + event.type.utf8.count + 48
      if index > start && size + recordSize > options.maximumBatchSize {
        ranges.append(start..<index)
        start = index
        size = 0
      }
      size += recordSize
      estimatedSize += recordSize
    }
    ranges.append(start..<events.count)
    estimatedSize += ranges.count * BatchHeader.size

    // The active segment is changed in place, never copied out: a copy would
    // share its stream runs and make every append copy them all.
    var last = state.segments.count - 1
    if !state.segments[last].index.isEmpty
      && state.segments[last].index.dataEnd + UInt64(estimatedSize + SegmentFooter.size)
        > UInt64(options.segmentSize)
    {
      try roll(&state)
      last = state.segments.count - 1
    }

    // Encode every batch, then write the whole append with one call.
    var headers: [BatchHeader] = []
    var sequence = state.nextSequence
    state.appendBuffer.reset()
    for (number, range) in ranges.enumerated() {
      state.encoder.encode(
        events, range: range, timestamps: timestamps, versions: versions, baseSequence: sequence,
        continued: number < ranges.count - 1, compress: options.compression == .lz4)
      headers.append(state.encoder.batch.bytes.withUnsafeBytes { BatchHeader(parsing: $0) })
      sequence += UInt64(range.count)
      if ranges.count > 1 { state.appendBuffer.append(contentsOf: state.encoder.batch.bytes) }
    }
    let file = state.segments[last].file.handle
    let offset = state.segments[last].index.dataEnd
    do throws(StateLogError) {
      let bytes = ranges.count > 1 ? state.appendBuffer.bytes : state.encoder.batch.bytes
      try StateLogError.typed {
        try bytes.withUnsafeBytes { try io.writeAll(file, $0, at: offset) }
      }
      if options.durability == .fsyncEveryAppend {
        try io.synchronize(file)
      }
    } catch {
      state.failure = error
      throw error
    }

    // The append is written: publish it to the indexes.
    var batchOffset = offset
    for header in headers {
      state.segments[last].index.add(header, at: batchOffset, interval: options.indexInterval)
      state.segments[last].maximumTimestampThrough = max(
        state.segments[last].maximumTimestampThrough, header.maxTimestamp)
      batchOffset += UInt64(header.length)
    }
    for (index, event) in events.enumerated() {
      let name = ExactName(event.stream)
      state.streams.append(stream: name, version: versions[index], sequence: positions[index].sequence)
      state.segments[last].index.addPosition(
        stream: name, version: versions[index], sequence: positions[index].sequence)
    }
    state.nextSequence = sequence
    if options.durability != .groupCommit {
      state.visibleNextSequence = sequence
    }
    return AppendResult(positions: positions)
  }

  /// Seals the active segment now and starts a new one, if it holds any events.
  ///
  /// - Throws: ``StateLogError`` as ``append(_:)`` does for a failed write or fsync.
  func rollSegment() throws(StateLogError) {
    try state.withLock { (state) throws(StateLogError) in
      try state.checkWritable()
      if !state.segments[state.segments.count - 1].index.isEmpty { try roll(&state) }
    }
  }

  /// Seals the active segment and starts a new one (format-spec.md, "Segments").
  ///
  /// The footer is synced before the next segment exists, in every mode, so that
  /// a segment followed by another is always completely durable.
  private func roll(_ state: inout LogState) throws(StateLogError) {
    var sealed = state.segments[state.segments.count - 1]
    let footer = SegmentFooter(
      lastSequence: sealed.index.nextSequence - 1, recordCount: sealed.index.recordCount,
      batchCount: sealed.index.batchCount, minTimestamp: sealed.index.minTimestamp,
      maxTimestamp: sealed.index.maxTimestamp)
    do throws(StateLogError) {
      try StateLogError.typed {
        try footer.encoded().withUnsafeBytes {
          try io.writeAll(sealed.file.handle, $0, at: sealed.index.dataEnd)
        }
      }
      try io.synchronize(sealed.file.handle)
      // The index is derived data: if it cannot be written, the next open rebuilds it.
      try? io.writeFileAtomically(
        directory + "/" + SegmentName.index(sealed.baseSequence), IndexFile.encode(sealed.index),
        durable: false)
      sealed.isSealed = true
      sealed.index.streams = [:]
      state.segments[state.segments.count - 1] = sealed
      state.segments.append(
        try Self.createSegment(
          base: sealed.index.nextSequence, directory: directory, options: options,
          previousMaximum: sealed.maximumTimestampThrough))
    } catch {
      state.failure = error
      throw error
    }
  }
}

extension LogState {
  func checkWritable() throws(StateLogError) {
    if isClosed { throw StateLogError(.closed, "log is closed") }
    if let failure {
      throw StateLogError(
        .failed, "log refuses appends after an earlier failure until reopened: \(failure)",
        file: failure.file,
        offset: failure.offset, errno: failure.errno)
    }
  }
}
