extension Log {
  /// The first sequence number still stored: 1 unless retention removed old
  /// segments. Reading or rebuilding anything before it is an error that names it.
  public var retentionHorizon: UInt64 { firstSequence }

  /// The last version of `stream` that retention removed, 0 if none.
  public func lastRemovedVersion(of stream: String) -> UInt64 {
    state.withLock { $0.streams.version(of: ExactName(stream), before: 0) }
  }

  /// The first version of `stream` still stored, or `nil` if none is (the
  /// stream has no events, or retention removed them all).
  public func firstStoredVersion(of stream: String) -> UInt64? {
    state.withLock { $0.streams.positions(of: ExactName(stream))?.firstVersion }
  }

  /// The horizon ``removeSegments(before:)`` would leave: the first sequence
  /// of the first segment it would keep.
  public func retentionHorizon(removingBefore sequence: UInt64) -> UInt64 {
    state.withLock { state in
      state.segments.isEmpty
        ? state.nextSequence : state.segments[state.removableSegments(before: sequence)].baseSequence
    }
  }

  /// Removes whole sealed segments holding only events before `sequence`
  /// (never the active segment), crash-safely.
  ///
  /// The new horizon, and each stream's last removed version, go into the
  /// `RETENTION` file (written durably) before any segment is removed; a crash
  /// in between leaves segments the next writer removes. Snapshots are not
  /// touched: callers make sure every stream they need has one at or after the
  /// horizon (``AgentStateStore`` does).
  ///
  /// - Returns: The segment files removed.
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/readOnly``,
  ///   ``StateLogError/Code/closed``, or ``StateLogError/Code/ioFailure``.
  @discardableResult
  public func removeSegments(before sequence: UInt64) throws -> [String] {
    guard !isReadOnly else {
      throw StateLogError(.readOnly, "cannot remove segments of a log opened read-only")
    }
    return try state.withLock { (state) throws(StateLogError) -> [String] in
      try state.checkWritable()
      let count = state.removableSegments(before: sequence)
      guard count > 0 else { return [] }
      let horizon = state.segments[count].baseSequence
      let removedMaximum = state.segments[count - 1].maximumTimestampThrough
      var streams = state.streams
      streams.retire(before: horizon)
      let file = RetentionFile(
        horizon: horizon, removedMaximumTimestamp: removedMaximum, retired: streams.retired)
      try io.writeFileAtomically(directory + "/" + RetentionFile.name, file.encoded(), durable: true)
      try io.synchronizeDirectory(directory)
      var removed: [String] = []
      for segment in state.segments[..<count] {
        try io.remove(directory + "/" + segment.name)
        removed.append(segment.name)
        let index = directory + "/" + SegmentName.index(segment.baseSequence)
        if io.fileExists(index) { try io.remove(index) }
      }
      try io.synchronizeDirectory(directory)
      state.segments.removeFirst(count)
      state.streams = streams
      state.removedMaximumTimestamp = max(state.removedMaximumTimestamp, removedMaximum)
      return removed
    }
  }

  /// Removes the segments whose events are all older than `timestamp`
  /// (by the running maximum, see ``sequence(atOrBefore:)``).
  @discardableResult
  public func removeSegments(olderThan timestamp: Timestamp) throws -> [String] {
    try removeSegments(before: try sequence(atOrBefore: timestamp) + 1)
  }

  /// The sequence to remove segments before so that the rest take at most
  /// `bytes` (the active segment always stays).
  public func retentionSequence(toFit bytes: UInt64) throws -> UInt64 {
    let sizes = try state.withLock { (state) throws(StateLogError) in
      try state.segments.map { (segment) throws(StateLogError) in
        (segment.index.nextSequence, try io.size(of: segment.file.handle))
      }
    }
    var total = sizes.reduce(UInt64(0)) { $0 + $1.1 }
    var before: UInt64 = 0
    for (next, size) in sizes.dropLast() where total > bytes {
      total -= size
      before = next
    }
    return before
  }

  /// Removes the oldest segments until the segments take at most `bytes`
  /// (the active segment always stays).
  @discardableResult
  public func removeSegments(toFit bytes: UInt64) throws -> [String] {
    let before = try retentionSequence(toFit: bytes)
    return before == 0 ? [] : try removeSegments(before: before)
  }
}

extension LogState {
  /// How many leading segments hold only events before `sequence` and may be
  /// removed: sealed ones, never the active segment.
  func removableSegments(before sequence: UInt64) -> Int {
    var count = 0
    while count < segments.count - 1 && segments[count].isSealed
      && segments[count].index.nextSequence <= sequence
    {
      count += 1
    }
    return count
  }
}
