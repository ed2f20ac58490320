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
}
