import StateLog

/// How the RocksDB and LMDB baselines lay an event out as keys and values. Both
/// use this one format, so that their rows compare the engines, not two encodings.
///
/// Events: the key is the global sequence as a big-endian `UInt64`, so that the
/// engines' bytewise key order is the append order (and LMDB may append). The
/// value starts with fixed-width little-endian fields, so that a scan reads them
/// at fixed offsets without parsing:
///
///     offset  0  version          UInt64
///     offset  8  timestamp        Int64, nanoseconds since the epoch (0 if none)
///     offset 16  id               16 bytes, high then low, big-endian (as SQLite stores it)
///     offset 32  schema version   UInt32
///     offset 36  stream length    UInt16
///     offset 38  type length      UInt16
///     offset 40  stream, then type (UTF-8), then the payload to the end
///
/// The stream and type names are in every value, as they are in SQLite's row.
///
/// The (stream, version) index: the key is the stream's UTF-8, a zero byte and
/// the version big-endian (so one stream's versions are adjacent and in order);
/// the value is the event's sequence, big-endian.
enum KeyValueRecord {
  static let headerSize = 40

  /// Calls `body` with the UTF-8 of the event's stream and type and its payload,
  /// without copying them.
  @inline(__always)
  static func withBytes<Result>(
    of event: NewEvent,
    _ body: (
      _ stream: UnsafeRawBufferPointer, _ type: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer
    ) throws -> Result
  ) throws -> Result {
    var stream = event.stream
    var type = event.type
    return try stream.withUTF8 { stream in
      try type.withUTF8 { type in
        try event.payload.withUnsafeBytes { payload in
          try body(UnsafeRawBufferPointer(stream), UnsafeRawBufferPointer(type), payload)
        }
      }
    }
  }

  /// The size of an event's value.
  @inline(__always)
  static func valueSize(
    stream: UnsafeRawBufferPointer, type: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer
  ) -> Int {
    headerSize + stream.count + type.count + payload.count
  }

  /// Writes an event's value, ``valueSize(stream:type:payload:)`` bytes, at `destination`.
  @inline(__always)
  static func encodeValue(
    _ event: NewEvent, version: UInt64, stream: UnsafeRawBufferPointer, type: UnsafeRawBufferPointer,
    payload: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer
  ) throws {
    guard stream.count <= Int(UInt16.max), type.count <= Int(UInt16.max) else {
      throw BenchError("stream or type name longer than \(UInt16.max) bytes")
    }
    destination.storeBytes(of: version.littleEndian, toByteOffset: 0, as: UInt64.self)
    destination.storeBytes(
      of: (event.timestamp?.nanosecondsSinceEpoch ?? 0).littleEndian, toByteOffset: 8, as: Int64.self)
    destination.storeBytes(of: event.id.high.bigEndian, toByteOffset: 16, as: UInt64.self)
    destination.storeBytes(of: event.id.low.bigEndian, toByteOffset: 24, as: UInt64.self)
    destination.storeBytes(of: event.schemaVersion.littleEndian, toByteOffset: 32, as: UInt32.self)
    destination.storeBytes(of: UInt16(stream.count).littleEndian, toByteOffset: 36, as: UInt16.self)
    destination.storeBytes(of: UInt16(type.count).littleEndian, toByteOffset: 38, as: UInt16.self)
    // Three copies rather than a loop over an array of the parts, which would
    // allocate the array for every event.
    copy(stream, to: destination + headerSize)
    copy(type, to: destination + headerSize + stream.count)
    copy(payload, to: destination + headerSize + stream.count + type.count)
  }

  @inline(__always)
  private static func copy(_ bytes: UnsafeRawBufferPointer, to destination: UnsafeMutableRawPointer) {
    if let source = bytes.baseAddress { destination.copyMemory(from: source, byteCount: bytes.count) }
  }

  /// The size of the index key of a stream's event.
  @inline(__always)
  static func indexKeySize(stream: UnsafeRawBufferPointer) -> Int { stream.count + 9 }

  /// Writes the index key of (stream, version), ``indexKeySize(stream:)`` bytes, at `destination`.
  @inline(__always)
  static func encodeIndexKey(
    stream: UnsafeRawBufferPointer, version: UInt64, into destination: UnsafeMutableRawPointer
  ) {
    copy(stream, to: destination)
    destination.storeBytes(of: 0, toByteOffset: stream.count, as: UInt8.self)
    destination.storeBytes(of: version.bigEndian, toByteOffset: stream.count + 1, as: UInt64.self)
  }

  /// Reads one stored event as a raw scan does: the sequence from the key, every
  /// fixed field of the value and the names' and payload's positions, without
  /// copying (as SQLite's scan reads every column as a pointer or an integer).
  /// Adds the event to `result`, the fields no checksum covers to `touched`.
  @inline(__always)
  static func read(
    key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
    into result: inout StateLogWorkloads.ScanResult, touched: inout Int
  ) throws {
    guard key.count == 8, value.count >= headerSize, let base = value.baseAddress else {
      throw BenchError("malformed event: key of \(key.count) bytes, value of \(value.count)")
    }
    let sequence = UInt64(bigEndian: key.baseAddress!.loadUnaligned(as: UInt64.self))
    let version = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
    let time = Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: Int64.self))
    let idHigh = base.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
    let schemaVersion = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 32, as: UInt32.self))
    let streamCount = Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 36, as: UInt16.self)))
    let typeCount = Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 38, as: UInt16.self)))
    let payloadStart = headerSize + streamCount + typeCount
    guard payloadStart <= value.count else {
      throw BenchError(
        "malformed event \(sequence): names of \(streamCount) + \(typeCount) bytes in \(value.count)")
    }
    touched &+= Int(truncatingIfNeeded: time) &+ Int(truncatingIfNeeded: idHigh) &+ Int(schemaVersion)
    touched &+= Int(bitPattern: base + headerSize) & 1 &+ streamCount
    touched &+= Int(bitPattern: base + headerSize + streamCount) & 1 &+ typeCount
    let payload = UnsafeRawBufferPointer(start: base + payloadStart, count: value.count - payloadStart)
    result.add(sequence: sequence, version: version, payload: payload)
  }
}

extension KeyValueRecord {
  /// A reusable buffer that a record and its index key are encoded into
  /// before the engine copies them, grown when a record needs more.
  final class Scratch {
    private var pointer: UnsafeMutableRawPointer
    private var capacity: Int

    init(capacity: Int) {
      self.capacity = capacity
      pointer = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { pointer.deallocate() }

    /// The buffer, at least `count` bytes long.
    func reserve(_ count: Int) -> UnsafeMutableRawPointer {
      if count > capacity {
        pointer.deallocate()
        capacity = count * 2
        pointer = .allocate(byteCount: capacity, alignment: 8)
      }
      return pointer
    }
  }
}
