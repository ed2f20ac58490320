/// What opening a log found and repaired.
///
/// A clean open reports nothing. After a crash, the torn tail of the active
/// segment is truncated and counted here; with ``LogOptions/salvage``, data that
/// could not be read is moved aside, never deleted, and listed here.
public struct RecoveryReport: Hashable, Sendable, CustomStringConvertible {
  /// The segment whose tail was truncated, if any.
  public var truncatedFile: String?
  /// The offset the segment was truncated to.
  public var truncatedAt: UInt64?
  /// How many bytes the truncation removed.
  public var truncatedBytes: UInt64 = 0
  /// How many events the removed bytes held, as far as their intact batch headers
  /// tell (a torn header hides its count, so this is a lower bound).
  public var droppedEvents: UInt64 = 0
  /// Index files that were missing, stale or corrupt and were rebuilt from their segments.
  public var rebuiltIndexes: [String] = []
  /// Files created by salvage to hold data that could not be read (``LogOptions/salvage``).
  public var movedAside: [String] = []
  /// Leftover files removed: temporary files of interrupted writes, and a segment
  /// whose creation was torn before it held any data.
  public var removedFiles: [String] = []

  public init() {}

  /// Whether the log was found exactly as a clean close leaves it.
  public var isClean: Bool {
    truncatedBytes == 0 && rebuiltIndexes.isEmpty && movedAside.isEmpty && removedFiles.isEmpty
  }

  public var description: String {
    if isClean { return "clean" }
    var parts: [String] = []
    if let truncatedFile, let truncatedAt {
      parts.append(
        "truncated \(truncatedBytes) bytes (\(droppedEvents) events) from \(truncatedFile) at offset \(truncatedAt)"
      )
    }
    if !rebuiltIndexes.isEmpty { parts.append("rebuilt \(rebuiltIndexes.joined(separator: ", "))") }
    if !movedAside.isEmpty { parts.append("moved aside \(movedAside.joined(separator: ", "))") }
    if !removedFiles.isEmpty { parts.append("removed \(removedFiles.joined(separator: ", "))") }
    return parts.joined(separator: "; ")
  }
}
