/// Where an appended event landed.
public struct EventPosition: Hashable, Sendable {
  /// The event's global sequence number: dense, gap-free, starting at 1.
  public var sequence: UInt64
  /// The event's version within its stream: dense, starting at 1.
  public var streamVersion: UInt64

  public init(sequence: UInt64, streamVersion: UInt64) {
    self.sequence = sequence
    self.streamVersion = streamVersion
  }
}

/// An event as stored in the log, with the positions the log assigned.
public struct RecordedEvent: Hashable, Sendable {
  public var sequence: UInt64
  public var stream: String
  public var streamVersion: UInt64
  public var type: String
  public var schemaVersion: UInt32
  public var timestamp: Timestamp
  public var id: EventID
  public var metadata: EventMetadata
  public var payload: [UInt8]

  public init(
    sequence: UInt64, stream: String, streamVersion: UInt64, type: String, schemaVersion: UInt32,
    timestamp: Timestamp, id: EventID, metadata: EventMetadata, payload: [UInt8]
  ) {
    self.sequence = sequence
    self.stream = stream
    self.streamVersion = streamVersion
    self.type = type
    self.schemaVersion = schemaVersion
    self.timestamp = timestamp
    self.id = id
    self.metadata = metadata
    self.payload = payload
  }

  public var position: EventPosition {
    EventPosition(sequence: sequence, streamVersion: streamVersion)
  }
}

/// A stored event borrowed from the log's read buffer, valid only inside the
/// closure that receives it.
///
/// Scans hand out views so that iterating costs no allocation per event: the
/// payload and metadata point into the decoded batch, and the stream and type
/// names are shared by every event of the batch. Call ``recordedEvent()`` to
/// keep an event beyond the closure.
public struct EventView {
  public let sequence: UInt64
  public let stream: String
  public let streamVersion: UInt64
  public let type: String
  public let schemaVersion: UInt32
  public let timestamp: Timestamp
  public let id: EventID
  /// The encoded metadata (empty when there is none); see ``metadata()``.
  public let metadataBytes: UnsafeRawBufferPointer
  /// The payload bytes; do not keep the pointer past the closure.
  public let payload: UnsafeRawBufferPointer

  /// Decodes the metadata.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/corruption`` if it is malformed.
  public func metadata() throws -> EventMetadata {
    if metadataBytes.isEmpty { return EventMetadata() }
    do {
      return try EventMetadata(decoding: metadataBytes)
    } catch {
      throw StateLogError(.corruption, "malformed metadata of event \(sequence): \(error.message)")
    }
  }

  /// Copies the event out of the read buffer.
  public func recordedEvent() throws -> RecordedEvent {
    RecordedEvent(
      sequence: sequence, stream: stream, streamVersion: streamVersion, type: type,
      schemaVersion: schemaVersion, timestamp: timestamp, id: id, metadata: try metadata(),
      payload: [UInt8](payload))
  }
}

/// What an append wrote.
public struct AppendResult: Hashable, Sendable {
  /// One position per appended event, in the order given.
  public var positions: [EventPosition]

  /// The sequence number of the first event appended.
  public var firstSequence: UInt64 { positions.first?.sequence ?? 0 }
  /// The sequence number of the last event appended.
  public var lastSequence: UInt64 { positions.last?.sequence ?? 0 }
}
