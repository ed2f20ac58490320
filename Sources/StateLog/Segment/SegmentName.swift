/// Segment and index file names (format-spec.md, "Files"): the segment's base
/// sequence as 20 zero-padded decimal digits, so names sort in log order.
enum SegmentName {
  static let segmentExtension = ".seg"
  static let indexExtension = ".idx"
  static let lockFile = "LOCK"

  static func segment(_ baseSequence: UInt64) -> String {
    padded(baseSequence) + segmentExtension
  }

  static func index(_ baseSequence: UInt64) -> String {
    padded(baseSequence) + indexExtension
  }

  /// The base sequence a segment file name encodes, or `nil` if `name` is not one.
  static func baseSequence(ofSegment name: String) -> UInt64? {
    guard name.hasSuffix(segmentExtension) else { return nil }
    let digits = name.dropLast(segmentExtension.count)
    guard digits.utf8.count == 20, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    return UInt64(digits)
  }

  private static func padded(_ value: UInt64) -> String {
    let digits = String(value)
    return String(repeating: "0", count: 20 - digits.count) + digits
  }
}
