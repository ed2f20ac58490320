/// Reads one segment's batches in file order through a reusable buffer, so a
/// sequential scan costs one `pread` per megabyte rather than one per batch.
///
/// The first read is a page and each next one twice as large, up to
/// ``chunkSize``: a point read (one stream's few events, a snapshot's tail)
/// copies kilobytes, not a megabyte, while a long scan soon reads whole chunks.
/// A read that jumps past the buffered bytes starts again at a page, and
/// ``peek(at:limit:)`` lets a reader skip a batch having read only its header:
/// reading one stream out of a busy log copies that stream's batches, not the
/// other streams' batches between them.
///
/// Given a mapping of the file, it reads the mapped bytes in place instead: no
/// buffer, no copy and no system call.
struct BatchReader {
  enum Step {
    /// A batch whose header is sound and whose bytes are buffered; its checksum
    /// is not yet verified.
    case batch(BatchHeader)
    /// A footer marker at this offset.
    case footer
    /// The offset reached `limit` exactly.
    case end
    /// What is at this offset cannot be a batch.
    case problem(String)
  }

  static let chunkSize = 1 << 20
  static let firstChunkSize = 4 << 10

  let io: any FileIO
  let file: FileHandle
  /// The segment's file name, for errors.
  let name: String
  /// The file's bytes, when mapped: then nothing is buffered or copied.
  private let mapping: FileMapping?
  private var buffer: [UInt8] = []
  private var bufferStart: UInt64 = 0
  private var bufferCount = 0
  private var nextChunkSize = Self.firstChunkSize
  /// The limit of the last ``peek(at:limit:)``, for ``load(_:at:)``.
  private var limitOfPeek: UInt64 = 0

  /// - Parameter mapping: The file mapped at least up to every `limit` this
  ///   reader will be given; reads then cost no system call.
  init(io: any FileIO, file: FileHandle, name: String, mapping: FileMapping? = nil) {
    self.io = io
    self.file = file
    self.name = name
    self.mapping = mapping
  }

  /// Looks at what starts at `offset`, reading no further than `limit`, and
  /// buffers the whole batch if it is one.
  mutating func step(at offset: UInt64, limit: UInt64) throws(StateLogError) -> Step {
    let step = try peek(at: offset, limit: limit)
    if case .batch(let header) = step { try load(header, at: offset) }
    return step
  }

  /// Looks at what starts at `offset` as ``step(at:limit:)`` does, but buffers
  /// only a batch's header: a reader that skips the batch then reads no more of
  /// it, and one that wants it calls ``load(_:at:)``.
  mutating func peek(at offset: UInt64, limit: UInt64) throws(StateLogError) -> Step {
    if offset == limit { return .end }
    guard limit - offset >= UInt64(BatchHeader.size) else {
      return .problem("incomplete batch header (\(limit - offset) bytes)")
    }
    try fill(offset, count: BatchHeader.size, limit: limit)
    limitOfPeek = limit
    return withBytes(at: offset, count: BatchHeader.size) { Self.step(header: $0, remaining: limit - offset) }
  }

  /// What the `BatchHeader.size` bytes `header` start, with `remaining` bytes
  /// from their start to the end of the data: a footer marker, a problem, or a
  /// batch that fits.
  static func step(header bytes: UnsafeRawBufferPointer, remaining: UInt64) -> Step {
    if UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)) == SegmentFooter.marker { return .footer }
    if let problem = BatchHeader.problem(in: bytes) { return .problem(problem) }
    let header = BatchHeader(parsing: bytes)
    guard UInt64(header.length) <= remaining else {
      return .problem("batch of \(header.length) bytes runs past the end of the data")
    }
    return .batch(header)
  }

  /// Buffers the whole batch whose header ``peek(at:limit:)`` just returned.
  mutating func load(_ header: BatchHeader, at offset: UInt64) throws(StateLogError) {
    try fill(offset, count: Int(header.length), limit: limitOfPeek)
  }

  /// Calls `body` with `count` buffered bytes at `offset`; they must have been
  /// made available by the last ``step(at:limit:)``.
  func withBytes<Result>(at offset: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) throws -> Result)
    rethrows -> Result
  {
    if let mapping { return try body(mapping.bytes(at: offset, count: count)) }
    let start = Int(offset - bufferStart)
    return try buffer.withUnsafeBytes {
      try body(UnsafeRawBufferPointer(rebasing: $0[start..<start + count]))
    }
  }

  private mutating func fill(_ offset: UInt64, count: Int, limit: UInt64) throws(StateLogError) {
    if let mapping {
      // Callers never ask past `limit`, and the mapping covers it.
      guard offset + UInt64(count) <= UInt64(mapping.count) else {
        throw StateLogError(
          .corruption, "file ended while reading \(count) bytes", file: name, offset: offset)
      }
      return
    }
    let bufferEnd = bufferStart + UInt64(bufferCount)
    if offset >= bufferStart && offset + UInt64(count) <= bufferEnd { return }
    // A jump past the buffered bytes (a stream read skipping other streams'
    // batches) starts small again: it is a point read, not a scan.
    if offset < bufferStart || offset > bufferEnd { nextChunkSize = Self.firstChunkSize }
    let wanted = Int(min(UInt64(max(count, nextChunkSize)), limit - offset))
    nextChunkSize = min(nextChunkSize * 2, Self.chunkSize)
    if buffer.count < wanted { buffer = [UInt8](repeating: 0, count: wanted) }
    // Until the read succeeds the buffer holds nothing: a failed read must
    // not leave old bytes looking current.
    bufferCount = 0
    var filled = 0
    let io = self.io
    let file = self.file
    try StateLogError.typed {
      try buffer.withUnsafeMutableBytes { raw in
        while filled < wanted {
          let rest = UnsafeMutableRawBufferPointer(rebasing: raw[filled..<wanted])
          let read = try io.read(file, into: rest, at: offset + UInt64(filled))
          if read == 0 { break }
          filled += read
        }
      }
    }
    bufferStart = offset
    bufferCount = filled
    guard filled >= count else {
      throw StateLogError(.corruption, "file ended while reading \(count) bytes", file: name, offset: offset)
    }
  }
}
