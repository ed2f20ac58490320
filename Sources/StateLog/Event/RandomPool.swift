import Glibc
import Synchronization

/// Kernel randomness (`/dev/urandom`) buffered 4 KiB at a time for event ids.
///
/// A `fork` would hand the child a copy of the buffer and make parent and
/// child produce the same ids, so a fork handler discards the child's buffer.
enum RandomPool {
  private static let words = 512
  private static let state = Mutex<(buffer: [UInt64], next: Int)>(([], words))
  private static let forked = Atomic<Bool>(false)
  private static let registration: Void = {
    pthread_atfork(nil, nil) { RandomPool.forked.store(true, ordering: .relaxed) }
  }()

  /// A generator that draws from the pool.
  struct Generator: RandomNumberGenerator {
    mutating func next() -> UInt64 { RandomPool.next() }
  }

  static func next() -> UInt64 {
    _ = registration
    return state.withLock { state in
      if forked.exchange(false, ordering: .relaxed) { state.next = words }
      if state.next == words {
        refill(&state.buffer)
        state.next = 0
      }
      defer { state.next += 1 }
      return state.buffer[state.next]
    }
  }

  private static func refill(_ buffer: inout [UInt64]) {
    if buffer.count != words { buffer = [UInt64](repeating: 0, count: words) }
    buffer.withUnsafeMutableBytes { raw in
      var filled = 0
      let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
      if descriptor >= 0 {
        while filled < raw.count {
          let count = read(descriptor, raw.baseAddress! + filled, raw.count - filled)
          if count > 0 {
            filled += count
          } else if count == 0 || errno != EINTR {
            break
          }
        }
        close(descriptor)
      }
      // Without /dev/urandom (a sandbox), the standard library's generator is
      // the fallback: slower, never weaker.
      var system = SystemRandomNumberGenerator()
      for index in stride(from: filled / 8 * 8, to: raw.count, by: 8) {
        raw.storeBytes(of: system.next(), toByteOffset: index, as: UInt64.self)
      }
    }
  }
}
