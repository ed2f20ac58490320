/// A stream's derived state as of one of its events, stored so that rebuilding
/// the state need not replay the stream from its start.
///
/// Snapshots are derived data: deleting them loses nothing, and one that is
/// damaged or of an outdated state schema is skipped.
public struct Snapshot: Hashable, Sendable {
  /// The stream the state belongs to.
  public var stream: String
  /// The global sequence number of the last event the state reflects.
  public var sequence: UInt64
  /// The stream version of that event.
  public var version: UInt64
  /// That event's timestamp.
  public var timestamp: Timestamp
  /// The version of the state's own shape; a reader that expects another one
  /// skips the snapshot and replays instead.
  public var stateVersion: UInt32
  /// The encoded state.
  public var payload: [UInt8]

  public init(
    stream: String, sequence: UInt64, version: UInt64, timestamp: Timestamp, stateVersion: UInt32,
    payload: [UInt8]
  ) {
    self.stream = stream
    self.sequence = sequence
    self.version = version
    self.timestamp = timestamp
    self.stateVersion = stateVersion
    self.payload = payload
  }
}

extension Snapshot {
  static let magic: [UInt8] = Array("SLOGSNAP".utf8)
  static let formatVersion: UInt16 = 1
  /// The most payload bytes a snapshot file may hold (format-spec.md, "Snapshot files").
  static let maximumPayloadSize = 1 << 30

  /// The file's bytes (format-spec.md, "Snapshot files"):
  ///
  /// ```
  /// offset size field
  ///      0    8 magic          "SLOGSNAP"
  ///      8    2 formatVersion  u16  1
  ///     10    2 reserved       zero
  ///     12    4 stateVersion   u32
  ///     16    8 sequence       u64
  ///     24    8 version        u64
  ///     32    8 timestamp      i64
  ///     40    4 payloadLength  u32
  ///     44    4 reserved       zero
  ///     48      stream         string (varint length, UTF-8)
  ///             payload        payloadLength bytes
  ///      n    8 checksum       u64  XXH3-64 of bytes [0, n)
  /// ```
  func encoded() -> [UInt8] {
    var writer = ByteWriter(capacity: 64 + stream.utf8.count + payload.count)
    writer.append(contentsOf: Self.magic)
    writer.append(littleEndian: Self.formatVersion)
    writer.append(littleEndian: UInt16(0))
    writer.append(littleEndian: stateVersion)
    writer.append(littleEndian: sequence)
    writer.append(littleEndian: version)
    writer.append(littleEndian: timestamp.nanosecondsSinceEpoch)
    writer.append(littleEndian: UInt32(payload.count))
    writer.append(littleEndian: UInt32(0))
    writer.appendString(stream)
    writer.append(contentsOf: payload)
    writer.append(littleEndian: Checksum.xxh3(writer.bytes, from: 0, to: writer.count))
    return writer.bytes
  }

  package init(decoding bytes: [UInt8]) throws(DecodingFailure) {
    self = try Checksum.readVerified(bytes, minimumCount: 48 + 1 + 8, magic: Self.magic, what: "snapshot") {
      (reader) throws(DecodingFailure) in
      guard try reader.read(littleEndian: UInt16.self) == Self.formatVersion else {
        throw .invalid("unknown snapshot format version")
      }
      try reader.skip(2)
      let stateVersion = try reader.read(littleEndian: UInt32.self)
      let sequence = try reader.read(littleEndian: UInt64.self)
      let version = try reader.read(littleEndian: UInt64.self)
      let timestamp = try reader.read(littleEndian: Int64.self)
      let length = Int(try reader.read(littleEndian: UInt32.self))
      try reader.skip(4)
      let stream = try reader.readString()
      let payload = Array(try reader.readSlice(count: length))
      guard reader.isAtEnd else { throw .invalid("snapshot has trailing bytes") }
      return Snapshot(
        stream: stream, sequence: sequence, version: version,
        timestamp: Timestamp(nanosecondsSinceEpoch: timestamp),
        stateVersion: stateVersion, payload: payload)
    }
  }
}
