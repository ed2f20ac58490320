/// What a full verification of a log found.
public struct VerificationReport: Hashable, Sendable {
  /// Segments checked.
  public var segments = 0
  /// Batches whose checksums and records were verified.
  public var batches = 0
  /// Events verified.
  public var events: UInt64 = 0
  /// Bytes of segment data read.
  public var bytes: UInt64 = 0
  /// Index files checked against their segments.
  public var indexes = 0
  /// Every problem found, each naming its file and offset.
  public var problems: [StateLogError] = []

  /// Whether no problem was found.
  public var isSound: Bool { problems.isEmpty }
}

extension Log {
  /// Reads every byte of every segment and checks all of it: headers, every
  /// batch checksum, every record, sequence and stream-version continuity,
  /// footers, and each index file against the segment it indexes.
  ///
  /// Opening a log trusts sealed segments' index files and reading checks
  /// only the batches it reads; verification is how damage anywhere else is
  /// found. It reads the committed data as of the call, so it can run while
  /// the log is being appended to.
  ///
  /// - Parameter progress: Called after each segment with the bytes verified so
  ///   far and the total.
  /// - Returns: The report; ``VerificationReport/isSound`` is `false` if anything
  ///   is wrong, and ``VerificationReport/problems`` says what and where.
  /// - Throws: ``StateLogError`` only when verification itself cannot proceed
  ///   (``StateLogError/Code/closed``, or an I/O failure).
  /// - Complexity: O(bytes in the log).
  public func verify(progress: (UInt64, UInt64) -> Void = { _, _ in }) throws -> VerificationReport {
    let segments = try state.withLock { (state) throws(StateLogError) in
      if state.isClosed { throw StateLogError(.closed, "log is closed") }
      return state.segments
    }
    let total = segments.reduce(UInt64(0)) { $0 + $1.index.dataEnd }
    var report = VerificationReport()
    for segment in segments {
      report.segments += 1
      let name = segment.name
      let handle = segment.file.handle
      do throws(StateLogError) {
        _ = try SegmentHeader(
          decoding: try io.readBytes(handle, count: SegmentHeader.size, at: 0), file: name)
        // An entry for every batch, so that any index file's sparse entries,
        // whatever interval wrote them, can be checked against it.
        var scanner = SegmentScanner(
          reader: BatchReader(io: io, file: handle, name: name), indexInterval: 1,
          handOverAfter: options.scanHandOver)
        let result = try scanner.scan(
          continuing: SegmentIndex(baseSequence: segment.baseSequence), limit: segment.index.dataEnd)
        report.batches += Int(result.index.batchCount)
        report.events += result.index.recordCount
        report.bytes += result.index.dataEnd
        if case .problem(let offset, let message) = result.stop {
          report.problems.append(StateLogError(.corruption, message, file: name, offset: offset))
        } else if result.index.nextSequence != segment.index.nextSequence || result.incompleteRecords > 0 {
          report.problems.append(
            StateLogError(
              .corruption,
              "segment holds sequences up to \(result.index.nextSequence - 1), expected \(segment.index.nextSequence - 1)",
              file: name, offset: result.index.dataEnd))
        }
        if segment.isSealed {
          try verifyFooter(segment, scanned: result.index, into: &report)
        }
        try verifyIndexFile(of: segment, scanned: result.index, into: &report)
      } catch {
        report.problems.append(error)
      }
      progress(report.bytes, total)
    }
    return report
  }

  private func verifyFooter(
    _ segment: OpenSegment, scanned: SegmentIndex, into report: inout VerificationReport
  )
    throws(StateLogError)
  {
    let handle = segment.file.handle
    let size = try io.size(of: handle)
    let offset = segment.index.dataEnd
    let bytes = try io.readBytes(
      handle, count: Int(min(UInt64(SegmentFooter.size), size - min(size, offset))), at: offset)
    guard size == offset + UInt64(SegmentFooter.size),
      let footer = bytes.withUnsafeBytes({ SegmentFooter(decoding: $0) })
    else {
      report.problems.append(
        StateLogError(.corruption, "damaged segment footer", file: segment.name, offset: offset))
      return
    }
    if footer.lastSequence + 1 != scanned.nextSequence || footer.recordCount != scanned.recordCount
      || footer.batchCount != scanned.batchCount || footer.maxTimestamp != scanned.maxTimestamp
      || footer.minTimestamp != scanned.minTimestamp
    {
      report.problems.append(
        StateLogError(
          .corruption, "segment footer disagrees with the segment's batches", file: segment.name,
          offset: offset))
    }
  }

  private func verifyIndexFile(
    of segment: OpenSegment, scanned: SegmentIndex, into report: inout VerificationReport
  )
    throws(StateLogError)
  {
    let name = SegmentName.index(segment.baseSequence)
    let path = directory + "/" + name
    guard io.fileExists(path) else { return }
    report.indexes += 1
    let file = try io.open(path, mode: .readOnly)
    defer { io.close(file) }
    let bytes = try io.readBytes(file, count: Int(try io.size(of: file)), at: 0)
    switch IndexFile.decode(bytes, fileSize: bytes.count, segmentBase: segment.baseSequence, includeIDs: true)
    {
    case .failure(let failure):
      report.problems.append(
        StateLogError(.corruption, "unreadable index: \(failure.message)", file: name, offset: 0))
    case .success(let stored):
      // An index written at a clean close covers a prefix of an active segment
      // that has grown since; compare what it covers.
      guard stored.dataEnd <= scanned.dataEnd else {
        report.problems.append(
          StateLogError(.corruption, "index covers more than the segment holds", file: name, offset: 24))
        return
      }
      var comparable = stored
      comparable.entries = []
      var expected = scanned
      expected.entries = []
      let everyBatch = Set(scanned.entries)
      if !stored.entries.allSatisfy(everyBatch.contains) || (segment.isSealed && comparable != expected) {
        report.problems.append(
          StateLogError(.corruption, "index disagrees with its segment", file: name, offset: 0))
      }
    }
  }
}
