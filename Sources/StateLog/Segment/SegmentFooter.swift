/// The 56-byte footer that seals a segment (format-spec.md, "Segment footer").
///
/// ```
/// offset size field
///      0    4 marker        u32  0xFFFF_FFFF (never a valid batch length)
///      4    4 magic         "SEAL"
///      8    8 lastSequence  u64  sequence of the segment's last record
///     16    8 recordCount   u64
///     24    4 batchCount    u32
///     28    4 reserved      u32  zero
///     32    8 minTimestamp  i64
///     40    8 maxTimestamp  i64
///     48    8 checksum      u64  XXH3-64 of bytes [0, 48)
/// ```
struct SegmentFooter: Hashable, Sendable {
  static let size = 56
  static let marker: UInt32 = 0xFFFF_FFFF
  static let magic: [UInt8] = Array("SEAL".utf8)

  var lastSequence: UInt64
  var recordCount: UInt64
  var batchCount: UInt32
  var minTimestamp: Int64
  var maxTimestamp: Int64

  func encoded() -> [UInt8] {
    var writer = ByteWriter(capacity: Self.size)
    writer.append(littleEndian: Self.marker)
    writer.append(contentsOf: Self.magic)
    writer.append(littleEndian: lastSequence)
    writer.append(littleEndian: recordCount)
    writer.append(littleEndian: batchCount)
    writer.append(littleEndian: UInt32(0))
    writer.append(littleEndian: minTimestamp)
    writer.append(littleEndian: maxTimestamp)
    writer.append(littleEndian: Checksum.xxh3(writer.bytes, from: 0, to: 48))
    return writer.bytes
  }

  /// Parses a footer, or returns `nil` if `bytes` is not a sound one.
  init?(decoding bytes: UnsafeRawBufferPointer) {
    guard bytes.count == Self.size else { return nil }
    func field<T: FixedWidthInteger>(_ offset: Int, _ type: T.Type) -> T {
      T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
    guard field(0, UInt32.self) == Self.marker, Array(bytes[4..<8]) == Self.magic,
      field(48, UInt64.self) == Checksum.xxh3(UnsafeRawBufferPointer(rebasing: bytes[0..<48])),
      field(8, UInt64.self) < BatchHeader.sequenceLimit
    else { return nil }
    lastSequence = field(8, UInt64.self)
    recordCount = field(16, UInt64.self)
    batchCount = field(24, UInt32.self)
    minTimestamp = field(32, Int64.self)
    maxTimestamp = field(40, Int64.self)
  }

  init(
    lastSequence: UInt64, recordCount: UInt64, batchCount: UInt32, minTimestamp: Int64, maxTimestamp: Int64
  ) {
    self.lastSequence = lastSequence
    self.recordCount = recordCount
    self.batchCount = batchCount
    self.minTimestamp = minTimestamp
    self.maxTimestamp = maxTimestamp
  }
}
