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
  /// The version written for a compressed payload; an uncompressed one is
  /// written as version 1, which readers from before compression can read
  /// (format-spec.md, "Snapshot files").
  static let formatVersion: UInt16 = 2
  /// The most payload bytes a snapshot file may hold (format-spec.md, "Snapshot files").
  static let maximumPayloadSize = 1 << 30
  /// Payloads from this size on are stored LZ4-compressed when that makes them
  /// smaller. Smaller ones, most profile and task states, are stored as they
  /// are: they would shrink little, and a point-in-time read of one would pay
  /// for decompressing it.
  static let compressionThreshold = 4096

  /// The file's bytes (format-spec.md, "Snapshot files"):
  ///
  /// ```
  /// offset size field
  ///      0    8 magic          "SLOGSNAP"
  ///      8    2 formatVersion  u16  2 (1 for a payload stored as it is)
  ///     10    2 codec          u16  0 none, 1 LZ4 block (version 1: zero)
  ///     12    4 stateVersion   u32
  ///     16    8 sequence       u64
  ///     24    8 version        u64
  ///     32    8 timestamp      i64
  ///     40    4 payloadLength  u32  the payload's length
  ///     44    4 storedLength   u32  the length of the payload as stored (version 1: zero)
  ///     48      stream         string (varint length, UTF-8)
  ///             payload        storedLength bytes
  ///      n    8 checksum       u64  XXH3-64 of bytes [0, n)
  /// ```
  ///
  /// A payload of ``compressionThreshold`` bytes or more is compressed with
  /// LZ4's high-compression mode: snapshots are written in the background,
  /// once, and read many times, so bytes on disk matter more than the time
  /// taken to write them. A conversation's snapshot repeats every message of
  /// the log; compressed, it takes a third to a half of the space.
  func encoded() -> [UInt8] {
    var compressed: [UInt8] = []
    let compressedLength =
      payload.count >= Self.compressionThreshold
      ? payload.withUnsafeBytes { LZ4Block.compressHighRatio($0, into: &compressed) } : nil
    let stored = compressedLength ?? payload.count
    var writer = ByteWriter(capacity: 64 + stream.utf8.count + stored)
    writer.append(contentsOf: Self.magic)
    // Version 1 for a payload stored as it is: zeros where version 2 has the
    // codec and the stored length.
    writer.append(littleEndian: compressedLength == nil ? UInt16(1) : Self.formatVersion)
    writer.append(littleEndian: (compressedLength == nil ? BatchHeader.Codec.none : .lz4).rawValue)
    writer.append(littleEndian: stateVersion)
    writer.append(littleEndian: sequence)
    writer.append(littleEndian: version)
    writer.append(littleEndian: timestamp.nanosecondsSinceEpoch)
    writer.append(littleEndian: UInt32(payload.count))
    writer.append(littleEndian: compressedLength == nil ? UInt32(0) : UInt32(stored))
    writer.appendString(stream)
    if compressedLength == nil {
      writer.append(contentsOf: payload)
    } else {
      compressed.withUnsafeBytes {
        writer.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<stored]))
      }
    }
    writer.append(littleEndian: Checksum.xxh3(writer.bytes, from: 0, to: writer.count))
    return writer.bytes
  }

  package init(decoding bytes: [UInt8]) throws(DecodingFailure) {
    self = try Checksum.readVerified(bytes, minimumCount: 48 + 1 + 8, magic: Self.magic, what: "snapshot") {
      (reader) throws(DecodingFailure) in
      let formatVersion = try reader.read(littleEndian: UInt16.self)
      guard formatVersion == 1 || formatVersion == 2 else {
        throw .invalid("unknown snapshot format version")
      }
      // Version 1 had zeros here, not checked, and stored every payload as it is.
      let codecValue = try reader.read(littleEndian: UInt16.self)
      guard let codec = formatVersion == 1 ? BatchHeader.Codec.none : BatchHeader.Codec(rawValue: codecValue)
      else {
        throw .invalid("unknown snapshot codec \(codecValue)")
      }
      let stateVersion = try reader.read(littleEndian: UInt32.self)
      let sequence = try reader.read(littleEndian: UInt64.self)
      let version = try reader.read(littleEndian: UInt64.self)
      let timestamp = try reader.read(littleEndian: Int64.self)
      let length = Int(try reader.read(littleEndian: UInt32.self))
      let storedValue = Int(try reader.read(littleEndian: UInt32.self))
      let stored = formatVersion == 1 ? length : storedValue
      let stream = try reader.readString()
      let storedPayload = try reader.readSlice(count: stored)
      guard reader.isAtEnd else { throw .invalid("snapshot has trailing bytes") }
      let payload: [UInt8]
      switch codec {
      case .none:
        guard stored == length else {
          throw .invalid("snapshot stores \(stored) bytes of a \(length)-byte payload")
        }
        payload = Array(storedPayload)
      case .lz4:
        // An LZ4 block expands at most about 255 times: a larger claim is
        // damage, refused before allocating for it.
        guard length <= Self.maximumPayloadSize, length <= stored * 255 + 16 else {
          throw .invalid("snapshot payload of \(length) bytes cannot come from \(stored) stored bytes")
        }
        payload = try [UInt8](unsafeUninitializedCapacity: length) {
          (buffer, count) throws(DecodingFailure) in
          guard LZ4Block.decompress(storedPayload, into: UnsafeMutableRawBufferPointer(buffer)) else {
            throw .invalid("snapshot payload does not decompress to \(length) bytes")
          }
          count = length
        }
      }
      return Snapshot(
        stream: stream, sequence: sequence, version: version,
        timestamp: Timestamp(nanosecondsSinceEpoch: timestamp),
        stateVersion: stateVersion, payload: payload)
    }
  }
}
