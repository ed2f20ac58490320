import Synchronization

/// Wakes subscribers when new events become visible in this process.
///
/// A subscriber notes the ``generation`` before it looks for events, and waits
/// only if no append happened since: no wake-up can be lost between its look
/// and its wait. Cancelling the waiting task resumes it at once.
final class AppendSignal: Sendable {
  private struct State {
    var generation: UInt64 = 0
    var nextWaiter = 0
    var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    var cancelled: Set<Int> = []
  }

  private let state = Mutex(State())

  var generation: UInt64 { state.withLock { $0.generation } }

  /// Resumes every waiter.
  func notify() {
    let waiters = state.withLock { state in
      state.generation += 1
      defer { state.waiters.removeAll() }
      return Array(state.waiters.values)
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Returns once the generation has moved past `generation`, or the task is cancelled.
  func wait(after generation: UInt64) async {
    let id = state.withLock { state in
      state.nextWaiter += 1
      return state.nextWaiter
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { state in
          if state.generation != generation || state.cancelled.contains(id) { return true }
          state.waiters[id] = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      let waiter = state.withLock { state in
        let waiter = state.waiters.removeValue(forKey: id)
        if waiter == nil { state.cancelled.insert(id) }
        return waiter
      }
      waiter?.resume()
    }
    state.withLock { _ = $0.cancelled.remove(id) }
  }
}
