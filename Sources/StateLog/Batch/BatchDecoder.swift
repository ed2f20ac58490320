/// Verifies and decodes record batches (format-spec.md, "Batch" and "Record").
///
/// A decoder owns the buffer that compressed bodies expand into and the batch's
/// string table, and reuses both from batch to batch: decoding allocates only
/// for a stream or type name longer than Swift's inline small-string size that
/// the previous batch did not have at the same place, never per record.
struct BatchDecoder {
  private var decompressed: [UInt8] = []
  private var strings: [String] = []

  init() {}

  /// Checks the checksum of a whole batch whose header is already known to be sound.
  static func verifyChecksum(of batch: UnsafeRawBufferPointer, header: BatchHeader) -> Bool {
    Checksum.xxh3(UnsafeRawBufferPointer(rebasing: batch[48..<Int(header.length)])) == header.checksum
  }

  /// Verifies `batch` and calls `visit` for each record whose sequence is at
  /// least `firstSequence`, in order, until `visit` returns `false`.
  ///
  /// - Parameters:
  ///   - batch: The whole batch, header included, exactly `header.length` bytes.
  ///   - file: The segment's name, for errors.
  ///   - offset: The batch's offset in that segment, for errors.
  /// - Returns: `false` if `visit` asked to stop.
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/corruption`` naming file and
  ///   offset if the checksum or any record fails to verify, or what `visit` throws.
  ///   - wanted: Records whose sequence it rejects are skipped by their length,
  ///     without being decoded (a stream read wants one record in many).
  mutating func forEachRecord(
    in batch: UnsafeRawBufferPointer, header: BatchHeader, from firstSequence: UInt64 = 0,
    wanted: (UInt64) -> Bool = { _ in true }, file: String, offset: UInt64,
    _ visit: (EventView) throws -> Bool
  ) throws -> Bool {
    if header.codec == .lz4 {
      let length = Int(header.bodyLength)
      if decompressed.count < length {
        decompressed = [UInt8](repeating: 0, count: length)
      }
      try decompressed.withUnsafeMutableBytes { (buffer) throws in
        try Self.expand(
          batch, header: header, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length]),
          file: file, offset: offset)
      }
      return try decompressed.withUnsafeBytes { buffer in
        try forEachRecord(
          inBody: UnsafeRawBufferPointer(rebasing: buffer[0..<length]), header: header,
          from: firstSequence, wanted: wanted, file: file, offset: offset, visit)
      }
    }
    try Self.expand(
      batch, header: header, into: UnsafeMutableRawBufferPointer(start: nil, count: 0), file: file,
      offset: offset)
    return try forEachRecord(
      inBody: Self.storedBody(of: batch, header: header), header: header, from: firstSequence,
      wanted: wanted, file: file, offset: offset, visit)
  }

  /// The bytes after the header of a whole batch: the body itself when it is
  /// stored uncompressed.
  static func storedBody(of batch: UnsafeRawBufferPointer, header: BatchHeader) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: batch[BatchHeader.size..<Int(header.length)])
  }

  /// Verifies the checksum of a whole batch and, if its body is LZ4, expands
  /// the body into `body` (exactly `header.bodyLength` bytes; unused otherwise).
  ///
  /// Touches nothing but its arguments, so two threads may expand different
  /// batches at once (``ScanAhead``).
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/corruption`` naming
  ///   file and offset if the checksum fails or the body does not decompress.
  static func expand(
    _ batch: UnsafeRawBufferPointer, header: BatchHeader, into body: UnsafeMutableRawBufferPointer,
    file: String, offset: UInt64
  ) throws(StateLogError) {
    guard verifyChecksum(of: batch, header: header) else {
      throw StateLogError(
        .corruption, "checksum mismatch in batch \(header.baseSequence)", file: file, offset: offset)
    }
    guard header.codec == .lz4 else { return }
    guard LZ4Block.decompress(storedBody(of: batch, header: header), into: body) else {
      throw StateLogError(
        .corruption, "LZ4 body of batch \(header.baseSequence) does not decompress", file: file,
        offset: offset)
    }
  }

  /// Decodes the records of a batch's verified, expanded `body` as
  /// ``forEachRecord(in:header:from:wanted:file:offset:_:)`` does.
  mutating func forEachRecord(
    inBody body: UnsafeRawBufferPointer, header: BatchHeader, from firstSequence: UInt64 = 0,
    wanted: (UInt64) -> Bool = { _ in true }, file: String, offset: UInt64,
    _ visit: (EventView) throws -> Bool
  ) throws -> Bool {
    var reader = ByteReader(body)
    var sequence = header.baseSequence
    do {
      let stringCount = try reader.readLength(limit: reader.remaining)
      // Consecutive batches mostly name the same streams and types: a name
      // equal to the one at its place in the previous batch is reused, which
      // costs a comparison instead of an allocation.
      for index in 0..<stringCount {
        let count = try reader.readLength(limit: reader.remaining)
        let bytes = try reader.readSlice(count: count)
        if index < strings.count, ExactName(strings[index]).hasBytes(bytes) { continue }
        let string = try ByteReader.string(decoding: bytes)
        if index < strings.count { strings[index] = string } else { strings.append(string) }
      }
      if strings.count > stringCount { strings.removeLast(strings.count - stringCount) }
      for _ in 0..<header.recordCount {
        let length = try reader.readLength(limit: reader.remaining)
        if sequence < firstSequence || !wanted(sequence) {
          try reader.skip(length)
          sequence += 1
          continue
        }
        var record = ByteReader(try reader.readSlice(count: length))
        let view = try decodeRecord(&record, sequence: sequence, header: header)
        guard record.isAtEnd else { throw DecodingFailure.invalid("record has trailing bytes") }
        if try !visit(view) { return false }
        sequence += 1
      }
      guard reader.isAtEnd else { throw DecodingFailure.invalid("batch body has trailing bytes") }
    } catch let failure as DecodingFailure {
      throw StateLogError(
        .corruption, "\(failure.message) (record \(sequence) of batch \(header.baseSequence))",
        file: file, offset: offset)
    }
    return true
  }

  private func decodeRecord(_ record: inout ByteReader, sequence: UInt64, header: BatchHeader)
    throws(DecodingFailure) -> EventView
  {
    let timestampDelta = try record.readVarint()
    let timestamp = header.minTimestamp &+ Int64(bitPattern: timestampDelta)
    guard timestamp >= header.minTimestamp, timestamp <= header.maxTimestamp else {
      throw .invalid("timestamp outside the batch's range")
    }
    let streamIndex = try record.readVarint()
    let version = try record.readVarint()
    let typeIndex = try record.readVarint()
    let schemaVersion = try record.readVarint()
    guard streamIndex < strings.count, typeIndex < strings.count else {
      throw .invalid("string index out of range")
    }
    guard version >= 1, version < BatchHeader.sequenceLimit, schemaVersion >= 1, schemaVersion <= UInt32.max
    else {
      throw .invalid("stream or schema version out of range")
    }
    let id = try EventID(decoding: &record)
    let metadata = try record.readSlice(count: try record.readLength(limit: record.remaining))
    let payload = try record.readSlice(count: try record.readLength(limit: record.remaining))
    return EventView(
      sequence: sequence, stream: strings[Int(streamIndex)], streamVersion: version,
      type: strings[Int(typeIndex)], schemaVersion: UInt32(schemaVersion),
      timestamp: Timestamp(nanosecondsSinceEpoch: timestamp), id: id, metadataBytes: metadata,
      payload: payload)
  }
}
