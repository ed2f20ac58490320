/// An open file as the engine sees it: a descriptor plus the name used in errors.
struct FileHandle: Sendable, Hashable {
  var descriptor: Int32
  /// The path the file was opened at; errors name it.
  var path: String
}

/// A file's device and inode numbers: the same file whatever path reached it.
struct FileIdentity: Hashable, Sendable {
  var device: UInt64
  var inode: UInt64
}

/// How to open a file through the seam.
enum FileOpenMode: Sendable {
  /// Open an existing file for reading.
  case readOnly
  /// Open an existing file, or create it, for reading and writing.
  case readWrite
  /// Create a new file for reading and writing; fail if it exists.
  case createNew
}

/// The engine's only door to the file system.
///
/// Every read, write, fsync, rename and directory operation of the engine goes
/// through this protocol, so that tests can inject faults (EIO, ENOSPC, short
/// writes, failing fsyncs) and simulate power loss at any step. Production code
/// uses ``POSIXFileIO``; the one dynamic call per operation is noise next to the
/// system call behind it.
///
/// Every method throws ``StateLogError`` with code ``StateLogError/Code/ioFailure``
/// and the `errno`, naming the file.
protocol FileIO: Sendable {
  func open(_ path: String, mode: FileOpenMode) throws(StateLogError) -> FileHandle
  func close(_ file: FileHandle)
  /// Reads up to `buffer.count` bytes at `offset`; returns fewer only at end of file.
  func read(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64)
    throws(StateLogError) -> Int
  /// Writes some prefix of `bytes` at `offset` and returns its length, like `pwrite(2)`.
  func write(_ file: FileHandle, _ bytes: UnsafeRawBufferPointer, at offset: UInt64)
    throws(StateLogError) -> Int
  /// Makes the file's data (and the metadata needed to read it back) durable: `fdatasync(2)`.
  func synchronize(_ file: FileHandle) throws(StateLogError)
  func size(of file: FileHandle) throws(StateLogError) -> UInt64
  func truncate(_ file: FileHandle, to length: UInt64) throws(StateLogError)
  /// Takes an exclusive, non-blocking lock on the whole file; returns `false` if another
  /// open file description holds it.
  func tryLock(_ file: FileHandle) throws(StateLogError) -> Bool
  /// Maps the first `length` bytes of a file for reading, or returns `nil` if
  /// this file system cannot: readers then fall back to ``read(_:into:at:)``.
  ///
  /// `length` may reach past the end of the file (a segment still growing);
  /// callers touch only bytes the file already holds, and only files that
  /// never shrink under a reader (segments) may be mapped.
  func map(_ file: FileHandle, length: Int) throws(StateLogError) -> FileMapping?
  /// The file's identity on its file system (device and inode), or `nil` where
  /// files have none (simulated file systems): the writer's lock uses it to
  /// tell a lock this process holds from one held elsewhere.
  func identity(of file: FileHandle) -> FileIdentity?

  /// Creates a directory unless it exists; returns whether it created it.
  @discardableResult func createDirectory(_ path: String) throws(StateLogError) -> Bool
  /// Makes the directory's entries (created, renamed and removed files) durable.
  func synchronizeDirectory(_ path: String) throws(StateLogError)
  /// The names in a directory, without `.` and `..`; `nil` if it does not exist.
  func contentsOfDirectory(_ path: String) throws(StateLogError) -> [String]?
  func rename(_ source: String, to destination: String) throws(StateLogError)
  func remove(_ path: String) throws(StateLogError)
  func fileExists(_ path: String) -> Bool
}

extension FileIO {
  /// File systems simulated in tests read through ``read(_:into:at:)`` only,
  /// so faults injected there reach every reader.
  func map(_ file: FileHandle, length: Int) throws(StateLogError) -> FileMapping? { nil }

  func identity(of file: FileHandle) -> FileIdentity? { nil }

  /// Writes all of `bytes` at `offset`, continuing after short writes.
  func writeAll(_ file: FileHandle, _ bytes: UnsafeRawBufferPointer, at offset: UInt64)
    throws(StateLogError)
  {
    var done = 0
    while done < bytes.count {
      let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
      let written = try write(file, rest, at: offset + UInt64(done))
      if written <= 0 {
        throw StateLogError(.ioFailure, "write made no progress", file: file.path, offset: offset)
      }
      done += written
    }
  }

  /// Reads exactly `buffer.count` bytes at `offset`, or throws a corruption error
  /// naming the file if it ends first.
  func readExactly(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64)
    throws(StateLogError)
  {
    var done = 0
    while done < buffer.count {
      let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
      let count = try read(file, into: rest, at: offset + UInt64(done))
      if count == 0 {
        throw StateLogError(
          .corruption, "unexpected end of file reading \(buffer.count) bytes",
          file: file.path, offset: offset)
      }
      done += count
    }
  }

  /// Reads `count` bytes at `offset` into a new array.
  func readBytes(_ file: FileHandle, count: Int, at offset: UInt64) throws(StateLogError) -> [UInt8] {
    // Not zero-filled first: the read fills every byte or throws.
    try [UInt8](unsafeUninitializedCapacity: count) { (buffer, initialized) throws(StateLogError) in
      try readExactly(file, into: UnsafeMutableRawBufferPointer(buffer), at: offset)
      initialized = count
    }
  }

  /// Reads a whole small file from its start, without asking its size first:
  /// one read for a file that fits the first buffer.
  ///
  /// - Returns: The file's bytes, or `nil` if it holds more than `limit` bytes.
  func readToEnd(_ file: FileHandle, limit: Int) throws(StateLogError) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: min(4 << 10, limit + 1))
    var count = 0
    while true {
      let read = try StateLogError.typed {
        try bytes.withUnsafeMutableBytes { (raw) throws(StateLogError) in
          try self.read(file, into: UnsafeMutableRawBufferPointer(rebasing: raw[count...]), at: UInt64(count))
        }
      }
      if read == 0 { break }
      count += read
      if count > limit { return nil }
      if count == bytes.count {
        bytes.append(contentsOf: repeatElement(0, count: min(bytes.count, limit + 1 - count)))
      }
    }
    bytes.removeLast(bytes.count - count)
    return bytes
  }

  /// Writes a whole file under a temporary name, syncs it, and renames it into place,
  /// so that readers see either the old file or the complete new one.
  func writeFileAtomically(_ path: String, _ bytes: [UInt8], durable: Bool) throws(StateLogError) {
    let temporary = path + ".tmp"
    if fileExists(temporary) { try remove(temporary) }
    let file = try open(temporary, mode: .createNew)
    do throws(StateLogError) {
      try StateLogError.typed { try bytes.withUnsafeBytes { try writeAll(file, $0, at: 0) } }
      if durable { try synchronize(file) }
      close(file)
    } catch {
      close(file)
      try? remove(temporary)
      throw error
    }
    try rename(temporary, to: path)
  }
}
