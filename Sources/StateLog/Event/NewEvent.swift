/// An event to append: everything but the positions, which the log assigns.
public struct NewEvent: Hashable, Sendable {
  /// The stream the event belongs to, such as `"conversation/c1"`.
  ///
  /// 1 to ``maximumNameLength`` bytes of UTF-8 with no control characters.
  public var stream: String
  /// The event type's stable name, such as `"conversation.message_added"`; same rules as ``stream``.
  public var type: String
  /// The schema version of ``type`` that ``payload`` is written in (at least 1).
  public var schemaVersion: UInt32
  /// The event's id; retries of an append reuse it.
  public var id: EventID
  /// When the event happened; `nil` takes the log clock's time at append.
  public var timestamp: Timestamp?
  /// Correlation, causation and small key/values.
  public var metadata: EventMetadata
  /// The opaque payload, at most ``LogOptions/maximumPayloadSize`` bytes.
  public var payload: [UInt8]

  /// The longest stream id or type name, in UTF-8 bytes.
  public static let maximumNameLength = 255

  public init(
    stream: String, type: String, schemaVersion: UInt32 = 1, id: EventID = .random(),
    timestamp: Timestamp? = nil, metadata: EventMetadata = EventMetadata(), payload: [UInt8]
  ) {
    self.stream = stream
    self.type = type
    self.schemaVersion = schemaVersion
    self.id = id
    self.timestamp = timestamp
    self.metadata = metadata
    self.payload = payload
  }
}

extension NewEvent {
  /// Checks the rules of format-spec.md ("Record") before anything is written.
  func validate(maximumPayloadSize: Int) throws(StateLogError) {
    try Self.validateName(stream, what: "stream id")
    try Self.validateName(type, what: "event type")
    guard schemaVersion >= 1 else {
      throw StateLogError(.invalidArgument, "schema version of \(type) must be at least 1")
    }
    guard payload.count <= maximumPayloadSize else {
      throw StateLogError(
        .payloadTooLarge,
        "payload of \(payload.count) bytes exceeds the maximum of \(maximumPayloadSize) (stream \(stream))")
    }
    if !metadata.isEmpty && metadata.encodedSize > EventMetadata.maximumEncodedSize {
      throw StateLogError(
        .payloadTooLarge,
        "metadata of \(metadata.encodedSize) bytes exceeds the maximum of \(EventMetadata.maximumEncodedSize)"
      )
    }
  }

  static func validateName(_ name: String, what: String) throws(StateLogError) {
    let length = name.utf8.count
    guard length >= 1, length <= maximumNameLength else {
      throw StateLogError(.invalidArgument, "\(what) must be 1 to \(maximumNameLength) bytes, got \(length)")
    }
    for scalar in name.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F {
      throw StateLogError(
        .invalidArgument,
        "\(what) \"\(name.debugDescription)\" contains control character U+\(String(scalar.value, radix: 16))"
      )
    }
  }
}
