/// A stored event with its payload decoded and migrated to its type's current
/// schema version.
public struct DecodedEvent: Hashable, Sendable {
  /// The event exactly as stored: original schema version and payload bytes.
  public var recorded: RecordedEvent
  /// The payload at ``schemaVersion``.
  public var data: JSONValue
  /// The schema version of ``data``: the type's current version if registered,
  /// otherwise the version it was written in.
  public var schemaVersion: UInt32

  public var sequence: UInt64 { recorded.sequence }
  public var stream: String { recorded.stream }
  public var streamVersion: UInt64 { recorded.streamVersion }
  public var type: String { recorded.type }
  public var timestamp: Timestamp { recorded.timestamp }
  public var id: EventID { recorded.id }

  /// The payload as a typed event.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if
  ///   the event is of another type or version, or its data does not decode.
  public func decode<Event: EventType>(as type: Event.Type) throws -> Event {
    guard ExactName(recorded.type) == ExactName(Event.typeName), schemaVersion == Event.schemaVersion else {
      throw StateLogError(
        .malformedPayload,
        "event \(sequence) is \(recorded.type) v\(schemaVersion), not \(Event.typeName) v\(Event.schemaVersion)"
      )
    }
    do {
      return try JSONValueDecoder().decode(type, from: data)
    } catch {
      throw StateLogError(.malformedPayload, "event \(sequence) (\(recorded.type)) does not decode: \(error)")
    }
  }
}
