/// A stored event that decodes as a typed event at its type's current schema
/// version: a ``DecodedEvent``, or a ``ReplayedEvent`` that replay borrows
/// from the log without copying.
public protocol DecodableEvent {
  var sequence: UInt64 { get }
  var stream: String { get }
  var streamVersion: UInt64 { get }
  /// The stored type name.
  var type: String { get }
  var timestamp: Timestamp { get }
  /// The payload as a typed event.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if
  ///   the event is of another type or version, or its data does not decode.
  func decode<Event: EventType>(as type: Event.Type) throws -> Event
}

/// A stored event at its type's current schema version, ready to decode.
///
/// An event already written at the current version keeps just its stored
/// bytes, which ``decode(as:)`` reads straight into the typed value: replay
/// never builds an intermediate ``JSONValue`` for it. An event that needed
/// upcasting holds the migrated payload.
public struct DecodedEvent: DecodableEvent, Hashable, Sendable {
  /// The event exactly as stored: original schema version and payload bytes.
  public var recorded: RecordedEvent
  /// The schema version of ``data``: the type's current version if registered,
  /// otherwise the version it was written in.
  public var schemaVersion: UInt32
  /// The payload after upcasting, or `nil` if the stored payload is already at
  /// ``schemaVersion``.
  let migrated: JSONValue?
  let codec: any PayloadCodec

  init(recorded: RecordedEvent, migrated: JSONValue?, schemaVersion: UInt32, codec: any PayloadCodec) {
    self.recorded = recorded
    self.migrated = migrated
    self.schemaVersion = schemaVersion
    self.codec = codec
  }

  public var sequence: UInt64 { recorded.sequence }
  public var stream: String { recorded.stream }
  public var streamVersion: UInt64 { recorded.streamVersion }
  public var type: String { recorded.type }
  public var timestamp: Timestamp { recorded.timestamp }
  public var id: EventID { recorded.id }

  /// The payload at ``schemaVersion``.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if
  ///   the stored bytes are not a payload of the codec.
  public var data: JSONValue {
    get throws {
      if let migrated { return migrated }
      return try recorded.payload.withUnsafeBytes { try codec.decode($0) }
    }
  }

  /// The payload as a typed event.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if
  ///   the event is of another type or version, or its data does not decode.
  /// - Complexity: One pass over the payload bytes, for an event that needed no upcasting.
  public func decode<Event: EventType>(as type: Event.Type) throws -> Event {
    try recorded.payload.withUnsafeBytes { payload in
      try Self.decode(
        type, storedType: recorded.type, sequence: sequence, schemaVersion: schemaVersion, migrated: migrated,
        payload: payload, codec: codec)
    }
  }

  /// Decodes a stored event as `Event`: from `migrated` if it was upcast,
  /// otherwise straight from its payload bytes.
  static func decode<Event: EventType>(
    _ type: Event.Type, storedType: String, sequence: UInt64, schemaVersion: UInt32, migrated: JSONValue?,
    payload: UnsafeRawBufferPointer, codec: any PayloadCodec
  ) throws -> Event {
    guard ExactName(storedType) == ExactName(Event.typeName), schemaVersion == Event.schemaVersion else {
      throw StateLogError(
        .malformedPayload,
        "event \(sequence) is \(storedType) v\(schemaVersion), not \(Event.typeName) v\(Event.schemaVersion)")
    }
    do {
      if let migrated { return try JSONValueDecoder().decode(type, from: migrated) }
      return try codec.decode(event: type, from: payload)
    } catch let error as StateLogError {
      throw StateLogError(.malformedPayload, "event \(sequence) (\(storedType)): \(error.message)")
    } catch {
      throw StateLogError(.malformedPayload, "event \(sequence) (\(storedType)) does not decode: \(error)")
    }
  }

  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.recorded == rhs.recorded && lhs.schemaVersion == rhs.schemaVersion && lhs.migrated == rhs.migrated
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(recorded)
    hasher.combine(schemaVersion)
    hasher.combine(migrated)
  }
}
