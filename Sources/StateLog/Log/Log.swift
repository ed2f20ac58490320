import Dispatch
import Logging
import Synchronization

/// A segmented, checksummed, append-only event log in one directory.
///
/// A log assigns every appended event a global sequence number (dense, from 1)
/// and a version within its stream (dense, from 1), writes events in
/// checksummed, optionally LZ4-compressed batches to segment files, and keeps
/// indexes to read by sequence, by stream and version, and by time. The bytes on
/// disk are described in `format-spec.md`.
///
/// ```swift
/// let log = try Log.open(at: "/var/lib/agent/log")
/// let result = try log.append([
///   NewEvent(stream: "conversation/c1", type: "conversation.started", payload: bytes)
/// ])
/// for event in try log.events(inStream: "conversation/c1") { ... }
/// try log.close()
/// ```
///
/// One process at a time may open a directory for writing (``open(at:options:)``
/// takes an exclusive lock); any number may open it read-only
/// (``openReadOnly(at:options:)``), also while a writer appends. All methods are
/// safe to call from any thread or task. Appends are serialised; reads run
/// concurrently with appends and with each other.
public final class Log: Sendable {
  /// The log's directory.
  public let directory: String
  /// Whether the log was opened with ``openReadOnly(at:options:)``.
  public let isReadOnly: Bool
  /// What opening the log found and repaired.
  public let recoveryReport: RecoveryReport

  let options: LogOptions
  let state: BlockingMutex<LogState>
  let lock: Mutex<LockFile?>
  let coordinator: SyncCoordinator?
  /// Groups concurrent appends for one thread to write.
  let appendQueue = AppendQueue()
  let periodicSync: Mutex<PeriodicSync?>
  /// Wakes subscriptions when appends become visible.
  let appendSignal = AppendSignal()
  /// Shared by every ``SnapshotStore`` of this log.
  let snapshotCatalog = SnapshotCatalog()

  var io: any FileIO { options.fileIO }
  var logger: Logger { options.reportingLogger }

  /// Opens a log for reading and appending, creating it if needed, and recovers
  /// from a crash if the last one did not close it.
  ///
  /// - Parameters:
  ///   - directory: The log's directory.
  ///   - options: Segment size, durability, compression and limits.
  /// - Returns: The open log; ``recoveryReport`` says what recovery did.
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/locked`` (naming the
  ///   holder's pid) if another writer has the log open (at once if it is a
  ///   `Log` of this process),
  ///   ``StateLogError/Code/corruption`` (naming file and offset) for damage
  ///   other than a torn tail, ``StateLogError/Code/newerFormat``,
  ///   ``StateLogError/Code/notALog``, or ``StateLogError/Code/ioFailure``.
  /// - Complexity: Reads each segment's header and footer and the head of its
  ///   index file (the active segment's whole); scans only what was appended
  ///   to the active segment after its index was last written. If the lock is
  ///   held with this process's pid but by no `Log` of it (a child process
  ///   between `fork` and `exec` shares the descriptor), it blocks the calling
  ///   thread, trying again, for up to 2 seconds.
  public static func open(at directory: String, options: LogOptions = LogOptions()) throws -> Log {
    try Log(directory: directory, options: options, readOnly: false)
  }

  /// Opens a log for reading without taking its lock, so it works beside a
  /// writer in another process.
  ///
  /// The log shows the committed prefix that existed when it was opened (a
  /// batch still being written is ignored, never truncated); ``refresh()``
  /// picks up what was appended since.
  ///
  /// - Throws: ``StateLogError`` as ``open(at:options:)`` does, but never
  ///   ``StateLogError/Code/locked``.
  public static func openReadOnly(at directory: String, options: LogOptions = LogOptions()) throws -> Log {
    try Log(directory: directory, options: options, readOnly: true)
  }

  private init(directory: String, options: LogOptions, readOnly: Bool) throws(StateLogError) {
    try options.validate()
    self.directory = directory
    self.options = options
    self.isReadOnly = readOnly
    let io = options.fileIO
    var lockFile: LockFile?
    if !readOnly {
      if !io.fileExists(directory) {
        guard options.createIfMissing else {
          throw StateLogError(.notALog, "no such log directory", file: directory)
        }
        try io.createDirectory(directory)
      }
      lockFile = try LockFile(directory: directory, io: io)
    }
    var loader = LogLoader(directory: directory, options: options, readOnly: readOnly)
    let loaded = try loader.load()
    // Only a writer needs the ids of recent events, to recognise retries, and
    // it loads them at its first append, so that opening stays fast.
    var state = LogState(loaded: loaded)
    if !readOnly && (state.segments.last?.isSealed ?? true) {
      state.directoryNeedsSync = options.durability == .buffered
      state.segments.append(
        try Self.createSegment(
          base: loaded.nextSequence, directory: directory, options: options,
          previousMaximum: state.segments.last?.maximumTimestampThrough ?? loaded.removedMaximumTimestamp))
    }
    self.recoveryReport = loader.report
    Self.log(loader.report, directory: directory, to: options.reportingLogger)
    self.state = BlockingMutex(state)
    self.lock = Mutex(lockFile)
    self.coordinator =
      options.durability == .groupCommit ? SyncCoordinator(durableThrough: loaded.nextSequence - 1) : nil
    self.periodicSync = Mutex(nil)
    if case .periodic(let milliseconds) = options.durability, !readOnly {
      let sync = PeriodicSync(milliseconds: milliseconds) { [weak self] in
        _ = try? self?.synchronizeWritten()
      }
      periodicSync.withLock { $0 = sync }
    }
  }

  /// Makes everything appended durable, writes the active segment's index so
  /// that the next open need not scan it, and releases the writer's lock.
  ///
  /// Closing is idempotent. Reads still running finish normally; later calls
  /// throw ``StateLogError/Code/closed``. A log that is never closed is not
  /// damaged: the next open recovers it, scanning the active segment.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/ioFailure`` if the
  ///   final fsync fails; the log is closed regardless.
  public func close() throws {
    periodicSync.withLock { $0 = nil }
    defer {
      lock.withLock { $0 = nil }
      // Subscriptions waiting for appends wake up, find the log closed and end.
      appendSignal.notify()
    }
    try state.withLock { (state) throws(StateLogError) in
      guard !state.isClosed else { return }
      state.isClosed = true
      defer { state.segments.removeAll() }
      guard !isReadOnly, state.failure == nil, let active = state.segments.last else { return }
      try io.synchronize(active.file.handle)
      if state.directoryNeedsSync { try io.synchronizeDirectory(directory) }
      if !active.index.isEmpty {
        try io.writeFileAtomically(
          directory + "/" + SegmentName.index(active.baseSequence), IndexFile.encode(active.index),
          durable: false)
      }
    }
  }

  /// Reports what recovery did: once per open, so a warning cannot flood a log.
  private static func log(_ report: RecoveryReport, directory: String, to logger: Logger) {
    let metadata: Logger.Metadata = ["statelog.directory": "\(directory)"]
    if let file = report.truncatedFile, let offset = report.truncatedAt {
      logger.warning(
        "truncated a torn tail",
        metadata: metadata.merging(
          [
            "statelog.file": "\(file)", "statelog.offset": "\(offset)",
            "statelog.bytes": "\(report.truncatedBytes)",
            "statelog.events": "\(report.droppedEvents)",
          ], uniquingKeysWith: { $1 }))
    }
    for file in report.movedAside {
      logger.warning(
        "moved unreadable data aside", metadata: metadata.merging(["statelog.file": "\(file)"]) { $1 })
    }
    for file in report.rebuiltIndexes {
      logger.info("rebuilt index", metadata: metadata.merging(["statelog.file": "\(file)"]) { $1 })
    }
    for file in report.removedFiles {
      logger.info("removed leftover file", metadata: metadata.merging(["statelog.file": "\(file)"]) { $1 })
    }
  }

  /// Creates a segment file holding only its header; in a durable mode the file
  /// and the directory entry are synced before any batch goes into it.
  static func createSegment(base: UInt64, directory: String, options: LogOptions, previousMaximum: Int64)
    throws(StateLogError) -> OpenSegment
  {
    let io = options.fileIO
    let name = SegmentName.segment(base)
    let createdAt = options.clock().nanosecondsSinceEpoch
    let handle = try io.open(directory + "/" + name, mode: .createNew)
    let file = SegmentFile(handle: handle, io: io, name: name)
    try StateLogError.typed {
      try SegmentHeader(baseSequence: base, createdAt: createdAt).encoded().withUnsafeBytes {
        try io.writeAll(handle, $0, at: 0)
      }
    }
    if options.durability != .buffered {
      try io.synchronize(handle)
      try io.synchronizeDirectory(directory)
    }
    return OpenSegment(
      file: file, index: SegmentIndex(baseSequence: base), isSealed: false, createdAt: createdAt,
      maximumTimestampThrough: previousMaximum)
  }
}

/// A background timer that syncs the log (``Durability/periodic(milliseconds:)``);
/// it stops when released.
final class PeriodicSync: @unchecked Sendable {
  // Dispatch sources are thread-safe; the class only owns one.
  private let timer: any DispatchSourceTimer

  init(milliseconds: Int, action: @escaping @Sendable () -> Void) {
    timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "statelog.periodic-sync"))
    timer.schedule(deadline: .now() + .milliseconds(milliseconds), repeating: .milliseconds(milliseconds))
    timer.setEventHandler(handler: action)
    timer.resume()
  }

  deinit { timer.cancel() }
}

/// Everything about an open log that changes, guarded by ``Log/state``.
struct LogState: Sendable {
  var segments: [OpenSegment]
  var streams: StreamIndex
  /// The sequence the next appended event gets.
  var nextSequence: UInt64
  /// The largest timestamp of the events retention removed (`Int64.min` if none).
  var removedMaximumTimestamp: Int64
  /// Readers see sequences below this: written and, in a mode that syncs every
  /// append, durable.
  var visibleNextSequence: UInt64
  /// The ids of recent events; `nil` until the first append loads them.
  var eventIDs: EventIDIndex?
  var encoder = BatchEncoder()
  /// The current append's distinct names, reused from append to append.
  var names = NameTable()
  var appendBuffer = ByteWriter()
  /// Whether a segment was created without syncing the directory (buffered
  /// mode); the next sync of the log syncs the directory too.
  var directoryNeedsSync = false
  /// Set by the first failed write or fsync; appends throw it from then on.
  var failure: StateLogError?
  var isClosed = false

  init(loaded: LogLoader.Loaded) {
    segments = loaded.segments
    streams = loaded.streams
    nextSequence = loaded.nextSequence
    visibleNextSequence = loaded.nextSequence
    removedMaximumTimestamp = loaded.removedMaximumTimestamp
  }

  /// The position of the segment holding `sequence`, or of the last segment if
  /// `sequence` is past the end.
  func segmentPosition(for sequence: UInt64) -> Int? {
    var low = 0
    var high = segments.count
    while low < high {
      let middle = (low + high) / 2
      if segments[middle].baseSequence <= sequence { low = middle + 1 } else { high = middle }
    }
    return low == 0 ? nil : low - 1
  }
}
