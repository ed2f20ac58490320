/// Encodes events into record batches (format-spec.md, "Batch" and "Record").
///
/// One encoder lives as long as its log and reuses its buffers, so steady-state
/// appends allocate nothing here.
struct BatchEncoder {
  private var body = ByteWriter(capacity: 1 << 16)
  private var compressed: [UInt8] = []
  /// The batch's string table, in order of first use.
  private var strings: [String] = []
  /// Per slot of the append's names: its index in the batch's string table,
  /// or -1 if the batch has not used it yet. Between batches every entry is
  /// -1: each batch resets the slots it used (``usedSlots``), not all of
  /// them, so that an append of many batches over many streams stays linear.
  private var tableIndexes: [Int] = []
  private var usedSlots: [Int] = []
  /// The string-table indexes of each record's stream and type, found once per record.
  private var nameIndexes: [(stream: UInt64, type: UInt64)] = []
  /// The last encoded batch, header included.
  private(set) var batch = ByteWriter(capacity: 1 << 16)

  /// The exact size of one record without its leading length varint.
  static func recordSize(
    _ event: borrowing NewEvent, timestampDelta: UInt64, streamIndex: UInt64, typeIndex: UInt64,
    version: UInt64
  ) -> Int {
    let metadataSize = event.metadata.isEmpty ? 0 : event.metadata.encodedSize
    return ByteWriter.varintSize(timestampDelta) + ByteWriter.varintSize(streamIndex)
      + ByteWriter.varintSize(version) + ByteWriter.varintSize(typeIndex)
      + ByteWriter.varintSize(UInt64(event.schemaVersion)) + 16
      + ByteWriter.varintSize(UInt64(metadataSize)) + metadataSize
      + ByteWriter.varintSize(UInt64(event.payload.count)) + event.payload.count
  }

  /// Appends one record to the body. The event is borrowed: copying it would
  /// retain and release each of its strings and arrays, per event appended.
  private mutating func appendRecord(
    _ event: borrowing NewEvent, timestampDelta: UInt64, names: (stream: UInt64, type: UInt64),
    version: UInt64
  ) {
    body.appendVarint(
      UInt64(
        Self.recordSize(
          event, timestampDelta: timestampDelta, streamIndex: names.stream, typeIndex: names.type,
          version: version)))
    body.appendVarint(timestampDelta)
    body.appendVarint(names.stream)
    body.appendVarint(version)
    body.appendVarint(names.type)
    body.appendVarint(UInt64(event.schemaVersion))
    event.id.encode(into: &body)
    if event.metadata.isEmpty {
      body.appendVarint(0)
    } else {
      body.appendVarint(UInt64(event.metadata.encodedSize))
      event.metadata.encode(into: &body)
    }
    body.appendVarint(UInt64(event.payload.count))
    body.append(contentsOf: event.payload)
  }

  /// Encodes `events[range]` as one batch into ``batch``.
  ///
  /// - Parameters:
  ///   - timestamps: The resolved timestamp of every event in `events`.
  ///   - versions: The assigned stream version of every event in `events`.
  ///   - slots: The slots in `names` of every event's stream and type.
  ///   - names: The append's distinct stream ids and type names.
  ///   - continued: Whether more batches of the same append follow.
  ///   - compress: Whether to try LZ4; the body is stored compressed only if smaller.
  mutating func encode(
    _ events: [NewEvent], range: Range<Int>, timestamps: [Int64], versions: [UInt64],
    slots: [(stream: Int, type: Int)], names: NameTable, baseSequence: UInt64, continued: Bool,
    compress: Bool
  ) {
    strings.removeAll(keepingCapacity: true)
    nameIndexes.removeAll(keepingCapacity: true)
    for slot in usedSlots { tableIndexes[slot] = -1 }
    usedSlots.removeAll(keepingCapacity: true)
    if tableIndexes.count < names.count {
      tableIndexes.append(contentsOf: repeatElement(-1, count: names.count - tableIndexes.count))
    }
    var minTimestamp = Int64.max
    var maxTimestamp = Int64.min
    // The table lists names in order of first use, a stream before its
    // event's type, each distinct byte string once (format-spec.md, "String table").
    for index in range {
      let (stream, type) = slots[index]
      if tableIndexes[stream] < 0 {
        tableIndexes[stream] = strings.count
        usedSlots.append(stream)
        strings.append(names.names[stream].string)
      }
      if tableIndexes[type] < 0 {
        tableIndexes[type] = strings.count
        usedSlots.append(type)
        strings.append(names.names[type].string)
      }
      nameIndexes.append((UInt64(tableIndexes[stream]), UInt64(tableIndexes[type])))
      minTimestamp = min(minTimestamp, timestamps[index])
      maxTimestamp = max(maxTimestamp, timestamps[index])
    }

    body.reset()
    body.appendVarint(UInt64(strings.count))
    for string in strings { body.appendString(string) }
    for (index, names) in zip(range, nameIndexes) {
      appendRecord(
        events[index], timestampDelta: UInt64(bitPattern: timestamps[index] &- minTimestamp), names: names,
        version: versions[index])
    }

    var codec = BatchHeader.Codec.none
    var compressedLength = 0
    if compress, body.count >= 64,
      let length = body.bytes.withUnsafeBytes({ LZ4Block.compress($0, into: &compressed) })
    {
      codec = .lz4
      compressedLength = length
    }

    batch.reset()
    batch.append(littleEndian: UInt32(0))  // length, set below
    batch.append(littleEndian: codec.rawValue | (continued ? BatchHeader.continuedFlag : 0))
    batch.append(littleEndian: UInt16(0))
    batch.append(littleEndian: baseSequence)
    batch.append(littleEndian: UInt32(range.count))
    batch.append(littleEndian: UInt32(body.count))
    batch.append(littleEndian: minTimestamp)
    batch.append(littleEndian: maxTimestamp)
    batch.append(littleEndian: UInt64(0))  // checksum, set below
    batch.append(littleEndian: UInt32(0))  // header checksum, set below
    batch.append(littleEndian: UInt32(0))
    if codec == .lz4 {
      compressed.withUnsafeBytes {
        batch.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<compressedLength]))
      }
    } else {
      batch.append(contentsOf: body.bytes)
    }
    batch.set(littleEndian: UInt32(batch.count), at: 0)
    let headerChecksum = batch.bytes.withUnsafeBytes { BatchHeader.computeHeaderChecksum($0) }
    batch.set(littleEndian: headerChecksum, at: 48)
    batch.set(littleEndian: Checksum.xxh3(batch.bytes, from: 48, to: batch.count), at: 40)
  }
}
