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
  /// Once-per-process upkeep already done, per stream.
  private let choresDone = Mutex<Set<StreamChore>>([])

  /// Upkeep of a stream's snapshot folder that one success per process covers.
  struct StreamChore: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
      /// The stream's leftover temporary files are removed. Only a crash
      /// leaves them, so one sweep per stream and process finds them all.
      case temporaryFilesSwept
      /// The names of the stream's snapshot folder and of the `snapshots`
      /// folder are durable.
      case folderDurable
    }
    var kind: Kind
    var stream: String
  }

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

  /// Whether this process has done `kind` for `stream`.
  func hasDone(_ kind: StreamChore.Kind, for stream: String) -> Bool {
    choresDone.withLock { $0.contains(StreamChore(kind: kind, stream: stream)) }
  }

  /// Records that `kind` is done for `stream`; call it only once it succeeded.
  func recordDone(_ kind: StreamChore.Kind, for stream: String) {
    _ = choresDone.withLock { $0.insert(StreamChore(kind: kind, stream: stream)) }
  }
}
