/// For each event type, its current schema version and the upcasters that
/// migrate payloads of older versions, one version at a time.
///
/// Reads apply the chain, so code sees every event at its type's current
/// version while the log keeps the bytes as they were written:
///
/// ```swift
/// var registry = SchemaRegistry()
/// registry.register("profile.preferences_updated", currentVersion: 3)
/// registry.addUpcaster(for: "profile.preferences_updated", from: 1) { v1 in
///   ["preferences": v1["user"]?["preferences"] ?? [:]]
/// }
/// registry.addUpcaster(for: "profile.preferences_updated", from: 2) { v2 in
///   var v3 = v2
///   v3["token_usage"] = ["total": 0, "session": 0]
///   return v3
/// }
/// ```
///
/// Types that are not registered pass through at the version they were written in.
public struct SchemaRegistry: Sendable {
  /// Migrates a payload from one schema version to the next.
  public typealias Upcaster = @Sendable (JSONValue) throws -> JSONValue

  private struct Schema: Sendable {
    var currentVersion: UInt32
    var upcasters: [UInt32: Upcaster] = [:]
  }

  private var schemas: [ExactName: Schema] = [:]

  public init() {}

  /// Declares `typeName`'s current schema version.
  public mutating func register(_ typeName: String, currentVersion: UInt32) {
    schemas[ExactName(typeName), default: Schema(currentVersion: currentVersion)].currentVersion =
      currentVersion
  }

  /// Declares an event type at its ``EventType/schemaVersion``.
  public mutating func register<Event: EventType>(_ type: Event.Type) {
    register(Event.typeName, currentVersion: Event.schemaVersion)
  }

  /// Adds the upcaster that turns a `typeName` payload of schema version
  /// `version` into one of version `version + 1`.
  public mutating func addUpcaster(
    for typeName: String, from version: UInt32, _ upcaster: @escaping Upcaster
  ) {
    schemas[ExactName(typeName), default: Schema(currentVersion: version + 1)].upcasters[version] = upcaster
  }

  /// The current schema version of `typeName`, or `nil` if it is not registered.
  public func currentVersion(of typeName: String) -> UInt32? {
    schemas[ExactName(typeName)]?.currentVersion
  }

  /// Migrates `payload`, written at schema `version` of `typeName`, to the
  /// type's current version.
  ///
  /// - Returns: The migrated payload and its version (unchanged for a type
  ///   that is not registered).
  /// - Throws: ``StateLogError`` with ``StateLogError/Code/unsupportedSchemaVersion``
  ///   naming the type and versions, if `version` is newer than the current one,
  ///   an upcaster in the chain is missing, or one fails.
  public func upcast(_ payload: JSONValue, type typeName: String, from version: UInt32) throws -> (
    JSONValue, UInt32
  ) {
    guard let schema = schemas[ExactName(typeName)] else { return (payload, version) }
    guard version <= schema.currentVersion else {
      throw StateLogError(
        .unsupportedSchemaVersion,
        "\(typeName) event has schema version \(version), newer than version \(schema.currentVersion) this code knows"
      )
    }
    var value = payload
    var current = version
    while current < schema.currentVersion {
      guard let upcaster = schema.upcasters[current] else {
        throw StateLogError(
          .unsupportedSchemaVersion,
          "no upcaster for \(typeName) from schema version \(current) to \(current + 1)")
      }
      do {
        value = try upcaster(value)
      } catch {
        throw StateLogError(
          .unsupportedSchemaVersion,
          "upcaster for \(typeName) from schema version \(current) to \(current + 1) failed: \(error)")
      }
      current += 1
    }
    return (value, current)
  }
}
