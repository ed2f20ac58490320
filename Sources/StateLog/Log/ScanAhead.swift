import Glibc

/// Reads one segment's batches and expands them (checksum, LZ4) on a helper
/// thread ahead of a scan, so that a long scan uses two cores: LZ4
/// decompression is most of a scan's time (BENCHMARKS.md, W4), and the
/// scanning thread still has to decode every record and call its reader.
///
/// The helper reads the segment in chunks of whole batches, up to
/// ``chunksAhead`` chunks ahead of the scanner. Each batch is expanded once,
/// by whichever thread claims it first: the scanner claims the batches of a
/// chunk from the front, as it reaches them, and the helper from the back of
/// the earliest chunk with any left, so the split follows the two threads'
/// speeds and they meet at most once per chunk (where the scanner may wait
/// for the one batch the helper is expanding). Each wakes the other only when
/// it is waiting: a wake-up costs more than expanding a small batch.
/// The scanner takes the batches in file order with ``next()``; what the serial
/// scan would throw (a read failure, a checksum mismatch, a body that does not
/// decompress, a header that cannot start a batch) comes out at the batch where
/// the serial scan would meet it, after every batch before it.
///
/// The helper is a thread of its own, not a worker of a shared pool: the
/// scanner waits for it, and a pool busy with the caller's own work (a
/// `concurrentPerform`) might not start it for a while. The scanner must call
/// ``finish()`` before it lets go: it stops the helper and joins it, and only
/// then may the buffers go.
final class ScanAhead: @unchecked Sendable {
  // Unchecked: every mutable property is guarded by `mutex`. A chunk's buffer
  // pointers and bytes are used outside it: the helper fills a chunk it took
  // from `spare` (which nothing else touches) before publishing it, and each
  // batch's output region is written by the one thread that claimed it, the
  // outcome published by the state change made under the mutex afterwards.
  // A chunk goes back to `spare` only once the scanner has passed all of its
  // batches, so no thread still reads or writes it then.

  /// What ``next()`` returns.
  enum Item {
    /// The next batch at `offset`. `body` is its verified, expanded body, valid
    /// until the next call; empty for a batch that ends before the scan's first
    /// sequence, which was neither verified nor expanded.
    case batch(BatchHeader, offset: UInt64, body: Result<UnsafeRawBufferPointer, StateLogError>)
    /// The data ends at the offset after the last batch: `limit` is reached,
    /// or the scan is past its last sequence.
    case end
    /// A segment footer starts at this offset.
    case footer(UInt64)
    /// What starts at this offset cannot be a batch (the message says why):
    /// the serial reader's ``BatchReader/Step/problem(_:)``.
    case problem(String, UInt64)
    /// A read failed, or the file ended before the data did.
    case failure(StateLogError)
  }

  /// Bytes read per chunk, unless one batch is larger.
  static let chunkSize = 512 << 10
  /// The most expanded bytes a chunk takes (unless its one batch has more):
  /// bodies may claim up to 255 times their stored size, and memory ahead of
  /// the scanner stays bounded by ``chunksAhead`` chunks of this.
  static let chunkOutputBudget = 4 << 20
  /// How many chunks the helper reads before it waits for the scanner.
  static let chunksAhead = 3
  /// How often the scanner yields its core before it sleeps while the helper
  /// expands the batch it wants.
  static let yieldsBeforeSleeping = 50

  private let io: any FileIO
  private let file: FileHandle
  /// The segment's file name, for errors.
  private let name: String
  private let limit: UInt64
  /// Batches that end before this sequence are skipped unexpanded.
  private let firstSequence: UInt64
  /// The helper reads no batch after the one holding this sequence.
  private let lastSequence: UInt64

  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  // Guarded by `mutex`:
  /// Chunks read and not yet passed by the scanner, in file order.
  private var chunks: [Chunk] = []
  /// Consumed chunks, for reuse: fresh memory costs a page fault per page.
  private var spare: [Chunk] = []
  /// The scanner's next batch in `chunks[0]`.
  private var scannerSlot = 0
  /// Where the helper reads next; `nil` once it has read the last chunk.
  private var readOffset: UInt64?
  private var stopping = false
  private var helper: pthread_t?
  private var helperWaiting = false
  private var scannerWaiting = false

  private init(
    io: any FileIO, file: FileHandle, name: String, from offset: UInt64, limit: UInt64, firstSequence: UInt64,
    lastSequence: UInt64
  ) {
    self.io = io
    self.file = file
    self.name = name
    self.limit = limit
    self.firstSequence = firstSequence
    self.lastSequence = lastSequence
    readOffset = offset
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(changed, nil)
  }

  deinit {
    pthread_cond_destroy(changed)
    pthread_mutex_destroy(mutex)
    changed.deallocate()
    mutex.deallocate()
  }

  /// Starts a helper reading from `offset` (a batch boundary) to `limit`.
  ///
  /// - Parameters:
  ///   - firstSequence: Batches that end before it are neither verified nor expanded.
  ///   - lastSequence: The helper stops after the batch that holds it.
  ///   - file: Read by the helper until ``finish()`` returns: the caller keeps
  ///     it open until then.
  ///
  /// - Returns: `nil` if no thread could be started; the scan then goes on
  ///   without a helper.
  static func start(
    io: any FileIO, file: FileHandle, name: String, from offset: UInt64, limit: UInt64,
    firstSequence: UInt64 = 0,
    lastSequence: UInt64 = .max
  ) -> ScanAhead? {
    let ahead = ScanAhead(
      io: io, file: file, name: name, from: offset, limit: limit, firstSequence: firstSequence,
      lastSequence: lastSequence)
    var thread = pthread_t()
    let context = Unmanaged.passRetained(ahead).toOpaque()
    let started = pthread_create(
      &thread, nil,
      { context in
        Unmanaged<ScanAhead>.fromOpaque(context!).takeRetainedValue().runHelper()
        return nil
      }, context)
    guard started == 0 else {
      Unmanaged<ScanAhead>.fromOpaque(context).release()
      return nil
    }
    ahead.withLock { ahead.helper = thread }
    return ahead
  }

  /// Whether this machine has a second core for a helper.
  static var isAvailable: Bool { processorCount > 1 }

  private static let processorCount = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

  /// Stops the helper and waits until it has ended.
  func finish() {
    let thread = withLock {
      stopping = true
      pthread_cond_broadcast(changed)
      defer { helper = nil }
      return helper
    }
    if let thread { pthread_join(thread, nil) }
  }

  /// The next batch in file order, or what ends the data.
  func next() -> Item {
    var yields = 0
    return withLock {
      while true {
        guard let chunk = chunks.first else {
          wait(&scannerWaiting)
          continue
        }
        guard scannerSlot < chunk.slots.count else {
          if let terminal = chunk.terminal { return terminal }
          // Past this chunk: it goes back to the helper for reuse.
          chunks.removeFirst()
          spare.append(chunk)
          scannerSlot = 0
          if helperWaiting { pthread_cond_broadcast(changed) }
          continue
        }
        let slot = chunk.slots[scannerSlot]
        switch slot.state {
        case .pending:
          chunk.front = scannerSlot + 1
          expand(chunk, scannerSlot)
          continue
        case .claimed:
          // The helper is expanding this batch, which takes microseconds:
          // yielding a few times is cheaper than sleeping and being woken.
          if yields < Self.yieldsBeforeSleeping {
            yields += 1
            pthread_mutex_unlock(mutex)
            sched_yield()
            pthread_mutex_lock(mutex)
          } else {
            wait(&scannerWaiting)
          }
          continue
        case .skipped:
          scannerSlot += 1
          return .batch(
            slot.header, offset: slot.offset, body: .success(UnsafeRawBufferPointer(start: nil, count: 0)))
        case .expanded:
          scannerSlot += 1
          return .batch(slot.header, offset: slot.offset, body: .success(chunk.body(of: slot)))
        case .failed(let error):
          scannerSlot += 1
          return .batch(slot.header, offset: slot.offset, body: .failure(error))
        }
      }
    }
  }

  // MARK: Helper

  private func runHelper() {
    withLock {
      while !stopping {
        if let offset = readOffset, chunks.count < Self.chunksAhead {
          let chunk = spare.popLast() ?? Chunk()
          pthread_mutex_unlock(mutex)
          let next = read(chunk, at: offset)
          pthread_mutex_lock(mutex)
          chunks.append(chunk)
          readOffset = next
          if scannerWaiting { pthread_cond_broadcast(changed) }
        } else if let pending = lastPendingOfEarliestChunk() {
          expand(pending.chunk, pending.index)
        } else if readOffset == nil {
          break
        } else {
          wait(&helperWaiting)
        }
      }
    }
  }

  /// The helper's next batch to expand: the last pending one of the earliest
  /// chunk that has any, which the scanner, working from the front, reaches last.
  private func lastPendingOfEarliestChunk() -> (chunk: Chunk, index: Int)? {
    for chunk in chunks {
      while chunk.back > chunk.front {
        chunk.back -= 1
        if case .pending = chunk.slots[chunk.back].state { return (chunk, chunk.back) }
      }
    }
    return nil
  }

  /// Claims the pending batch `index` of `chunk`, expands it without the
  /// mutex held, and records the outcome. Called and returns with the mutex held.
  private func expand(_ chunk: Chunk, _ index: Int) {
    let slot = chunk.slots[index]
    chunk.slots[index].state = .claimed
    pthread_mutex_unlock(mutex)
    let outcome: Slot.State
    do {
      try BatchDecoder.expand(
        chunk.batch(of: slot), header: slot.header, into: chunk.output(of: slot), file: name,
        offset: slot.offset)
      outcome = .expanded
    } catch {
      outcome = .failed(error)
    }
    pthread_mutex_lock(mutex)
    chunk.slots[index].state = outcome
    if scannerWaiting || helperWaiting { pthread_cond_broadcast(changed) }
  }

  /// Sleeps until the other thread signals, with `flag` set meanwhile so it
  /// knows to. Called and returns with the mutex held.
  private func wait(_ flag: inout Bool) {
    flag = true
    pthread_cond_wait(changed, mutex)
    flag = false
  }

  /// Reads the whole batches from `offset` into `chunk` and returns where the
  /// next chunk starts, or `nil` if this one ends the data (its `terminal`).
  ///
  /// A batch that ends before the scan's first sequence is only stepped over:
  /// the serial scan does not read it either. A read that fails ends the chunk
  /// after the batches read before it, where the serial scan would fail too.
  private func read(_ chunk: Chunk, at offset: UInt64) -> UInt64? {
    chunk.reset(start: offset)
    chunk.fill(io: io, file: file, count: Int(min(UInt64(Self.chunkSize), limit - offset)))
    var position = offset
    while true {
      if position == limit {
        chunk.terminal = .end
        return nil
      }
      guard limit - position >= UInt64(BatchHeader.size) else {
        chunk.terminal = .problem("incomplete batch header (\(limit - position) bytes)", position)
        return nil
      }
      guard chunk.holds(position, count: BatchHeader.size) else {
        return more(chunk, BatchHeader.size, at: position)
      }
      switch BatchReader.step(
        header: chunk.bytes(at: position, count: BatchHeader.size), remaining: limit - position)
      {
      case .footer, .end:
        chunk.terminal = .footer(position)
        return nil
      case .problem(let message):
        chunk.terminal = .problem(message, position)
        return nil
      case .batch(let header):
        let length = Int(header.length)
        let skipped = header.nextSequence <= firstSequence
        if !skipped && !chunk.holds(position, count: length) {
          // A batch larger than a chunk is read whole into a chunk of its
          // own; any other starts the next chunk.
          guard chunk.slots.isEmpty, chunk.readError == nil else { return more(chunk, length, at: position) }
          chunk.fill(io: io, file: file, count: length)
          guard chunk.holds(position, count: length) else { return more(chunk, length, at: position) }
        }
        if !chunk.slots.isEmpty
          && chunk.outputCount + Chunk.outputLength(of: header, skipped: skipped) > Self.chunkOutputBudget
        {
          return position
        }
        chunk.append(header, at: position, skipped: skipped)
        position += UInt64(length)
        if header.nextSequence > lastSequence {
          chunk.terminal = .end
          return nil
        }
      }
    }
  }

  /// Ends `chunk` where it lacks the `count` bytes at `offset`: the next
  /// chunk starts there, unless reading failed or the file ended.
  private func more(_ chunk: Chunk, _ count: Int, at offset: UInt64) -> UInt64? {
    if let error = chunk.readError {
      chunk.terminal = .failure(error)
      return nil
    }
    if chunk.slots.isEmpty {
      chunk.terminal = .failure(
        StateLogError(.corruption, "file ended while reading \(count) bytes", file: name, offset: offset))
      return nil
    }
    return offset
  }

  private func withLock<Result>(_ body: () -> Result) -> Result {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return body()
  }
}

/// One batch of a chunk.
private struct Slot {
  enum State {
    case skipped
    case pending
    case claimed
    case expanded
    case failed(StateLogError)
  }

  var header: BatchHeader
  /// The batch's offset in the segment.
  var offset: UInt64
  /// Where its expanded body starts in the chunk's output buffer.
  var outputStart: Int
  var state: State
}

/// A run of whole batches read from a segment, with room for their expanded
/// bodies. Its slots are ``ScanAhead``'s to guard; its buffers are written by
/// one thread per region (see there).
private final class Chunk {
  /// The segment offset of the first byte read.
  private(set) var start: UInt64 = 0
  private var stored = UnsafeMutableRawBufferPointer(start: nil, count: 0)
  private var storedCount = 0
  private var output = UnsafeMutableRawBufferPointer(start: nil, count: 0)
  /// The expanded bytes its batches take.
  private(set) var outputCount = 0
  /// Why reading stopped short of what was asked, if a read failed.
  private(set) var readError: StateLogError?
  var slots: [Slot] = []
  /// The scanner has claimed or passed every slot before `front`; the helper
  /// has claimed or passed every slot from `back` on.
  var front = 0
  var back = 0
  /// What follows the last slot, if this chunk ends the data.
  var terminal: ScanAhead.Item?

  deinit {
    stored.deallocate()
    output.deallocate()
  }

  /// One past the segment offset of the last byte read.
  var end: UInt64 { start + UInt64(storedCount) }

  func reset(start: UInt64) {
    self.start = start
    storedCount = 0
    outputCount = 0
    readError = nil
    // A buffer grown for one huge batch is not kept for the rest of the scan.
    if stored.count > ScanAhead.chunkSize {
      stored.deallocate()
      stored = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    }
    if output.count > ScanAhead.chunkOutputBudget {
      output.deallocate()
      output = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    }
    slots.removeAll(keepingCapacity: true)
    front = 0
    back = 0
    terminal = nil
  }

  /// Whether the `count` bytes at segment offset `offset` have been read.
  func holds(_ offset: UInt64, count: Int) -> Bool { offset + UInt64(count) <= end }

  /// Reads the segment from `start` until the chunk holds `count` bytes, the
  /// file ends, or a read fails (``readError``).
  func fill(io: any FileIO, file: FileHandle, count: Int) {
    if stored.count < count {
      let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
      if storedCount > 0 { grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: stored[0..<storedCount])) }
      stored.deallocate()
      stored = grown
    }
    while storedCount < count {
      do {
        let read = try io.read(
          file, into: UnsafeMutableRawBufferPointer(rebasing: stored[storedCount..<count]),
          at: start + UInt64(storedCount))
        if read == 0 { break }
        storedCount += read
      } catch {
        readError = error
        break
      }
    }
  }

  func bytes(at offset: UInt64, count: Int) -> UnsafeRawBufferPointer {
    let from = Int(offset - start)
    return UnsafeRawBufferPointer(rebasing: stored[from..<from + count])
  }

  /// The expanded bytes a batch takes in the output buffer: none if it is
  /// skipped or stored uncompressed (its body is read in place).
  static func outputLength(of header: BatchHeader, skipped: Bool) -> Int {
    skipped || header.codec != .lz4 ? 0 : Int(header.bodyLength)
  }

  func append(_ header: BatchHeader, at offset: UInt64, skipped: Bool) {
    let length = Self.outputLength(of: header, skipped: skipped)
    slots.append(
      Slot(header: header, offset: offset, outputStart: outputCount, state: skipped ? .skipped : .pending))
    back = slots.count
    outputCount += length
    if output.count < outputCount {
      // Slots keep offsets, not pointers, so the buffer may move while the
      // helper reads: nothing expands into a chunk before it is published.
      let grown = UnsafeMutableRawBufferPointer.allocate(
        byteCount: max(outputCount, output.count * 2, ScanAhead.chunkSize), alignment: 16)
      output.deallocate()
      output = grown
    }
  }

  func batch(of slot: Slot) -> UnsafeRawBufferPointer {
    bytes(at: slot.offset, count: Int(slot.header.length))
  }

  func output(of slot: Slot) -> UnsafeMutableRawBufferPointer {
    guard slot.header.codec == .lz4 else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
    return UnsafeMutableRawBufferPointer(
      rebasing: output[slot.outputStart..<slot.outputStart + Int(slot.header.bodyLength)])
  }

  /// The expanded body of `slot`: its own bytes when stored uncompressed.
  func body(of slot: Slot) -> UnsafeRawBufferPointer {
    guard slot.header.codec == .lz4 else {
      return BatchDecoder.storedBody(of: batch(of: slot), header: slot.header)
    }
    return UnsafeRawBufferPointer(output(of: slot))
  }
}
