/// One event of the JSON Lines interchange format (README, "JSON Lines";
/// format-spec.md, "JSON Lines interchange format"), which `statelog export`
/// writes and `statelog import` and `statelog append` read.
public struct InterchangeLine: Sendable {
  public var stream: String
  public var type: String
  /// The payload: `data` encoded with the binary payload codec, or the exact
  /// bytes of `data_base64`.
  public var payload: Payload
  public var time: Timestamp?
  public var id: EventID?
  public var schemaVersion: UInt32?
  public var expectedVersion: ExpectedVersion?
  public var metadata = EventMetadata()

  public enum Payload: Sendable {
    case value(JSONValue)
    case bytes([UInt8])
  }

  /// Parses one line.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/invalidArgument``
  ///   saying what is wrong with the line.
  public init(parsing text: String) throws(StateLogError) {
    let object: [String: JSONValue]
    do {
      guard let members = try JSONValue(parsing: text).objectValue else {
        throw StateLogError(.invalidArgument, "not a JSON object")
      }
      object = members
    } catch let error as StateLogError {
      throw StateLogError(.invalidArgument, error.message)
    } catch {
      throw StateLogError(.invalidArgument, "\(error)")
    }
    func fail(_ reason: String) -> StateLogError { StateLogError(.invalidArgument, reason) }
    guard let stream = object["stream"]?.stringValue else { throw fail("missing \"stream\" (a string)") }
    guard let type = object["type"]?.stringValue else { throw fail("missing \"type\" (a string)") }
    self.stream = stream
    self.type = type
    if let encoded = object["data_base64"], !encoded.isNull {
      guard let text = encoded.stringValue, let bytes = Base64.decode(text) else {
        throw fail("\"data_base64\" is not base64")
      }
      payload = .bytes(bytes)
    } else if let data = object["data"] {
      payload = .value(data)
    } else {
      throw fail("missing \"data\"")
    }
    switch object["time"] {
    case nil, .null?: break
    case .string(let text)?:
      guard let parsed = Timestamp(iso8601: text) else { throw fail("\"time\" is not an ISO 8601 time") }
      time = parsed
    case .int(let nanoseconds)?: time = Timestamp(nanosecondsSinceEpoch: nanoseconds)
    default: throw fail("\"time\" must be an ISO 8601 string or integer nanoseconds")
    }
    if let id = object["id"], !id.isNull {
      guard let text = id.stringValue, let parsedID = EventID(text) else {
        throw fail("\"id\" is not a UUID")
      }
      self.id = parsedID
    }
    if let version = object["schema_version"], !version.isNull {
      guard let number = version.intValue, let schema = UInt32(exactly: number), schema >= 1 else {
        throw fail("\"schema_version\" must be a positive integer")
      }
      schemaVersion = schema
    }
    switch object["expected_version"] {
    case nil, .null?: break
    case .int(let number)? where number >= 0: expectedVersion = .version(UInt64(number))
    case .string("any")?: expectedVersion = .any
    case .string("no_stream")?: expectedVersion = .noStream
    case .string("exists")?: expectedVersion = .streamExists
    default: throw fail("\"expected_version\" must be an integer, \"any\", \"no_stream\" or \"exists\"")
    }
    if let metadata = object["metadata"], !metadata.isNull {
      self.metadata = try Self.metadata(metadata, fail: fail)
    }
  }

  private static func metadata(_ value: JSONValue, fail: (String) -> StateLogError) throws(StateLogError)
    -> EventMetadata
  {
    var metadata = EventMetadata()
    for (key, id) in [
      ("correlation_id", \EventMetadata.correlationID), ("causation_id", \EventMetadata.causationID),
    ] {
      guard let text = value[key]?.stringValue else { continue }
      guard let parsed = EventID(text) else { throw fail("metadata \"\(key)\" is not a UUID") }
      metadata[keyPath: id] = parsed
    }
    for entry in value["entries"]?.arrayValue ?? [] {
      guard let pair = entry.arrayValue, pair.count == 2, let key = pair[0].stringValue,
        let text = pair[1].stringValue
      else { throw fail("metadata entries must be [key, value] pairs of strings") }
      metadata.entries.append(.init(key: key, value: text))
    }
    return metadata
  }

  /// The event to append, with the schema version defaulting to the type's current one.
  public func newEvent(codec: BinaryPayloadCodec, registry: SchemaRegistry) -> NewEvent {
    let bytes: [UInt8]
    switch payload {
    case .value(let value): bytes = codec.encode(value)
    case .bytes(let raw): bytes = raw
    }
    return NewEvent(
      stream: stream, type: type, schemaVersion: schemaVersion ?? registry.currentVersion(of: type) ?? 1,
      id: id ?? .random(), timestamp: time, metadata: metadata, payload: bytes)
  }
}

extension InterchangeLine {
  /// An event as an export line, exactly as stored: `data` for a payload in the
  /// binary encoding (which re-encodes to the same bytes), `data_base64` for any
  /// other payload, the original schema version, and metadata with its entries
  /// in order.
  public static func exportLine(_ event: RecordedEvent) -> String {
    var object: [String: JSONValue] = [
      "seq": .int(Int64(event.sequence)), "stream": .string(event.stream),
      "version": .int(Int64(event.streamVersion)),
      "type": .string(event.type), "schema_version": .int(Int64(event.schemaVersion)),
      "time": .string(event.timestamp.description), "id": .string(event.id.description),
    ]
    if let value = BinaryPayloadCodec().value(ofStored: event.payload), value.isRepresentableAsJSONText,
      BinaryPayloadCodec().encode(value) == event.payload
    {
      object["data"] = value
    } else {
      object["data_base64"] = .string(Base64.encode(event.payload))
    }
    if !event.metadata.isEmpty {
      var metadata: [String: JSONValue] = [:]
      if let correlation = event.metadata.correlationID {
        metadata["correlation_id"] = .string(correlation.description)
      }
      if let causation = event.metadata.causationID {
        metadata["causation_id"] = .string(causation.description)
      }
      if !event.metadata.entries.isEmpty {
        metadata["entries"] = .array(event.metadata.entries.map { [.string($0.key), .string($0.value)] })
      }
      object["metadata"] = .object(metadata)
    }
    return JSONValue.object(object).description
  }
}
