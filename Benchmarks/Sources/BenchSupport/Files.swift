import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Temporary directories for the workloads and the size of what they leave on disk.
public enum Files {
  /// The folder under which scratch directories are made: `STATELOG_BENCH_DIR`, or `/tmp`.
  /// It must be on the disk being measured (a tmpfs would make every fsync free).
  public static var root: String {
    ProcessInfo.processInfo.environment["STATELOG_BENCH_DIR"] ?? "/tmp"
  }

  /// Makes a new empty directory `<root>/statelog-bench-<label>-XXXXXX`.
  public static func makeTemporaryDirectory(_ label: String) throws -> String {
    var template = Array("\(root)/statelog-bench-\(label)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard made != nil else { throw BenchError("mkdtemp under \(root) failed: errno \(errno)") }
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
  }

  /// Removes a directory made by ``makeTemporaryDirectory(_:)`` and everything in it.
  public static func remove(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
  }

  /// The apparent size (sum of `st_size`) and the allocated size (`st_blocks` × 512)
  /// of every regular file under `path`.
  public static func size(of path: String) -> (bytes: Int, allocated: Int) {
    var bytes = 0
    var allocated = 0
    let files = (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []
    for file in files {
      var info = stat()
      guard stat(path + "/" + file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
      bytes += Int(info.st_size)
      allocated += Int(info.st_blocks) * 512
    }
    return (bytes, allocated)
  }
}

extension Files {
  /// What the disk allows W1 at most: appends `batches` blocks of `bytes` bytes
  /// to a file, each followed by `fdatasync`, as a log with one fsync per batch
  /// would at the least. Returns the nanoseconds taken.
  ///
  /// - Parameter overwriting: Whether the blocks overwrite a file already
  ///   written to its full size and synced, instead of extending it. Then
  ///   `fdatasync` has no new size or block allocation to commit to the file
  ///   system's journal, only the data (as for SQLite's WAL, which is reused
  ///   from its start after each checkpoint), and on ext4 it is cheaper.
  public static func fsyncFloor(batches: Int, bytes: Int, overwriting: Bool = false) throws -> UInt64 {
    let directory = try makeTemporaryDirectory("fsync-floor")
    defer { remove(directory) }
    let descriptor = open(directory + "/file", O_CREAT | O_WRONLY | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw BenchError("open failed: errno \(errno)") }
    defer { close(descriptor) }
    if overwriting {
      let file = [UInt8](repeating: 0, count: batches * bytes)
      let written = file.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, file.count, 0) }
      guard written == file.count, fsync(descriptor) == 0 else {
        throw BenchError("write or fsync failed: errno \(errno)")
      }
    }
    let block = [UInt8](repeating: 0x61, count: bytes)
    let start = monotonicNanoseconds()
    for index in 0..<batches {
      let written = block.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, bytes, off_t(index * bytes)) }
      guard written == bytes, fdatasync(descriptor) == 0 else {
        throw BenchError("write or fdatasync failed: errno \(errno)")
      }
    }
    return monotonicNanoseconds() - start
  }
}

extension Files {
  /// The size of the file at `path`.
  public static func fileSize(_ path: String) throws -> UInt64 {
    var info = stat()
    guard stat(path, &info) == 0 else { throw BenchError("stat \(path) failed: errno \(errno)") }
    return UInt64(info.st_size)
  }

  /// The bytes of the file at `path` from `offset` to its end.
  public static func readBytes(_ path: String, from offset: UInt64) throws -> [UInt8] {
    let size = try fileSize(path)
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw BenchError("open \(path) failed: errno \(errno)") }
    defer { close(descriptor) }
    let count = Int(size - min(offset, size))
    var bytes = [UInt8](repeating: 0, count: count)
    let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
    guard read == count else { throw BenchError("pread \(path) failed: errno \(errno)") }
    return bytes
  }

  /// Writes `bytes` into the file at `path` at `offset`.
  public static func writeBytes(_ bytes: [UInt8], to path: String, at offset: UInt64) throws {
    let descriptor = open(path, O_WRONLY)
    guard descriptor >= 0 else { throw BenchError("open \(path) failed: errno \(errno)") }
    defer { close(descriptor) }
    let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, bytes.count, off_t(offset)) }
    guard written == bytes.count else { throw BenchError("pwrite \(path) failed: errno \(errno)") }
  }

  /// Cuts the file at `path` to `size` bytes.
  public static func truncateFile(_ path: String, to size: UInt64) throws {
    guard truncate(path, off_t(size)) == 0 else {
      throw BenchError("truncate \(path) failed: errno \(errno)")
    }
  }

  /// Writes every dirty page out (`sync`), then asks the kernel to drop its
  /// page, dentry and inode caches, so that the next read comes from the disk.
  /// Needs root; returns `false` if the kernel refused.
  public static func dropCaches() -> Bool {
    sync()
    let descriptor = open("/proc/sys/vm/drop_caches", O_WRONLY)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    return write(descriptor, "3", 1) == 1
  }
}
