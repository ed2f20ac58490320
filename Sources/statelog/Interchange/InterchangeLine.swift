import AgentState
import Foundation
import StateLog

/// One event of the JSON Lines interchange format (README, "JSON Lines"):
/// `{"stream", "type", "data", "time", "id", "schema_version", "expected_version"}`.
struct InterchangeLine: Decodable {
  var stream: String
  var type: String
  var data: JSONValue
  var time: Timestamp?
  var id: EventID?
  var schemaVersion: UInt32?
  var expectedVersion: ExpectedVersion?

  enum CodingKeys: String, CodingKey {
    case stream, type, data, time, id
    case schemaVersion = "schema_version"
    case expectedVersion = "expected_version"
  }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    stream = try container.decode(String.self, forKey: .stream)
    type = try container.decode(String.self, forKey: .type)
    data = try container.decode(JSONValue.self, forKey: .data)
    schemaVersion = try container.decodeIfPresent(UInt32.self, forKey: .schemaVersion)
    if let text = try? container.decodeIfPresent(String.self, forKey: .time) {
      guard let nanoseconds = ISO8601.parse(text) else {
        throw DecodingError.dataCorruptedError(
          forKey: .time, in: container, debugDescription: "not an ISO 8601 time")
      }
      time = Timestamp(nanosecondsSinceEpoch: nanoseconds)
    } else if let nanoseconds = try container.decodeIfPresent(Int64.self, forKey: .time) {
      time = Timestamp(nanosecondsSinceEpoch: nanoseconds)
    }
    if let text = try container.decodeIfPresent(String.self, forKey: .id) {
      guard let parsed = EventID(text) else {
        throw DecodingError.dataCorruptedError(forKey: .id, in: container, debugDescription: "not a UUID")
      }
      id = parsed
    }
    if let number = try? container.decodeIfPresent(UInt64.self, forKey: .expectedVersion) {
      expectedVersion = .version(number)
    } else if let word = try container.decodeIfPresent(String.self, forKey: .expectedVersion) {
      switch word {
      case "any": expectedVersion = .any
      case "no_stream": expectedVersion = .noStream
      case "exists": expectedVersion = .streamExists
      default:
        throw DecodingError.dataCorruptedError(
          forKey: .expectedVersion, in: container,
          debugDescription: "expected an integer, \"any\", \"no_stream\" or \"exists\"")
      }
    }
  }

  /// Parses one line.
  ///
  /// - Throws: ``CommandFailure`` naming the line number and what is wrong.
  static func parse(_ text: String, line: Int) throws -> InterchangeLine {
    do {
      return try JSONDecoder().decode(InterchangeLine.self, from: Data(text.utf8))
    } catch let error as DecodingError {
      throw CommandFailure("line \(line): \(describe(error))")
    } catch {
      throw CommandFailure("line \(line): not JSON (\(error.localizedDescription))")
    }
  }

  /// The event to append, with the schema version defaulting to the type's current one.
  func newEvent(codec: BinaryPayloadCodec, registry: SchemaRegistry) -> NewEvent {
    NewEvent(
      stream: stream, type: type, schemaVersion: schemaVersion ?? registry.currentVersion(of: type) ?? 1,
      id: id ?? .random(), timestamp: time, payload: codec.encode(data))
  }

  private static func describe(_ error: DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, _): "missing \"\(key.stringValue)\""
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
      (context.codingPath.last.map { "\"\($0.stringValue)\": " } ?? "") + context.debugDescription
    @unknown default: "\(error)"
    }
  }
}

/// An event as an export line: as stored (original schema version and data),
/// with `seq` and `version`.
func exportLine(_ event: RecordedEvent) -> String {
  var object = jsonObject(event)
  object["time"] = event.timestamp.description
  return jsonString(object)
}
