import Synchronization

/// The sequences of each stream's stored snapshots, remembered so that finding
/// a snapshot does not list a directory of thousands of files on every read.
///
/// Only a writable log remembers: its writer lock makes this process the only
/// one that writes or prunes snapshots, and every change goes through
/// ``SnapshotStore``, which keeps the catalog in step. A read-only log lists
/// the directory on each lookup, since the writer changes it under its feet.
/// A remembered file that has gone anyway (removed by hand) fails to open and
/// is dropped from the list.
final class SnapshotCatalog: Sendable {
  private let streams = Mutex<[String: [UInt64]]>([:])
  private let sweptStreams = Mutex<Set<String>>([])
  private let durableFolders = Mutex<Set<String>>([])

  /// The stream's snapshot sequences, oldest first: remembered, or listed by
  /// `list` and then remembered.
  ///
  /// The listing happens under the lock, so that a snapshot written or
  /// removed meanwhile cannot be lost between the listing and the
  /// remembering: ``insert(_:of:)`` and ``remove(_:of:)`` wait for it. A
  /// stream with no snapshot is not remembered, so the catalog holds only
  /// streams that have some.
  func sequences(of stream: String, list: () throws -> [UInt64]) rethrows -> [UInt64] {
    try streams.withLock { streams in
      if let known = streams[stream] { return known }
      let listed = try list()
      if !listed.isEmpty { streams[stream] = listed }
      return listed
    }
  }

  /// Records a snapshot written at `sequence`.
  func insert(_ sequence: UInt64, of stream: String) {
    streams.withLock { streams in
      // A stream not remembered yet is listed, new snapshot included, when first read.
      guard var known = streams.removeValue(forKey: stream) else { return }
      let position = known.partitioningIndex { $0 >= sequence }
      if position == known.count || known[position] != sequence { known.insert(sequence, at: position) }
      streams[stream] = known
    }
  }

  /// Records that the snapshot at `sequence` is gone.
  func remove(_ sequence: UInt64, of stream: String) {
    streams.withLock { streams in
      guard var known = streams.removeValue(forKey: stream) else { return }
      known.removeAll { $0 == sequence }
      if !known.isEmpty { streams[stream] = known }
    }
  }

  /// Whether this process has removed the stream's leftover temporary files.
  /// Only a crash leaves them, so one sweep per stream and process finds them all.
  func hasSweptTemporaryFiles(of stream: String) -> Bool {
    sweptStreams.withLock { $0.contains(stream) }
  }

  /// Records that the stream's leftover temporary files are removed.
  func recordSweptTemporaryFiles(of stream: String) {
    _ = sweptStreams.withLock { $0.insert(stream) }
  }

  /// Whether this process has made the stream's snapshot folder's name (and
  /// the `snapshots` folder's) durable.
  func hasDurableFolder(of stream: String) -> Bool {
    durableFolders.withLock { $0.contains(stream) }
  }

  /// Records that the stream's snapshot folder's name is durable.
  func recordDurableFolder(of stream: String) {
    _ = durableFolders.withLock { $0.insert(stream) }
  }
}
