import CLZ4

/// LZ4's block format without frames (format-spec.md, "Compression"): the batch
/// header stores the uncompressed length, so no frame is needed.
enum LZ4Block {
  /// The largest input LZ4 compresses in one block.
  static let maximumInputSize = Int(LZ4_MAX_INPUT_SIZE)

  /// Compresses `source` into the front of `scratch`, growing it when needed but
  /// never shrinking it so that a reused scratch buffer stops allocating.
  ///
  /// - Returns: The compressed length, or `nil` when compression would not make the
  ///   data smaller.
  static func compress(_ source: UnsafeRawBufferPointer, into scratch: inout [UInt8]) -> Int? {
    compress(source, into: &scratch) { source, target, sourceSize, targetSize in
      LZ4_compress_default(source, target, sourceSize, targetSize)
    }
  }

  /// Like ``compress(_:into:)``, with LZ4's high-compression mode (level 9):
  /// the same block format and decompression speed, often half the size of
  /// the default mode's output, at a tenth of its speed. For data written once
  /// and off the hot path (snapshot files).
  static func compressHighRatio(_ source: UnsafeRawBufferPointer, into scratch: inout [UInt8]) -> Int? {
    compress(source, into: &scratch) { source, target, sourceSize, targetSize in
      LZ4_compress_HC(source, target, sourceSize, targetSize, LZ4HC_CLEVEL_DEFAULT)
    }
  }

  private static func compress(
    _ source: UnsafeRawBufferPointer, into scratch: inout [UInt8],
    with compressor: (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>, Int32, Int32) -> Int32
  ) -> Int? {
    guard source.count > 0, source.count <= maximumInputSize else { return nil }
    let bound = Int(LZ4_compressBound(Int32(source.count)))
    if scratch.count < bound {
      scratch = [UInt8](repeating: 0, count: bound)
    }
    let written = scratch.withUnsafeMutableBytes { target in
      compressor(
        source.baseAddress!.assumingMemoryBound(to: CChar.self),
        target.baseAddress!.assumingMemoryBound(to: CChar.self),
        Int32(source.count), Int32(target.count))
    }
    guard written > 0, Int(written) < source.count else { return nil }
    return Int(written)
  }

  /// Decompresses `source` into exactly `destination.count` bytes; `false` if the
  /// block is malformed or decodes to any other length.
  static func decompress(
    _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
  ) -> Bool {
    guard source.count > 0, source.count <= maximumInputSize,
      destination.count <= maximumInputSize
    else { return false }
    let produced = LZ4_decompress_safe(
      source.baseAddress!.assumingMemoryBound(to: CChar.self),
      destination.baseAddress?.assumingMemoryBound(to: CChar.self),
      Int32(source.count), Int32(destination.count))
    return Int(produced) == destination.count
  }
}
