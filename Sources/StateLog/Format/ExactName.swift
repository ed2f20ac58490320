import CXXHash
import Glibc

/// A stream id or event type name that compares and hashes by its UTF-8 bytes.
///
/// Swift's `String` equality is Unicode canonical equivalence, so `"é"` written
/// precomposed and decomposed are equal strings with different bytes. The log
/// stores bytes, and a reader in another language compares bytes, so inside the
/// engine names are keyed by their exact bytes: two spellings are two streams.
struct ExactName: Hashable, Sendable, Comparable {
  let string: String

  init(_ string: String) {
    self.string = string
  }

  static func == (lhs: ExactName, rhs: ExactName) -> Bool {
    // Native strings are contiguous UTF-8, so this is a length check and a
    // memcmp; a generic elementsEqual over the UTF-8 view costs far more.
    guard lhs.string.utf8.count == rhs.string.utf8.count else { return false }
    return lhs.withBytes { a in
      rhs.withBytes { b in a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
    }
  }

  /// Calls `body` with the name's UTF-8 bytes: in place for a native string
  /// (without the retain and release a `var` copy for `withUTF8` costs, which
  /// was a third of a stream lookup), else from a copy.
  @inline(__always)
  func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
    if let result = string.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
      return result
    }
    var string = string
    return string.withUTF8 { body(UnsafeRawBufferPointer($0)) }
  }

  /// Whether the name's UTF-8 bytes are exactly `bytes`.
  func hasBytes(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard string.utf8.count == bytes.count else { return false }
    return withBytes { a in a.isEmpty || memcmp(a.baseAddress!, bytes.baseAddress!, a.count) == 0 }
  }

  func hash(into hasher: inout Hasher) {
    withBytes { hasher.combine(bytes: $0) }
  }

  /// XXH3 of the bytes with the table's seed, for `Dictionary` and `Set`:
  /// every appended event looks its stream up in several indexes, and SipHash
  /// through `Hasher` was most of the cost of those lookups.
  func _rawHashValue(seed: Int) -> Int {
    let hash = withBytes { statelog_xxh3_64_seeded($0.baseAddress, $0.count, HashSecret.seed(seed)) }
    return Int(truncatingIfNeeded: hash)
  }

  /// Byte order, which is also the order of code points.
  static func < (lhs: ExactName, rhs: ExactName) -> Bool {
    lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
  }
}
