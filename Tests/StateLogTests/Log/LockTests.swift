import Dispatch
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import StateLog

@Suite("Writer lock")
struct LockTests {
  @Test("a second writer is refused with the holder's pid, until the first closes")
  func secondWriterRefused() throws {
    let directory = TemporaryDirectory("lock")
    let first = try Log.open(at: directory.path, options: .testing())
    try first.append([NewEvent(stream: "s", type: "t", payload: [1])])
    let error = #expect(throws: StateLogError.self) { try Log.open(at: directory.path, options: .testing()) }
    #expect(error?.code == .locked)
    #expect(error?.pid == getpid())
    #expect(error?.description.contains("pid \(getpid())") == true)
    try first.close()
    let second = try Log.open(at: directory.path, options: .testing())
    #expect(second.lastSequence == 1)
  }

  @Test("a second open in this process of a log it holds is refused at once, without trying the lock")
  func secondOpenInProcessFailsFast() throws {
    let directory = TemporaryDirectory("lock-twice")
    let first = try Log.open(at: directory.path, options: .testing())
    let io = FaultInjectingFileIO()
    var options = LogOptions.testing()
    options.fileIO = io
    let error = #expect(throws: StateLogError.self) {
      try Log.open(at: directory.path + "/.", options: options)
    }
    #expect(error?.code == .locked)
    #expect(error?.pid == getpid())
    #expect(io.count(.lock) == 0)
    try first.close()
    try Log.open(at: directory.path, options: options).close()
  }

  @Test(
    "a lock still held by a stray copy of this process's descriptor (a child between fork and exec) is waited for"
  )
  func strayCopyOfTheLockIsWaitedFor() throws {
    let directory = TemporaryDirectory("lock-stray")
    try Log.open(at: directory.path, options: .testing()).close()
    // What a forked child holds until it calls exec: the lock, on a
    // description this process opened, with this process's pid in LOCK.
    let stray = Glibc.open(directory.child("LOCK"), O_RDWR | O_CLOEXEC)
    #expect(flock(stray, LOCK_EX | LOCK_NB) == 0)
    let io = FaultInjectingFileIO()
    var options = LogOptions.testing()
    options.fileIO = io
    // On a thread of its own, not the tests' shared pool, which other tests
    // may keep busy for longer than the open waits.
    let opened = Mutex<Result<Log, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    let path = directory.path
    let openOptions = options
    DispatchQueue.global().async {
      let result = Result { try Log.open(at: path, options: openOptions) }
      opened.withLock { $0 = result }
      done.signal()
    }
    // Until the open has found the lock taken and tried again (or has given
    // up, which fails the test below).
    while io.count(.lock) < 2 && opened.withLock({ $0 == nil }) {}
    Glibc.close(stray)
    done.wait()
    let log = try opened.withLock { $0! }.get()
    try log.append([NewEvent(stream: "s", type: "t", payload: [1])])
    #expect(log.lastSequence == 1)
    try log.close()
  }

  @Test("a log released without close unlocks and reopens cleanly")
  func releasedWithoutClose() throws {
    let directory = TemporaryDirectory("release")
    var log: Log? = try Log.open(at: directory.path, options: .testing())
    try log!.append([NewEvent(stream: "s", type: "t", payload: [1, 2])])
    log = nil
    let reopened = try Log.open(at: directory.path, options: .testing())
    #expect(try reopened.events().map(\.payload) == [[1, 2]])
  }

  @Test("a read-only reader works beside a writer and sees what was committed when it opened")
  func readerBesideWriter() throws {
    let directory = TemporaryDirectory("reader")
    var factory = EventFactory(seed: 8)
    let writer = try Log.open(at: directory.path, options: .testing(segmentSize: 8 << 10))
    let first = factory.events(100)
    for chunk in stride(from: 0, to: 100, by: 10) { try writer.append(Array(first[chunk..<chunk + 10])) }
    let reader = try Log.openReadOnly(at: directory.path, options: .testing())
    #expect(reader.isReadOnly)
    #expect(reader.lastSequence == 100)
    try writer.append(factory.events(10))
    #expect(zip(try reader.events(), first).allSatisfy { $0.matches($1) })
    let refused = #expect(throws: StateLogError.self) { try reader.append(factory.events(1)) }
    #expect(refused?.code == .readOnly)
    let later = try Log.openReadOnly(at: directory.path, options: .testing())
    #expect(later.lastSequence == 110)
  }

  @Test("refresh follows a writer across segment rolls and ignores a batch still being written")
  func refreshFollowsWriter() throws {
    let directory = TemporaryDirectory("refresh")
    var factory = EventFactory(seed: 12)
    let writer = try Log.open(at: directory.path, options: .testing(segmentSize: 4096))
    let reader = try Log.openReadOnly(at: directory.path, options: .testing())
    #expect(reader.lastSequence == 0)
    var written: [NewEvent] = []
    for round in 0..<30 {
      let events = factory.events(3)
      try writer.append(events)
      written += events
      if round % 7 == 0 {
        #expect(try reader.refresh() == UInt64(written.count))
      }
    }
    #expect(try reader.refresh() == UInt64(written.count))
    #expect(Files.list(directory.path).filter { $0.hasSuffix(".seg") }.count > 3)
    #expect(zip(try reader.events(), written).allSatisfy { $0.matches($1) })
    for stream in Set(written.map(\.stream)) {
      #expect(reader.lastVersion(of: stream) == UInt64(written.filter { $0.stream == stream }.count))
    }
    #expect(try reader.sequence(atOrBefore: .distantFuture) == UInt64(written.count))

    // Half a batch at the tail: the reader waits for the rest.
    let active = Files.list(directory.path).filter { $0.hasSuffix(".seg") }.last!
    let bytes = Files.read(directory.child(active))
    Files.write(directory.child(active), bytes + Array(bytes[SegmentHeader.size..<SegmentHeader.size + 20]))
    #expect(try reader.refresh() == UInt64(written.count))
  }

  @Test("opening errors: no directory, not a log, closed log")
  func openingErrors() throws {
    let directory = TemporaryDirectory("errors")
    let missing = #expect(throws: StateLogError.self) { try Log.openReadOnly(at: directory.child("nope")) }
    #expect(missing?.code == .notALog)
    Files.write(directory.child("notes.txt"), Array("hello".utf8))
    let foreign = #expect(throws: StateLogError.self) { try Log.open(at: directory.path) }
    #expect(foreign?.code == .notALog)
    #expect(Files.read(directory.child("notes.txt")) == Array("hello".utf8))

    let log = try Log.open(at: directory.child("log"), options: .testing())
    try log.close()
    try log.close()
    #expect(throws: StateLogError.self) { try log.append([NewEvent(stream: "s", type: "t", payload: [])]) }
    #expect(throws: StateLogError.self) { try log.events() }
  }

  @Test(
    "invalid appends are refused and write nothing",
    arguments: [
      NewEvent(stream: "", type: "t", payload: []),
      NewEvent(stream: "a\nb", type: "t", payload: []),
      NewEvent(stream: String(repeating: "x", count: 256), type: "t", payload: []),
      NewEvent(stream: "s", type: "", payload: []),
      NewEvent(stream: "s", type: "t", schemaVersion: 0, payload: []),
      NewEvent(stream: "s", type: "t", payload: [UInt8](repeating: 0, count: 1025)),
    ])
  func invalidAppends(event: NewEvent) throws {
    let directory = TemporaryDirectory("invalid")
    var options = LogOptions.testing()
    options.maximumPayloadSize = 1024
    let log = try Log.open(at: directory.path, options: options)
    try log.append([NewEvent(stream: "s", type: "t", payload: [9])])
    let error = #expect(throws: StateLogError.self) {
      try log.append([NewEvent(stream: "s", type: "t", payload: [1]), event])
    }
    #expect(error?.code == .invalidArgument || error?.code == .payloadTooLarge)
    #expect(log.lastSequence == 1)
    #expect(throws: StateLogError.self) { try log.append([]) }
    try log.append([NewEvent(stream: "s", type: "t", payload: [2])])
    #expect(try log.events().map(\.streamVersion) == [1, 2])
  }
}
