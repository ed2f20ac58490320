import Glibc

/// Shares fsyncs between concurrent appenders (``Durability/groupCommit``).
///
/// An appender that needs its sequence durable either finds it already covered,
/// waits for the fsync in flight and checks again, or becomes the leader: it
/// notes how far the log is written, runs one fsync, and wakes everyone it
/// covered. With N writers this costs about one fsync per round instead of N.
final class SyncCoordinator: @unchecked Sendable {
  // pthread primitives need stable addresses, so they live on the heap.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  // Guarded by `mutex`.
  private var durableThrough: UInt64
  private var isSyncing = false
  private var failure: StateLogError?

  init(durableThrough: UInt64) {
    self.durableThrough = durableThrough
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
    condition.deallocate()
  }

  /// Returns once `sequence` is durable.
  ///
  /// - Parameter sync: Makes everything written so far durable and returns the
  ///   last sequence it covered; called by at most one waiter at a time.
  /// - Throws: The error of the fsync that should have covered `sequence`; every
  ///   later call throws it too.
  func waitUntilDurable(through sequence: UInt64, sync: () throws(StateLogError) -> UInt64)
    throws(StateLogError)
  {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    while true {
      if let failure { throw failure }
      if durableThrough >= sequence { return }
      if isSyncing {
        pthread_cond_wait(condition, mutex)
        continue
      }
      isSyncing = true
      pthread_mutex_unlock(mutex)
      let outcome: Result<UInt64, StateLogError>
      do throws(StateLogError) {
        outcome = .success(try sync())
      } catch {
        outcome = .failure(error)
      }
      pthread_mutex_lock(mutex)
      isSyncing = false
      switch outcome {
      case .success(let covered): durableThrough = max(durableThrough, covered)
      case .failure(let error): failure = error
      }
      pthread_cond_broadcast(condition)
    }
  }
}
