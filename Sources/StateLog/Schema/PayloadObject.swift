import Glibc

/// An object of a binary payload (format-spec.md, "Payload encoding"), read in
/// place: the fast way for an event type to decode itself.
///
/// Replay decodes every event it applies, and `Codable` spends most of a
/// small event's decoding time on containers, boxes and dynamic casts. An
/// ``EventType`` that implements ``EventType/init(payload:)`` with this type
/// reads its members straight from the stored bytes instead:
///
/// ```swift
/// init(payload: PayloadObject) throws {
///   self.init(
///     key: try payload.string("key"),
///     value: try payload.value("value"),
///     note: try payload.stringIfPresent("note"))
/// }
/// ```
///
/// The `…IfPresent` accessors return `nil` for a member that is missing or
/// `null`; the others throw for it. A number converts to any numeric type that
/// holds it exactly, as with ``JSONValueDecoder``. If an object repeats a key,
/// the last one counts.
///
/// A `PayloadObject` borrows the payload's bytes: it is valid only inside the
/// call that receives it.
public struct PayloadObject {
  let bytes: UnsafeRawBufferPointer
  /// Where the object's tag byte is.
  let start: Int
  /// Where its first member's key starts.
  let members: Int
  let count: Int
  /// Where the object ends: just past its last member's value.
  let end: Int
  let depth: Int
  /// The dotted path of the object within the payload, for error messages.
  let path: String
  /// Where the keys and values of the first ``indexCapacity`` members are,
  /// found in the one pass that checks the object, so that a lookup compares
  /// a few keys and skips nothing. Event payloads have a handful of members;
  /// larger objects fall back to a scan per lookup.
  private var index: InlineArray<8, Member>
  static var indexCapacity: Int { 8 }

  /// A member's key starts at `key` and runs up to its value at `value`.
  struct Member {
    var key: UInt32
    var value: UInt32
  }

  /// Checks the object whose tag byte is at `start`, and indexes its members.
  ///
  /// - Complexity: One pass over the object's bytes.
  init(bytes: UnsafeRawBufferPointer, start: Int, depth: Int, path: String) throws(StateLogError) {
    var reader = ByteReader(bytes, position: start)
    guard (try? reader.readByte()) == BinaryPayloadCodec.Tag.object.rawValue,
      let count = try? reader.readLength(limit: reader.remaining / 2)
    else {
      throw Self.mismatch("an object", at: start, in: bytes, path: path)
    }
    self.bytes = bytes
    self.start = start
    self.members = reader.position
    self.count = count
    self.depth = depth
    self.path = path
    index = InlineArray(repeating: Member(key: 0, value: 0))
    let indexed = bytes.count <= Int(UInt32.max) ? min(count, Self.indexCapacity) : 0
    do throws(DecodingFailure) {
      for member in 0..<count {
        let length = try reader.readLength(limit: reader.remaining)
        if member < indexed {
          index[member] = Member(
            key: UInt32(truncatingIfNeeded: reader.position),
            value: UInt32(truncatingIfNeeded: reader.position + length))
        }
        try reader.skip(length)
        try BinaryPayloadCodec.skipValue(&reader, depth: depth + 1)
      }
    } catch {
      throw StateLogError(
        .malformedPayload,
        "malformed binary payload\(path.isEmpty ? "" : " in member \(path)"): \(error.message)")
    }
    self.end = reader.position
    isIndexed = indexed == count
  }

  private let isIndexed: Bool

  /// The names of the object's members, in stored order.
  public var memberNames: [String] {
    var names: [String] = []
    var reader = ByteReader(bytes, position: members)
    for _ in 0..<count {
      guard let length = try? reader.readLength(limit: reader.remaining),
        let key = try? reader.readSlice(count: length),
        (try? BinaryPayloadCodec.skipValue(&reader, depth: depth + 1)) != nil
      else { break }
      names.append(String(decoding: key, as: UTF8.self))
    }
    return names
  }

  /// Whether the object has a member `name` (which may be `null`).
  public func contains(_ name: String) -> Bool { valueStart(name) != nil }

  // MARK: Members

  /// The string member `name`.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload``
  ///   naming the member if it is missing or not a string.
  public func string(_ name: String) throws(StateLogError) -> String {
    try required(name) { (reader) throws(StateLogError) in try readString(&reader, name) }
  }

  /// The string member `name`, or `nil` if it is missing or `null`.
  public func stringIfPresent(_ name: String) throws(StateLogError) -> String? {
    try optional(name) { (reader) throws(StateLogError) in try readString(&reader, name) }
  }

  /// The integer member `name`.
  public func int(_ name: String) throws(StateLogError) -> Int {
    try required(name) { (reader) throws(StateLogError) in try readInteger(&reader, name) }
  }

  /// The integer member `name`, or `nil` if it is missing or `null`.
  public func intIfPresent(_ name: String) throws(StateLogError) -> Int? {
    try optional(name) { (reader) throws(StateLogError) in try readInteger(&reader, name) }
  }

  /// The number member `name`.
  public func double(_ name: String) throws(StateLogError) -> Double {
    try required(name) { (reader) throws(StateLogError) in try readDouble(&reader, name) }
  }

  /// The number member `name`, or `nil` if it is missing or `null`.
  public func doubleIfPresent(_ name: String) throws(StateLogError) -> Double? {
    try optional(name) { (reader) throws(StateLogError) in try readDouble(&reader, name) }
  }

  /// The Boolean member `name`.
  public func bool(_ name: String) throws(StateLogError) -> Bool {
    try required(name) { (reader) throws(StateLogError) in try readBool(&reader, name) }
  }

  /// The Boolean member `name`, or `nil` if it is missing or `null`.
  public func boolIfPresent(_ name: String) throws(StateLogError) -> Bool? {
    try optional(name) { (reader) throws(StateLogError) in try readBool(&reader, name) }
  }

  /// The member `name` as a raw-valued enumeration case, such as a role.
  public func rawValue<Value: RawRepresentable>(_ type: Value.Type, _ name: String) throws(StateLogError)
    -> Value
  where Value.RawValue == String {
    let raw = try string(name)
    guard let value = Value(rawValue: raw) else {
      throw StateLogError(.malformedPayload, "member \(qualified(name)) is \"\(raw)\", not a \(Value.self)")
    }
    return value
  }

  /// The member `name` as a ``JSONValue``, whatever it holds (`null` included).
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if it is missing.
  public func value(_ name: String) throws(StateLogError) -> JSONValue {
    guard let start = valueStart(name) else { throw missing(name) }
    return try readValue(at: start, name)
  }

  /// The member `name` as a ``JSONValue``, or `nil` if it is missing or `null`.
  public func valueIfPresent(_ name: String) throws(StateLogError) -> JSONValue? {
    try optional(name) { (reader) throws(StateLogError) in try readValue(at: reader.position, name) }
  }

  /// The object member `name`.
  public func object(_ name: String) throws(StateLogError) -> PayloadObject {
    guard let start = valueStart(name) else { throw missing(name) }
    return try PayloadObject(bytes: bytes, start: start, depth: depth + 1, path: qualified(name))
  }

  /// The object member `name`, or `nil` if it is missing or `null`.
  public func objectIfPresent(_ name: String) throws(StateLogError) -> PayloadObject? {
    try optional(name) { (reader) throws(StateLogError) in
      try PayloadObject(bytes: bytes, start: reader.position, depth: depth + 1, path: qualified(name))
    }
  }

  /// The member `name` decoded through `Decodable`: for members with no
  /// accessor of their own, such as arrays of structures.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if
  ///   it is missing or does not decode.
  public func decode<Value: Decodable>(_ type: Value.Type, _ name: String) throws(StateLogError) -> Value {
    guard let start = valueStart(name) else { throw missing(name) }
    return try decodeValue(type, at: start, name)
  }

  /// The member `name` decoded through `Decodable`, or `nil` if it is missing or `null`.
  public func decodeIfPresent<Value: Decodable>(_ type: Value.Type, _ name: String) throws(StateLogError)
    -> Value?
  {
    try optional(name) { (reader) throws(StateLogError) in try decodeValue(type, at: reader.position, name) }
  }

  /// The whole object decoded through `Decodable`.
  public func decode<Value: Decodable>(as type: Value.Type) throws(StateLogError) -> Value {
    try decodeValue(type, at: start, nil)
  }

  // MARK: Lookup

  /// Where the value of member `name` starts (the last one, should the object
  /// repeat the key), or `nil`.
  private func valueStart(_ name: String) -> Int? {
    var name = name
    return name.withUTF8 { wanted in
      if isIndexed {
        var member = count
        while member > 0 {
          member -= 1
          let entry = index[member]
          if Int(entry.value &- entry.key) == wanted.count && equal(at: Int(entry.key), wanted) {
            return Int(entry.value)
          }
        }
        return nil
      }
      var reader = ByteReader(bytes, position: members)
      var found: Int?
      for _ in 0..<count {
        // The object was checked when it was made, so these reads succeed.
        guard let length = try? reader.readLength(limit: reader.remaining) else { return nil }
        if length == wanted.count && equal(at: reader.position, wanted) { found = reader.position + length }
        guard (try? reader.skip(length)) != nil,
          (try? BinaryPayloadCodec.skipValue(&reader, depth: depth + 1)) != nil
        else { return nil }
      }
      return found
    }
  }

  /// Whether the key bytes at `position` are `wanted` (whose length the caller checked).
  private func equal(at position: Int, _ wanted: UnsafeBufferPointer<UInt8>) -> Bool {
    // Keys are short: a byte loop beats a call to memcmp.
    guard wanted.count <= 16 else {
      return memcmp(bytes.baseAddress! + position, wanted.baseAddress!, wanted.count) == 0
    }
    for offset in 0..<wanted.count where bytes[position + offset] != wanted[offset] { return false }
    return true
  }

  private func required<Value>(_ name: String, _ read: (inout ByteReader) throws(StateLogError) -> Value)
    throws(StateLogError) -> Value
  {
    guard let start = valueStart(name) else { throw missing(name) }
    var reader = ByteReader(bytes, position: start)
    return try read(&reader)
  }

  private func optional<Value>(_ name: String, _ read: (inout ByteReader) throws(StateLogError) -> Value)
    throws(StateLogError) -> Value?
  {
    guard let start = valueStart(name), bytes[start] != BinaryPayloadCodec.Tag.null.rawValue else {
      return nil
    }
    var reader = ByteReader(bytes, position: start)
    return try read(&reader)
  }

  // MARK: Values

  private func readString(_ reader: inout ByteReader, _ name: String) throws(StateLogError) -> String {
    let start = reader.position
    guard (try? reader.readByte()) == BinaryPayloadCodec.Tag.string.rawValue else {
      throw mismatch("a string", at: start, name)
    }
    do {
      return try reader.readString()
    } catch {
      throw StateLogError(.malformedPayload, "member \(qualified(name)): \(error.message)")
    }
  }

  private func readInteger(_ reader: inout ByteReader, _ name: String) throws(StateLogError) -> Int {
    let start = reader.position
    switch try? reader.readByte() {
    case BinaryPayloadCodec.Tag.int.rawValue:
      if let raw = try? reader.readVarint(), let exact = Int(exactly: BinaryValueDecoder.zigzag(raw)) {
        return exact
      }
    case BinaryPayloadCodec.Tag.double.rawValue:
      if let bits = try? reader.read(littleEndian: UInt64.self),
        let exact = Int(exactly: Double(bitPattern: bits))
      {
        return exact
      }
    default:
      break
    }
    throw mismatch("an integer", at: start, name)
  }

  private func readDouble(_ reader: inout ByteReader, _ name: String) throws(StateLogError) -> Double {
    let start = reader.position
    switch try? reader.readByte() {
    case BinaryPayloadCodec.Tag.double.rawValue:
      if let bits = try? reader.read(littleEndian: UInt64.self) { return Double(bitPattern: bits) }
    case BinaryPayloadCodec.Tag.int.rawValue:
      if let raw = try? reader.readVarint() { return Double(BinaryValueDecoder.zigzag(raw)) }
    default:
      break
    }
    throw mismatch("a number", at: start, name)
  }

  private func readBool(_ reader: inout ByteReader, _ name: String) throws(StateLogError) -> Bool {
    let start = reader.position
    switch try? reader.readByte() {
    case BinaryPayloadCodec.Tag.true.rawValue: return true
    case BinaryPayloadCodec.Tag.false.rawValue: return false
    default: throw mismatch("a Boolean", at: start, name)
    }
  }

  private func readValue(at start: Int, _ name: String) throws(StateLogError) -> JSONValue {
    var reader = ByteReader(bytes, position: start)
    do {
      return try BinaryPayloadCodec.decodeValue(&reader, depth: depth + 1)
    } catch {
      throw StateLogError(.malformedPayload, "member \(qualified(name)): \(error.message)")
    }
  }

  private func decodeValue<Value: Decodable>(_ type: Value.Type, at start: Int, _ name: String?)
    throws(StateLogError) -> Value
  {
    do {
      return try BinaryValueDecoder(bytes, position: start).decodeValue(type, at: start)
    } catch {
      let what = name.map { "member \(qualified($0))" } ?? (path.isEmpty ? "payload" : "member \(path)")
      throw StateLogError(.malformedPayload, "\(what) does not decode as \(Value.self): \(error)")
    }
  }

  // MARK: Errors

  private func qualified(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

  private func missing(_ name: String) -> StateLogError {
    StateLogError(.malformedPayload, "payload has no member \(qualified(name))")
  }

  private func mismatch(_ expected: String, at start: Int, _ name: String) -> StateLogError {
    Self.mismatch(expected, at: start, in: bytes, path: qualified(name))
  }

  private static func mismatch(
    _ expected: String, at start: Int, in bytes: UnsafeRawBufferPointer, path: String
  )
    -> StateLogError
  {
    var reader = ByteReader(bytes, position: start)
    let found =
      (try? BinaryPayloadCodec.decodeValue(&reader, depth: 0)).map { "\($0)" } ?? "a malformed value"
    let what = path.isEmpty ? "payload" : "member \(path)"
    return StateLogError(.malformedPayload, "\(what) is not \(expected): found \(found)")
  }
}
