public import Logging

/// Snapshots of streams' derived state, in the log's `snapshots` directory
/// (format-spec.md, "Snapshot files").
///
/// Writing is crash-safe: a snapshot is written to a temporary file, synced,
/// renamed into place and its directory synced, so a crash leaves either no
/// snapshot or a whole one. Reading skips (and logs) any snapshot that is
/// damaged, of another state version, or does not match the log, so the
/// caller falls back to replay and never gets a wrong answer.
public struct SnapshotStore: Sendable {
  public let log: Log
  let directory: String
  let logger: Logger

  public init(log: Log, logger: Logger? = nil) {
    self.log = log
    self.directory = log.directory + "/snapshots"
    self.logger = logger ?? log.logger
  }

  var io: any FileIO { log.io }

  /// A stream's snapshot directory: the stream id with every byte other than
  /// `A-Z a-z 0-9 . _ -` written as `%XX`, so any stream id is one safe name.
  package func streamDirectory(_ stream: String) -> String {
    var name: [UInt8] = []
    name.reserveCapacity(stream.utf8.count + 2)
    for byte in stream.utf8 {
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
        name.append(byte)
      default:
        name.append(UInt8(ascii: "%"))
        name.append(Self.hexDigit(byte >> 4))
        name.append(Self.hexDigit(byte & 0xF))
      }
    }
    // "." and ".." are not names a stream may take on disk.
    if (1...2).contains(name.count) && name.allSatisfy({ $0 == UInt8(ascii: ".") }) {
      return directory + "/" + String(repeating: "%2E", count: name.count)
    }
    return directory + "/" + String(decoding: name, as: UTF8.self)
  }

  private static func hexDigit(_ value: UInt8) -> UInt8 {
    value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
  }

  /// Stores a snapshot, replacing one at the same sequence.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/ioFailure``, or
  ///   ``StateLogError/Code/readOnly`` on a read-only log.
  public func write(_ snapshot: Snapshot) throws {
    guard !log.isReadOnly else {
      throw StateLogError(.readOnly, "cannot write snapshots of a log opened read-only")
    }
    guard snapshot.payload.count <= Snapshot.maximumPayloadSize else {
      throw StateLogError(.payloadTooLarge, "snapshot of \(snapshot.payload.count) bytes is too large")
    }
    let folder = streamDirectory(snapshot.stream)
    let createdSnapshotsFolder = try io.createDirectory(directory)
    let createdStreamFolder = try io.createDirectory(folder)
    try io.writeFileAtomically(
      folder + "/" + Self.fileName(snapshot.sequence), snapshot.encoded(), durable: true)
    log.snapshotCatalog.insert(snapshot.sequence, of: snapshot.stream)
    // The new name, and the folders holding it, must survive a power loss:
    // retention relies on the snapshots it takes. The folders' own names need
    // syncing once: when created, and once per process for folders found
    // existing (a process that crashed may have created them unsynced).
    // Syncing all three every time doubled the fsyncs of keeping thousands.
    try io.synchronizeDirectory(folder)
    if createdSnapshotsFolder || createdStreamFolder
      || !log.snapshotCatalog.hasDone(.folderDurable, for: snapshot.stream)
    {
      try io.synchronizeDirectory(directory)
      try io.synchronizeDirectory(log.directory)
      log.snapshotCatalog.recordDone(.folderDurable, for: snapshot.stream)
    }
  }

  /// How many snapshots are stored, of every stream: file names only, none is read.
  public func count() throws -> Int {
    try streams().reduce(0) { $0 + (try sequences(of: $1).count) }
  }

  /// The sequences of a stream's stored snapshots, oldest first.
  ///
  /// - Complexity: O(1) after the first call on a writable log (see
  ///   ``SnapshotCatalog``); a directory listing otherwise.
  public func sequences(of stream: String) throws -> [UInt64] {
    guard !log.isReadOnly else { return try listSequences(of: stream) }
    return try log.snapshotCatalog.sequences(of: stream) { try listSequences(of: stream) }
  }

  private func listSequences(of stream: String) throws -> [UInt64] {
    guard let names = try io.contentsOfDirectory(streamDirectory(stream)) else { return [] }
    return names.compactMap(Self.sequence(ofFile:)).sorted()
  }

  /// The newest usable snapshot of `stream` at or before `sequence` whose
  /// version is at most `version` and whose state version is `stateVersion`.
  ///
  /// Damaged snapshots, those of another state version and those that do not
  /// match the log (the event at their sequence is not their stream's event at
  /// their version) are skipped and logged.
  public func latest(
    of stream: String, atOrBefore sequence: UInt64 = .max, version: UInt64 = .max, stateVersion: UInt32
  ) -> Snapshot? {
    guard let candidates = try? sequences(of: stream) else { return nil }
    let end = candidates.partitioningIndex { $0 > sequence }
    for candidate in candidates[..<end].reversed() {
      let path = streamDirectory(stream) + "/" + Self.fileName(candidate)
      do {
        let snapshot = try read(path)
        guard snapshot.stream.utf8.elementsEqual(stream.utf8), snapshot.sequence == candidate else {
          throw StateLogError(.corruption, "snapshot belongs to another stream or sequence")
        }
        guard snapshot.version <= version else { continue }
        guard snapshot.stateVersion == stateVersion else {
          logger.info(
            "skipped a snapshot of an older state version",
            metadata: ["statelog.file": "\(path)", "statelog.state_version": "\(snapshot.stateVersion)"])
          continue
        }
        guard matchesLog(snapshot) else {
          throw StateLogError(.corruption, "snapshot does not match the log")
        }
        return snapshot
      } catch {
        // Removed behind the catalog's back: forget it. (A damaged file stays
        // listed: it is skipped like this each time, until pruning removes it.)
        if !io.fileExists(path) { log.snapshotCatalog.remove(candidate, of: stream) }
        logger.info(
          "skipped an unusable snapshot",
          metadata: ["statelog.file": "\(path)", "statelog.error": "\(error)"])
      }
    }
    return nil
  }

  /// Logs that `snapshot`, sound and matching the log, holds a state that
  /// does not decode, so its reader replays instead: the sign of a bug, or
  /// of a state whose shape changed without a new state version.
  public func reportUndecodable(_ snapshot: Snapshot, _ error: any Error) {
    logger.warning(
      "skipped a snapshot whose state does not decode; replaying instead",
      metadata: [
        "statelog.file": "\(streamDirectory(snapshot.stream) + "/" + Self.fileName(snapshot.sequence))",
        "statelog.error": "\(error)",
      ])
  }

  /// Checks every stored snapshot: that it decodes, belongs where it is filed,
  /// and matches the log.
  ///
  /// - Returns: How many snapshot files were checked, and each problem found.
  public func verify() throws -> (checked: Int, problems: [StateLogError]) {
    var checked = 0
    var problems: [StateLogError] = []
    for folder in (try io.contentsOfDirectory(directory) ?? []).sorted() {
      for name in (try io.contentsOfDirectory(directory + "/" + folder) ?? []).sorted() {
        let path = directory + "/" + folder + "/" + name
        guard let sequence = Self.sequence(ofFile: name) else { continue }
        checked += 1
        do {
          let snapshot = try read(path)
          guard streamDirectory(snapshot.stream) == directory + "/" + folder, snapshot.sequence == sequence
          else {
            throw StateLogError(.corruption, "snapshot is filed under another stream or sequence", file: path)
          }
          // A snapshot of history that retention removed is obsolete, not
          // damaged: readers skip it and pruning deletes it.
          guard matchesLog(snapshot) || snapshot.sequence < log.retentionHorizon else {
            throw StateLogError(.corruption, "snapshot does not match the log's stream index", file: path)
          }
        } catch let error as StateLogError {
          problems.append(error)
        }
      }
    }
    return (checked, problems)
  }

  /// Whether the log's event at the snapshot's stream version has the
  /// snapshot's sequence. For the snapshot retention took at the last removed
  /// event of a stream, that event is gone, so its version must be exactly the
  /// last one removed, before the horizon.
  func matchesLog(_ snapshot: Snapshot) -> Bool {
    if let stored = log.sequence(ofVersion: snapshot.version, inStream: snapshot.stream) {
      return stored == snapshot.sequence
    }
    return snapshot.sequence < log.retentionHorizon
      && snapshot.version == log.lastRemovedVersion(of: snapshot.stream)
      && snapshot.version > 0
  }

  /// Every stream that has a snapshot folder, including streams whose events
  /// retention removed: the folder names, unescaped.
  public func streams() throws -> [String] {
    (try io.contentsOfDirectory(directory) ?? []).sorted().compactMap(Self.stream(ofFolder:))
  }

  /// The stream id a folder name escapes (see ``streamDirectory(_:)``), or `nil`.
  static func stream(ofFolder name: String) -> String? {
    var bytes: [UInt8] = []
    var iterator = name.utf8.makeIterator()
    while let byte = iterator.next() {
      guard byte == UInt8(ascii: "%") else {
        bytes.append(byte)
        continue
      }
      guard let high = iterator.next(), let low = iterator.next(),
        let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
      else { return nil }
      bytes.append(value)
    }
    return String(validating: bytes, as: UTF8.self)
  }

  /// Removes all but the newest `keep` snapshots of `stream`, and every
  /// snapshot before the retention horizon but the newest: after retention
  /// that one is the only way to rebuild the states between the horizon and
  /// the next snapshot, and the older ones describe events that are gone.
  public func prune(_ stream: String, keep: Int) throws {
    guard !log.isReadOnly else {
      throw StateLogError(.readOnly, "cannot prune snapshots of a log opened read-only")
    }
    let folder = streamDirectory(stream)
    // A crash while writing a snapshot leaves its temporary file behind (a
    // failed write removes its own). Listing the folder on every pruning,
    // after every snapshot, would make keeping thousands of them quadratic.
    if !log.snapshotCatalog.hasDone(.temporaryFilesSwept, for: stream) {
      for name in try io.contentsOfDirectory(folder) ?? [] where name.hasSuffix(".tmp") {
        try? io.remove(folder + "/" + name)
      }
      log.snapshotCatalog.recordDone(.temporaryFilesSwept, for: stream)
    }
    let sequences = try sequences(of: stream)
    let horizon = log.retentionHorizon
    // Both the surplus and the snapshots before the horizon are a prefix of
    // the sorted sequences: only that prefix is looked at.
    let beforeHorizon = sequences.partitioningIndex { $0 >= horizon }
    let anchor = horizon > 1 && beforeHorizon > 0 ? sequences[beforeHorizon - 1] : nil
    let removable = max(sequences.count - max(0, keep), beforeHorizon)
    for sequence in sequences.prefix(removable) where sequence != anchor {
      let path = folder + "/" + Self.fileName(sequence)
      // Another pruning may have removed it already: gone is what was wanted.
      if io.fileExists(path) {
        do {
          try io.remove(path)
        } catch {
          if io.fileExists(path) { throw error }
        }
      }
      log.snapshotCatalog.remove(sequence, of: stream)
    }
  }

  private func read(_ path: String) throws -> Snapshot {
    let file = try io.open(path, mode: .readOnly)
    defer { io.close(file) }
    guard let bytes = try io.readToEnd(file, limit: Snapshot.maximumPayloadSize + (1 << 16)) else {
      throw StateLogError(.corruption, "snapshot file is too large", file: path)
    }
    do throws(DecodingFailure) {
      return try Snapshot(decoding: bytes)
    } catch {
      throw StateLogError(.corruption, error.message, file: path)
    }
  }

  /// The name of the snapshot file at `sequence`: the sequence in 20 decimal
  /// digits, zero-padded so that names sort as sequences do.
  package static func fileName(_ sequence: UInt64) -> String {
    String(unsafeUninitializedCapacity: 25) { name in
      var rest = sequence
      for position in (0..<20).reversed() {
        name[position] = UInt8(ascii: "0") + UInt8(rest % 10)
        rest /= 10
      }
      for (position, byte) in ".snap".utf8.enumerated() { name[20 + position] = byte }
      return 25
    }
  }

  package static func sequence(ofFile name: String) -> UInt64? {
    guard name.hasSuffix(".snap"), name.utf8.count == 25 else { return nil }
    return UInt64(name.dropLast(5))
  }
}
