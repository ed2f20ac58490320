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
    var left = lhs.string
    var right = rhs.string
    return left.withUTF8 { a in
      right.withUTF8 { b in a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
    }
  }

  /// Whether the name's UTF-8 bytes are exactly `bytes`.
  func hasBytes(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard string.utf8.count == bytes.count else { return false }
    var string = string
    return string.withUTF8 { a in a.isEmpty || memcmp(a.baseAddress!, bytes.baseAddress!, a.count) == 0 }
  }

  func hash(into hasher: inout Hasher) {
    var string = string
    string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
  }

  /// Byte order, which is also the order of code points.
  static func < (lhs: ExactName, rhs: ExactName) -> Bool {
    lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
  }
}
