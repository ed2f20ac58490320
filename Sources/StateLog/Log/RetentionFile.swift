/// The `RETENTION` file (format-spec.md, "Retention"): where the log now
/// starts after old segments were removed, and, for each stream that lost
/// events, its last removed version.
///
/// Unlike indexes and snapshots it is not derived data: without it a log whose
/// first segments are gone cannot be told from one that lost them. It is
/// written (temporary file, fsync, rename, directory fsync) before any segment
/// is removed, so a crash in between leaves segments that the next writer
/// removes.
///
/// ```
/// offset size field
///      0    8 magic        "SLOGRETN"
///      8    2 version      u16  1
///     10    6 reserved     zero
///     16    8 horizon      u64  the first sequence still stored
///     24    4 streamCount  u32
///     28    4 reserved     zero
///     32    8 removedMaximumTimestamp  i64  the largest timestamp of any removed event
///     40      streams      streamCount x (name string, lastRemovedVersion varint), names in byte order
///      n    8 checksum     u64  XXH3-64 of bytes [0, n)
/// ```
struct RetentionFile: Hashable, Sendable {
  static let name = "RETENTION"
  static let magic: [UInt8] = Array("SLOGRETN".utf8)

  var horizon: UInt64
  /// The largest timestamp of any removed event: time queries for earlier
  /// times are before the horizon.
  var removedMaximumTimestamp: Int64
  var retired: [ExactName: UInt64]

  func encoded() -> [UInt8] {
    var writer = ByteWriter(capacity: 64 + retired.count * 32)
    writer.append(contentsOf: Self.magic)
    writer.append(littleEndian: UInt16(1))
    writer.append(littleEndian: UInt16(0))
    writer.append(littleEndian: UInt32(0))
    writer.append(littleEndian: horizon)
    writer.append(littleEndian: UInt32(retired.count))
    writer.append(littleEndian: UInt32(0))
    writer.append(littleEndian: removedMaximumTimestamp)
    for (stream, version) in retired.sorted(by: { $0.key < $1.key }) {
      writer.appendString(stream.string)
      writer.appendVarint(version)
    }
    writer.append(littleEndian: Checksum.xxh3(writer.bytes, from: 0, to: writer.count))
    return writer.bytes
  }

  init(horizon: UInt64, removedMaximumTimestamp: Int64, retired: [ExactName: UInt64]) {
    self.horizon = horizon
    self.removedMaximumTimestamp = removedMaximumTimestamp
    self.retired = retired
  }

  init(decoding bytes: [UInt8]) throws(DecodingFailure) {
    self = try Checksum.readVerified(bytes, minimumCount: 48, magic: Self.magic, what: "retention file") {
      (reader) throws(DecodingFailure) in
      guard try reader.read(littleEndian: UInt16.self) == 1 else {
        throw .invalid("unknown retention version")
      }
      try reader.skip(6)
      let horizon = try reader.read(littleEndian: UInt64.self)
      let count = Int(try reader.read(littleEndian: UInt32.self))
      try reader.skip(4)
      let removedMaximum = try reader.read(littleEndian: Int64.self)
      guard horizon >= 1, horizon < BatchHeader.sequenceLimit, count <= reader.remaining / 2 else {
        throw .invalid("retention values out of range")
      }
      var retired: [ExactName: UInt64] = [:]
      for _ in 0..<count {
        let stream = try reader.readString()
        let version = try reader.readVarint()
        guard version < BatchHeader.sequenceLimit else { throw .invalid("retired version out of range") }
        retired[ExactName(stream)] = version
      }
      guard reader.isAtEnd else { throw .invalid("retention file has trailing bytes") }
      return RetentionFile(horizon: horizon, removedMaximumTimestamp: removedMaximum, retired: retired)
    }
  }
}
