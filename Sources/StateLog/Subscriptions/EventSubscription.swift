/// Events of a log (or of one stream) from a position on: first those already
/// stored, then each new one as it is appended, in order, each exactly once.
///
/// Create one with ``Log/subscribe(from:)`` or
/// ``Log/subscribe(toStream:fromVersion:)``. On a log opened for writing, new
/// events arrive as soon as their append returns. On a read-only log (a reader
/// in another process), the subscription polls the directory every
/// ``pollInterval``, so new events arrive within about that long after the
/// writer made them visible.
///
/// The sequence ends (returns `nil`) when the task iterating it is cancelled or
/// the log is closed; nothing stays registered afterwards. It throws
/// ``StateLogError`` if the events it would deliver next no longer exist
/// (``StateLogError/Code/sequenceOutOfRange``) or are unreadable, never skipping
/// any silently.
public struct EventSubscription: AsyncSequence, Sendable {
  public typealias Element = RecordedEvent

  let log: Log
  let stream: String?
  let start: UInt64
  /// How often a read-only log looks for new events. Default 50 ms.
  public var pollInterval: Duration = .milliseconds(50)
  /// How many stored events one read fetches while catching up. Default 512.
  public var chunkSize = 512

  public func makeAsyncIterator() -> Iterator {
    Iterator(subscription: self, next: start)
  }

  public struct Iterator: AsyncIteratorProtocol {
    let subscription: EventSubscription
    /// The sequence number, or for a stream the version, to deliver next.
    var next: UInt64
    var buffer: [RecordedEvent] = []
    var position = 0

    public mutating func next() async throws -> RecordedEvent? {
      let log = subscription.log
      while true {
        if position < buffer.count {
          defer { position += 1 }
          return buffer[position]
        }
        if Task.isCancelled { return nil }
        let generation = log.appendSignal.generation
        do {
          buffer = try fetch()
        } catch let error as StateLogError where error.code == .closed {
          return nil
        }
        position = 0
        if let last = buffer.last {
          next = (subscription.stream == nil ? last.sequence : last.streamVersion) + 1
          continue
        }
        if log.isReadOnly {
          do {
            try await Task.sleep(for: subscription.pollInterval)
          } catch {
            return nil
          }
          do {
            try log.refresh()
          } catch let error as StateLogError where error.code == .closed {
            return nil
          }
        } else {
          await log.appendSignal.wait(after: generation)
        }
      }
    }

    /// Reads the next stored events, checking that none were skipped.
    private func fetch() throws -> [RecordedEvent] {
      let log = subscription.log
      if let stream = subscription.stream {
        let events = try log.events(
          inStream: stream, fromVersion: next, throughVersion: next + UInt64(subscription.chunkSize) - 1)
        if let first = events.first, first.streamVersion != next {
          throw StateLogError(
            .sequenceOutOfRange,
            "stream \(stream) resumes at version \(first.streamVersion), expected \(next)")
        }
        return events
      }
      let first = log.firstSequence
      if next < first {
        throw StateLogError(
          .sequenceOutOfRange,
          "events before sequence \(first) are no longer in the log; the subscription is at \(next)")
      }
      let events = try log.events(from: next, limit: subscription.chunkSize)
      for (offset, event) in events.enumerated() where event.sequence != next + UInt64(offset) {
        throw StateLogError(
          .corruption, "gap in the log: event \(event.sequence) follows \(next + UInt64(offset) - 1)")
      }
      return events
    }
  }
}

extension Log {
  /// Subscribes to every event from sequence `start` on: stored ones first,
  /// then new ones as they are appended.
  ///
  /// - Parameter start: The first sequence to deliver; 1 for the whole log,
  ///   ``lastSequence`` + 1 for only new events.
  public func subscribe(from start: UInt64 = 1) -> EventSubscription {
    EventSubscription(log: self, stream: nil, start: max(start, 1))
  }

  /// Subscribes to one stream's events from version `start` on.
  public func subscribe(toStream stream: String, fromVersion start: UInt64 = 1) -> EventSubscription {
    EventSubscription(log: self, stream: stream, start: max(start, 1))
  }
}
