import Glibc
import Synchronization

/// Kernel randomness (`/dev/urandom`) for event ids, buffered per thread.
///
/// Every thread draws from its own buffer of 64 words, refilled with one
/// `read`: concurrent appenders never wait for each other to make an id (a
/// shared buffer behind a lock was most of the CPU time of 64 threads
/// appending one event each, spinning on that lock). A `fork` would hand the
/// child a copy of its buffer and make parent and child produce the same ids,
/// so a fork handler moves the pool to a new generation and every buffer of an
/// older one is refilled before it is used.
enum RandomPool {
  private static let words = 64
  /// Slots of a thread's buffer: the next word to use, the generation the
  /// words were drawn in, then the words.
  private static let nextSlot = 0
  private static let generationSlot = 1
  private static let firstWord = 2

  private static let generation = Atomic<UInt64>(0)
  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { buffer in
      buffer?.assumingMemoryBound(to: UInt64.self).deallocate()
    }
    pthread_atfork(nil, nil) { RandomPool.generation.add(1, ordering: .relaxed) }
    return key
  }()
  /// Opened once and kept: reads of `/dev/urandom` are safe from any thread.
  private static let device = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

  /// A generator that draws from the pool.
  struct Generator: RandomNumberGenerator {
    mutating func next() -> UInt64 { RandomPool.next() }
  }

  static func next() -> UInt64 {
    let buffer = threadBuffer()
    let current = generation.load(ordering: .relaxed)
    if buffer[nextSlot] == UInt64(words) || buffer[generationSlot] != current {
      refill(UnsafeMutableRawBufferPointer(start: buffer + firstWord, count: words * 8))
      buffer[nextSlot] = 0
      buffer[generationSlot] = current
    }
    let word = buffer[firstWord + Int(buffer[nextSlot])]
    buffer[nextSlot] += 1
    return word
  }

  private static func threadBuffer() -> UnsafeMutablePointer<UInt64> {
    if let buffer = pthread_getspecific(key) { return buffer.assumingMemoryBound(to: UInt64.self) }
    let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: firstWord + words)
    buffer.initialize(repeating: 0, count: firstWord + words)
    buffer[nextSlot] = UInt64(words)
    pthread_setspecific(key, buffer)
    return buffer
  }

  private static func refill(_ raw: UnsafeMutableRawBufferPointer) {
    var filled = 0
    if device >= 0 {
      while filled < raw.count {
        let count = read(device, raw.baseAddress! + filled, raw.count - filled)
        if count > 0 {
          filled += count
        } else if count == 0 || errno != EINTR {
          break
        }
      }
    }
    // Without /dev/urandom (a sandbox), the standard library's generator is
    // the fallback: slower, never weaker.
    var system = SystemRandomNumberGenerator()
    for index in stride(from: filled / 8 * 8, to: raw.count, by: 8) {
      raw.storeBytes(of: system.next(), toByteOffset: index, as: UInt64.self)
    }
  }
}
