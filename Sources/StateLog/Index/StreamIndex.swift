/// Every stream's positions across the log: version to sequence, in memory.
///
/// Versions are dense, so a stream's positions are its first version plus the
/// sequence number of each version in order: 8 bytes per event, and looking up
/// a version is one array access.
struct StreamIndex: Sendable {
  struct Positions: Hashable, Sendable {
    var firstVersion: UInt64
    var sequences: [UInt64]
    var lastVersion: UInt64 { firstVersion + UInt64(sequences.count) - 1 }
  }

  private(set) var streams: [ExactName: Positions] = [:]
  /// For each stream that retention shortened, the last version it removed;
  /// the stream's stored events start right after it.
  private(set) var retired: [ExactName: UInt64] = [:]

  init(retired: [ExactName: UInt64] = [:]) {
    self.retired = retired
  }

  /// The stream's last version, or 0 if it has no events (removed ones count).
  func lastVersion(of stream: ExactName) -> UInt64 {
    streams[stream]?.lastVersion ?? retired[stream] ?? 0
  }

  /// The version the stream had just before sequence `sequence` (removed
  /// versions count): its last version if `sequence` is past its end, the
  /// last removed one if `sequence` is 0.
  func version(of stream: ExactName, before sequence: UInt64) -> UInt64 {
    guard let positions = streams[stream] else { return retired[stream] ?? 0 }
    return positions.firstVersion - 1 + UInt64(positions.sequences.partitioningIndex { $0 >= sequence })
  }

  /// Drops every position below `horizon`, remembering per stream the last
  /// version dropped.
  mutating func retire(before horizon: UInt64) {
    for (stream, positions) in streams {
      let count = positions.sequences.partitioningIndex { $0 >= horizon }
      guard count > 0 else { continue }
      retired[stream] = positions.firstVersion + UInt64(count) - 1
      if count == positions.sequences.count {
        streams[stream] = nil
      } else {
        streams[stream] = Positions(
          firstVersion: positions.firstVersion + UInt64(count),
          sequences: Array(positions.sequences[count...]))
      }
    }
  }

  func positions(of stream: ExactName) -> Positions? {
    streams[stream]
  }

  /// Appends one append's new positions of `stream`, which continue it.
  mutating func append(_ stream: ExactName, _ run: StreamRun) {
    // Appending through `values` does not look the key up again.
    if let positions = streams.index(forKey: stream) {
      streams.values[positions].sequences.append(contentsOf: run.sequences)
    } else {
      streams[stream] = Positions(firstVersion: run.firstVersion, sequences: run.sequences)
    }
  }

  /// Adds one segment's runs; a run must continue its stream without a gap.
  ///
  /// - Returns: A description of the first gap found, or `nil`.
  mutating func merge(_ runs: [ExactName: StreamRun]) -> String? {
    for (stream, run) in runs {
      let expected = lastVersion(of: stream) + 1
      guard run.firstVersion == expected else {
        return "stream \(stream.string) jumps from version \(expected - 1) to \(run.firstVersion)"
      }
      if streams[stream] == nil {
        streams[stream] = Positions(firstVersion: run.firstVersion, sequences: run.sequences)
      } else {
        streams[stream]!.sequences.append(contentsOf: run.sequences)
      }
    }
    return nil
  }
}
