/// Every stream's positions across the log: version to sequence, in memory.
///
/// Versions are dense, so a stream's positions are its first version plus the
/// sequence number of each version in order: 8 bytes per event, and looking up
/// a version is a search among the stream's runs (about one per segment) and one
/// array access.
struct StreamIndex: Sendable {
  /// A stream's sequences, version by version, kept as the runs they were
  /// loaded in (about one per segment's index; short ones are extended
  /// instead) and appended to: opening a log concatenates nothing, where
  /// copying every stream's positions into one array was a third of opening
  /// a million-event log.
  struct Positions: Sendable {
    var firstVersion: UInt64
    /// The runs of sequences, none empty, in version order.
    private(set) var runs: [[UInt64]]
    /// How many versions come before each run.
    private var runStarts: [Int]

    var count: Int { runStarts[runStarts.count - 1] + runs[runs.count - 1].count }

    /// - Precondition: `sequences` is not empty.
    init(firstVersion: UInt64, sequences: [UInt64]) {
      precondition(!sequences.isEmpty, "a stream's positions start with at least one")
      self.firstVersion = firstVersion
      runs = [sequences]
      runStarts = [0]
    }

    var lastVersion: UInt64 { firstVersion + UInt64(count) - 1 }

    /// The sequence of version `firstVersion + offset`.
    ///
    /// - Complexity: O(log r) for r runs.
    func sequence(at offset: Int) -> UInt64 {
      let run = runStarts.count == 1 ? 0 : runStarts.partitioningIndex { $0 > offset } - 1
      return runs[run][offset - runStarts[run]]
    }

    /// The sequences of versions `firstVersion + offsets`, in order, up to the
    /// first that is not below `limit`.
    func sequences(at offsets: ClosedRange<Int>, below limit: UInt64) -> [UInt64] {
      var result: [UInt64] = []
      result.reserveCapacity(offsets.count)
      var run = runStarts.partitioningIndex { $0 > offsets.lowerBound } - 1
      var offset = offsets.lowerBound
      while offset <= offsets.upperBound {
        let start = offset - runStarts[run]
        let end = min(runs[run].count, offsets.upperBound - runStarts[run] + 1)
        for sequence in runs[run][start..<end] {
          guard sequence < limit else { return result }
          result.append(sequence)
        }
        offset = runStarts[run] + end
        run += 1
      }
      return result
    }

    /// How many of the stream's sequences are below `sequence`.
    func count(below sequence: UInt64) -> Int {
      let run = runs.partitioningIndex { $0[$0.count - 1] >= sequence }
      guard run < runs.count else { return count }
      return runStarts[run] + runs[run].partitioningIndex { $0 >= sequence }
    }

    mutating func append(contentsOf sequences: [UInt64]) {
      guard !sequences.isEmpty else { return }
      runs[runs.count - 1].append(contentsOf: sequences)
    }

    /// Adds a segment's run: as a run of its own, or, if the last run is
    /// short, at its end, so that a reader refreshing after every append does
    /// not keep one small array per refresh.
    mutating func append(run sequences: [UInt64]) {
      guard !sequences.isEmpty else { return }
      if runs[runs.count - 1].count < Self.shortRun { return append(contentsOf: sequences) }
      runStarts.append(count)
      runs.append(sequences)
    }

    /// Runs shorter than this are extended rather than followed by another.
    static let shortRun = 4096

    /// The positions without their first `dropped` versions, or `nil` if none remain.
    func dropping(first dropped: Int) -> Positions? {
      guard dropped < count else { return nil }
      guard dropped > 0 else { return self }
      let run = runStarts.partitioningIndex { $0 > dropped } - 1
      var rest = Positions(
        firstVersion: firstVersion + UInt64(dropped),
        sequences: Array(runs[run][(dropped - runStarts[run])...]))
      for later in runs[(run + 1)...] { rest.append(run: later) }
      return rest
    }
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
    return positions.firstVersion - 1 + UInt64(positions.count(below: sequence))
  }

  /// Drops every position below `horizon`, remembering per stream the last
  /// version dropped.
  mutating func retire(before horizon: UInt64) {
    for (stream, positions) in streams {
      let count = positions.count(below: horizon)
      guard count > 0 else { continue }
      retired[stream] = positions.firstVersion + UInt64(count) - 1
      streams[stream] = positions.dropping(first: count)
    }
  }

  func positions(of stream: ExactName) -> Positions? {
    streams[stream]
  }

  /// Appends one append's new positions of `stream`, which continue it.
  mutating func append(_ stream: ExactName, _ run: StreamRun) {
    // Appending through `values` does not look the key up again.
    if let positions = streams.index(forKey: stream) {
      streams.values[positions].append(contentsOf: run.sequences)
    } else {
      streams[stream] = Positions(firstVersion: run.firstVersion, sequences: run.sequences)
    }
  }

  /// Adds one segment's runs; a run must continue its stream without a gap.
  ///
  /// - Returns: A description of the first gap found, or `nil`.
  mutating func merge(_ runs: [ExactName: StreamRun]) -> String? {
    for (stream, run) in runs where !run.sequences.isEmpty {
      let expected = lastVersion(of: stream) + 1
      guard run.firstVersion == expected else {
        return "stream \(stream.string) jumps from version \(expected - 1) to \(run.firstVersion)"
      }
      if let positions = streams.index(forKey: stream) {
        streams.values[positions].append(run: run.sequences)
      } else {
        streams[stream] = Positions(firstVersion: run.firstVersion, sequences: run.sequences)
      }
    }
    return nil
  }
}
