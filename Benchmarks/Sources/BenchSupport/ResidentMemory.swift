import Foundation
import Glibc

/// Peak resident memory of a piece of work, as Linux accounts it
/// (`/proc/self/status`): anonymous memory plus the pages of mapped files the
/// process has touched (an engine that reads through `mmap`, as LMDB does,
/// counts the file pages it maps).
public enum ResidentMemory {
  /// Runs `body` and returns its result with the most resident memory the
  /// process held while it ran, minus what it held when it started, in bytes.
  ///
  /// Before it starts, freed heap memory is given back to the system
  /// (`malloc_trim`) and the kernel's high-water mark is reset
  /// (`/proc/self/clear_refs`), so one workload's peak does not hide in the
  /// memory the workload before it freed.
  public static func measure<Result>(_ body: () throws -> Result) throws -> (result: Result, peakBytes: Int) {
    trimHeap()
    try resetPeak()
    let before = try status("VmRSS")
    let result = try body()
    let peak = try status("VmHWM")
    return (result, max(peak - before, 0))
  }

  private static func resetPeak() throws {
    let descriptor = open("/proc/self/clear_refs", O_WRONLY)
    guard descriptor >= 0 else { throw BenchError("cannot open /proc/self/clear_refs (errno \(errno))") }
    defer { close(descriptor) }
    guard write(descriptor, "5", 1) == 1 else {
      throw BenchError("cannot reset the resident-memory high-water mark (errno \(errno))")
    }
  }

  /// `malloc_trim(0)`, looked up at run time: Swift's Glibc module does not
  /// import `malloc.h`.
  private static func trimHeap() {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
    let trim = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    _ = trim(0)
  }

  /// A `kB` field of `/proc/self/status`, in bytes.
  private static func status(_ field: String) throws -> Int {
    let text = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
      if let kilobytes = Int(line.dropFirst(field.count + 1).filter(\.isNumber)) { return kilobytes * 1024 }
    }
    throw BenchError("no \(field) in /proc/self/status")
  }
}
