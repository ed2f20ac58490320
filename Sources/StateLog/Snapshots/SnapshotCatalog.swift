import Synchronization

/// The sequences of each stream's stored snapshots, remembered so that finding
/// a snapshot does not list a directory of thousands of files on every read.
///
/// Only a writable log remembers: its writer lock makes this process the only
/// one that writes or prunes snapshots, and every change goes through
/// ``SnapshotStore``, which keeps the catalog in step. A read-only log lists
/// the directory on each lookup, since the writer changes it under its feet.
/// A remembered file that has gone anyway (removed by hand) fails to open, is
/// skipped like any unusable snapshot, and makes the stream be listed again.
final class SnapshotCatalog: Sendable {
  private let streams = Mutex<[String: [UInt64]]>([:])

  /// The stream's snapshot sequences, oldest first: remembered, or listed by
  /// `list` and then remembered.
  func sequences(of stream: String, list: () throws -> [UInt64]) rethrows -> [UInt64] {
    if let known = streams.withLock({ $0[stream] }) { return known }
    let listed = try list()
    streams.withLock { $0[stream] = listed }
    return listed
  }

  /// Records a snapshot written at `sequence`, if the stream is remembered.
  func insert(_ sequence: UInt64, of stream: String) {
    streams.withLock { streams in
      guard var known = streams[stream] else { return }
      streams[stream] = nil
      let position = known.partitioningIndex { $0 >= sequence }
      if position == known.count || known[position] != sequence { known.insert(sequence, at: position) }
      streams[stream] = known
    }
  }

  /// Records that the snapshot at `sequence` was removed.
  func remove(_ sequence: UInt64, of stream: String) {
    streams.withLock { streams in
      guard var known = streams[stream] else { return }
      streams[stream] = nil
      known.removeAll { $0 == sequence }
      streams[stream] = known
    }
  }

  /// Forgets what is remembered of `stream`, so the next lookup lists it.
  func forget(_ stream: String) {
    _ = streams.withLock { $0.removeValue(forKey: stream) }
  }
}
