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
  /// Checks the rules of format-spec.md ("Record") for `events[index]` before
  /// anything is written.
  ///
  /// Takes the array and an index, and reads the event's fields one by one:
  /// given the event itself, the caller copied all of it first (a retain and
  /// release of each of its buffers, per event appended).
  static func validate(_ events: [NewEvent], at index: Int, maximumPayloadSize: Int) throws(StateLogError) {
    try validateName(events[index].stream, what: "stream id")
    try validateName(events[index].type, what: "event type")
    guard events[index].schemaVersion >= 1 else {
      throw StateLogError(.invalidArgument, "schema version of \(events[index].type) must be at least 1")
    }
    let payloadSize = events[index].payload.count
    guard payloadSize <= maximumPayloadSize else {
      throw StateLogError(
        .payloadTooLarge,
        "payload of \(payloadSize) bytes exceeds the maximum of \(maximumPayloadSize) (stream \(events[index].stream))"
      )
    }
    if !events[index].metadata.isEmpty {
      let metadataSize = events[index].metadata.encodedSize
      guard metadataSize <= EventMetadata.maximumEncodedSize else {
        throw StateLogError(
          .payloadTooLarge,
          "metadata of \(metadataSize) bytes exceeds the maximum of \(EventMetadata.maximumEncodedSize)")
      }
    }
  }

  static func validateName(_ name: String, what: String) throws(StateLogError) {
    let length = name.utf8.count
    guard length >= 1, length <= maximumNameLength else {
      throw StateLogError(.invalidArgument, "\(what) must be 1 to \(maximumNameLength) bytes, got \(length)")
    }
    // Bytes, not scalars: a control character is one byte in UTF-8, and every
    // byte of a longer sequence is 0x80 or more.
    var name = name
    let hasControl = name.withUTF8 { bytes in bytes.contains { $0 < 0x20 || $0 == 0x7F } }
    guard hasControl else { return }
    for scalar in name.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F {
      throw StateLogError(
        .invalidArgument,
        "\(what) \"\(name.debugDescription)\" contains control character U+\(String(scalar.value, radix: 16))"
      )
    }
  }
}
