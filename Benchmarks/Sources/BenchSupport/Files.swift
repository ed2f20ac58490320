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
  public static func fsyncFloor(batches: Int, bytes: Int) throws -> UInt64 {
    let directory = try makeTemporaryDirectory("fsync-floor")
    defer { remove(directory) }
    let descriptor = open(directory + "/file", O_CREAT | O_WRONLY | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw BenchError("open failed: errno \(errno)") }
    defer { close(descriptor) }
    let block = [UInt8](repeating: 0x61, count: bytes)
    let start = monotonicNanoseconds()
    for index in 0..<batches {
      let written = block.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, bytes, off_t(index * bytes)) }
      guard written == bytes, fdatasync(descriptor) == 0 else { throw BenchError("write or fdatasync failed: errno \(errno)") }
    }
    return monotonicNanoseconds() - start
  }
}
