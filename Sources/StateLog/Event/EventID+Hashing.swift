import CXXHash

extension EventID {
  /// The id's hash for `Dictionary` and `Set`: XXH3 of its 16 bytes with the
  /// table's seed, instead of SipHash through `Hasher`.
  ///
  /// Every appended event is hashed several times (the check that an append's
  /// ids are distinct, the idempotency window's lookup and insertion), and
  /// `Hasher` was a tenth of a run of buffered appends. The seed mixes the
  /// table's with a secret drawn per process (``HashSecret``), so which ids
  /// collide differs from process to process. XXH3 is not a keyed hash built
  /// to resist deliberate flooding as SipHash is: this guards against
  /// clustering and casual collisions, not a determined attacker who can
  /// choose many ids.
  public func _rawHashValue(seed: Int) -> Int {
    var words = (high, low)
    let hash = withUnsafeBytes(of: &words) {
      statelog_xxh3_64_seeded($0.baseAddress, $0.count, HashSecret.seed(seed))
    }
    return Int(truncatingIfNeeded: hash)
  }
}
