import CXXHash

extension EventID {
  /// The id's hash for `Dictionary` and `Set`: XXH3 of its 16 bytes with the
  /// table's seed, instead of SipHash through `Hasher`.
  ///
  /// Every appended event is hashed several times (the check that an append's
  /// ids are distinct, the idempotency window's lookup and insertion), and
  /// `Hasher` was a tenth of a run of buffered appends. The table's seed is
  /// its address, not a secret: the long-lived table of ids that clients
  /// choose, the idempotency window, salts its keys with a random value of
  /// its own (``EventIDIndex``), so which ids collide there cannot be known
  /// outside the process. (A process-wide secret mixed in here cost a
  /// `swift_once` check per hash, 2% of a run of buffered appends.)
  public func _rawHashValue(seed: Int) -> Int {
    var words = (high, low)
    let hash = withUnsafeBytes(of: &words) {
      statelog_xxh3_64_seeded($0.baseAddress, $0.count, UInt64(UInt(bitPattern: seed)))
    }
    return Int(truncatingIfNeeded: hash)
  }
}
