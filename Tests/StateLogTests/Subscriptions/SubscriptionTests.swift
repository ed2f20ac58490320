import TestSupport
import Testing

@testable import StateLog

@Suite("Subscriptions", .timeLimit(.minutes(1)))
struct SubscriptionTests {
  static func event(_ stream: String, _ number: Int) -> NewEvent {
    NewEvent(stream: stream, type: "note", payload: Array("\(number)".utf8))
  }

  @Test("a subscription catches up from disk, then delivers live appends in order, each once")
  func catchUpThenLive() async throws {
    let directory = TemporaryDirectory("subscribe")
    let log = try Log.open(at: directory.path, options: .testing(segmentSize: 4096))
    for number in 0..<40 { try log.append([Self.event("s/\(number % 3)", number)]) }
    try log.close()
    let reopened = try Log.open(at: directory.path, options: .testing(segmentSize: 4096))
    let (progress, reached) = AsyncStream.makeStream(of: UInt64.self)
    let subscriber = Task {
      var received: [UInt64] = []
      for try await event in reopened.subscribe(from: 1) {
        received.append(event.sequence)
        #expect(String(decoding: event.payload, as: UTF8.self) == "\(event.sequence - 1)")
        if event.sequence == 40 { reached.yield(40) }
        if received.count == 100 { break }
      }
      return received
    }
    // Append the rest only once the subscriber has caught up, so that they
    // must arrive live.
    for await _ in progress { break }
    for number in 40..<100 { try reopened.append([Self.event("s/\(number % 3)", number)]) }
    let received = try await subscriber.value
    #expect(received == Array(1...100))
  }

  @Test("a stream subscription delivers that stream's versions only, in order")
  func streamSubscription() async throws {
    let directory = TemporaryDirectory("subscribe-stream")
    let log = try Log.open(at: directory.path, options: .testing())
    for number in 0..<30 { try log.append([Self.event("s/\(number % 3)", number)]) }
    let subscriber = Task {
      var versions: [UInt64] = []
      for try await event in log.subscribe(toStream: "s/1", fromVersion: 4) {
        #expect(event.stream == "s/1")
        versions.append(event.streamVersion)
        if versions.count == 12 { break }
      }
      return versions
    }
    for number in 30..<60 { try log.append([Self.event("s/\(number % 3)", number)]) }
    #expect(try await subscriber.value == Array(4...15))
  }

  @Test("cancelling a waiting subscription ends it promptly; closing the log ends it too")
  func cancellationAndClose() async throws {
    let directory = TemporaryDirectory("subscribe-cancel")
    let log = try Log.open(at: directory.path, options: .testing())
    try log.append([Self.event("s/1", 0)])
    let waiting = Task {
      var count = 0
      for try await _ in log.subscribe(from: 1) { count += 1 }
      return count
    }
    let (progress, delivered) = AsyncStream.makeStream(of: Int.self)
    let closing = Task {
      var count = 0
      for try await _ in log.subscribe(from: 1) {
        count += 1
        delivered.yield(count)
      }
      return count
    }
    try log.append([Self.event("s/1", 1)])
    waiting.cancel()
    let cancelledCount = try await waiting.value
    #expect(cancelledCount <= 2)
    // Once the other has both events it can only be waiting: closing ends it.
    for await count in progress where count == 2 { break }
    try log.close()
    #expect(try await closing.value == 2)
  }
}
