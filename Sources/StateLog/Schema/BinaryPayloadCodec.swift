/// How payload bytes and ``JSONValue``s convert into each other.
///
/// Codecs are pluggable: ``EventStore`` takes one. Whatever the codec, a payload
/// must decode to a ``JSONValue``, so that tools without the Swift types (the
/// CLI, a script in another language) can render it and upcasters can rewrite it.
public protocol PayloadCodec: Sendable {
  /// Encodes a value as payload bytes.
  func encode(_ value: JSONValue) -> [UInt8]
  /// Decodes payload bytes.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if the
  ///   bytes are not a payload of this codec.
  func decode(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue
  /// Decodes payload bytes as an event of `type`.
  ///
  /// The default goes through ``decode(_:)`` and ``JSONValueDecoder``; a codec
  /// overrides it to decode straight from the bytes, which replay relies on
  /// for its speed.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if the
  ///   bytes are not a payload of this codec, or an error from the event's decoding.
  func decode<Event: EventType>(event type: Event.Type, from bytes: UnsafeRawBufferPointer) throws -> Event
}

extension PayloadCodec {
  public func decode<Event: EventType>(event type: Event.Type, from bytes: UnsafeRawBufferPointer) throws
    -> Event
  {
    try JSONValueDecoder().decode(type, from: try decode(bytes))
  }
}

/// The default codec: a compact, self-describing binary form of ``JSONValue``
/// (format-spec.md, "Payload encoding").
///
/// Chosen over JSON text by measurement (see the README, "Payload codec"): it
/// decodes several times faster, takes less space, and needs no Foundation.
///
/// Every payload starts with the byte `0xB1`, then one value: a tag byte
/// followed by its data: `0` null, `1` false, `2` true, `3` integer (zigzag
/// varint), `4` double (8 bytes, IEEE 754, little-endian), `5` string (varint
/// length, UTF-8), `6` array (varint count, values), `7` object (varint count,
/// then key string and value for each member, keys in byte order).
public struct BinaryPayloadCodec: PayloadCodec {
  /// The first byte of every payload of this codec.
  public static let marker: UInt8 = 0xB1
  /// Arrays and objects may nest this deep; deeper input is rejected rather than
  /// allowed to exhaust the stack. The top-level value is at depth 0, the
  /// elements and members of a value at depth `d` at `d + 1`, and every value
  /// must be at a depth below this.
  public static let maximumDepth = 256

  enum Tag: UInt8 {
    case null = 0, `false`, `true`, int, double, string, array, object
  }

  public init() {}

  public func encode(_ value: JSONValue) -> [UInt8] {
    var writer = ByteWriter(capacity: 64)
    writer.append(Self.marker)
    Self.encode(value, into: &writer)
    return writer.bytes
  }

  static func encode(_ value: JSONValue, into writer: inout ByteWriter) {
    switch value {
    case .null: writer.append(Tag.null.rawValue)
    case .bool(let flag): writer.append(flag ? Tag.true.rawValue : Tag.false.rawValue)
    case .int(let number):
      writer.append(Tag.int.rawValue)
      writer.appendVarint(UInt64(bitPattern: (number << 1) ^ (number >> 63)))
    case .double(let number):
      writer.append(Tag.double.rawValue)
      writer.append(littleEndian: number.bitPattern)
    case .string(let text):
      writer.append(Tag.string.rawValue)
      writer.appendString(text)
    case .array(let elements):
      writer.append(Tag.array.rawValue)
      writer.appendVarint(UInt64(elements.count))
      for element in elements { encode(element, into: &writer) }
    case .object(let members):
      writer.append(Tag.object.rawValue)
      writer.appendVarint(UInt64(members.count))
      for key in members.keys.sorted(by: { ExactName($0) < ExactName($1) }) {
        writer.appendString(key)
        encode(members[key]!, into: &writer)
      }
    }
  }

  /// Decodes an event with its ``EventType/init(payload:)``, reading the
  /// members in place.
  ///
  /// - Complexity: O(*n*) in the payload's size: one pass that checks its
  ///   structure and indexes the members, then the reads the event makes.
  public func decode<Event: EventType>(event type: Event.Type, from bytes: UnsafeRawBufferPointer) throws
    -> Event
  {
    try decodeObject(from: bytes) { try Event(payload: $0) }
  }

  /// Calls `read` with the payload's root object, to decode it in place
  /// (as ``EventType/init(payload:)`` does for events; agent states read
  /// their snapshots this way).
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if
  ///   the bytes are not a well-formed payload whose value is an object, or
  ///   what `read` throws.
  /// - Complexity: One pass that checks the structure and indexes the root's
  ///   members, then the reads `read` makes.
  public func decodeObject<Value>(
    from bytes: UnsafeRawBufferPointer, _ read: (PayloadObject) throws -> Value
  ) throws -> Value {
    // Making the root object checks the whole payload's structure in the
    // same pass that indexes its members.
    guard PayloadObject.isObject(at: 1, in: bytes) else {
      try Self.validate(bytes)
      throw StateLogError(
        .malformedPayload, "payload is not an object: found \(Self.describeValue(at: 1, in: bytes))")
    }
    let root = try Self.withPayload(bytes) { (reader) throws(DecodingFailure) in
      try PayloadObject(reading: &reader, in: bytes, depth: 0, path: "")
    }
    return try read(root)
  }

  /// Decodes payload bytes as any `Decodable` value, without building a
  /// ``JSONValue`` first.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if
  ///   the bytes are not a well-formed payload or do not decode as `type`.
  public func decode<Value: Decodable>(_ type: Value.Type, from bytes: UnsafeRawBufferPointer)
    throws(StateLogError)
    -> Value
  {
    try Self.validate(bytes)
    do {
      return try BinaryValueDecoder(bytes).decodeValue(type, at: 1)
    } catch {
      throw StateLogError(.malformedPayload, "payload does not decode as \(Value.self): \(error)")
    }
  }

  /// Checks a payload's marker and structure (lengths, nesting, no trailing
  /// bytes), which bounds every later read of it.
  static func validate(_ bytes: UnsafeRawBufferPointer) throws(StateLogError) {
    try withPayload(bytes) { (reader) throws(DecodingFailure) in try skipValue(&reader, depth: 0) }
  }

  /// The value a stored payload holds, if it is in this encoding and
  /// decodes; `nil` for a payload another codec wrote (or damaged bytes).
  public func value(ofStored payload: [UInt8]) -> JSONValue? {
    guard payload.first == Self.marker else { return nil }
    return try? payload.withUnsafeBytes { try decode($0) }
  }

  public func decode(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
    try Self.withPayload(bytes) { (reader) throws(DecodingFailure) in try Self.decodeValue(&reader, depth: 0)
    }
  }

  static func decodeValue(_ reader: inout ByteReader, depth: Int) throws(DecodingFailure) -> JSONValue {
    guard depth < maximumDepth else { throw .invalid("values nested deeper than \(maximumDepth)") }
    guard let tag = Tag(rawValue: try reader.readByte()) else { throw .invalid("unknown value tag") }
    switch tag {
    case .null: return .null
    case .false: return .bool(false)
    case .true: return .bool(true)
    case .int:
      return .int(zigzag(try reader.readVarint()))
    case .double: return .double(Double(bitPattern: try reader.read(littleEndian: UInt64.self)))
    case .string: return .string(try reader.readString())
    case .array:
      // Each element takes at least one byte, which bounds the reservation.
      let count = try reader.readLength(limit: reader.remaining)
      var elements: [JSONValue] = []
      elements.reserveCapacity(count)
      for _ in 0..<count { elements.append(try decodeValue(&reader, depth: depth + 1)) }
      return .array(elements)
    case .object:
      let count = try reader.readLength(limit: reader.remaining / 2)
      // Made at its size: reserving capacity in an empty dictionary goes
      // through a resize, a tenth of decoding a small object.
      var members = [String: JSONValue](minimumCapacity: count)
      for _ in 0..<count {
        let key = try reader.readString()
        members[key] = try decodeValue(&reader, depth: depth + 1)
      }
      return .object(members)
    }
  }
}
