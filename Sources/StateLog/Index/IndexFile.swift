/// The on-disk form of a ``SegmentIndex`` (format-spec.md, "Index files").
///
/// Index files are derived data: a missing, stale or corrupt one is rebuilt from
/// its segment, so they are written without fsync and checked on every load.
///
/// ```
/// offset size field
///      0    8 magic              "SLOGIDX\0"
///      8    2 formatVersion      u16  3
///     10    6 reserved           zero
///     16    8 segmentBase        u64
///     24    8 coveredLength      u64  segment bytes the index covers (its dataEnd)
///     32    8 nextSequence       u64
///     40    8 lastBatchOffset    u64
///     48    8 lastBatchChecksum  u64
///     56    4 batchCount         u32
///     60    4 entryCount         u32
///     64    8 minTimestamp       i64
///     72    8 maxTimestamp       i64
///     80    4 streamCount        u32
///     84    4 headLength         u32  where the stream runs end
///     88      entries            entryCount x (offset u64, baseSequence u64, maxTimestampBefore i64)
///             streams            streamCount x (name string, firstVersion varint, count varint,
///                                count x sequence delta varint)
///     h    8 headChecksum        u64  XXH3-64 of bytes [0, h)
///   h + 8     ids                (nextSequence - segmentBase) x 16-byte event id, in sequence order
///      n    8 idsChecksum        u64  XXH3-64 of bytes [h + 8, n)
/// ```
///
/// The head and the ids have a checksum each so that opening a log reads and
/// checks only the heads: the ids, 16 bytes per event and most of the file,
/// are read only when a writer needs them (its active segment's at open, the
/// idempotency window's at its first append).
enum IndexFile {
  static let magic: [UInt8] = Array("SLOGIDX\0".utf8)
  /// Version 2 added the id section, version 3 its own checksum (format-spec.md, "Index files").
  static let formatVersion: UInt16 = 3
  static let headerSize = 88
  /// The smallest index file: the header and the two checksums.
  static let minimumSize = headerSize + 16

  static func encode(_ index: SegmentIndex) -> [UInt8] {
    // Entries, ids, the checksums, and a rough guess at the stream runs.
    let capacity = headerSize + index.entries.count * 24 + Int(index.recordCount) * (16 + 2) + 16
    var writer = ByteWriter(capacity: capacity)
    writer.append(contentsOf: magic)
    writer.append(littleEndian: formatVersion)
    writer.append(littleEndian: UInt16(0))
    writer.append(littleEndian: UInt32(0))
    writer.append(littleEndian: index.baseSequence)
    writer.append(littleEndian: index.dataEnd)
    writer.append(littleEndian: index.nextSequence)
    writer.append(littleEndian: index.lastBatchOffset)
    writer.append(littleEndian: index.lastBatchChecksum)
    writer.append(littleEndian: index.batchCount)
    writer.append(littleEndian: UInt32(index.entries.count))
    writer.append(littleEndian: index.minTimestamp)
    writer.append(littleEndian: index.maxTimestamp)
    writer.append(littleEndian: UInt32(index.streams.count))
    writer.append(littleEndian: UInt32(0))  // headLength, set below
    for entry in index.entries {
      writer.append(littleEndian: entry.offset)
      writer.append(littleEndian: entry.baseSequence)
      writer.append(littleEndian: entry.maxTimestampBefore)
    }
    // Sorted so that the same index always encodes to the same bytes.
    for (name, run) in index.streams.sorted(by: { $0.key < $1.key }) {
      writer.appendString(name.string)
      writer.appendVarint(run.firstVersion)
      writer.appendVarint(UInt64(run.sequences.count))
      var previous = index.baseSequence
      for sequence in run.sequences {
        writer.appendVarint(sequence - previous)
        previous = sequence
      }
    }
    let headLength = writer.count
    writer.set(littleEndian: UInt32(headLength), at: 84)
    writer.append(littleEndian: Checksum.xxh3(writer.bytes, from: 0, to: headLength))
    precondition(index.ids.count == Int(index.recordCount), "an index is written only with every id")
    for id in index.ids { id.encode(into: &writer) }
    writer.append(littleEndian: Checksum.xxh3(writer.bytes, from: headLength + 8, to: writer.count))
    return writer.bytes
  }

  /// The length of the head (header, entries and stream runs), read from the
  /// file's first ``headerSize`` bytes; `nil` if they are not those of an
  /// index file of this version whose head fits in `fileSize` bytes.
  static func headLength(header: [UInt8], fileSize: Int) -> Int? {
    guard version(header: header) == formatVersion else { return nil }
    let length = Int(load(UInt32.self, at: 84, in: header))
    guard length >= headerSize, length <= fileSize - 16 else { return nil }
    return length
  }

  /// The format version in an index file's first ``headerSize`` bytes, or
  /// `nil` if they do not start with the magic.
  static func version(header: [UInt8]) -> UInt16? {
    guard header.count >= headerSize, Array(header[0..<8]) == magic else { return nil }
    return load(UInt16.self, at: 8, in: header)
  }

  /// The version before this one, still read: the layout of version 3 up to
  /// the stream runs (with zeros at 84), the ids right after the runs, and one
  /// checksum of everything before it at the end.
  static let previousVersion: UInt16 = 2

  /// Decodes an index file, or returns why it cannot be used.
  ///
  /// - Parameters:
  ///   - bytes: The whole file, or (version 3 without `includeIDs`) at least
  ///     its first `headLength + 8` bytes: the head and its checksum. A
  ///     version 2 file is decoded whole, with its ids.
  ///   - fileSize: The file's size; the id section's length is checked against it.
  ///   - includeIDs: Whether to check and keep the id section; sealed segments
  ///     skip it unless the log needs their ids for retry detection.
  static func decode(_ bytes: [UInt8], fileSize: Int, segmentBase: UInt64, includeIDs: Bool)
    -> Result<SegmentIndex, DecodingFailure>
  {
    Result { () throws(DecodingFailure) in
      guard fileSize >= minimumSize, bytes.count >= headerSize, bytes.count <= fileSize else {
        throw .truncated
      }
      guard Array(bytes[0..<8]) == magic else { throw .invalid("bad index magic") }
      if version(header: bytes) == previousVersion {
        return try decodePreviousVersion(bytes, fileSize: fileSize, segmentBase: segmentBase)
      }
      guard let headLength = headLength(header: bytes, fileSize: fileSize) else {
        throw .invalid("unknown index format version or head length out of range")
      }
      guard bytes.count >= headLength + 8 else { throw .truncated }
      guard checksum(at: headLength, matches: 0..<headLength, in: bytes) else {
        throw .invalid("index head checksum mismatch")
      }
      let decoded: Result<SegmentIndex, DecodingFailure> = bytes.withUnsafeBytes { raw in
        Result { () throws(DecodingFailure) in
          var reader = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0..<headLength]), position: 10)
          var index = try decodeHead(&reader, segmentBase: segmentBase)
          guard reader.isAtEnd else { throw .invalid("index head has bytes after its stream runs") }
          try checkIDsLength(fileSize - headLength - 16, of: index)
          guard includeIDs else { return index }
          guard bytes.count == fileSize else { throw .truncated }
          guard checksum(at: fileSize - 8, matches: (headLength + 8)..<(fileSize - 8), in: bytes) else {
            throw .invalid("index id section checksum mismatch")
          }
          var ids = ByteReader(UnsafeRawBufferPointer(rebasing: raw[(headLength + 8)..<(fileSize - 8)]))
          try decodeIDs(&ids, into: &index)
          return index
        }
      }
      return try decoded.get()
    }
  }

  /// Decodes a version 2 file, whole: its one checksum covers the ids too.
  private static func decodePreviousVersion(_ bytes: [UInt8], fileSize: Int, segmentBase: UInt64)
    throws(DecodingFailure) -> SegmentIndex
  {
    guard bytes.count == fileSize, fileSize >= headerSize + 8 else { throw .truncated }
    guard checksum(at: fileSize - 8, matches: 0..<(fileSize - 8), in: bytes) else {
      throw .invalid("index checksum mismatch")
    }
    let decoded: Result<SegmentIndex, DecodingFailure> = bytes.withUnsafeBytes { raw in
      Result { () throws(DecodingFailure) in
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0..<(fileSize - 8)]), position: 10)
        var index = try decodeHead(&reader, segmentBase: segmentBase)
        try checkIDsLength(reader.remaining, of: index)
        try decodeIDs(&reader, into: &index)
        return index
      }
    }
    return try decoded.get()
  }

  /// Checks that an ids section of `length` bytes holds one id per event of
  /// `index`, without overflow.
  private static func checkIDsLength(_ length: Int, of index: SegmentIndex) throws(DecodingFailure) {
    let count = index.nextSequence - index.baseSequence
    guard count <= UInt64(length / 16), length == Int(count) * 16 else {
      throw .invalid("index id section has the wrong length")
    }
  }

  /// Reads the id of every event of `index` (checked to fit) from `reader`.
  private static func decodeIDs(_ reader: inout ByteReader, into index: inout SegmentIndex)
    throws(DecodingFailure)
  {
    let count = Int(index.nextSequence - index.baseSequence)
    index.ids.reserveCapacity(count)
    for _ in 0..<count { index.ids.append(try EventID(decoding: &reader)) }
  }

  /// Whether the checksum stored at `offset` is the XXH3 of `range` (both
  /// within `bytes`, as the caller checked).
  private static func checksum(at offset: Int, matches range: Range<Int>, in bytes: [UInt8]) -> Bool {
    load(UInt64.self, at: offset, in: bytes)
      == Checksum.xxh3(bytes, from: range.lowerBound, to: range.upperBound)
  }

  /// The little-endian integer at `offset` of `bytes` (within them, as the caller checked).
  private static func load<Integer: FixedWidthInteger>(
    _ type: Integer.Type, at offset: Int, in bytes: [UInt8]
  )
    -> Integer
  {
    bytes.withUnsafeBytes {
      Integer(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: Integer.self))
    }
  }

  /// Decodes the head from `reader`, positioned just after the format version,
  /// up to the end of the stream runs.
  private static func decodeHead(_ reader: inout ByteReader, segmentBase: UInt64) throws(DecodingFailure)
    -> SegmentIndex
  {
    try reader.skip(6)
    guard try reader.read(littleEndian: UInt64.self) == segmentBase else {
      throw .invalid("index belongs to another segment")
    }
    var index = SegmentIndex(baseSequence: segmentBase)
    index.dataEnd = try reader.read(littleEndian: UInt64.self)
    index.nextSequence = try reader.read(littleEndian: UInt64.self)
    index.lastBatchOffset = try reader.read(littleEndian: UInt64.self)
    index.lastBatchChecksum = try reader.read(littleEndian: UInt64.self)
    index.batchCount = try reader.read(littleEndian: UInt32.self)
    let entryCount = Int(try reader.read(littleEndian: UInt32.self))
    index.minTimestamp = try reader.read(littleEndian: Int64.self)
    index.maxTimestamp = try reader.read(littleEndian: Int64.self)
    let streamCount = Int(try reader.read(littleEndian: UInt32.self))
    try reader.skip(4)
    guard entryCount <= reader.remaining / 24, index.nextSequence >= segmentBase,
      index.nextSequence < BatchHeader.sequenceLimit
    else {
      throw .invalid("index counts out of range")
    }
    index.entries.reserveCapacity(entryCount)
    for _ in 0..<entryCount {
      index.entries.append(
        IndexEntry(
          offset: try reader.read(littleEndian: UInt64.self),
          baseSequence: try reader.read(littleEndian: UInt64.self),
          maxTimestampBefore: try reader.read(littleEndian: Int64.self)))
    }
    var previousOffset: UInt64 = 0
    for entry in index.entries {
      guard entry.offset >= UInt64(SegmentHeader.size), entry.offset < index.dataEnd,
        entry.offset >= previousOffset
      else { throw .invalid("index entry offset out of range") }
      previousOffset = entry.offset
    }
    guard index.dataEnd < UInt64(Int64.max),
      index.batchCount == 0 || index.lastBatchOffset < index.dataEnd
    else {
      throw .invalid("index offsets out of range")
    }
    guard streamCount <= reader.remaining else { throw .invalid("stream count out of range") }
    for _ in 0..<streamCount {
      let name = try reader.readString()
      let firstVersion = try reader.readVarint()
      let count = try reader.readLength(limit: reader.remaining)
      guard count >= 1 else { throw .invalid("empty stream run") }
      guard firstVersion >= 1, firstVersion < BatchHeader.sequenceLimit - UInt64(count) else {
        throw .invalid("stream version out of range")
      }
      var sequences: [UInt64] = []
      sequences.reserveCapacity(count)
      var previous = segmentBase
      for _ in 0..<count {
        let (next, overflow) = previous.addingReportingOverflow(try reader.readVarint())
        guard !overflow, next < index.nextSequence else { throw .invalid("stream position out of range") }
        sequences.append(next)
        previous = next
      }
      index.streams[ExactName(name)] = StreamRun(firstVersion: firstVersion, sequences: sequences)
    }
    return index
  }
}
