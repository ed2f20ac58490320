/// The ids of the most recent events and their sequence numbers, so that a
/// retried append is recognised (``Log/append(_:expecting:)``).
///
/// It remembers the last ``window`` events, rebuilt at open from the index
/// files' id sections, so the memory survives a restart. A window of 0 turns
/// retry detection off.
struct EventIDIndex: Sendable {
  let window: Int
  /// Keys are the ids XORed with this random salt: ids are chosen by clients,
  /// and the salt makes which of them collide in `positions` unknowable
  /// outside the process (`EventID`'s hash is XXH3 with the table's seed,
  /// which is its address).
  private let salt = EventID(high: .random(in: .min ... .max), low: .random(in: .min ... .max))
  private var positions: [EventID: UInt64] = [:]
  /// The remembered ids in append order, as a ring once full; `oldest` is the
  /// ring's start.
  private var order: [(id: EventID, sequence: UInt64)] = []
  private var oldest = 0

  init(window: Int) {
    self.window = window
    // The whole window up front (up to a million ids): growing rehashes every
    // id remembered so far (4% of a run of buffered appends into a new log).
    // Storage a small log never fills is reserved, not touched, so it costs
    // address space only.
    let reserved = min(window, 1 << 20)
    positions.reserveCapacity(reserved)
    order.reserveCapacity(reserved)
  }

  func sequence(of id: EventID) -> UInt64? {
    positions[salted(id)]
  }

  private func salted(_ id: EventID) -> EventID {
    EventID(high: id.high ^ salt.high, low: id.low ^ salt.low)
  }

  mutating func record(_ id: EventID, sequence: UInt64) {
    guard window > 0 else { return }
    if order.count < window {
      order.append((id, sequence))
    } else {
      let evicted = order[oldest]
      // The same id may have been written again later (after it left the
      // window); only forget the mapping that is being evicted.
      if positions[salted(evicted.id)] == evicted.sequence { positions[salted(evicted.id)] = nil }
      order[oldest] = (id, sequence)
      oldest = (oldest + 1) % window
    }
    positions[salted(id)] = sequence
  }
}
