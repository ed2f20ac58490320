import TestSupport
import Testing

@testable import StateLog

@Suite("Reading whole files")
struct ReadToEndTests {
  static let limit = 10_000

  /// Files around the first buffer's size (4 KiB) and the limit.
  @Test(
    "a file is read whole, whatever its size up to the limit",
    arguments: [0, 1, 4_095, 4_096, 4_097, 8_193, limit])
  func wholeFile(size: Int) throws {
    let directory = TemporaryDirectory("read-to-end")
    let io = POSIXFileIO()
    let path = directory.path + "/file"
    let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    try io.writeFileAtomically(path, bytes, durable: false)
    let file = try io.open(path, mode: .readOnly)
    defer { io.close(file) }
    #expect(try io.readToEnd(file, limit: Self.limit) == bytes)
  }

  @Test("a file larger than the limit is refused, not read whole", arguments: [limit + 1, 3 * limit])
  func tooLarge(size: Int) throws {
    let directory = TemporaryDirectory("read-to-end")
    let io = POSIXFileIO()
    let path = directory.path + "/file"
    try io.writeFileAtomically(path, [UInt8](repeating: 1, count: size), durable: false)
    let file = try io.open(path, mode: .readOnly)
    defer { io.close(file) }
    #expect(try io.readToEnd(file, limit: Self.limit) == nil)
  }
}
