/// A random value drawn once per process, mixed into the seed of the
/// in-memory tables that hash with XXH3 (``EventID`` and ``ExactName``).
///
/// The seed `Dictionary` and `Set` pass to `_rawHashValue(seed:)` is derived
/// from the table's address, not secret: `Hasher` adds the process's own
/// random seed to it, and hashing with XXH3 instead must too, or which ids
/// collide in the idempotency window would be the same in every process.
enum HashSecret {
  static let value = UInt64.random(in: .min ... .max)

  /// The XXH3 seed for a table's `seed`.
  @inline(__always)
  static func seed(_ seed: Int) -> UInt64 { UInt64(UInt(bitPattern: seed)) ^ value }
}
