import Glibc

/// The production ``FileIO``: thin wrappers over POSIX calls that retry `EINTR`.
struct POSIXFileIO: FileIO {
  init() {}

  func open(_ path: String, mode: FileOpenMode) throws(StateLogError) -> FileHandle {
    let flags: Int32
    switch mode {
    case .readOnly: flags = O_RDONLY | O_CLOEXEC
    case .readWrite: flags = O_RDWR | O_CREAT | O_CLOEXEC
    case .createNew: flags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC
    }
    let descriptor = try retrying(path, "open") { Glibc.open(path, flags, 0o644) }
    return FileHandle(descriptor: Int32(descriptor), path: path)
  }

  func close(_ file: FileHandle) {
    _ = Glibc.close(file.descriptor)
  }

  func read(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64)
    throws(StateLogError) -> Int
  {
    try retrying(file.path, "read", offset: offset) {
      pread(file.descriptor, buffer.baseAddress, buffer.count, off_t(offset))
    }
  }

  func write(_ file: FileHandle, _ bytes: UnsafeRawBufferPointer, at offset: UInt64)
    throws(StateLogError) -> Int
  {
    try retrying(file.path, "write", offset: offset) {
      pwrite(file.descriptor, bytes.baseAddress, bytes.count, off_t(offset))
    }
  }

  func synchronize(_ file: FileHandle) throws(StateLogError) {
    _ = try retrying(file.path, "fdatasync") { fdatasync(file.descriptor) }
  }

  func identity(of file: FileHandle) -> FileIdentity? {
    var info = stat()
    guard fstat(file.descriptor, &info) == 0 else { return nil }
    return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
  }

  func size(of file: FileHandle) throws(StateLogError) -> UInt64 {
    var info = stat()
    _ = try retrying(file.path, "fstat") { fstat(file.descriptor, &info) }
    return UInt64(info.st_size)
  }

  func truncate(_ file: FileHandle, to length: UInt64) throws(StateLogError) {
    _ = try retrying(file.path, "ftruncate") { ftruncate(file.descriptor, off_t(length)) }
  }

  func tryLock(_ file: FileHandle) throws(StateLogError) -> Bool {
    while true {
      if flock(file.descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
      let error = Glibc.errno
      if error == EINTR { continue }
      if error == EWOULDBLOCK { return false }
      throw StateLogError(.ioFailure, "flock failed", file: file.path, errno: error)
    }
  }

  func map(_ file: FileHandle, length: Int) throws(StateLogError) -> FileMapping? {
    guard length > 0 else { return nil }
    guard let address = mmap(nil, length, PROT_READ, MAP_SHARED, file.descriptor, 0), address != MAP_FAILED
    else {
      throw StateLogError(.ioFailure, "mmap failed", file: file.path, errno: Glibc.errno)
    }
    return FileMapping(base: UnsafeRawPointer(address), count: length)
  }

  @discardableResult func createDirectory(_ path: String) throws(StateLogError) -> Bool {
    if mkdir(path, 0o755) == 0 { return true }
    if Glibc.errno == EEXIST { return false }
    throw StateLogError(.ioFailure, "mkdir failed", file: path, errno: Glibc.errno)
  }

  func synchronizeDirectory(_ path: String) throws(StateLogError) {
    let descriptor = try retrying(path, "open directory") {
      Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }
    defer { _ = Glibc.close(Int32(descriptor)) }
    _ = try retrying(path, "fsync directory") { fsync(Int32(descriptor)) }
  }

  func contentsOfDirectory(_ path: String) throws(StateLogError) -> [String]? {
    guard let directory = opendir(path) else {
      let error = Glibc.errno
      if error == ENOENT { return nil }
      throw StateLogError(.ioFailure, "cannot list directory", file: path, errno: error)
    }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  func rename(_ source: String, to destination: String) throws(StateLogError) {
    _ = try retrying(source, "rename to \(destination)") { Glibc.rename(source, destination) }
  }

  func remove(_ path: String) throws(StateLogError) {
    _ = try retrying(path, "unlink") { unlink(path) }
  }

  func fileExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
  }

  /// Runs a system call until it does not fail with `EINTR`; a negative result
  /// becomes an ``StateLogError/Code/ioFailure`` naming the operation and file.
  private func retrying<Result: BinaryInteger>(
    _ path: String, _ operation: String, offset: UInt64? = nil, _ call: () -> Result
  ) throws(StateLogError) -> Int {
    while true {
      let result = call()
      if result >= 0 { return Int(result) }
      let error = Glibc.errno
      if error == EINTR { continue }
      throw StateLogError(.ioFailure, "\(operation) failed", file: path, offset: offset, errno: error)
    }
  }
}
