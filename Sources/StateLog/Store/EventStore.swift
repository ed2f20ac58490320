/// A log seen through a payload codec and a schema registry: typed events in,
/// decoded and upcast events out.
///
/// ```swift
/// let store = EventStore(log: try Log.open(at: path), registry: registry)
/// try store.append(PreferenceSet(key: "ui.theme", value: "dark"), to: "profile/alice")
/// for event in try store.events(inStream: "profile/alice") {
///   let preference = try event.decode(as: PreferenceSet.self)
/// }
/// ```
///
/// Reads return every event at its type's current schema version, while the
/// log keeps the bytes as written (``DecodedEvent/recorded``).
public struct EventStore: Sendable {
  public let log: Log
  public let registry: SchemaRegistry
  public let codec: any PayloadCodec

  public init(
    log: Log, registry: SchemaRegistry = SchemaRegistry(), codec: any PayloadCodec = BinaryPayloadCodec()
  ) {
    self.log = log
    self.registry = registry
    self.codec = codec
  }

  /// Encodes a typed event for ``Log/append(_:expecting:)``.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if
  ///   the event does not encode.
  public func newEvent<Event: EventType>(
    _ event: Event, stream: String, id: EventID = .random(), timestamp: Timestamp? = nil,
    metadata: EventMetadata = EventMetadata()
  ) throws -> NewEvent {
    let data: JSONValue
    do {
      data = try JSONValueEncoder().encode(event)
    } catch {
      throw StateLogError(.malformedPayload, "\(Event.typeName) does not encode: \(error)")
    }
    guard BinaryPayloadCodec.nestsWithinLimit(data) else {
      throw StateLogError(
        .malformedPayload, "\(Event.typeName) nests deeper than \(BinaryPayloadCodec.maximumDepth) levels")
    }
    return NewEvent(
      stream: stream, type: Event.typeName, schemaVersion: Event.schemaVersion, id: id, timestamp: timestamp,
      metadata: metadata, payload: codec.encode(data))
  }

  /// Appends one typed event to `stream`.
  ///
  /// - Returns: Where the event landed.
  /// - Throws: As ``Log/append(_:expecting:)``.
  @discardableResult
  public func append<Event: EventType>(
    _ event: Event, to stream: String, expecting expected: ExpectedVersion = .any, id: EventID = .random()
  ) throws -> EventPosition {
    try log.append([try newEvent(event, stream: stream, id: id)], expecting: [stream: expected]).positions[0]
  }

  /// Decodes and upcasts one stored event.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` or
  ///   ``StateLogError/Code/unsupportedSchemaVersion``.
  ///
  /// An event already at its type's current version is not decoded here: its
  /// payload is decoded when it is used, straight into the typed value.
  public func decode(_ event: RecordedEvent) throws -> DecodedEvent {
    let (migrated, version) = try event.payload.withUnsafeBytes {
      try upcast(
        $0, type: event.type, schemaVersion: event.schemaVersion,
        current: registry.currentVersion(of: event.type))
    }
    return DecodedEvent(recorded: event, migrated: migrated, schemaVersion: version, codec: codec)
  }

  /// The payload migrated to its type's current schema version and that
  /// version, or `nil` and the stored version if it is current already.
  private func upcast(
    _ payload: UnsafeRawBufferPointer, type: String, schemaVersion: UInt32, current: UInt32?
  ) throws -> (JSONValue?, UInt32) {
    guard let current, current != schemaVersion else { return (nil, schemaVersion) }
    return try registry.upcast(try codec.decode(payload), type: type, from: schemaVersion)
  }

  /// The registry's answer for the last type replay asked about: events of a
  /// batch share their type names, and comparing a name with itself is cheaper
  /// than hashing it for every event.
  struct CurrentVersionCache {
    var type: String?
    var version: UInt32?
  }

  /// The events of one stream from version `start` through `end`, decoded and upcast.
  public func events(
    inStream stream: String, fromVersion start: UInt64 = 1, throughVersion end: UInt64 = .max
  )
    throws -> [DecodedEvent]
  {
    try log.events(inStream: stream, fromVersion: start, throughVersion: end).map(decode)
  }

  /// Calls `body` with each event from `start` through `end`, decoded and
  /// upcast, until it returns `false`.
  public func forEachEvent(
    from start: UInt64 = 1, through end: UInt64 = .max, _ body: (DecodedEvent) throws -> Bool
  ) throws {
    try log.forEachEvent(from: start, through: end) { view in try body(try decode(try view.recordedEvent())) }
  }

  /// Calls `body` with each event from `start` through `end`, borrowed from
  /// the log and upcast, until it returns `false`: the fastest way to replay.
  ///
  /// - Parameter readAhead: As in ``Log/forEachEvent(from:through:readAhead:_:)``:
  ///   `false` keeps the scan on the calling thread.
  /// - Throws: Errors of reading the log, of upcasting, or from `body`.
  /// - Complexity: O(*n*) in the events read; no copy of any event.
  public func replay(
    from start: UInt64 = 1, through end: UInt64 = .max, readAhead: Bool = true,
    _ body: (ReplayedEvent) throws -> Bool
  )
    throws
  {
    var versions = CurrentVersionCache()
    try log.forEachEvent(from: start, through: end, readAhead: readAhead) { view in
      try body(try replayed(view, &versions))
    }
  }

  /// Calls `body` with each event of `stream` from version `start` through
  /// `end`, borrowed from the log and upcast, until it returns `false`.
  public func replay(
    inStream stream: String, fromVersion start: UInt64 = 1, throughVersion end: UInt64 = .max,
    _ body: (ReplayedEvent) throws -> Bool
  ) throws {
    var versions = CurrentVersionCache()
    try log.forEachEvent(inStream: stream, fromVersion: start, throughVersion: end) { view in
      try body(try replayed(view, &versions))
    }
  }

  /// Upcasts a borrowed event if its schema version is older than its type's current one.
  func replayed(_ view: EventView, _ versions: inout CurrentVersionCache) throws -> ReplayedEvent {
    if versions.type.map({ ExactName($0) == ExactName(view.type) }) != true {
      versions = CurrentVersionCache(type: view.type, version: registry.currentVersion(of: view.type))
    }
    let (migrated, version) = try upcast(
      view.payload, type: view.type, schemaVersion: view.schemaVersion, current: versions.version)
    return ReplayedEvent(view: view, schemaVersion: version, migrated: migrated, codec: codec)
  }
}
