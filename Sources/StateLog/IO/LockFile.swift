import Glibc
import Synchronization

/// The writer's exclusive lock on a log directory: `flock` on `LOCK`, which holds
/// the owner's pid so that a refused writer can say who holds it.
///
/// `flock` locks belong to the open file description, so a second open in the
/// same process is refused just like one in another process, and the kernel
/// releases the lock when its holder dies, even by SIGKILL.
final class LockFile: Sendable {
  let handle: FileHandle
  let io: any FileIO
  private let identity: FileIdentity?

  /// The `LOCK` files a `Log` of this process holds.
  private static let held = Mutex<Set<FileIdentity>>([])
  /// How long a lock this process seems to hold, though no `Log` of it does, is
  /// waited for before the open is refused.
  static let strayLockPatience: Int64 = 2_000_000_000

  /// Takes the writer's lock on `directory`.
  ///
  /// A second open in this process of a directory a `Log` of it holds is
  /// refused at once. A lock held by a copy of this process's descriptor
  /// that no `Log` owns is waited for, up to ``strayLockPatience``: a thread
  /// that spawns a process (an agent running a tool) forks, and until the
  /// child calls `exec`, which closes the descriptor (`O_CLOEXEC`), the child
  /// shares the lock of every `LOCK` the parent had open at the fork; a log
  /// closed and reopened meanwhile found itself locked by its own pid.
  ///
  /// - Throws: ``StateLogError/Code/locked`` naming the holder's pid, or an I/O error.
  init(directory: String, io: any FileIO) throws(StateLogError) {
    let handle = try io.open(directory + "/" + SegmentName.lockFile, mode: .readWrite)
    let identity = io.identity(of: handle)
    do throws(StateLogError) {
      if let identity, !Self.held.withLock({ $0.insert(identity).inserted }) {
        throw Self.lockedError(holder: getpid())
      }
      do throws(StateLogError) {
        let deadline = Self.now() + Self.strayLockPatience
        var pause = 1_000_000
        while try !io.tryLock(handle) {
          let holder = Self.readPID(handle, io: io)
          guard identity != nil, holder == getpid(), Self.now() < deadline else {
            throw Self.lockedError(holder: holder)
          }
          var interval = timespec(tv_sec: 0, tv_nsec: pause)
          nanosleep(&interval, nil)
          pause = min(pause * 2, 50_000_000)
        }
        let text = Array("\(getpid())\n".utf8)
        try io.truncate(handle, to: 0)
        try StateLogError.typed { try text.withUnsafeBytes { try io.writeAll(handle, $0, at: 0) } }
      } catch {
        if let identity { Self.held.withLock { _ = $0.remove(identity) } }
        throw error
      }
    } catch {
      io.close(handle)
      throw error
    }
    self.handle = handle
    self.io = io
    self.identity = identity
  }

  deinit {
    // Forgotten before the lock is released: an open racing with this close
    // then finds the lock taken with its own pid and waits, instead of being
    // refused as a second open.
    if let identity { Self.held.withLock { _ = $0.remove(identity) } }
    io.close(handle)
  }

  private static func lockedError(holder: Int32?) -> StateLogError {
    StateLogError(
      .locked, "log is locked by another writer (pid \(holder.map(String.init) ?? "unknown"))",
      file: SegmentName.lockFile, pid: holder)
  }

  private static func now() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
  }

  private static func readPID(_ handle: FileHandle, io: any FileIO) -> Int32? {
    var bytes = [UInt8](repeating: 0, count: 32)
    let count =
      (try? bytes.withUnsafeMutableBytes { (buffer) throws(StateLogError) in
        try io.read(handle, into: buffer, at: 0)
      }) ?? 0
    let text = String(decoding: bytes[0..<count], as: UTF8.self)
    return Int32(text.prefix(while: \.isNumber))
  }
}
