import CXXHash

/// XXH3-64 with seed 0 (format-spec.md, "Checksums"): the checksum of every batch,
/// header, footer and index file.
enum Checksum {
  static func xxh3(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    statelog_xxh3_64(bytes.baseAddress, bytes.count)
  }

  static func xxh3(_ bytes: [UInt8], from start: Int, to end: Int) -> UInt64 {
    bytes.withUnsafeBytes { xxh3(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
  }

  /// Reads a file that starts with `magic` and ends with the checksum of every
  /// byte before it (index, snapshot and retention files): checks both, then
  /// reads what lies between with `body`.
  ///
  /// - Throws: ``DecodingFailure`` naming `what` if the file is shorter than
  ///   `minimumCount`, its checksum or magic is wrong, or `body` fails.
  static func readVerified<Value>(
    _ bytes: [UInt8], minimumCount: Int, magic: [UInt8], what: String,
    _ body: (inout ByteReader) throws(DecodingFailure) -> Value
  ) throws(DecodingFailure) -> Value {
    guard bytes.count >= max(minimumCount, magic.count + 8) else { throw .truncated }
    let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self) }
    guard UInt64(littleEndian: stored) == xxh3(bytes, from: 0, to: bytes.count - 8) else {
      throw .invalid("\(what) checksum mismatch")
    }
    let result: Result<Value, DecodingFailure> = bytes.withUnsafeBytes { raw in
      Result { () throws(DecodingFailure) in
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 8)]))
        guard Array(try reader.readSlice(count: magic.count)) == magic else {
          throw .invalid("bad \(what) magic")
        }
        return try body(&reader)
      }
    }
    return try result.get()
  }
}
