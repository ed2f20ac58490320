/// A Swift type for one kind of event: its stable name, the schema version its
/// fields describe, and its payload through `Codable`.
///
/// ```swift
/// struct PreferenceSet: EventType {
///   static let typeName = "profile.preference_set"
///   static let schemaVersion: UInt32 = 1
///   var key: String
///   var value: JSONValue
/// }
/// ```
///
/// The name is stored with every event and must never change; bump
/// ``schemaVersion`` whenever the payload's shape changes, and register an
/// upcaster from the previous version (``SchemaRegistry``).
public protocol EventType: Codable, Sendable {
  /// The event's type name as stored, such as `"conversation.message_added"`.
  static var typeName: String { get }
  /// The schema version of the payload this type encodes and decodes.
  static var schemaVersion: UInt32 { get }
  /// Decodes the event from a payload in the binary encoding, at ``schemaVersion``.
  ///
  /// The default decodes through `Decodable`. Event types that replay must
  /// decode fast implement it with ``PayloadObject``'s accessors, which read
  /// the stored bytes in place; their tests should check that both ways agree.
  ///
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/malformedPayload`` if
  ///   the payload does not hold the event.
  init(payload: PayloadObject) throws
}

extension EventType {
  public init(payload: PayloadObject) throws {
    self = try payload.decode(as: Self.self)
  }
}
