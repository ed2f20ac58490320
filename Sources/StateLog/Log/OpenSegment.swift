import Synchronization

/// An open segment file; the descriptor closes when the last reference goes, so
/// a reader that is still scanning keeps its segment readable after a close.
final class SegmentFile: Sendable {
  let handle: FileHandle
  let io: any FileIO
  /// The file name inside the log directory, for errors.
  let name: String
  /// The segment mapped into memory, made by the first point read that wants
  /// it and remade larger if the segment outgrows it; `.unavailable` once
  /// mapping failed or the file system cannot map.
  private let mappingState = Mutex<MappingState>(.notTried)

  private enum MappingState {
    case notTried
    case mapped(FileMapping)
    case unavailable
  }

  init(handle: FileHandle, io: any FileIO, name: String) {
    self.handle = handle
    self.io = io
    self.name = name
  }

  deinit { io.close(handle) }

  /// The segment mapped read-only at least up to `limit`, or `nil` to read
  /// through the descriptor instead.
  ///
  /// A segment only grows, and readers never read past the data end they were
  /// given, so one mapping serves the segment's whole life: it is made
  /// `reserve` bytes long (the segment size), reaching past the end of a file
  /// still being written, and remade only if the segment outgrows it. The
  /// pages past the end are never touched. Mapping is an optimisation, so a
  /// failure to map is not an error: the read falls back to `pread`, which
  /// reports any real I/O problem.
  func mapping(covering limit: UInt64, reserve: UInt64) -> FileMapping? {
    mappingState.withLock { state in
      switch state {
      case .mapped(let mapping) where mapping.count >= limit: return mapping
      case .unavailable: return nil
      case .notTried, .mapped:
        guard let length = Int(exactly: max(limit, reserve)),
          let mapping = try? io.map(handle, length: length)
        else {
          state = .unavailable
          return nil
        }
        state = .mapped(mapping)
        return mapping
      }
    }
  }
}

/// A segment as the open log tracks it.
struct OpenSegment: Sendable {
  var file: SegmentFile
  var index: SegmentIndex
  var isSealed: Bool
  var createdAt: Int64
  /// The largest timestamp of any record in this segment or any before it.
  var maximumTimestampThrough: Int64

  var baseSequence: UInt64 { index.baseSequence }
  var name: String { file.name }
}
