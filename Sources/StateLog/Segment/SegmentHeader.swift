/// The 40-byte header at the start of every segment file (format-spec.md, "Segment header").
///
/// ```
/// offset size field
///      0    8 magic                 "SLOGSEG\0"
///      8    2 formatVersion         u16  version that wrote the file
///     10    2 minimumReaderVersion  u16  oldest reader version that may read it
///     12    4 reserved              u32  zero
///     16    8 baseSequence          u64  sequence of the segment's first record
///     24    8 createdAt             i64  nanoseconds since the Unix epoch
///     32    8 checksum              u64  XXH3-64 of bytes [0, 32)
/// ```
struct SegmentHeader: Hashable, Sendable {
  static let size = 40
  static let magic: [UInt8] = Array("SLOGSEG\0".utf8)
  /// The format version this code writes (format-spec.md, "Versioning").
  static let currentFormatVersion: UInt16 = 1
  /// The newest `minimumReaderVersion` this code can read.
  static let readableVersion: UInt16 = 1

  var formatVersion: UInt16 = currentFormatVersion
  var minimumReaderVersion: UInt16 = currentFormatVersion
  var baseSequence: UInt64
  var createdAt: Int64

  init(baseSequence: UInt64, createdAt: Int64) {
    self.baseSequence = baseSequence
    self.createdAt = createdAt
  }

  func encoded() -> [UInt8] {
    var writer = ByteWriter(capacity: Self.size)
    writer.append(contentsOf: Self.magic)
    writer.append(littleEndian: formatVersion)
    writer.append(littleEndian: minimumReaderVersion)
    writer.append(littleEndian: UInt32(0))
    writer.append(littleEndian: baseSequence)
    writer.append(littleEndian: createdAt)
    writer.append(littleEndian: Checksum.xxh3(writer.bytes, from: 0, to: 32))
    return writer.bytes
  }

  /// Parses and checks a header.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/newerFormat`` if a newer
  ///   reader is needed, ``StateLogError/Code/corruption`` for anything else wrong.
  init(decoding bytes: [UInt8], file: String) throws(StateLogError) {
    guard bytes.count >= Self.size else {
      throw StateLogError(.corruption, "segment header is truncated", file: file, offset: 0)
    }
    guard Array(bytes[0..<8]) == Self.magic else {
      throw StateLogError(.corruption, "bad segment magic", file: file, offset: 0)
    }
    func field<T: FixedWidthInteger>(_ offset: Int, _ type: T.Type) -> T {
      bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
    let fields = (
      field(8, UInt16.self), field(10, UInt16.self), field(16, UInt64.self), field(24, Int64.self),
      field(32, UInt64.self)
    )
    guard fields.4 == Checksum.xxh3(bytes, from: 0, to: 32) else {
      throw StateLogError(.corruption, "segment header checksum mismatch", file: file, offset: 32)
    }
    guard fields.1 <= Self.readableVersion else {
      throw StateLogError(
        .newerFormat,
        "segment needs reader version \(fields.1) (written by format version \(fields.0)); "
          + "this StateLog reads format version \(Self.readableVersion)",
        file: file, offset: 8)
    }
    guard fields.0 >= 1, fields.1 >= 1, fields.1 <= fields.0 else {
      throw StateLogError(
        .corruption, "segment header has format version \(fields.0) and reader version \(fields.1)",
        file: file,
        offset: 8)
    }
    guard fields.2 >= 1, fields.2 < BatchHeader.sequenceLimit else {
      throw StateLogError(
        .corruption, "segment base sequence \(fields.2) out of range", file: file, offset: 16)
    }
    formatVersion = fields.0
    minimumReaderVersion = fields.1
    baseSequence = fields.2
    createdAt = fields.3
  }
}
