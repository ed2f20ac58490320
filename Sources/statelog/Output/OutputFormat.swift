import ArgumentParser
import Foundation
import StateLog

/// How a command prints its data on stdout.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  /// Aligned, readable tables.
  case text
  /// One JSON document, or JSON Lines for event listings.
  case json
}

/// Renders rows as a table with aligned columns.
func table(_ header: [String], _ rows: [[String]]) -> String {
  let widths = header.indices.map { column in
    ([header] + rows).map { $0[column].count }.max() ?? 0
  }
  func line(_ cells: [String]) -> String {
    zip(cells, widths).enumerated().map { index, pair in
      index == cells.count - 1 ? pair.0 : pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0)
    }.joined(separator: "  ")
  }
  return ([line(header)] + rows.map(line)).map { String($0.reversed().drop { $0 == " " }.reversed()) }
    .joined(separator: "\n")
}

/// Serialises a JSON-compatible value (dictionaries, arrays, strings, numbers,
/// booleans, NSNull) with sorted keys.
func jsonString(_ value: Any) -> String {
  guard
    let data = try? JSONSerialization.data(
      withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
  else { return "null" }
  return String(decoding: data, as: UTF8.self)
}

/// An event as a JSON object: its payload inline when it is JSON, otherwise as
/// UTF-8 text or, failing that, base64. With `decoded`, the payload and schema
/// version are those after upcasting.
func jsonObject(_ event: RecordedEvent, decoded: DecodedEvent? = nil) throws -> [String: Any] {
  var object: [String: Any] = [
    "seq": event.sequence, "stream": event.stream, "version": event.streamVersion, "type": event.type,
    "schema_version": event.schemaVersion, "time": event.timestamp.description, "id": event.id.description,
  ]
  let payload = Data(event.payload)
  if let decoded {
    object["data"] = foundationObject(try decoded.data)
    object["schema_version"] = decoded.schemaVersion
  } else if let value = BinaryPayloadCodec().value(ofStored: event.payload) {
    object["data"] = foundationObject(value)
  } else if let json = try? JSONSerialization.jsonObject(with: payload, options: [.fragmentsAllowed]) {
    object["data"] = json
  } else if let text = String(data: payload, encoding: .utf8) {
    object["data_text"] = text
  } else {
    object["data_base64"] = payload.base64EncodedString()
  }
  if !event.metadata.isEmpty {
    var metadata: [String: Any] = [:]
    if let correlation = event.metadata.correlationID { metadata["correlation_id"] = correlation.description }
    if let causation = event.metadata.causationID { metadata["causation_id"] = causation.description }
    for entry in event.metadata.entries { metadata[entry.key] = entry.value }
    object["metadata"] = metadata
  }
  return object
}

/// A value as the Foundation objects JSONSerialization writes.
func foundationObject(_ value: JSONValue) -> Any {
  switch value {
  case .null: NSNull()
  case .bool(let flag): flag
  case .int(let number): number
  // JSON has no NaN or infinity, and JSONSerialization refuses them.
  case .double(let number): number.isFinite ? number : NSNull()
  case .string(let text): text
  case .array(let elements): elements.map(foundationObject)
  case .object(let members): members.mapValues(foundationObject)
  }
}

/// A short, one-line summary of an event's payload for text output.
func summary(_ payload: [UInt8], width: Int = 60) -> String {
  oneLineSummary(
    BinaryPayloadCodec().value(ofStored: payload)?.description ?? String(decoding: payload, as: UTF8.self),
    width: width)
}

/// `text` on one line, cut to `width` characters.
func oneLineSummary(_ rendered: String, width: Int = 60) -> String {
  let text = rendered.replacingOccurrences(of: "\n", with: " ")
  return text.count > width ? String(text.prefix(width - 1)) + "…" : text
}
