/// An open segment file; the descriptor closes when the last reference goes, so
/// a reader that is still scanning keeps its segment readable after a close.
final class SegmentFile: Sendable {
  let handle: FileHandle
  let io: any FileIO
  /// The file name inside the log directory, for errors.
  let name: String

  init(handle: FileHandle, io: any FileIO, name: String) {
    self.handle = handle
    self.io = io
    self.name = name
  }

  deinit { io.close(handle) }
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
