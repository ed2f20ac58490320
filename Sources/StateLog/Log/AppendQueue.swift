import Glibc

/// Combines concurrent appends into groups that one thread writes.
///
/// An appender queues its append; the first to find no leader becomes the
/// leader, takes every queued append, writes them all in one hold of the log's
/// lock and (in group commit) makes them durable with one fsync, then wakes
/// each member of the group with its outcome and hands leadership to the first
/// append queued meanwhile. This is the write group of LevelDB's and RocksDB's
/// write paths: without it each of N concurrent appenders takes the lock in
/// turn and is woken twice (for the lock and for the fsync), and with 64
/// appenders on two cores handing the lock over cost more than writing.
///
/// Each waiter sleeps on its own semaphore, so a finished group wakes exactly
/// its members, once each, rather than every waiter contending for one mutex.
final class AppendQueue: Sendable {
  /// One queued append and, once its group is written, its outcome.
  final class Request: @unchecked Sendable {
    let events: [NewEvent]
    let expectations: [String: ExpectedVersion]
    let now: Int64
    /// Written by the leader before it posts `wakeUp`, read by the waiter after
    /// it is woken: the semaphore orders the two.
    fileprivate var outcome: Outcome?
    fileprivate let wakeUp = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init(events: [NewEvent], expectations: [String: ExpectedVersion], now: Int64) {
      self.events = events
      self.expectations = expectations
      self.now = now
      sem_init(wakeUp, 0, 0)
    }

    deinit {
      sem_destroy(wakeUp)
      wakeUp.deallocate()
    }

    fileprivate func sleep() {
      while sem_wait(wakeUp) != 0 && errno == EINTR {}
    }
  }

  /// An append's positions; `nil` if some of its ids were already written (a
  /// retry for the appender to answer); or why it failed.
  typealias Outcome = Result<AppendResult?, StateLogError>

  private struct State: Sendable {
    var queued: [Request] = []
    var hasLeader = false
  }
  private let state = BlockingMutex(State())

  /// How many appends wait for a leader to take them (for tests).
  var queuedCount: Int { state.withLock { $0.queued.count } }

  /// Queues `request` and returns its outcome once a leader (perhaps this
  /// thread) has written its group.
  ///
  /// - Parameter write: Writes a group and returns the outcome of each of its
  ///   requests, in order; called by one leader at a time.
  func submit(_ request: Request, writingGroupsWith write: ([Request]) -> [Outcome]) -> Outcome {
    let leads = state.withLock { state in
      state.queued.append(request)
      if state.hasLeader { return false }
      state.hasLeader = true
      return true
    }
    if !leads {
      request.sleep()
      // Woken with an outcome, or without one to lead the next group.
      if let outcome = request.outcome { return outcome }
    }
    let group = state.withLock { state in
      defer { state.queued.removeAll(keepingCapacity: true) }
      return state.queued
    }

    // The leader's own request is the first of its group: while a leader
    // exists nobody else drains the queue, and a leader is chosen only when
    // the queue is empty or as the first request in it.
    let outcomes = write(group)
    for (member, outcome) in zip(group.dropFirst(), outcomes.dropFirst()) {
      member.outcome = outcome
      sem_post(member.wakeUp)
    }
    let next = state.withLock { state in
      let next = state.queued.first
      if next == nil { state.hasLeader = false }
      return next
    }
    if let next { sem_post(next.wakeUp) }
    return outcomes[0]
  }
}
