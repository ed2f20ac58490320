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
}
