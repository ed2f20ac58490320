import Logging

extension Log {
  /// Appends events, to one stream or several, as one atomic unit, if every
  /// stream is at the version the caller expects.
  ///
  /// The log assigns each event the next global sequence number and the next
  /// version of its stream, in the order given. Events without a timestamp get
  /// the log clock's time. The append is written as one batch, or as several
  /// batches flagged as one unit when its records exceed
  /// ``LogOptions/maximumBatchSize``; after a crash either all of them are in the
  /// log or none. The call returns when the append is as durable as
  /// ``LogOptions/durability`` promises.
  ///
  /// **Expected versions.** Each entry of `expectations` is checked against its
  /// stream's last version before anything is written (streams need not be
  /// among the events: an append to a task can require its conversation to be
  /// at a version). Of two appends racing with the same expectation, exactly
  /// one succeeds; the other gets ``StateLogError/Code/wrongExpectedVersion``.
  ///
  /// **Retries.** If every event's id was already written, by one earlier
  /// append of the same events in the same order, with the same streams,
  /// types, schema versions, metadata and payloads (timestamps are not
  /// compared), and each expectation holds for the versions the streams had
  /// before that append, the call writes nothing and returns the original
  /// positions. Any other reuse of a remembered id throws
  /// ``StateLogError/Code/duplicateEventID``. Ids are remembered for the last
  /// ``LogOptions/idempotencyWindow`` events, across reopens.
  ///
  /// - Parameters:
  ///   - events: The events to append; at least one, with distinct ids.
  ///   - expectations: The version each listed stream must be at; streams not
  ///     listed are appended to at any version.
  /// - Returns: The position of each event, in the order given.
  /// - Throws: ``StateLogError``: ``StateLogError/Code/wrongExpectedVersion`` (with
  ///   the stream, the expectation and the actual version),
  ///   ``StateLogError/Code/duplicateEventID``, ``StateLogError/Code/invalidArgument``
  ///   for an empty append, repeated ids or a malformed stream id or type,
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
  public func append(_ events: [NewEvent], expecting expectations: [String: ExpectedVersion] = [:]) throws
    -> AppendResult
  {
    guard !isReadOnly else { throw StateLogError(.readOnly, "cannot append to a log opened read-only") }
    guard !events.isEmpty else { throw StateLogError(.invalidArgument, "an append needs at least one event") }
    // Index by index: `events.map` copies each event (a retain and release of
    // its four buffers), a tenth of a run of buffered appends.
    for index in events.indices {
      try NewEvent.validate(events, at: index, maximumPayloadSize: options.maximumPayloadSize)
    }
    if events.count > 1 {
      var ids = Set<EventID>(minimumCapacity: events.count)
      for index in events.indices where !ids.insert(events[index].id).inserted {
        throw StateLogError(.invalidArgument, "an append's events need distinct ids")
      }
    }
    for stream in expectations.keys { try NewEvent.validateName(stream, what: "stream id") }
    let now = options.clock().nanosecondsSinceEpoch
    // A write that finds some of the ids already written leaves the lock and
    // answers the append as a retry: reading the originals takes the lock.
    // Should their ids have been forgotten meanwhile, it tries once more.
    for _ in 0..<2 {
      let request = AppendQueue.Request(events: events, expectations: expectations, now: now)
      let written: AppendResult?
      do throws(StateLogError) {
        written = try appendQueue.submit(request, writingGroupsWith: writeGroup).get()
      } catch {
        if error.code == .wrongExpectedVersion { waitForWrittenToBeDurable() }
        throw error
      }
      guard let result = written else {
        if let original = try originalAppend(of: events, expecting: expectations) { return original }
        continue
      }
      return result
    }
    throw StateLogError(.duplicateEventID, "the append's ids were written concurrently by another append")
  }

  /// Writes a group of concurrent appends (see ``AppendQueue``) in one hold of
  /// the lock and, in group commit, makes them durable with one fsync.
  private func writeGroup(_ group: [AppendQueue.Request]) -> [AppendQueue.Outcome] {
    var outcomes = state.withLock { state in
      group.map { request in
        AppendQueue.Outcome { () throws(StateLogError) in
          try write(request.events, expecting: request.expectations, now: request.now, into: &state)
        }
      }
    }
    let written = outcomes.compactMap { try? $0.get()?.lastSequence }.max()
    guard let written else { return outcomes }
    if let coordinator {
      do throws(StateLogError) {
        try coordinator.waitUntilDurable(through: written) { () throws(StateLogError) in
          try synchronizeWritten()
        }
      } catch {
        // None of the group is acknowledged; reopening keeps or drops each
        // append whole.
        for index in outcomes.indices {
          if case .success(_?) = outcomes[index] { outcomes[index] = .failure(error) }
        }
        return outcomes
      }
    }
    appendSignal.notify()
    return outcomes
  }

  /// Appends events, all of whose streams must be at the expected version.
  ///
  /// Typically the events belong to one stream: `log.append(turn, expecting: .version(4))`.
  /// The rules are those of the form that takes an expectation per stream.
  @discardableResult
  public func append(_ events: [NewEvent], expecting expected: ExpectedVersion) throws -> AppendResult {
    var expectations: [String: ExpectedVersion] = [:]
    for event in events { expectations[event.stream] = expected }
    return try append(events, expecting: expectations)
  }

  /// The positions of an earlier append that `events` retries, or `nil` if none
  /// of their ids is remembered.
  private func originalAppend(of events: [NewEvent], expecting expectations: [String: ExpectedVersion])
    throws -> AppendResult?
  {
    let found = try state.withLock { (state) throws(StateLogError) in
      try loadEventIDs(&state)
      return events.map { state.eventIDs!.sequence(of: $0.id) }
    }
    guard found.contains(where: { $0 != nil }) else { return nil }
    guard let first = found[0], found.allSatisfy({ $0 != nil }) else {
      let known = zip(events, found).first { $0.1 != nil }!
      throw StateLogError(
        .duplicateEventID,
        "event id \(known.0.id) is already at sequence \(known.1!) but other events of this append are new")
    }
    guard found.enumerated().allSatisfy({ $0.element == first + UInt64($0.offset) }) else {
      throw StateLogError(
        .duplicateEventID,
        "the append's event ids were written, but not together in this order (first at \(first))")
    }
    let last = first + UInt64(events.count) - 1
    // The original may still be waiting for its fsync: a retry answers only
    // once the original is as durable as the mode promises.
    if let coordinator {
      try coordinator.waitUntilDurable(through: last) { () throws(StateLogError) in try synchronizeWritten() }
    }
    let originals = try self.events(from: first, through: last)
    guard originals.count == events.count else {
      throw StateLogError(
        .duplicateEventID, "the append's event ids are at sequences \(first)...\(last), not all readable")
    }
    var versionsBefore: [ExactName: UInt64] = [:]
    for (event, original) in zip(events, originals) {
      guard ExactName(event.stream) == ExactName(original.stream),
        ExactName(event.type) == ExactName(original.type),
        event.schemaVersion == original.schemaVersion, event.payload == original.payload,
        event.metadata == original.metadata
      else {
        throw StateLogError(
          .duplicateEventID,
          "event id \(event.id) was written at sequence \(original.sequence) with different content")
      }
      if versionsBefore[ExactName(original.stream)] == nil {
        versionsBefore[ExactName(original.stream)] = original.streamVersion - 1
      }
    }
    for (stream, expectation) in expectations {
      // A stream the append did not write to is judged by its version just
      // before the original append.
      let before = versionsBefore[ExactName(stream)] ?? version(of: stream, before: first)
      guard expectation.isSatisfied(by: before) else {
        throw StateLogError(
          .duplicateEventID,
          "the append's events were written at sequence \(first), where stream \(stream) was not at \(expectation)"
        )
      }
    }
    return AppendResult(positions: originals.map(\.position))
  }

  /// Loads the ids of recent events from the newest segments' index files the
  /// first time an append needs them. (No copy of the index is handed out: a
  /// copy alive during the next change would make it copy itself whole.)
  func loadEventIDs(_ state: inout LogState) throws(StateLogError) {
    guard state.eventIDs == nil else { return }
    state.eventIDs = try LogLoader(directory: directory, options: options, readOnly: false).eventIDs(
      in: state.segments)
  }

  /// The version `stream` had just before sequence `sequence` (removed
  /// versions count).
  private func version(of stream: String, before sequence: UInt64) -> UInt64 {
    state.withLock { $0.streams.version(of: ExactName(stream), before: sequence) }
  }

  /// In group commit, waits until everything written so far is durable: the
  /// version that beat an append with a wrong expectation may be written but
  /// not yet visible, and a caller who re-reads and retries must see it rather
  /// than spin on the old one.
  private func waitForWrittenToBeDurable() {
    guard let coordinator else { return }
    let written = state.withLock { $0.nextSequence - 1 }
    try? coordinator.waitUntilDurable(through: written) { () throws(StateLogError) in try synchronizeWritten()
    }
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
    let (file, through, directoryNeedsSync) = try state.withLock { (state) throws(StateLogError) in
      try state.checkWritable()
      return (state.segments[state.segments.count - 1].file, state.nextSequence - 1, state.directoryNeedsSync)
    }
    do {
      try io.synchronize(file.handle)
      // Segments a buffered log created are durable only once their names are.
      if directoryNeedsSync { try io.synchronizeDirectory(directory) }
    } catch {
      state.withLock { $0.failure = $0.failure ?? error }
      throw error
    }
    state.withLock {
      $0.visibleNextSequence = max($0.visibleNextSequence, through + 1)
      // Only if no segment was created meanwhile: a new one is the active one.
      if directoryNeedsSync && $0.segments.last?.file === file { $0.directoryNeedsSync = false }
    }
    return through
  }

  /// Writes an append under the state lock; `nil` if some of its ids are
  /// already written, for ``originalAppend(of:expecting:)`` to judge.
  private func write(
    _ events: [NewEvent], expecting expectations: [String: ExpectedVersion], now: Int64,
    into state: inout LogState
  ) throws(StateLogError) -> AppendResult? {
    if state.isClosed { throw StateLogError(.closed, "log is closed") }
    // Before the failure check: a retry of an append written before a failure
    // is answered with its original positions.
    try loadEventIDs(&state)
    // Indexes, not elements: iterating would copy (retain and release) each event.
    if events.indices.contains(where: { state.eventIDs!.sequence(of: events[$0].id) != nil }) { return nil }
    try state.checkWritable()
    for (stream, expectation) in expectations {
      let actual = state.streams.lastVersion(of: ExactName(stream))
      guard expectation.isSatisfied(by: actual) else {
        var error = StateLogError(
          .wrongExpectedVersion,
          "stream \(stream) is at version \(actual), the append expected \(expectation)")
        error.stream = stream
        error.expectedVersion = expectation
        error.actualVersion = actual
        throw error
      }
    }
    var timestamps: [Int64] = []
    var versions: [UInt64] = []
    var positions: [EventPosition] = []
    timestamps.reserveCapacity(events.count)
    versions.reserveCapacity(events.count)
    positions.reserveCapacity(events.count)
    // Each distinct stream is looked up in the indexes once per append.
    state.names.removeAll()
    var slots: [(stream: Int, type: Int)] = []
    slots.reserveCapacity(events.count)
    for index in events.indices {
      slots.append((state.names.slot(of: events[index].stream), state.names.slot(of: events[index].type)))
    }
    // Per slot used as a stream, the last version assigned so far.
    var lastVersions = [UInt64?](repeating: nil, count: state.names.count)
    for index in events.indices {
      let slot = slots[index].stream
      let version = (lastVersions[slot] ?? state.streams.lastVersion(of: state.names.names[slot])) + 1
      lastVersions[slot] = version
      versions.append(version)
      timestamps.append(events[index].timestamp?.nanosecondsSinceEpoch ?? now)
      positions.append(
        EventPosition(sequence: state.nextSequence + UInt64(positions.count), streamVersion: version))
    }

    // Cut the append into batches of at most `maximumBatchSize` record bytes.
    var ranges: [Range<Int>] = []
    var start = 0
    var size = 0
    var estimatedSize = 0
    for index in events.indices {
      let recordSize =
        events[index].payload.count + events[index].metadata.encodedSize + events[index].stream.utf8.count
        + events[index].type.utf8.count + 48
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
        events, range: range, timestamps: timestamps, versions: versions, slots: slots, names: state.names,
        baseSequence: sequence, continued: number < ranges.count - 1, compress: options.compression == .lz4)
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
    var sequencesBySlot = [[UInt64]](repeating: [], count: state.names.count)
    for index in events.indices {
      sequencesBySlot[slots[index].stream].append(positions[index].sequence)
      state.segments[last].index.ids.append(events[index].id)
      state.eventIDs?.record(events[index].id, sequence: positions[index].sequence)
    }
    for slot in sequencesBySlot.indices where !sequencesBySlot[slot].isEmpty {
      let run = StreamRun(
        firstVersion: lastVersions[slot]! - UInt64(sequencesBySlot[slot].count) + 1,
        sequences: sequencesBySlot[slot])
      state.streams.append(state.names.names[slot], run)
      state.segments[last].index.addRun(state.names.names[slot], run)
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
      // The index is derived data: if it cannot be written, the next open
      // rebuilds it, and appends go on; but the failure is reported.
      let indexPath = directory + "/" + SegmentName.index(sealed.baseSequence)
      do {
        try io.writeFileAtomically(indexPath, IndexFile.encode(sealed.index), durable: false)
      } catch {
        logger.warning(
          "could not write a sealed segment's index; the next open rebuilds it",
          metadata: ["statelog.file": "\(indexPath)", "statelog.error": "\(error)"])
      }
      sealed.isSealed = true
      sealed.index.dropPositions()
      state.segments[state.segments.count - 1] = sealed
      state.segments.append(
        try Self.createSegment(
          base: sealed.index.nextSequence, directory: directory, options: options,
          previousMaximum: sealed.maximumTimestampThrough))
      if options.durability == .buffered {
        state.directoryNeedsSync = true
      }
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
