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
  let indexInterval: Int

  init(reader: BatchReader, indexInterval: Int) {
    self.reader = reader
    self.indexInterval = indexInterval
  }

  /// Scans from `start.dataEnd` up to `limit`, extending `start`.
  mutating func scan(continuing start: SegmentIndex, limit: UInt64) throws(StateLogError) -> Result {
    var index = start
    var offset = start.dataEnd
    // Batches of an append that has not yet seen its final batch, held back so
    // that a torn multi-batch append leaves no trace in the index.
    var pending: [(header: BatchHeader, offset: UInt64)] = []
    var pendingPositions: [(stream: ExactName, version: UInt64, sequence: UInt64, id: EventID)] = []
    var lastVersions: [ExactName: UInt64] = [:]
    var expectedSequence = index.nextSequence
    let stop: Stop
    scanning: while true {
      switch try reader.step(at: offset, limit: limit) {
      case .end:
        stop = .end
        break scanning
      case .footer:
        stop = .footer(offset)
        break scanning
      case .problem(let message):
        stop = .problem(offset, message)
        break scanning
      case .batch(let header):
        guard header.baseSequence == expectedSequence else {
          stop = .problem(
            offset, "batch starts at sequence \(header.baseSequence), expected \(expectedSequence)")
          break scanning
        }
        if let problem = try verifyRecords(
          header, at: offset, index: index, pending: &pendingPositions, lastVersions: &lastVersions)
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
          lastVersions.removeAll(keepingCapacity: true)
        }
      }
    }
    let incomplete = pending.reduce(UInt64(0)) { $0 + UInt64($1.header.recordCount) }
    return Result(index: index, stop: stop, incompleteRecords: incomplete)
  }

  /// Decodes every record of a batch, checking that each stream's versions
  /// continue without a gap; returns the problem found, if any.
  private mutating func verifyRecords(
    _ header: BatchHeader, at offset: UInt64, index: SegmentIndex,
    pending: inout [(stream: ExactName, version: UInt64, sequence: UInt64, id: EventID)],
    lastVersions: inout [ExactName: UInt64]
  ) throws(StateLogError) -> String? {
    var decoder = self.decoder
    var validNames = self.validNames
    defer {
      self.decoder = decoder
      self.validNames = validNames
    }
    var gap: String?
    do {
      _ = try reader.withBytes(at: offset, count: Int(header.length)) { bytes in
        try decoder.forEachRecord(in: bytes, header: header, file: reader.name, offset: offset) { event in
          let stream = ExactName(event.stream)
          let previous =
            lastVersions[stream]
            ?? index.streams[stream].map { $0.firstVersion + UInt64($0.sequences.count) - 1 }
          if let previous, event.streamVersion != previous + 1 {
            gap = "stream \(event.stream) jumps from version \(previous) to \(event.streamVersion)"
            return false
          }
          // Checked here rather than on every read: recovery and verification
          // are where bytes that passed a checksum but break the format surface.
          // Records of a batch share their names, so each is checked once.
          if !validNames.contains(stream) {
            try NewEvent.validateName(event.stream, what: "stream id")
            validNames.insert(stream)
          }
          let type = ExactName(event.type)
          if !validNames.contains(type) {
            try NewEvent.validateName(event.type, what: "event type")
            validNames.insert(type)
          }
          _ = try event.metadata()
          lastVersions[stream] = event.streamVersion
          pending.append((stream, event.streamVersion, event.sequence, event.id))
          return true
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
