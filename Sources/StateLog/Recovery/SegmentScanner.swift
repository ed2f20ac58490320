/// Scans a segment batch by batch, verifying every checksum and record, and
/// builds its ``SegmentIndex`` (format-spec.md, "Recovery").
///
/// The scan stops at the first thing that is not a sound batch; what that means
/// (a torn tail to truncate, or corruption to report) is the caller's decision,
/// since it depends on where the segment sits in the log.
struct SegmentScanner {
  /// Where and why a scan stopped.
  enum Stop: Equatable {
    /// The data ended exactly at the limit.
    case end
    /// A footer marker starts at this offset.
    case footer(UInt64)
    /// Something that is not a sound batch starts at this offset.
    case problem(UInt64, String)
  }

  struct Result {
    /// The index of every complete append in the scanned range.
    var index: SegmentIndex
    var stop: Stop
    /// Records of a trailing append whose final batch is missing; they are not in ``index``.
    var incompleteRecords: UInt64
  }

  var reader: BatchReader
  var decoder = BatchDecoder()
  /// Stream ids and type names already found valid: each is checked once.
  var validNames: Set<ExactName> = []
  /// The type of the last record checked: consecutive records mostly share
  /// it, and comparing its bytes costs less than a hash.
  var lastValidType: ExactName?
  let indexInterval: Int
  /// Hand the rest of the segment to a ``ScanAhead`` helper after this many
  /// bytes, if as many are left (``LogOptions/scanHandOver``); `nil` never does.
  let handOverAfter: UInt64?

  /// - Parameter handOverAfter: See ``handOverAfter``; the caller keeps the
  ///   reader's file open until the scan returns, as the helper reads it.
  init(reader: BatchReader, indexInterval: Int, handOverAfter: UInt64? = nil) {
    self.reader = reader
    self.indexInterval = indexInterval
    self.handOverAfter = handOverAfter
  }

  /// What the scan finds at an offset, from the reader or from a helper.
  private enum Found {
    case batch(BatchHeader, body: Swift.Result<UnsafeRawBufferPointer, StateLogError>?)
    case stop(Stop)
  }

  /// Scans from `start.dataEnd` up to `limit`, extending `start`.
  mutating func scan(continuing start: SegmentIndex, limit: UInt64) throws(StateLogError) -> Result {
    var index = start
    var offset = start.dataEnd
    // Batches of an append that has not yet seen its final batch, held back so
    // that a torn multi-batch append leaves no trace in the index.
    var pending: [(header: BatchHeader, offset: UInt64)] = []
    var pendingPositions: [(stream: ExactName, version: UInt64, sequence: UInt64, id: EventID)] = []
    // Every stream's last version seen by this scan (committed or pending:
    // the scan stops at the first batch after a pending append that is not
    // its continuation); a stream in it has had its id validated.
    var versions: [ExactName: UInt64] = [:]
    var expectedSequence = index.nextSequence
    // The same batches, stops and problems come out with a helper as without;
    // only a failing read(2) may surface at another batch, since the two read
    // in different chunks.
    var ahead: ScanAhead?
    var handedOver = false
    defer { ahead?.finish() }
    let stop: Stop
    scanning: while true {
      if !handedOver, let handOverAfter, offset - start.dataEnd >= handOverAfter,
        limit - offset >= handOverAfter
      {
        // Once: if no thread can be started, the scan goes on by itself.
        handedOver = true
        ahead = ScanAhead.start(
          io: reader.io, file: reader.file, name: reader.name, from: offset, limit: limit)
      }
      switch try find(at: offset, limit: limit, ahead: ahead) {
      case .stop(let found):
        stop = found
        break scanning
      case .batch(let header, let body):
        guard header.baseSequence == expectedSequence else {
          stop = .problem(
            offset, "batch starts at sequence \(header.baseSequence), expected \(expectedSequence)")
          break scanning
        }
        if let problem = try verifyRecords(
          header, at: offset, body: body, index: index, pending: &pendingPositions, versions: &versions)
        {
          stop = .problem(offset, problem)
          break scanning
        }
        pending.append((header, offset))
        expectedSequence = header.nextSequence
        offset += UInt64(header.length)
        if !header.isContinued {
          for batch in pending { index.add(batch.header, at: batch.offset, interval: indexInterval) }
          for position in pendingPositions {
            index.addPosition(
              stream: position.stream, version: position.version, sequence: position.sequence, id: position.id
            )
          }
          pending.removeAll()
          pendingPositions.removeAll()
        }
      }
    }
    let incomplete = pending.reduce(UInt64(0)) { $0 + UInt64($1.header.recordCount) }
    return Result(index: index, stop: stop, incompleteRecords: incomplete)
  }

  /// The batch or stop at `offset`: from the helper if there is one (with
  /// its body, expanded), else from the reader (the body still in the reader).
  private mutating func find(at offset: UInt64, limit: UInt64, ahead: ScanAhead?) throws(StateLogError)
    -> Found
  {
    guard let ahead else {
      switch try reader.step(at: offset, limit: limit) {
      case .end: return .stop(.end)
      case .footer: return .stop(.footer(offset))
      case .problem(let message): return .stop(.problem(offset, message))
      case .batch(let header): return .batch(header, body: nil)
      }
    }
    switch ahead.next() {
    case .batch(let header, let at, let body):
      assert(at == offset, "the helper's batches and the scan's offsets are in step")
      return .batch(header, body: body)
    case .end: return .stop(.end)
    case .footer(let at): return .stop(.footer(at))
    case .problem(let message, let at): return .stop(.problem(at, message))
    case .failure(let error): throw error
    }
  }

  /// Decodes every record of a batch, checking that each stream's versions
  /// continue without a gap; returns the problem found, if any.
  ///
  /// - Parameter body: The batch's body as a helper verified and expanded it,
  ///   or `nil` to verify and expand the batch the reader holds.
  private mutating func verifyRecords(
    _ header: BatchHeader, at offset: UInt64, body: Swift.Result<UnsafeRawBufferPointer, StateLogError>?,
    index: SegmentIndex,
    pending: inout [(stream: ExactName, version: UInt64, sequence: UInt64, id: EventID)],
    versions: inout [ExactName: UInt64]
  ) throws(StateLogError) -> String? {
    var decoder = self.decoder
    var validNames = self.validNames
    var lastValidType = self.lastValidType
    defer {
      self.decoder = decoder
      self.validNames = validNames
      self.lastValidType = lastValidType
    }
    var gap: String?
    let name = reader.name
    func jump(_ event: EventView, from previous: UInt64) -> Bool {
      gap = "stream \(event.stream) jumps from version \(previous) to \(event.streamVersion)"
      return false
    }
    // A record's names are hashed once: one lookup finds the stream's last
    // version and that its id was validated (a profile of recovery had a
    // quarter of its time in five lookups per record).
    func visit(_ event: EventView) throws -> Bool {
      let stream = ExactName(event.stream)
      if let known = versions.index(forKey: stream) {
        let previous = versions.values[known]
        if event.streamVersion != previous + 1 { return jump(event, from: previous) }
        versions.values[known] = event.streamVersion
      } else {
        let previous = index.streams[stream].map { $0.firstVersion + UInt64($0.sequences.count) - 1 }
        if let previous, event.streamVersion != previous + 1 { return jump(event, from: previous) }
        // Checked here rather than on every read: recovery and verification
        // are where bytes that passed a checksum but break the format surface.
        if !validNames.contains(stream) {
          try NewEvent.validateName(event.stream, what: "stream id")
          validNames.insert(stream)
        }
        versions[stream] = event.streamVersion
      }
      let type = ExactName(event.type)
      if type != lastValidType {
        if !validNames.contains(type) {
          try NewEvent.validateName(event.type, what: "event type")
          validNames.insert(type)
        }
        lastValidType = type
      }
      _ = try event.metadata()
      pending.append((stream, event.streamVersion, event.sequence, event.id))
      return true
    }
    do {
      if let body {
        _ = try decoder.forEachRecord(
          inBody: try body.get(), header: header, file: name, offset: offset, visit)
      } else {
        _ = try reader.withBytes(at: offset, count: Int(header.length)) { bytes in
          try decoder.forEachRecord(in: bytes, header: header, file: name, offset: offset, visit)
        }
      }
    } catch let error as StateLogError {
      return error.message
    } catch {
      return "\(error)"
    }
    return gap
  }
}
