/// The fixed 56-byte header in front of every record batch (format-spec.md, "Batch").
///
/// ```
/// offset size field
///      0    4 length          u32  bytes of the whole batch, header included
///      4    2 flags           u16  bits 0-1 codec (0 none, 1 LZ4), bit 2 continued
///      6    2 reserved        u16  zero
///      8    8 baseSequence    u64  sequence number of the first record
///     16    4 recordCount     u32  at least 1
///     20    4 bodyLength      u32  length of the body once decompressed
///     24    8 minTimestamp    i64  smallest record timestamp
///     32    8 maxTimestamp    i64  largest record timestamp
///     40    8 checksum        u64  XXH3-64 of bytes [48, length)
///     48    4 headerChecksum  u32  low 32 bits of XXH3-64 of bytes [0, 40)
///     52    4 reserved        u32  zero
/// ```
/// All integers are little-endian.
struct BatchHeader: Hashable, Sendable {
  static let size = 56
  /// Batches may not reach 2^31 bytes, so a length of `0xFFFF_FFFF` can only be a footer.
  static let maximumLength = Int(Int32.max)

  enum Codec: UInt16, Sendable {
    case none = 0
    case lz4 = 1
  }

  var length: UInt32
  var flags: UInt16
  var baseSequence: UInt64
  var recordCount: UInt32
  var bodyLength: UInt32
  var minTimestamp: Int64
  var maxTimestamp: Int64
  var checksum: UInt64
  var headerChecksum: UInt32

  static let codecMask: UInt16 = 0b11
  /// Set on every batch of a multi-batch append but the last (format-spec.md, "Appends").
  static let continuedFlag: UInt16 = 0b100
  static let knownFlags: UInt16 = codecMask | continuedFlag
  /// Sequence numbers and stream versions stay below 2^63 (format-spec.md,
  /// "Overview"), so that no arithmetic on values read from disk can overflow.
  static let sequenceLimit = UInt64(Int64.max)

  var codec: Codec? { Codec(rawValue: flags & Self.codecMask) }
  var isContinued: Bool { flags & Self.continuedFlag != 0 }
  var lastSequence: UInt64 { baseSequence + UInt64(recordCount) - 1 }
  var nextSequence: UInt64 { baseSequence + UInt64(recordCount) }

  /// Reads the fields from the first 56 bytes of `bytes` without judging them.
  init(parsing bytes: UnsafeRawBufferPointer) {
    precondition(bytes.count >= Self.size)
    func field<T: FixedWidthInteger>(_ offset: Int, _ type: T.Type) -> T {
      T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
    length = field(0, UInt32.self)
    flags = field(4, UInt16.self)
    baseSequence = field(8, UInt64.self)
    recordCount = field(16, UInt32.self)
    bodyLength = field(20, UInt32.self)
    minTimestamp = field(24, Int64.self)
    maxTimestamp = field(32, Int64.self)
    checksum = field(40, UInt64.self)
    headerChecksum = field(48, UInt32.self)
  }

  /// The header checksum of the first 40 bytes of `bytes`.
  static func computeHeaderChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    UInt32(truncatingIfNeeded: Checksum.xxh3(UnsafeRawBufferPointer(rebasing: bytes[0..<40])))
  }

  /// Why this header cannot start a batch, or `nil` if it can; checks the header
  /// checksum and every field rule except those that need the body.
  static func problem(in bytes: UnsafeRawBufferPointer) -> String? {
    let header = BatchHeader(parsing: bytes)
    if header.headerChecksum != computeHeaderChecksum(bytes) {
      return "batch header checksum mismatch"
    }
    if header.length < UInt32(size + 1) || header.length > UInt32(maximumLength) {
      return "batch length \(header.length) out of range"
    }
    if header.flags & ~knownFlags != 0 || header.codec == nil {
      return "unknown batch flags \(header.flags)"
    }
    if header.recordCount == 0 { return "batch has no records" }
    if header.baseSequence == 0 || header.baseSequence >= sequenceLimit - UInt64(header.recordCount) {
      return "batch base sequence \(header.baseSequence) out of range"
    }
    if header.minTimestamp > header.maxTimestamp { return "batch timestamps out of order" }
    if header.codec == Codec.none && header.bodyLength != header.length - UInt32(size) {
      return "uncompressed batch body length \(header.bodyLength) does not match its length"
    }
    // LZ4 expands at most 255-fold, so a larger claim is corrupt, and checking it
    // here bounds what a decoder allocates for the body.
    let storedLength = UInt64(header.length) - UInt64(size)
    if UInt64(header.bodyLength) > min(UInt64(maximumLength), storedLength * 255 + 16) {
      return "batch body length \(header.bodyLength) out of range"
    }
    return nil
  }
}
