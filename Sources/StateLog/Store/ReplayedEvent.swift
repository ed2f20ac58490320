/// A stored event as replay sees it: borrowed from the log's read buffer and
/// decoded on demand, so that replaying costs no copy of the event.
///
/// Valid only inside the closure that receives it; ``decoded()`` copies it out.
public struct ReplayedEvent: DecodableEvent {
  /// The event as stored.
  public let view: EventView
  /// The schema version the payload decodes at: the type's current version if
  /// registered, otherwise the version it was written in.
  public let schemaVersion: UInt32
  /// The payload after upcasting, or `nil` if the stored payload is already at
  /// ``schemaVersion``.
  let migrated: JSONValue?
  let codec: any PayloadCodec

  public var sequence: UInt64 { view.sequence }
  public var stream: String { view.stream }
  public var streamVersion: UInt64 { view.streamVersion }
  public var type: String { view.type }
  public var timestamp: Timestamp { view.timestamp }

  public func decode<Event: EventType>(as type: Event.Type) throws -> Event {
    try DecodedEvent.decode(
      type, storedType: view.type, sequence: view.sequence, schemaVersion: schemaVersion, migrated: migrated,
      payload: view.payload, codec: codec)
  }

  /// Copies the event out of the read buffer.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/corruption`` if its metadata is malformed.
  public func decoded() throws -> DecodedEvent {
    DecodedEvent(
      recorded: try view.recordedEvent(), migrated: migrated, schemaVersion: schemaVersion, codec: codec)
  }
}
