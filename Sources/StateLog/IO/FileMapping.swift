import Glibc

/// A read-only memory mapping of the start of a file; unmapped when the last
/// reference goes.
///
/// The engine maps segments, which only grow: every byte a reader was told is
/// committed stays as it is for as long as the mapping lives, and a reader
/// that holds the mapping keeps it alive. A mapping of a file that another
/// program truncates would fault on the lost pages (`SIGBUS`); StateLog itself
/// shrinks a segment only while it holds the log's lock and only past what any
/// reader was shown (a torn tail), so that takes a hand outside the library.
final class FileMapping: @unchecked Sendable {
  // Unchecked: the pointer is immutable after `init` and points at read-only
  // memory that lives until `deinit`, so sharing it across threads is safe.
  let base: UnsafeRawPointer
  let count: Int

  /// Takes ownership of the `count` bytes `mmap(2)` mapped at `base`.
  init(base: UnsafeRawPointer, count: Int) {
    self.base = base
    self.count = count
  }

  deinit { _ = munmap(UnsafeMutableRawPointer(mutating: base), count) }

  /// The `count` mapped bytes at `offset`, which must lie inside the mapping.
  func bytes(at offset: UInt64, count: Int) -> UnsafeRawBufferPointer {
    precondition(
      offset <= UInt64(self.count) && count <= self.count - Int(offset), "read outside a file mapping")
    return UnsafeRawBufferPointer(start: base + Int(offset), count: count)
  }
}
