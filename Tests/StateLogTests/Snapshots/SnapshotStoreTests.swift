import TestSupport
import Testing

@testable import StateLog

@Suite("Snapshot store")
struct SnapshotStoreTests {
  private static func snapshot(of stream: String, at sequence: UInt64) -> Snapshot {
    Snapshot(
      stream: stream, sequence: sequence, version: sequence, timestamp: Timestamp(nanosecondsSinceEpoch: 0),
      stateVersion: 1, payload: [UInt8(truncatingIfNeeded: sequence)])
  }

  /// Test options whose file I/O counts every call, and that file I/O.
  private static func countingOptions() -> (LogOptions, FaultInjectingFileIO) {
    let io = FaultInjectingFileIO()
    var options = LogOptions.testing()
    options.fileIO = io
    return (options, io)
  }

  @Test("pruning after every snapshot lists the stream's folder once, not once per snapshot")
  func pruningDoesNotListEveryTime() throws {
    let directory = TemporaryDirectory("prune-listing")
    let (options, io) = Self.countingOptions()
    let log = try Log.open(at: directory.path, options: options)
    let store = SnapshotStore(log: log)
    let listingsBefore = io.count(.list)
    for sequence in UInt64(1)...200 {
      try store.write(Self.snapshot(of: "s", at: sequence))
      try store.prune("s", keep: 50)
    }
    #expect(try store.sequences(of: "s") == Array(151...200))
    // One sweep for leftover temporary files, one listing for the catalog.
    #expect(io.count(.list) - listingsBefore <= 2)
    try log.close()
  }

  @Test("a temporary file a crash left behind is removed by the first pruning of its stream after opening")
  func leftoverTemporaryFileIsSwept() throws {
    let directory = TemporaryDirectory("prune-sweep")
    var log = try Log.open(at: directory.path, options: .testing())
    var store = SnapshotStore(log: log)
    for sequence in UInt64(1)...3 { try store.write(Self.snapshot(of: "s", at: sequence)) }
    let folder = store.streamDirectory("s")
    let leftover = folder + "/" + SnapshotStore.fileName(4) + ".tmp"
    Files.write(leftover, [1, 2, 3])
    try log.close()

    log = try Log.open(at: directory.path, options: .testing())
    store = SnapshotStore(log: log)
    try store.prune("s", keep: 2)
    #expect(!Files.list(folder).contains { $0.hasSuffix(".tmp") })
    #expect(try store.sequences(of: "s") == [2, 3])
    #expect(Files.list(folder).count == 2)
    try log.close()
  }

  @Test(
    "a stream's first snapshot in a process syncs the folders holding it; later ones sync only its folder")
  func folderSyncs() throws {
    let directory = TemporaryDirectory("snapshot-syncs")
    let (options, io) = Self.countingOptions()
    var log = try Log.open(at: directory.path, options: options)
    var store = SnapshotStore(log: log)
    func syncs(_ body: () throws -> Void) rethrows -> Int {
      let before = io.count(.synchronizeDirectory)
      try body()
      return io.count(.synchronizeDirectory) - before
    }
    #expect(try syncs { try store.write(Self.snapshot(of: "s", at: 1)) } == 3)
    #expect(
      try syncs { for sequence in UInt64(2)...10 { try store.write(Self.snapshot(of: "s", at: sequence)) } }
        == 9)
    #expect(try syncs { try store.write(Self.snapshot(of: "other", at: 11)) } == 3)
    // A folder removed by hand is created again, and its new name synced.
    TemporaryDirectory.removeTree(store.streamDirectory("s"))
    #expect(try syncs { try store.write(Self.snapshot(of: "s", at: 12)) } == 3)
    try log.close()

    // A folder found existing is synced once per process: the one that made
    // it may have crashed before syncing it.
    log = try Log.open(at: directory.path, options: options)
    store = SnapshotStore(log: log)
    #expect(try syncs { try store.write(Self.snapshot(of: "s", at: 13)) } == 3)
    #expect(try syncs { try store.write(Self.snapshot(of: "s", at: 14)) } == 1)
    #expect(try store.sequences(of: "s") == [12, 13, 14])
    try log.close()
  }
}
