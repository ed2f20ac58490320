/// A random value drawn once per process, mixed into the seed of the
/// in-memory tables that hash stream ids and type names with XXH3
/// (``ExactName``).
///
/// The seed `Dictionary` and `Set` pass to `_rawHashValue(seed:)` is derived
/// from the table's address, not secret: `Hasher` adds the process's own
/// random seed to it, and hashing with XXH3 instead must add one too, or
/// which stream ids collide in the stream index would be the same in every
/// process. (Event ids, hashed far more often, are salted by the table that
/// holds them instead: see ``EventIDIndex``.)
enum HashSecret {
  static let value = UInt64.random(in: .min ... .max)

  /// The XXH3 seed for a table's `seed`.
  @inline(__always)
  static func seed(_ seed: Int) -> UInt64 { UInt64(UInt(bitPattern: seed)) ^ value }
}
