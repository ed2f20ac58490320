import CXXHash
import Glibc

/// The distinct names (stream ids or event types) of one append, in order of
/// first appearance, so that each is looked up in the log's indexes once per
/// append rather than once per event.
///
/// An append usually names a few streams and one or two types. A name is
/// found among those seen so far without `Hasher` and without touching the
/// `String`'s storage more than once: first by the string's identity (the
/// same `String` value passed for every event of a stream, the usual case),
/// then by an XXH3 fingerprint of its bytes checked against a copy of the
/// bytes kept here. Per event that replaced four dictionary lookups, each
/// hashing the name with SipHash and retaining its storage.
///
/// - Complexity: O(length of the name) to find a name among up to
///   ``linearLimit`` names; beyond that, a dictionary from fingerprint to slot.
struct NameTable {
  /// The names in order of first appearance; a name's slot is its position.
  private(set) var names: [ExactName] = []
  /// Per slot: the raw representation of the `String` first seen (equal bits
  /// mean the same storage, or the same small string, so the same bytes).
  private var identities: [(UInt64, UInt64)] = []
  private var fingerprints: [UInt64] = []
  /// Per slot: where its bytes start in ``bytes``; the last entry is the end.
  private var offsets: [Int] = [0]
  private var bytes: [UInt8] = []
  /// Fingerprint to the first slot with it, once there are more than ``linearLimit`` names.
  private var slotsByFingerprint: [UInt64: Int] = [:]

  /// How many names are compared one by one before the table switches to a dictionary.
  static let linearLimit = 16

  var count: Int { names.count }

  mutating func removeAll() {
    names.removeAll(keepingCapacity: true)
    identities.removeAll(keepingCapacity: true)
    fingerprints.removeAll(keepingCapacity: true)
    offsets.removeAll(keepingCapacity: true)
    offsets.append(0)
    bytes.removeAll(keepingCapacity: true)
    slotsByFingerprint.removeAll(keepingCapacity: true)
  }

  /// The slot of `string`, adding it if it is new.
  mutating func slot(of string: String) -> Int {
    // A 64-bit `String` is two words; elsewhere names are found by bytes only.
    let identity: (UInt64, UInt64)? =
      MemoryLayout<String>.size == 16
      ? withUnsafeBytes(of: string) {
        ($0.load(as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self))
      }
      : nil
    if let identity {
      for slot in identities.indices.prefix(Self.linearLimit) where identities[slot] == identity {
        return slot
      }
    }
    let name = ExactName(string)
    return name.withBytes { utf8 in
      let fingerprint = statelog_xxh3_64(utf8.baseAddress, utf8.count)
      if names.count <= Self.linearLimit {
        for slot in fingerprints.indices where fingerprints[slot] == fingerprint && hasBytes(slot, utf8) {
          return slot
        }
      } else if let first = slotsByFingerprint[fingerprint] {
        for slot in first..<names.count where fingerprints[slot] == fingerprint && hasBytes(slot, utf8) {
          return slot
        }
      }
      let slot = names.count
      names.append(name)
      identities.append(identity ?? (0, 0))
      fingerprints.append(fingerprint)
      bytes.append(contentsOf: utf8)
      offsets.append(bytes.count)
      if names.count > Self.linearLimit {
        if slotsByFingerprint.isEmpty {
          for earlier in fingerprints.indices.reversed() {
            slotsByFingerprint[fingerprints[earlier]] = earlier
          }
        } else if slotsByFingerprint[fingerprint] == nil {
          slotsByFingerprint[fingerprint] = slot
        }
      }
      return slot
    }
  }

  private func hasBytes(_ slot: Int, _ utf8: UnsafeRawBufferPointer) -> Bool {
    let start = offsets[slot]
    guard offsets[slot + 1] - start == utf8.count else { return false }
    guard !utf8.isEmpty else { return true }
    return bytes.withUnsafeBytes { memcmp($0.baseAddress! + start, utf8.baseAddress!, utf8.count) == 0 }
  }
}
