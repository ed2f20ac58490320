import Glibc
import Synchronization

@testable import StateLog

/// An in-memory file system behind the ``FileIO`` seam that knows what an
/// fsync made durable, and can "lose power": then every file keeps only its
/// content as of its last `fdatasync` (plus, optionally, a torn part of what
/// was written after it) and every directory only the entries it had at its
/// last directory fsync.
///
/// It can also crash the workload at its N-th operation, so that a test can
/// power off at every step of a workload in turn.
final class PowerLossFileIO: FileIO {
  /// Thrown by the operation at which the simulated crash happens.
  static let crashErrno: Int32 = 999_999

  private struct Inode {
    var content: [UInt8] = []
    var durable: [UInt8] = []
  }

  private struct State {
    var inodes: [Int32: Inode] = [:]
    var nextInode: Int32 = 3
    /// The live directory entries: path to inode.
    var names: [String: Int32] = [:]
    /// Directory entries as of each directory's last fsync, by directory.
    var durableNames: [String: [String: Int32]] = [:]
    var directories: Set<String> = []
    var operations = 0
    var crashAt: Int?
    var crashed = false
    var fault: (operation: Int, fault: Fault)?
    var faulted: Operation?
    var faultedPath: String?
  }

  /// What an injected fault does to the one operation it hits.
  enum Fault: Sendable {
    /// The operation fails with this errno and changes nothing.
    case error(Int32)
    /// A write stores only the first half of its bytes and says so; other
    /// operations are not affected.
    case shortWrite
  }

  /// The kinds of operation, to tell which one a fault hit.
  enum Operation: Sendable, Equatable {
    case open, read, write, synchronize, size, truncate, createDirectory, synchronizeDirectory, list, rename,
      remove
  }

  private let state = Mutex(State())

  init(directories: [String]) {
    state.withLock { state in
      for directory in directories {
        state.directories.insert(directory)
        state.durableNames[directory] = [:]
      }
    }
  }

  /// Crashes the operation numbered `operation` (counting from 0) and every one after it.
  func crash(atOperation operation: Int?) {
    state.withLock {
      $0.crashAt = operation
      $0.operations = 0
      $0.crashed = false
    }
  }

  /// Hits the operation numbered `operation` (counting from now) with
  /// `fault`; the operations after it work.
  func inject(_ fault: Fault, atOperation operation: Int) {
    state.withLock {
      $0.fault = ($0.operations + operation, fault)
      $0.faulted = nil
      $0.faultedPath = nil
    }
  }

  /// The kind of operation the injected fault hit, if it fired.
  var faultedOperation: Operation? { state.withLock { $0.faulted } }

  /// The file or directory the injected fault hit, if it fired.
  var faultedPath: String? { state.withLock { $0.faultedPath } }

  /// A copy of the file system as it is now, live and durable parts alike,
  /// with no crash or fault pending.
  func copy() -> PowerLossFileIO {
    let copy = PowerLossFileIO(directories: [])
    let current = state.withLock { $0 }
    copy.state.withLock { state in
      state = current
      state.operations = 0
      state.crashAt = nil
      state.crashed = false
      state.fault = nil
      state.faulted = nil
    }
    return copy
  }

  var operationCount: Int { state.withLock { $0.operations } }

  /// The segment files that exist now.
  func segmentNames() -> [String] {
    state.withLock { $0.names.keys.filter { $0.hasSuffix(".seg") } }
  }
  var didCrash: Bool { state.withLock { $0.crashed } }

  /// Loses power: every directory goes back to its last synced entries and
  /// every file to its last synced content, plus, when `tornBytes` gives a
  /// count for it, that many bytes of what was written after.
  func losePower(tornBytes: (Int) -> Int = { _ in 0 }) {
    state.withLock { state in
      var names: [String: Int32] = [:]
      for (_, entries) in state.durableNames { names.merge(entries) { $1 } }
      var inodes: [Int32: Inode] = [:]
      for inode in Set(names.values) {
        guard var node = state.inodes[inode] else { continue }
        let unsynced = node.content.count > node.durable.count ? node.content.count - node.durable.count : 0
        let torn = min(unsynced, tornBytes(unsynced))
        if torn > 0 && node.content.starts(with: node.durable) {
          node.durable = Array(node.content[0..<(node.durable.count + torn)])
        }
        node.content = node.durable
        inodes[inode] = node
      }
      state.inodes = inodes
      state.names = names
      state.crashAt = nil
      state.crashed = false
    }
  }

  /// Counts an operation, and throws if it is the crash (or after it) or
  /// hit by an injected error; returns `true` if it is to be a short write.
  @discardableResult
  private func step(_ path: String, _ operation: Operation) throws(StateLogError) -> Bool {
    let (crash, fault) = state.withLock { state -> (Bool, Fault?) in
      defer { state.operations += 1 }
      if state.crashed { return (true, nil) }
      if let crashAt = state.crashAt, state.operations >= crashAt {
        state.crashed = true
        return (true, nil)
      }
      guard let pending = state.fault, pending.operation == state.operations else { return (false, nil) }
      if case .shortWrite = pending.fault, operation != .write { return (false, nil) }
      state.faulted = operation
      state.faultedPath = path
      return (false, pending.fault)
    }
    if crash { throw StateLogError(.ioFailure, "simulated power loss", file: path, errno: Self.crashErrno) }
    switch fault {
    case .error(let code):
      throw StateLogError(.ioFailure, "injected \(operation) failure", file: path, errno: code)
    case .shortWrite: return true
    case nil: return false
    }
  }

  private static func parent(_ path: String) -> String {
    String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
  }

  private func failure(_ message: String, _ path: String, _ code: Int32) -> StateLogError {
    StateLogError(.ioFailure, message, file: path, errno: code)
  }

  func open(_ path: String, mode: FileOpenMode) throws(StateLogError) -> StateLog.FileHandle {
    try step(path, .open)
    return try state.withLock { (state) throws(StateLogError) -> StateLog.FileHandle in
      if let inode = state.names[path] {
        if mode == .createNew { throw failure("open failed", path, EEXIST) }
        return StateLog.FileHandle(descriptor: inode, path: path)
      }
      guard mode != .readOnly else { throw failure("open failed", path, ENOENT) }
      guard state.directories.contains(Self.parent(path)) else { throw failure("open failed", path, ENOENT) }
      let inode = state.nextInode
      state.nextInode += 1
      state.inodes[inode] = Inode()
      state.names[path] = inode
      return StateLog.FileHandle(descriptor: inode, path: path)
    }
  }

  func close(_ file: StateLog.FileHandle) {}

  func read(_ file: StateLog.FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64)
    throws(StateLogError) -> Int
  {
    try step(file.path, .read)
    return state.withLock { state in
      let content = state.inodes[file.descriptor]?.content ?? []
      guard offset < UInt64(content.count) else { return 0 }
      let count = min(buffer.count, content.count - Int(offset))
      content.withUnsafeBytes { source in
        buffer.baseAddress!.copyMemory(from: source.baseAddress! + Int(offset), byteCount: count)
      }
      return count
    }
  }

  func write(_ file: StateLog.FileHandle, _ bytes: UnsafeRawBufferPointer, at offset: UInt64)
    throws(StateLogError) -> Int
  {
    let short = try step(file.path, .write)
    let bytes = short ? UnsafeRawBufferPointer(rebasing: bytes[0..<((bytes.count + 1) / 2)]) : bytes
    state.withLock { state in
      var content = state.inodes[file.descriptor]?.content ?? []
      let end = Int(offset) + bytes.count
      if content.count < end { content += [UInt8](repeating: 0, count: end - content.count) }
      content.withUnsafeMutableBytes { target in
        (target.baseAddress! + Int(offset)).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
      }
      state.inodes[file.descriptor]?.content = content
    }
    return bytes.count
  }

  func synchronize(_ file: StateLog.FileHandle) throws(StateLogError) {
    try step(file.path, .synchronize)
    state.withLock { state in
      if let content = state.inodes[file.descriptor]?.content {
        state.inodes[file.descriptor]?.durable = content
      }
    }
  }

  func size(of file: StateLog.FileHandle) throws(StateLogError) -> UInt64 {
    try step(file.path, .size)
    return state.withLock { UInt64($0.inodes[file.descriptor]?.content.count ?? 0) }
  }

  func truncate(_ file: StateLog.FileHandle, to length: UInt64) throws(StateLogError) {
    try step(file.path, .truncate)
    state.withLock { state in
      guard var node = state.inodes[file.descriptor] else { return }
      if node.content.count > Int(length) {
        node.content.removeSubrange(Int(length)...)
      } else {
        node.content += [UInt8](repeating: 0, count: Int(length) - node.content.count)
      }
      // A truncation is metadata: like the data, durable at the next fsync.
      state.inodes[file.descriptor] = node
    }
  }

  func tryLock(_ file: StateLog.FileHandle) throws(StateLogError) -> Bool { true }

  @discardableResult func createDirectory(_ path: String) throws(StateLogError) -> Bool {
    try step(path, .createDirectory)
    return state.withLock { state in
      guard state.directories.insert(path).inserted else { return false }
      state.durableNames[path] = [:]
      return true
    }
  }

  func synchronizeDirectory(_ path: String) throws(StateLogError) {
    try step(path, .synchronizeDirectory)
    state.withLock { state in
      let prefix = path + "/"
      state.durableNames[path] = state.names.filter {
        $0.key.hasPrefix(prefix) && !$0.key.dropFirst(prefix.count).contains("/")
      }
    }
  }

  func contentsOfDirectory(_ path: String) throws(StateLogError) -> [String]? {
    try step(path, .list)
    return state.withLock { state in
      guard state.directories.contains(path) else { return nil }
      let prefix = path + "/"
      var names = state.names.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        .filter { !$0.contains("/") }
      names += state.directories.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
        .map { String($0.dropFirst(prefix.count)) }
      return names
    }
  }

  func rename(_ source: String, to destination: String) throws(StateLogError) {
    try step(source, .rename)
    try state.withLock { (state) throws(StateLogError) in
      guard let inode = state.names.removeValue(forKey: source) else {
        throw failure("rename failed", source, ENOENT)
      }
      state.names[destination] = inode
    }
  }

  func remove(_ path: String) throws(StateLogError) {
    try step(path, .remove)
    try state.withLock { (state) throws(StateLogError) in
      guard state.names.removeValue(forKey: path) != nil else { throw failure("unlink failed", path, ENOENT) }
    }
  }

  func fileExists(_ path: String) -> Bool {
    state.withLock { $0.names[path] != nil || $0.directories.contains(path) }
  }
}
