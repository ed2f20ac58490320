/// Optional facts about an event that are not its payload: which request it
/// belongs to, which event caused it, and a few small key/value pairs.
public struct EventMetadata: Hashable, Sendable {
  /// One key/value pair; order is kept as given.
  public struct Entry: Hashable, Sendable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
      self.key = key
      self.value = value
    }
  }

  /// Groups events that belong to one piece of work (a user request, an agent run).
  public var correlationID: EventID?
  /// The event that caused this one.
  public var causationID: EventID?
  /// Small key/value pairs, kept in order.
  public var entries: [Entry]

  public init(correlationID: EventID? = nil, causationID: EventID? = nil, entries: [Entry] = []) {
    self.correlationID = correlationID
    self.causationID = causationID
    self.entries = entries
  }

  /// Whether there is nothing to store; empty metadata is stored as zero bytes.
  public var isEmpty: Bool { correlationID == nil && causationID == nil && entries.isEmpty }

  /// The most bytes encoded metadata may take (format-spec.md, "Metadata").
  public static let maximumEncodedSize = 65_536
}

extension EventMetadata {
  /// Encodes as format-spec.md, "Metadata", describes.
  func encode(into writer: inout ByteWriter) {
    var flags: UInt8 = 0
    if correlationID != nil { flags |= 1 }
    if causationID != nil { flags |= 2 }
    writer.append(flags)
    for id in [correlationID, causationID].compactMap({ $0 }) {
      id.encode(into: &writer)
    }
    writer.appendVarint(UInt64(entries.count))
    for entry in entries {
      writer.appendString(entry.key)
      writer.appendString(entry.value)
    }
  }

  var encodedSize: Int {
    var size = 1 + (correlationID == nil ? 0 : 16) + (causationID == nil ? 0 : 16)
    size += ByteWriter.varintSize(UInt64(entries.count))
    for entry in entries {
      for text in [entry.key, entry.value] {
        size += ByteWriter.varintSize(UInt64(text.utf8.count)) + text.utf8.count
      }
    }
    return size
  }

  init(decoding bytes: UnsafeRawBufferPointer) throws(DecodingFailure) {
    var reader = ByteReader(bytes)
    let flags = try reader.readByte()
    guard flags & ~3 == 0 else { throw .invalid("unknown metadata flags \(flags)") }
    let correlation = flags & 1 != 0 ? try EventID(decoding: &reader) : nil
    let causation = flags & 2 != 0 ? try EventID(decoding: &reader) : nil
    let count = try reader.readLength(limit: reader.remaining / 2)
    var entries: [Entry] = []
    entries.reserveCapacity(count)
    for _ in 0..<count {
      let key = try reader.readString()
      let value = try reader.readString()
      entries.append(Entry(key: key, value: value))
    }
    guard reader.isAtEnd else { throw .invalid("metadata has trailing bytes") }
    self.init(correlationID: correlation, causationID: causation, entries: entries)
  }
}

extension EventID {
  /// Writes the 16 bytes of the UUID in order (big-endian halves).
  func encode(into writer: inout ByteWriter) {
    writer.append(littleEndian: high.byteSwapped)
    writer.append(littleEndian: low.byteSwapped)
  }

  init(decoding reader: inout ByteReader) throws(DecodingFailure) {
    let high = try reader.read(littleEndian: UInt64.self)
    let low = try reader.read(littleEndian: UInt64.self)
    self.init(high: high.byteSwapped, low: low.byteSwapped)
  }
}
