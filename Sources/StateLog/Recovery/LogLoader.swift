/// Opens the segments of a log directory, checks them, and recovers from a crash
/// (format-spec.md, "Recovery").
///
/// The rules, in short: every segment but the last must be sealed and sound; the
/// last may end in a torn tail, which a writer truncates; anything else unreadable
/// is corruption, reported with file and offset, unless the caller asked to
/// salvage, in which case the unreadable rest is moved aside.
struct LogLoader {
  struct Loaded {
    var segments: [OpenSegment]
    var streams: StreamIndex
    var nextSequence: UInt64
    /// The largest timestamp of the events retention removed.
    var removedMaximumTimestamp: Int64 = .min
  }

  let directory: String
  let options: LogOptions
  let readOnly: Bool
  var report = RecoveryReport()

  var io: any FileIO { options.fileIO }

  init(directory: String, options: LogOptions, readOnly: Bool) {
    self.directory = directory
    self.options = options
    self.readOnly = readOnly
  }

  func path(_ name: String) -> String { directory + "/" + name }

  /// The bases of the segment files in the directory, in order; `nil` if the
  /// directory does not exist.
  func segmentBases() throws(StateLogError) -> (bases: [UInt64], others: [String])? {
    guard let names = try io.contentsOfDirectory(directory) else { return nil }
    var bases: [UInt64] = []
    var others: [String] = []
    for name in names {
      if let base = SegmentName.baseSequence(ofSegment: name) {
        bases.append(base)
      } else {
        others.append(name)
      }
    }
    return (bases.sorted(), others)
  }

  mutating func load() throws(StateLogError) -> Loaded {
    guard let (bases, others) = try segmentBases() else {
      guard !readOnly, options.createIfMissing else {
        throw StateLogError(.notALog, "no such log directory", file: directory)
      }
      try io.createDirectory(directory)
      return Loaded(segments: [], streams: StreamIndex(), nextSequence: 1)
    }
    if !readOnly {
      for name in others where name.hasSuffix(".tmp") {
        try io.remove(path(name))
        report.removedFiles.append(name)
      }
    }
    if bases.isEmpty {
      let foreign = others.filter {
        $0 != SegmentName.lockFile && $0 != RetentionFile.name && $0 != "snapshots"
          && !$0.hasSuffix(SegmentName.indexExtension) && !$0.hasSuffix(".tmp") && !$0.hasSuffix(".corrupt")
      }
      if readOnly || !foreign.isEmpty {
        throw StateLogError(
          .notALog, "directory holds no StateLog segments" + (foreign.isEmpty ? "" : " but other files"),
          file: directory)
      }
      // Salvage may have moved every segment aside from a retained log: it
      // starts again at its horizon.
      let retention = try readRetention()
      return Loaded(
        segments: [], streams: StreamIndex(retired: retention?.retired ?? [:]),
        nextSequence: retention?.horizon ?? 1,
        removedMaximumTimestamp: retention?.removedMaximumTimestamp ?? .min)
    }

    let retention = try readRetention()
    let horizon = retention?.horizon ?? 1
    var segments: [OpenSegment] = []
    var streams = StreamIndex(retired: retention?.retired ?? [:])
    // Segments below the horizon are ones retention was removing when it was
    // interrupted: a writer finishes the job, a reader skips them.
    var position = 0
    while position < bases.count && bases[position] < horizon {
      if !readOnly {
        try io.remove(path(SegmentName.segment(bases[position])))
        report.removedFiles.append(SegmentName.segment(bases[position]))
        if io.fileExists(path(SegmentName.index(bases[position]))) {
          try io.remove(path(SegmentName.index(bases[position])))
        }
      }
      position += 1
    }
    while position < bases.count {
      let base = bases[position]
      let isLast = position == bases.count - 1
      let name = SegmentName.segment(base)
      let expectedBase = segments.last?.index.nextSequence
      do throws(StateLogError) {
        guard var segment = try openSegment(base: base, isLast: isLast) else {
          position += 1
          continue
        }
        if expectedBase == nil && segment.baseSequence != horizon {
          throw StateLogError(
            .corruption,
            "log starts at sequence \(segment.baseSequence) but its retention horizon is \(horizon); "
              + "the segments between are missing",
            file: name, offset: 16)
        }
        if let expectedBase, segment.baseSequence != expectedBase {
          throw StateLogError(
            .corruption,
            "segment starts at sequence \(segment.baseSequence) but the one before ends at \(expectedBase - 1)",
            file: name, offset: 16)
        }
        if let gap = streams.merge(segment.index.streams) {
          throw StateLogError(.corruption, gap, file: name)
        }
        if segment.isSealed || readOnly { segment.index.dropPositions() }
        segment.maximumTimestampThrough = max(
          segments.last?.maximumTimestampThrough ?? retention?.removedMaximumTimestamp ?? .min,
          segment.index.maxTimestamp)
        segments.append(segment)
        position += 1
      } catch let error where error.code == .corruption && options.salvage && !readOnly {
        try salvage(bases: bases[position...], error: error)
        // Reload what is left: the salvaged segment is now the last one.
        return try load()
      }
    }
    return Loaded(
      segments: segments, streams: streams, nextSequence: segments.last?.index.nextSequence ?? horizon,
      removedMaximumTimestamp: retention?.removedMaximumTimestamp ?? .min)
  }

  /// The retention file, if retention ever removed segments.
  ///
  /// - Throws: ``StateLogError/Code/corruption`` if it is damaged: it is not
  ///   derived data, and without it missing segments cannot be told from removed ones.
  func readRetention() throws(StateLogError) -> RetentionFile? {
    let file = path(RetentionFile.name)
    guard io.fileExists(file) else { return nil }
    let handle = try io.open(file, mode: .readOnly)
    defer { io.close(handle) }
    let size = try io.size(of: handle)
    guard size <= 1 << 30 else {
      throw StateLogError(.corruption, "retention file is too large", file: RetentionFile.name)
    }
    do {
      return try RetentionFile(decoding: try io.readBytes(handle, count: Int(size), at: 0))
    } catch let failure as DecodingFailure {
      throw StateLogError(.corruption, failure.message, file: RetentionFile.name, offset: 0)
    } catch {
      throw StateLogError(.corruption, "unreadable retention file", file: RetentionFile.name)
    }
  }

  /// Opens one segment and builds its index; `nil` for a last segment whose
  /// creation was torn before it held any data (a writer removes it).
  mutating func openSegment(base: UInt64, isLast: Bool) throws(StateLogError) -> OpenSegment? {
    let name = SegmentName.segment(base)
    let handle = try io.open(path(name), mode: readOnly ? .readOnly : .readWrite)
    let file = SegmentFile(handle: handle, io: io, name: name)
    let size = try io.size(of: handle)
    let headerBytes = try io.readBytes(handle, count: Int(min(size, UInt64(SegmentHeader.size))), at: 0)
    let header: SegmentHeader
    do throws(StateLogError) {
      header = try SegmentHeader(decoding: headerBytes, file: name)
    } catch let error where error.code == .corruption && isLast {
      // A crash while creating the segment: nothing but (part of) a header was
      // ever written. Anything more is corruption.
      let rest = try io.readBytes(handle, count: Int(min(size, 1 << 16)), at: 0)
      guard size <= UInt64(SegmentHeader.size) || (size <= 1 << 16 && rest.allSatisfy { $0 == 0 }) else {
        throw error
      }
      if !readOnly {
        try io.remove(path(name))
        report.removedFiles.append(name)
      }
      return nil
    }
    guard header.baseSequence == base else {
      throw StateLogError(
        .corruption, "segment header says base sequence \(header.baseSequence), its name says \(base)",
        file: name, offset: 16)
    }

    var scanner = SegmentScanner(
      reader: BatchReader(io: io, file: handle, name: name), indexInterval: options.indexInterval,
      handOverAfter: options.scanHandOver)
    let empty = SegmentIndex(baseSequence: base)
    if let footer = try readFooter(handle, size: size) {
      let footerOffset = size - UInt64(SegmentFooter.size)
      var index = loadIndexFile(base: base, handle: handle, dataEnd: footerOffset, sealed: true)
      if let loaded = index, loaded.nextSequence != footer.lastSequence + 1 {
        report.rebuiltIndexes.append(SegmentName.index(base))
        index = nil
      }
      if index == nil {
        let result = try scanner.scan(continuing: empty, limit: footerOffset)
        try checkSealedScan(result, name: name, footer: footer, footerOffset: footerOffset)
        index = result.index
        try rebuildIndexFile(result.index)
      }
      return OpenSegment(
        file: file, index: index!, isSealed: true, createdAt: header.createdAt,
        maximumTimestampThrough: .min)
    }

    guard isLast else {
      let result = try scanner.scan(continuing: empty, limit: size)
      let offset = problemOffset(result) ?? result.index.dataEnd
      throw StateLogError(
        .corruption, "segment is not sealed but later segments exist (\(describe(result.stop)))",
        file: name, offset: offset)
    }

    // The active segment: trust its index up to where it was written at the last
    // clean close, and scan (and verify) everything after that.
    let start = loadIndexFile(base: base, handle: handle, dataEnd: nil, sealed: false) ?? empty
    let startIndex = start.dataEnd <= size ? start : empty
    let result = try scanner.scan(continuing: startIndex, limit: size)
    let committedEnd = result.index.dataEnd
    if committedEnd < size {
      try handleTail(result, name: name, handle: handle, size: size)
    }
    return OpenSegment(
      file: file, index: result.index, isSealed: false, createdAt: header.createdAt,
      maximumTimestampThrough: .min)
  }

  /// The ids of the last ``LogOptions/idempotencyWindow`` events, from the
  /// newest segments' index files (or their batches, where an index file
  /// cannot be used).
  func eventIDs(in segments: [OpenSegment]) throws(StateLogError) -> EventIDIndex {
    var memory = EventIDIndex(window: options.idempotencyWindow)
    var needed = options.idempotencyWindow
    var chunks: [(first: UInt64, ids: ArraySlice<EventID>)] = []
    for segment in segments.reversed() where needed > 0 {
      var ids = segment.index.ids
      if ids.count != Int(segment.index.recordCount) { ids = try readIDs(of: segment) }
      let newest = ids.suffix(needed)
      chunks.append((segment.index.nextSequence - UInt64(newest.count), newest))
      needed -= newest.count
    }
    for chunk in chunks.reversed() {
      for (offset, id) in chunk.ids.enumerated() { memory.record(id, sequence: chunk.first + UInt64(offset)) }
    }
    return memory
  }

  private func readIDs(of segment: OpenSegment) throws(StateLogError) -> [EventID] {
    let handle = segment.file.handle
    if let (index, _) = try? readIndexFile(
      name: SegmentName.index(segment.baseSequence), base: segment.baseSequence, handle: handle,
      dataEnd: segment.index.dataEnd, includeIDs: true),
      index.nextSequence == segment.index.nextSequence
    {
      return index.ids
    }
    var scanner = SegmentScanner(
      reader: BatchReader(io: io, file: handle, name: segment.name), indexInterval: options.indexInterval,
      handOverAfter: options.scanHandOver)
    let scanned = try scanner.scan(
      continuing: SegmentIndex(baseSequence: segment.baseSequence), limit: segment.index.dataEnd
    )
    // Opening read only the index's head: this scan may be the first read of
    // the segment's data. Ids of a scan that stopped short would be put at the
    // wrong sequences.
    if let offset = problemOffset(scanned) {
      throw StateLogError(.corruption, describe(scanned.stop), file: segment.name, offset: offset)
    }
    guard scanned.incompleteRecords == 0, scanned.index.nextSequence == segment.index.nextSequence else {
      throw StateLogError(
        .corruption,
        "segment holds sequences up to \(scanned.index.nextSequence - 1), its index up to \(segment.index.nextSequence - 1)",
        file: segment.name, offset: scanned.index.dataEnd)
    }
    // A sealed segment's index file whose head was sound but whose ids are
    // not (their checksum is checked only now): write it again.
    if segment.isSealed && !readOnly {
      do {
        try rebuildIndexFile(scanned.index)
        options.reportingLogger.info(
          "rebuilt an index file whose ids could not be used",
          metadata: ["statelog.file": "\(SegmentName.index(segment.baseSequence))"])
      } catch {
        options.reportingLogger.warning(
          "could not rewrite an index file; the next open rebuilds it",
          metadata: [
            "statelog.file": "\(SegmentName.index(segment.baseSequence))", "statelog.error": "\(error)",
          ])
      }
    }
    return scanned.index.ids
  }

  /// Decides what the bytes after the last complete append of the active segment are.
  private mutating func handleTail(
    _ result: SegmentScanner.Result, name: String, handle: FileHandle, size: UInt64
  ) throws(StateLogError) {
    let committedEnd = result.index.dataEnd
    let stopOffset = problemOffset(result) ?? size
    if try containsSoundBatch(handle, from: stopOffset, size: size) {
      throw StateLogError(
        .corruption, "unreadable data before intact batches (\(describe(result.stop)))", file: name,
        offset: stopOffset)
    }
    if readOnly { return }
    // A torn tail: the bytes of appends that never completed.
    var dropped = result.incompleteRecords
    if case .problem(let offset, _) = result.stop, size - offset >= UInt64(BatchHeader.size) {
      let bytes = try io.readBytes(handle, count: BatchHeader.size, at: offset)
      dropped += bytes.withUnsafeBytes { raw in
        let header = BatchHeader(parsing: raw)
        return header.headerChecksum == BatchHeader.computeHeaderChecksum(raw)
          ? UInt64(header.recordCount) : 0
      }
    }
    try io.truncate(handle, to: committedEnd)
    try io.synchronize(handle)
    report.truncatedFile = name
    report.truncatedAt = committedEnd
    report.truncatedBytes = size - committedEnd
    report.droppedEvents = dropped
  }

  /// Whether any complete, checksum-valid batch starts at or after `offset`. A
  /// torn write never leaves one, so if there is one, the bytes at `offset` are
  /// not a torn tail but damage in the middle of the data, or a batch that does
  /// not belong there, such as one copied from another segment.
  private func containsSoundBatch(_ handle: FileHandle, from offset: UInt64, size: UInt64)
    throws(StateLogError) -> Bool
  {
    guard size > offset else { return false }
    let bytes = try io.readBytes(handle, count: Int(size - offset), at: offset)
    return bytes.withUnsafeBytes { raw in
      var position = 0
      while position + BatchHeader.size <= raw.count {
        defer { position += 1 }
        let candidate = UnsafeRawBufferPointer(rebasing: raw[position...])
        guard BatchHeader.problem(in: candidate) == nil else { continue }
        let header = BatchHeader(parsing: candidate)
        guard Int(header.length) <= candidate.count else { continue }
        if BatchDecoder.verifyChecksum(of: candidate, header: header) { return true }
      }
      return false
    }
  }

  private func checkSealedScan(
    _ result: SegmentScanner.Result, name: String, footer: SegmentFooter, footerOffset: UInt64
  ) throws(StateLogError) {
    switch result.stop {
    case .problem(let offset, let message):
      throw StateLogError(.corruption, message, file: name, offset: offset)
    case .footer(let offset):
      throw StateLogError(
        .corruption, "footer marker before the end of the segment", file: name, offset: offset)
    case .end:
      break
    }
    guard result.incompleteRecords == 0 else {
      throw StateLogError(
        .corruption, "sealed segment ends in an incomplete append", file: name, offset: result.index.dataEnd)
    }
    guard result.index.nextSequence == footer.lastSequence + 1,
      result.index.recordCount == footer.recordCount, result.index.batchCount == footer.batchCount
    else {
      throw StateLogError(
        .corruption,
        "footer says last sequence \(footer.lastSequence) and \(footer.recordCount) records, "
          + "batches hold \(result.index.nextSequence - 1) and \(result.index.recordCount)",
        file: name, offset: footerOffset)
    }
  }

  func readFooter(_ handle: FileHandle, size: UInt64) throws(StateLogError) -> SegmentFooter? {
    guard size >= UInt64(SegmentHeader.size + SegmentFooter.size) else { return nil }
    let bytes = try io.readBytes(handle, count: SegmentFooter.size, at: size - UInt64(SegmentFooter.size))
    return bytes.withUnsafeBytes { SegmentFooter(decoding: $0) }
  }

  /// Loads a segment's index file if it exists and agrees with the segment;
  /// records in the report when one exists but cannot be used.
  private mutating func loadIndexFile(base: UInt64, handle: FileHandle, dataEnd: UInt64?, sealed: Bool)
    -> SegmentIndex?
  {
    let name = SegmentName.index(base)
    guard io.fileExists(path(name)) else {
      if sealed { report.rebuiltIndexes.append(name) }
      return nil
    }
    guard
      let (loaded, isPreviousVersion) = try? readIndexFile(
        name: name, base: base, handle: handle, dataEnd: dataEnd, includeIDs: !sealed && !readOnly)
    else {
      report.rebuiltIndexes.append(name)
      // A sealed segment's index is rewritten once rebuilt; the active one's is
      // rewritten at the next clean close, and until then must not linger.
      if !sealed && !readOnly { try? io.remove(path(name)) }
      return nil
    }
    var index = loaded
    if isPreviousVersion {
      // Read whole, with its ids: a writer writes it again in this version, so
      // that later opens read only its head.
      if !readOnly { try? rebuildIndexFile(index) }
      if sealed || readOnly { index.ids = [] }
    }
    return index
  }

  /// The segment's index from its index file, and whether the file is of the
  /// previous version (read whole, ids included); `nil` if it cannot be used.
  private func readIndexFile(
    name: String, base: UInt64, handle: FileHandle, dataEnd: UInt64?, includeIDs: Bool
  )
    throws -> (index: SegmentIndex, isPreviousVersion: Bool)?
  {
    let file = try io.open(path(name), mode: .readOnly)
    defer { io.close(file) }
    let size = try io.size(of: file)
    guard size <= 1 << 31, size >= UInt64(IndexFile.minimumSize) else { return nil }
    let fileSize = Int(size)
    var bytes: [UInt8]
    if includeIDs {
      bytes = try io.readBytes(file, count: fileSize, at: 0)
    } else {
      // The head only: the ids, most of the file, are not needed (a version 2
      // file has one checksum over everything, so it is read whole).
      bytes = try io.readBytes(file, count: IndexFile.headerSize, at: 0)
      if IndexFile.version(header: bytes) == IndexFile.previousVersion {
        bytes = try io.readBytes(file, count: fileSize, at: 0)
      } else {
        guard let headLength = IndexFile.headLength(header: bytes, fileSize: fileSize) else { return nil }
        bytes = try io.readBytes(file, count: headLength + 8, at: 0)
      }
    }
    let previousVersion = IndexFile.version(header: bytes) == IndexFile.previousVersion
    guard
      case .success(let index) = IndexFile.decode(
        bytes, fileSize: fileSize, segmentBase: base, includeIDs: includeIDs)
    else {
      return nil
    }
    if let dataEnd, index.dataEnd != dataEnd { return nil }
    // The last batch the index covers must be the one in the segment, so that an
    // index left beside a replaced or rewritten segment is not trusted.
    if index.batchCount > 0 {
      let header = try io.readBytes(handle, count: BatchHeader.size, at: index.lastBatchOffset)
      let matches = header.withUnsafeBytes { raw in
        BatchHeader.problem(in: raw) == nil
          && BatchHeader(parsing: raw).checksum == index.lastBatchChecksum
          && index.lastBatchOffset + UInt64(BatchHeader(parsing: raw).length) == index.dataEnd
      }
      guard matches else { return nil }
    } else if index.dataEnd != UInt64(SegmentHeader.size) {
      return nil
    }
    return (index, previousVersion)
  }

  private func rebuildIndexFile(_ index: SegmentIndex) throws(StateLogError) {
    guard !readOnly else { return }
    try io.writeFileAtomically(
      path(SegmentName.index(index.baseSequence)), IndexFile.encode(index), durable: false)
  }

  /// Moves everything from the first unreadable byte on aside: the rest of the
  /// damaged segment into `<segment>.<offset>.corrupt`, later segments renamed to
  /// `<segment>.corrupt`; their index files are removed as derived data.
  private mutating func salvage(bases: ArraySlice<UInt64>, error: StateLogError) throws(StateLogError) {
    guard let first = bases.first else { return }
    let name = SegmentName.segment(first)
    let handle = try io.open(path(name), mode: .readWrite)
    defer { io.close(handle) }
    let size = try io.size(of: handle)
    let offset = min(error.offset ?? UInt64(SegmentHeader.size), size)
    if offset <= UInt64(SegmentHeader.size) {
      try moveAside(name)
    } else {
      let rest = try io.readBytes(handle, count: Int(size - offset), at: offset)
      let aside = "\(name).\(offset).corrupt"
      try io.writeFileAtomically(path(aside), rest, durable: true)
      // Not truncated in place: a reader in another process may have the
      // segment mapped (FileMapping), and pages cut from under a mapping
      // fault. The sound prefix becomes a new file renamed over the segment,
      // and such readers keep the old one.
      try io.writeFileAtomically(
        path(name), try io.readBytes(handle, count: Int(offset), at: 0), durable: true)
      report.movedAside.append(aside)
      if io.fileExists(path(SegmentName.index(first))) { try io.remove(path(SegmentName.index(first))) }
    }
    for base in bases.dropFirst() { try moveAside(SegmentName.segment(base)) }
    try io.synchronizeDirectory(directory)
  }

  private mutating func moveAside(_ name: String) throws(StateLogError) {
    try io.rename(path(name), to: path(name + ".corrupt"))
    report.movedAside.append(name + ".corrupt")
    if let base = SegmentName.baseSequence(ofSegment: name), io.fileExists(path(SegmentName.index(base))) {
      try io.remove(path(SegmentName.index(base)))
    }
  }

  private func problemOffset(_ result: SegmentScanner.Result) -> UInt64? {
    switch result.stop {
    case .problem(let offset, _), .footer(let offset): offset
    case .end: nil
    }
  }

  private func describe(_ stop: SegmentScanner.Stop) -> String {
    switch stop {
    case .end: "data ends mid-append"
    case .footer: "misplaced or damaged footer"
    case .problem(_, let message): message
    }
  }
}
