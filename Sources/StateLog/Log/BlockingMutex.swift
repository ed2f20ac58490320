import Glibc

/// A mutex whose waiters sleep at once instead of spinning first: the log's
/// state and its ``AppendQueue`` sit behind one.
///
/// The log's state is held across an append's encoding and `pwrite`, and
/// dozens of threads may be waiting for it. `Synchronization.Mutex` spins
/// before it sleeps; on a machine with fewer cores than appenders the
/// spinning threads take the cores from the one holding the lock (W2 with 64
/// writers on two cores spent a quarter of its time spinning). A glibc
/// `pthread_mutex_t` parks waiters in the kernel right away.
final class BlockingMutex<Value: Sendable>: @unchecked Sendable {
  // pthread primitives need a stable address, so the mutex lives on the heap.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  // Guarded by `mutex`.
  private var value: Value

  init(_ value: Value) {
    self.value = value
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  /// Runs `body` with exclusive access to the value.
  func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure)
    -> Result
  {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body(&value)
  }
}
