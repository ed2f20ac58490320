import CXXHash

extension EventID {
  /// The id's hash for `Dictionary` and `Set`: XXH3 of its 16 bytes with the
  /// table's seed, instead of SipHash through `Hasher`.
  ///
  /// Every appended event is hashed several times (the check that an append's
  /// ids are distinct, the idempotency window's lookup and insertion), and
  /// `Hasher` was a tenth of a run of buffered appends. The seed still differs
  /// per process and per table, so colliding ids cannot be chosen ahead of time.
  public func _rawHashValue(seed: Int) -> Int {
    var words = (high, low)
    let hash = withUnsafeBytes(of: &words) {
      statelog_xxh3_64_seeded($0.baseAddress, $0.count, UInt64(UInt(bitPattern: seed)))
    }
    return Int(truncatingIfNeeded: hash)
  }
}
