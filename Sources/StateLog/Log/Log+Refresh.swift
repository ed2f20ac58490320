extension Log {
  /// Picks up what a writer in another process appended since this read-only
  /// log was opened or last refreshed, including segments it rolled to.
  ///
  /// A batch the writer is still in the middle of writing is left for a later
  /// refresh. On a log opened for writing this does nothing: it is always
  /// current.
  ///
  /// - Returns: The last visible sequence number after the refresh.
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/corruption`` if the new
  ///   data does not continue the log (a gap, a stream version jump), or
  ///   ``StateLogError/Code/closed``.
  /// - Complexity: O(bytes appended since the last refresh).
  @discardableResult
  public func refresh() throws -> UInt64 {
    guard isReadOnly else { return lastSequence }
    return try state.withLock { (state) throws(StateLogError) -> UInt64 in
      if state.isClosed { throw StateLogError(.closed, "log is closed") }
      if let position = state.segments.indices.last, !state.segments[position].isSealed {
        try extendActiveSegment(&state, at: position)
      }
      try openNewSegments(&state)
      let next = state.segments.last?.index.nextSequence ?? state.nextSequence
      state.nextSequence = next
      state.visibleNextSequence = next
      return next - 1
    }
  }

  /// Scans what was appended to the last segment and, if the writer sealed it,
  /// its footer.
  private func extendActiveSegment(_ state: inout LogState, at position: Int) throws(StateLogError) {
    var segment = state.segments[position]
    let size = try io.size(of: segment.file.handle)
    guard size > segment.index.dataEnd else { return }
    var start = segment.index
    start.streams = [:]
    var scanner = SegmentScanner(
      reader: BatchReader(io: io, file: segment.file.handle, name: segment.name),
      indexInterval: options.indexInterval, handOverAfter: options.scanHandOver)
    let result = try scanner.scan(continuing: start, limit: size)
    if let gap = state.streams.merge(result.index.streams) {
      throw StateLogError(.corruption, gap, file: segment.name)
    }
    segment.index = result.index
    segment.index.dropPositions()
    segment.maximumTimestampThrough = max(segment.maximumTimestampThrough, result.index.maxTimestamp)
    if case .footer(let offset) = result.stop, result.incompleteRecords == 0,
      offset + UInt64(SegmentFooter.size) == size,
      let footer = try LogLoader(directory: directory, options: options, readOnly: true)
        .readFooter(segment.file.handle, size: size),
      footer.lastSequence + 1 == result.index.nextSequence
    {
      segment.isSealed = true
    }
    state.segments[position] = segment
  }

  /// Opens segments the writer created after the last known one.
  private func openNewSegments(_ state: inout LogState) throws(StateLogError) {
    guard state.segments.last?.isSealed ?? true else { return }
    var loader = LogLoader(directory: directory, options: options, readOnly: true)
    guard let (bases, _) = try loader.segmentBases() else { return }
    let known = state.segments.last?.baseSequence ?? 0
    let newer = bases.filter { $0 > known }
    for (position, base) in newer.enumerated() {
      let expected: UInt64
      if let last = state.segments.last {
        expected = last.index.nextSequence
      } else {
        expected = try loader.readRetention()?.horizon ?? 1
      }
      guard base == expected else {
        throw StateLogError(
          .corruption, "segment starts at sequence \(base), expected \(expected)",
          file: SegmentName.segment(base),
          offset: 16)
      }
      // A segment whose header is still being written is picked up next time.
      guard var segment = try loader.openSegment(base: base, isLast: position == newer.count - 1) else {
        return
      }
      if let gap = state.streams.merge(segment.index.streams) {
        throw StateLogError(.corruption, gap, file: segment.name)
      }
      segment.index.dropPositions()
      segment.maximumTimestampThrough = max(
        state.segments.last?.maximumTimestampThrough ?? .min, segment.index.maxTimestamp)
      state.segments.append(segment)
      if !segment.isSealed { return }
    }
  }
}
