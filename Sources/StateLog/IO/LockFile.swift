import Glibc

/// The writer's exclusive lock on a log directory: `flock` on `LOCK`, which holds
/// the owner's pid so that a refused writer can say who holds it.
///
/// `flock` locks belong to the open file description, so a second open in the
/// same process is refused just like one in another process, and the kernel
/// releases the lock when its holder dies, even by SIGKILL.
final class LockFile: Sendable {
  let handle: FileHandle
  let io: any FileIO

  init(directory: String, io: any FileIO) throws(StateLogError) {
    let path = directory + "/" + SegmentName.lockFile
    let handle = try io.open(path, mode: .readWrite)
    do throws(StateLogError) {
      guard try io.tryLock(handle) else {
        let holder = Self.readPID(handle, io: io)
        throw StateLogError(
          .locked, "log is locked by another writer (pid \(holder.map(String.init) ?? "unknown"))",
          file: SegmentName.lockFile, pid: holder)
      }
      let text = Array("\(getpid())\n".utf8)
      try io.truncate(handle, to: 0)
      try StateLogError.typed { try text.withUnsafeBytes { try io.writeAll(handle, $0, at: 0) } }
    } catch {
      io.close(handle)
      throw error
    }
    self.handle = handle
    self.io = io
  }

  deinit { io.close(handle) }

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
