import TestSupport
import Testing

@testable import StateLog

@Suite("Snapshot files")
struct SnapshotFileTests {
  /// Text that compresses like a conversation's messages.
  static func payload(size: Int) -> [UInt8] {
    var factory = EventFactory(seed: 3)
    return factory.payload(size: size)
  }

  static func snapshot(payload: [UInt8]) -> Snapshot {
    Snapshot(
      stream: "conversation/c1", sequence: 42, version: 7, timestamp: Timestamp(nanosecondsSinceEpoch: 99),
      stateVersion: 3, payload: payload)
  }

  /// The file with its fields at `[10, 12)` and `[44, 48)` replaced and the
  /// checksum made right again.
  static func patched(_ file: [UInt8], codec: UInt16? = nil, storedLength: UInt32? = nil) -> [UInt8] {
    var bytes = file
    if let codec { withUnsafeBytes(of: codec.littleEndian) { bytes.replaceSubrange(10..<12, with: $0) } }
    if let storedLength {
      withUnsafeBytes(of: storedLength.littleEndian) { bytes.replaceSubrange(44..<48, with: $0) }
    }
    let checksum = Checksum.xxh3(bytes, from: 0, to: bytes.count - 8)
    withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange((bytes.count - 8)..., with: $0) }
    return bytes
  }

  static func u16(_ bytes: [UInt8], at offset: Int) -> UInt16 {
    UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
  }

  static func u32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
  }

  @Test(
    "payloads from 4 KiB on are stored LZ4-compressed (version 2), smaller ones as they are (version 1); both read back exactly",
    arguments: [0, 1, 300, Snapshot.compressionThreshold - 1, Snapshot.compressionThreshold, 300_000])
  func compression(size: Int) throws {
    let snapshot = Self.snapshot(payload: Self.payload(size: size))
    let file = snapshot.encoded()
    #expect(Self.u32(file, at: 40) == UInt32(size))
    let stored: Int
    if size >= Snapshot.compressionThreshold {
      #expect(Self.u16(file, at: 8) == 2)
      #expect(Self.u16(file, at: 10) == 1)
      stored = Int(Self.u32(file, at: 44))
      #expect(stored < size / 2, "text compresses to less than half")
    } else {
      // Readable by a StateLog from before compression: zeros at 10 and 44.
      #expect(Self.u16(file, at: 8) == 1)
      #expect(Self.u16(file, at: 10) == 0)
      #expect(Self.u32(file, at: 44) == 0)
      stored = size
    }
    #expect(file.count == 48 + 1 + "conversation/c1".utf8.count + stored + 8)
    #expect(try Snapshot(decoding: file) == snapshot)
  }

  @Test("a version 2 file that stores its payload as it is (codec 0) reads like a version 1 file")
  func versionTwoUncompressed() throws {
    let snapshot = Self.snapshot(payload: Self.payload(size: 100))
    var file = Self.patched(snapshot.encoded(), codec: 0, storedLength: 100)
    file[8] = 2
    file = Self.patched(file)
    #expect(try Snapshot(decoding: file) == snapshot)
  }

  @Test(
    "an unknown codec, a stored length other than the payload's, a block of the wrong length, and a payload length no block can reach are damage"
  )
  func damagedFields() throws {
    // A version 2 file with codec 0, to patch.
    var small = Self.snapshot(payload: Self.payload(size: 100)).encoded()
    small[8] = 2
    small = Self.patched(small, storedLength: 100)
    let large = Self.snapshot(payload: Self.payload(size: 10_000)).encoded()
    let stored = Self.u32(large, at: 44)
    let cases: [(String, [UInt8])] = [
      ("codec 2", Self.patched(small, codec: 2)),
      ("stored length 99 of 100 bytes, codec 0", Self.patched(small, storedLength: 99)),
      ("codec 1 over bytes that are not an LZ4 block of that length", Self.patched(small, codec: 1)),
      (
        "a block that decompresses to fewer bytes than payloadLength",
        Self.patched(
          {
            var file = large
            withUnsafeBytes(of: UInt32(10_001).littleEndian) { file.replaceSubrange(40..<44, with: $0) }
            return file
          }())
      ),
      ("stored length past the end", Self.patched(large, storedLength: stored + 1)),
      (
        "a payload length of 2^30 from a block of a few kilobytes",
        Self.patched(
          {
            var file = large
            withUnsafeBytes(of: UInt32(1 << 30).littleEndian) { file.replaceSubrange(40..<44, with: $0) }
            return file
          }())
      ),
    ]
    for (name, file) in cases {
      #expect(throws: DecodingFailure.self, "\(name)") { try Snapshot(decoding: file) }
    }
  }

  @Test("a compressed snapshot is found, matched with the log and read back through the store")
  func throughTheStore() throws {
    let directory = TemporaryDirectory("snapshot-compressed")
    let log = try Log.open(at: directory.path, options: .testing())
    let written = try log.append([NewEvent(stream: "conversation/c1", type: "t", payload: [1])])
    let position = written.positions[0]
    let snapshot = Snapshot(
      stream: "conversation/c1", sequence: position.sequence, version: position.streamVersion,
      timestamp: Timestamp(nanosecondsSinceEpoch: 0), stateVersion: 1, payload: Self.payload(size: 50_000))
    let store = SnapshotStore(log: log)
    try store.write(snapshot)
    let file = Files.read(
      store.streamDirectory("conversation/c1") + "/" + SnapshotStore.fileName(position.sequence))
    #expect(file.count < 25_000)
    #expect(store.latest(of: "conversation/c1", stateVersion: 1) == snapshot)
    let verified = try store.verify()
    #expect(verified.checked == 1 && verified.problems.isEmpty)
    try log.close()
  }
}
