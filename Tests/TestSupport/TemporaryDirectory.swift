import Glibc

/// A fresh directory under the system's temporary directory, removed with its
/// contents when the value is released.
public final class TemporaryDirectory {
  public let path: String

  public init(_ label: String = "statelog") {
    var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
    let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(result != nil, "mkdtemp failed")
    path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// A path inside the directory.
  public func child(_ name: String) -> String { path + "/" + name }

  deinit { Self.removeTree(path) }

  public static func removeTree(_ path: String) {
    if let directory = opendir(path) {
      while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
          String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
        if name == "." || name == ".." { continue }
        let child = path + "/" + name
        if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(child) } else { unlink(child) }
      }
      closedir(directory)
    }
    rmdir(path)
  }
}

/// Small file helpers for tests that damage logs on purpose.
public enum Files {
  public static func read(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { return [] }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = fread(&chunk, 1, chunk.count, file)
      if count == 0 { break }
      bytes.append(contentsOf: chunk[0..<count])
    }
    return bytes
  }

  public static func write(_ path: String, _ bytes: [UInt8]) {
    let file = fopen(path, "wb")!
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
  }

  public static func list(_ path: String) -> [String] {
    var names: [String] = []
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  /// Flips one bit of the byte at `offset` of a file in place, keeping its
  /// inode (as bit rot would, under a reader that has the file open or mapped).
  public static func flipBit(in path: String, at offset: Int) {
    let descriptor = open(path, O_RDWR)
    precondition(descriptor >= 0, "cannot open \(path)")
    defer { close(descriptor) }
    var byte: UInt8 = 0
    precondition(pread(descriptor, &byte, 1, off_t(offset)) == 1)
    byte ^= 0x10
    precondition(pwrite(descriptor, &byte, 1, off_t(offset)) == 1)
  }

  public static func remove(_ path: String) { unlink(path) }

  public static func copyDirectory(_ source: String, to destination: String) {
    mkdir(destination, 0o755)
    for name in list(source) { write(destination + "/" + name, read(source + "/" + name)) }
  }
}
