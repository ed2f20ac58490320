import Glibc
import Synchronization

@testable import StateLog

/// A ``FileIO`` that passes calls to the real file system until a rule says to
/// fail one: with an errno, or as a short write.
final class FaultInjectingFileIO: FileIO {
  enum Operation: Hashable, Sendable {
    case open, read, write, synchronize, synchronizeDirectory, list, truncate, rename, remove, map, lock
  }

  enum Fault: Sendable {
    case error(Int32)
    /// Writes only this many bytes, then reports success (a short write).
    case shortWrite(Int)
  }

  struct Rule: Sendable {
    var operation: Operation
    /// Calls of `operation` to let through before the fault.
    var after: Int
    var fault: Fault
    /// Whether the fault repeats on every later call.
    var sticky: Bool
  }

  private let base = POSIXFileIO()
  /// Whether files may be memory-mapped. Off by default, so that every read
  /// goes through ``read(_:into:at:)`` where faults are injected.
  private let mapsFiles: Bool
  private let synchronizeHook = Mutex<(@Sendable () -> Void)?>(nil)

  init(mapsFiles: Bool = false) {
    self.mapsFiles = mapsFiles
  }

  /// Runs `hook` before every fsync of a file, for tests that need to hold one
  /// back while other threads work.
  func beforeSynchronize(_ hook: @escaping @Sendable () -> Void) {
    synchronizeHook.withLock { $0 = hook }
  }
  private let state = Mutex<(rules: [Rule], counts: [Operation: Int], injected: Int)>(([], [:], 0))

  /// Fails the `after`+1-th call of `operation` (counting from now) with `fault`.
  func inject(_ fault: Fault, on operation: Operation, after: Int = 0, sticky: Bool = false) {
    state.withLock { state in
      state.rules.append(
        Rule(
          operation: operation, after: (state.counts[operation] ?? 0) + after, fault: fault, sticky: sticky))
    }
  }

  func clear() { state.withLock { $0.rules.removeAll() } }

  /// How many faults were injected so far.
  var injectedCount: Int { state.withLock { $0.injected } }

  /// How many calls of `operation` were made so far.
  func count(_ operation: Operation) -> Int { state.withLock { $0.counts[operation] ?? 0 } }

  private func check(_ operation: Operation, path: String) throws(StateLogError) -> Fault? {
    let fault: Fault? = state.withLock { state in
      let count = state.counts[operation] ?? 0
      state.counts[operation] = count + 1
      guard
        let index = state.rules.firstIndex(where: {
          $0.operation == operation && ($0.sticky ? count >= $0.after : count == $0.after)
        })
      else { return nil }
      state.injected += 1
      let rule = state.rules[index]
      if !rule.sticky { state.rules.remove(at: index) }
      return rule.fault
    }
    if case .error(let code) = fault {
      throw StateLogError(.ioFailure, "injected \(operation) failure", file: path, errno: code)
    }
    return fault
  }

  func open(_ path: String, mode: FileOpenMode) throws(StateLogError) -> StateLog.FileHandle {
    _ = try check(.open, path: path)
    return try base.open(path, mode: mode)
  }

  func close(_ file: StateLog.FileHandle) { base.close(file) }

  /// The largest buffer any read asked to fill: what a reader allocated for it.
  var largestRead: Int { largest.withLock { $0 } }
  private let largest = Mutex(0)

  /// The bytes every read so far returned: what readers copied out of files.
  var bytesRead: Int { totalRead.withLock { $0 } }
  private let totalRead = Mutex(0)

  func read(_ file: StateLog.FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64)
    throws(StateLogError) -> Int
  {
    _ = try check(.read, path: file.path)
    largest.withLock { $0 = max($0, buffer.count) }
    let count = try base.read(file, into: buffer, at: offset)
    totalRead.withLock { $0 += count }
    return count
  }

  func map(_ file: StateLog.FileHandle, length: Int) throws(StateLogError) -> FileMapping? {
    guard mapsFiles else { return nil }
    _ = try check(.map, path: file.path)
    return try base.map(file, length: length)
  }

  func write(_ file: StateLog.FileHandle, _ bytes: UnsafeRawBufferPointer, at offset: UInt64)
    throws(StateLogError) -> Int
  {
    if case .shortWrite(let count) = try check(.write, path: file.path) {
      let prefix = UnsafeRawBufferPointer(rebasing: bytes[0..<min(count, bytes.count)])
      return try base.write(file, prefix, at: offset)
    }
    return try base.write(file, bytes, at: offset)
  }

  func synchronize(_ file: StateLog.FileHandle) throws(StateLogError) {
    _ = try check(.synchronize, path: file.path)
    synchronizeHook.withLock { $0 }?()
    try base.synchronize(file)
  }

  func size(of file: StateLog.FileHandle) throws(StateLogError) -> UInt64 { try base.size(of: file) }

  func truncate(_ file: StateLog.FileHandle, to length: UInt64) throws(StateLogError) {
    _ = try check(.truncate, path: file.path)
    try base.truncate(file, to: length)
  }

  func tryLock(_ file: StateLog.FileHandle) throws(StateLogError) -> Bool {
    _ = try check(.lock, path: file.path)
    return try base.tryLock(file)
  }

  func identity(of file: StateLog.FileHandle) -> FileIdentity? { base.identity(of: file) }

  @discardableResult func createDirectory(_ path: String) throws(StateLogError) -> Bool {
    try base.createDirectory(path)
  }

  func synchronizeDirectory(_ path: String) throws(StateLogError) {
    _ = try check(.synchronizeDirectory, path: path)
    try base.synchronizeDirectory(path)
  }

  func contentsOfDirectory(_ path: String) throws(StateLogError) -> [String]? {
    _ = try check(.list, path: path)
    return try base.contentsOfDirectory(path)
  }

  func rename(_ source: String, to destination: String) throws(StateLogError) {
    _ = try check(.rename, path: source)
    try base.rename(source, to: destination)
  }

  func remove(_ path: String) throws(StateLogError) {
    _ = try check(.remove, path: path)
    try base.remove(path)
  }

  func fileExists(_ path: String) -> Bool { base.fileExists(path) }
}
