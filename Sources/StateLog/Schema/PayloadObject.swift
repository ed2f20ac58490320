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
  let depth: Int
  /// The dotted path of the object within the payload, for error messages.
  let path: String
  /// Where the keys and values of the first ``indexCapacity`` members are,
  /// found in the one pass that checks the object, so that a lookup compares
  /// a few keys and skips nothing. Event payloads have a handful of members,
  /// and the agent states' snapshots a dozen; larger objects fall back to a
  /// scan per lookup.
  private var index = InlineArray<16, Member>(repeating: Member(key: 0, value: 0))
  private let isIndexed: Bool
  static var indexCapacity: Int { 16 }

  /// A member's key starts at `key` and runs up to its value at `value`.
  struct Member {
    var key: UInt32
    var value: UInt32
  }

  /// Reads, checks and indexes the object at `reader`'s position, leaving the
  /// reader just past it. Callers check with ``isObject(at:in:)`` first, to
  /// report a value of another kind as such.
  ///
  /// - Complexity: One pass over the object's bytes.
  init(reading reader: inout ByteReader, in bytes: UnsafeRawBufferPointer, depth: Int, path: String)
    throws(DecodingFailure)
  {
    start = reader.position
    guard try reader.readByte() == BinaryPayloadCodec.Tag.object.rawValue else {
      throw .invalid("not an object")
    }
    count = try reader.readLength(limit: reader.remaining / 2)
    self.bytes = bytes
    self.members = reader.position
    self.depth = depth
    self.path = path
    let indexed = bytes.count <= Int(UInt32.max) ? min(count, Self.indexCapacity) : 0
    isIndexed = indexed == count
    // The walk of `walk(_:count:depth:_:)`, written out so that the index is
    // filled in place: this runs for every event replay decodes.
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
  }

  /// The object whose tag byte is at `start`, checked and indexed.
  init(bytes: UnsafeRawBufferPointer, start: Int, depth: Int, path: String) throws(StateLogError) {
    guard Self.isObject(at: start, in: bytes) else {
      throw Self.mismatch("an object", at: start, in: bytes, path: path)
    }
    var reader = ByteReader(bytes, position: start)
    do {
      try self.init(reading: &reader, in: bytes, depth: depth, path: path)
    } catch {
      throw StateLogError(
        .malformedPayload,
        "malformed binary payload\(path.isEmpty ? "" : " in member \(path)"): \(error.message)")
    }
  }

  /// Whether the value at `start` is an object.
  static func isObject(at start: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
    start < bytes.count && bytes[start] == BinaryPayloadCodec.Tag.object.rawValue
  }

  /// Walks `count` members from `reader`'s position, calling `body` with each
  /// one's key position (its value follows the key directly) until it returns
  /// `false`.
  private static func walk(
    _ reader: inout ByteReader, count: Int, depth: Int, _ body: (_ key: Int, _ value: Int) -> Bool
  ) throws(DecodingFailure) {
    for _ in 0..<count {
      let length = try reader.readLength(limit: reader.remaining)
      let key = reader.position
      try reader.skip(length)
      guard body(key, reader.position) else { return }
      try BinaryPayloadCodec.skipValue(&reader, depth: depth + 1)
    }
  }

  /// Calls `body` with every member's key position and value position, in
  /// stored order. The object was checked when it was made, so the walk succeeds.
  private func forEachMember(_ body: (_ key: Int, _ value: Int) -> Void) {
    var reader = ByteReader(bytes, position: members)
    try? Self.walk(&reader, count: count, depth: depth) { key, value in
      body(key, value)
      return true
    }
  }

  /// The names of the object's members, in stored order.
  public var memberNames: [String] {
    var names: [String] = []
    forEachMember { key, value in
      names.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[key..<value]), as: UTF8.self))
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
    try required(name, "a string") { (reader) throws(DecodingFailure) in
      try BinaryPayloadCodec.readString(&reader)
    }
  }

  /// The string member `name`, or `nil` if it is missing or `null`.
  public func stringIfPresent(_ name: String) throws(StateLogError) -> String? {
    try optional(name, "a string") { (reader) throws(DecodingFailure) in
      try BinaryPayloadCodec.readString(&reader)
    }
  }

  /// The integer member `name`.
  public func int(_ name: String) throws(StateLogError) -> Int {
    try required(name, "an integer") { BinaryPayloadCodec.readInteger(&$0, as: Int.self) }
  }

  /// The integer member `name`, or `nil` if it is missing or `null`.
  public func intIfPresent(_ name: String) throws(StateLogError) -> Int? {
    try optional(name, "an integer") { BinaryPayloadCodec.readInteger(&$0, as: Int.self) }
  }

  /// The integer member `name` as a `T`, such as a `UInt64` version.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload``
  ///   naming the member if it is missing, not an integer, or out of `T`'s range.
  public func integer<T: FixedWidthInteger>(_ type: T.Type, _ name: String) throws(StateLogError) -> T {
    try required(name, "an integer in \(T.min)...\(T.max)") {
      BinaryPayloadCodec.readInteger(&$0, as: T.self)
    }
  }

  /// The number member `name`.
  public func double(_ name: String) throws(StateLogError) -> Double {
    try required(name, "a number") { BinaryPayloadCodec.readDouble(&$0) }
  }

  /// The number member `name`, or `nil` if it is missing or `null`.
  public func doubleIfPresent(_ name: String) throws(StateLogError) -> Double? {
    try optional(name, "a number") { BinaryPayloadCodec.readDouble(&$0) }
  }

  /// The Boolean member `name`.
  public func bool(_ name: String) throws(StateLogError) -> Bool {
    try required(name, "a Boolean") { BinaryPayloadCodec.readBool(&$0) }
  }

  /// The Boolean member `name`, or `nil` if it is missing or `null`.
  public func boolIfPresent(_ name: String) throws(StateLogError) -> Bool? {
    try optional(name, "a Boolean") { BinaryPayloadCodec.readBool(&$0) }
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
    try required(name, "a value") { (reader) throws(DecodingFailure) in
      try BinaryPayloadCodec.decodeValue(&reader, depth: depth + 1)
    }
  }

  /// The member `name` as a ``JSONValue``, or `nil` if it is missing or `null`.
  public func valueIfPresent(_ name: String) throws(StateLogError) -> JSONValue? {
    try optional(name, "a value") { (reader) throws(DecodingFailure) in
      try BinaryPayloadCodec.decodeValue(&reader, depth: depth + 1)
    }
  }

  /// The object member `name` as a dictionary of ``JSONValue``s.
  public func dictionary(_ name: String) throws(StateLogError) -> [String: JSONValue] {
    try required(name, "an object") { (reader) throws(DecodingFailure) in
      guard case .object(let members) = try BinaryPayloadCodec.decodeValue(&reader, depth: depth + 1) else {
        return nil
      }
      return members
    }
  }

  /// The object member `name`.
  public func object(_ name: String) throws(StateLogError) -> PayloadObject {
    guard let start = valueStart(name) else { throw missing(name) }
    return try PayloadObject(bytes: bytes, start: start, depth: depth + 1, path: qualified(name))
  }

  /// The object member `name`, or `nil` if it is missing or `null`.
  public func objectIfPresent(_ name: String) throws(StateLogError) -> PayloadObject? {
    guard let start = presentValueStart(name) else { return nil }
    return try PayloadObject(bytes: bytes, start: start, depth: depth + 1, path: qualified(name))
  }

  /// Calls `body` with each element of the array member `name`, in order,
  /// each an object: for arrays of structures decoded in place.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload``
  ///   naming the member if it is missing, not an array, or has an element
  ///   that is not an object; or what `body` throws.
  public func forEachObject(inArray name: String, _ body: (PayloadObject) throws -> Void) throws {
    guard let start = valueStart(name) else { throw missing(name) }
    guard bytes[start] == BinaryPayloadCodec.Tag.array.rawValue else {
      throw Self.mismatch("an array", at: start, in: bytes, path: qualified(name))
    }
    var reader = ByteReader(bytes, position: start + 1)
    let count: Int
    do { count = try reader.readLength(limit: reader.remaining) } catch {
      throw Self.malformed(qualified(name), error)
    }
    for index in 0..<count {
      let path = "\(qualified(name))[\(index)]"
      guard Self.isObject(at: reader.position, in: bytes) else {
        throw Self.mismatch("an object", at: reader.position, in: bytes, path: path)
      }
      let element: PayloadObject
      do {
        element = try PayloadObject(reading: &reader, in: bytes, depth: depth + 2, path: path)
      } catch {
        throw Self.malformed(path, error)
      }
      try body(element)
    }
  }

  /// Calls `body` with the key and value of each member of the object member
  /// `name`, in stored order, each value an object: for dictionaries of
  /// structures decoded in place.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload``
  ///   naming the member if it is missing, not an object, or has a value that
  ///   is not an object; or what `body` throws.
  public func forEachObject(inObject name: String, _ body: (_ key: String, PayloadObject) throws -> Void)
    throws
  {
    let dictionary = try object(name)
    var members: [(key: String, value: Int)] = []
    dictionary.forEachMember { key, value in
      members.append(
        (String(decoding: UnsafeRawBufferPointer(rebasing: bytes[key..<value]), as: UTF8.self), value))
    }
    for (key, value) in members {
      try body(
        key,
        try PayloadObject(bytes: bytes, start: value, depth: depth + 2, path: "\(qualified(name)).\(key)"))
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
    guard let start = presentValueStart(name) else { return nil }
    return try decodeValue(type, at: start, name)
  }

  /// The whole object decoded through `Decodable`.
  public func decode<Value: Decodable>(as type: Value.Type) throws(StateLogError) -> Value {
    try decodeValue(type, at: start, nil)
  }

  // MARK: Lookup

  /// Where the value of member `name` starts (the last one, should the object
  /// repeat the key), or `nil`.
  func valueStart(_ name: String) -> Int? {
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
      var found: Int?
      forEachMember { key, value in
        if value - key == wanted.count && equal(at: key, wanted) { found = value }
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

  /// Where the value of member `name` starts, or `nil` if it is missing or `null`.
  private func presentValueStart(_ name: String) -> Int? {
    guard let start = valueStart(name), bytes[start] != BinaryPayloadCodec.Tag.null.rawValue else {
      return nil
    }
    return start
  }

  /// Reads the member `name` with `read`, which returns `nil` for a value of
  /// the wrong kind.
  private func required<Value>(
    _ name: String, _ expected: String, _ read: (inout ByteReader) throws(DecodingFailure) -> Value?
  ) throws(StateLogError) -> Value {
    guard let start = valueStart(name) else { throw missing(name) }
    return try self.read(name, expected, at: start, read)
  }

  /// As ``required(_:_:_:)``, but `nil` for a member that is missing or `null`.
  private func optional<Value>(
    _ name: String, _ expected: String, _ read: (inout ByteReader) throws(DecodingFailure) -> Value?
  ) throws(StateLogError) -> Value? {
    guard let start = presentValueStart(name) else { return nil }
    return try self.read(name, expected, at: start, read)
  }

  private func read<Value>(
    _ name: String, _ expected: String, at start: Int,
    _ read: (inout ByteReader) throws(DecodingFailure) -> Value?
  ) throws(StateLogError) -> Value {
    var reader = ByteReader(bytes, position: start)
    let value: Value?
    do {
      value = try read(&reader)
    } catch {
      throw StateLogError(.malformedPayload, "member \(qualified(name)): \(error.message)")
    }
    guard let value else { throw Self.mismatch(expected, at: start, in: bytes, path: qualified(name)) }
    return value
  }

  private func decodeValue<Value: Decodable>(_ type: Value.Type, at start: Int, _ name: String?)
    throws(StateLogError) -> Value
  {
    do {
      return try BinaryValueDecoder(bytes, position: start, root: self).decodeValue(type, at: start)
    } catch {
      let what = name.map { "member \(qualified($0))" } ?? (path.isEmpty ? "payload" : "member \(path)")
      throw StateLogError(.malformedPayload, "\(what) does not decode as \(Value.self): \(error)")
    }
  }

  // MARK: Errors

  private func qualified(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

  private static func malformed(_ path: String, _ failure: DecodingFailure) -> StateLogError {
    StateLogError(.malformedPayload, "member \(path): \(failure.message)")
  }

  private func missing(_ name: String) -> StateLogError {
    StateLogError(.malformedPayload, "payload has no member \(qualified(name))")
  }

  private static func mismatch(
    _ expected: String, at start: Int, in bytes: UnsafeRawBufferPointer, path: String
  )
    -> StateLogError
  {
    let what = path.isEmpty ? "payload" : "member \(path)"
    return StateLogError(
      .malformedPayload,
      "\(what) is not \(expected): found \(BinaryPayloadCodec.describeValue(at: start, in: bytes))")
  }
}
