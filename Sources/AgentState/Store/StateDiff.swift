public import StateLog

/// What changed in a stream between two points: a structural diff of the two
/// states, a one-line summary in the stream's own terms, and the events in between.
public struct StateDiff: Hashable, Sendable {
  /// One difference at a path such as `messages[3].content` or `preferences.ui.theme`.
  public enum Change: Hashable, Sendable {
    case added(path: String, value: JSONValue)
    case removed(path: String, value: JSONValue)
    case changed(path: String, from: JSONValue, to: JSONValue)

    public var path: String {
      switch self {
      case .added(let path, _), .removed(let path, _), .changed(let path, _, _): path
      }
    }
  }

  public var stream: String
  /// The sequence numbers the two states reflect.
  public var fromSequence: UInt64
  public var toSequence: UInt64
  /// Every difference, in path order.
  public var changes: [Change]
  /// For a conversation "3 messages added, summary replaced, 1 feedback"; for a
  /// task which subtasks changed status; for a profile which preferences and facts changed.
  public var summary: String
  /// The stream's events after the first point through the second.
  public var events: [DecodedEvent]

  /// The structural differences between two values, paths rooted at `path`.
  public static func changes(from old: JSONValue, to new: JSONValue, path: String = "") -> [Change] {
    // Equal parts (most messages of a conversation) are not walked.
    if old == new { return [] }
    switch (old, new) {
    case (.object(let before), .object(let after)):
      return Set(before.keys).union(after.keys).sorted().flatMap { key -> [Change] in
        let child = path.isEmpty ? key : path + "." + key
        switch (before[key], after[key]) {
        case (nil, let added?): return [.added(path: child, value: added)]
        case (let removed?, nil): return [.removed(path: child, value: removed)]
        case (let was?, let now?): return changes(from: was, to: now, path: child)
        default: return []
        }
      }
    case (.array(let before), .array(let after)):
      var result: [Change] = []
      for index in 0..<max(before.count, after.count) {
        let child = "\(path)[\(index)]"
        if index >= before.count {
          result.append(.added(path: child, value: after[index]))
        } else if index >= after.count {
          result.append(.removed(path: child, value: before[index]))
        } else {
          result += changes(from: before[index], to: after[index], path: child)
        }
      }
      return result
    default:
      return old == new ? [] : [.changed(path: path, from: old, to: new)]
    }
  }
}

extension AgentStateStore {
  /// What changed in `stream` from one point to another.
  ///
  /// - Throws: ``AgentStateError/Code/unknownStreamKind``, or as ``state(_:id:at:)``.
  public func diff(ofStream stream: String, from: StatePoint, to: StatePoint) throws -> StateDiff {
    let (old, oldSequence) = try state(ofStream: stream, at: from)
    let (new, newSequence) = try state(ofStream: stream, at: to)
    let changes = StateDiff.changes(from: try old.jsonValue(), to: try new.jsonValue())
    let events = try self.events.events(
      inStream: stream, fromVersion: old.version + 1, throughVersion: new.version)
    return StateDiff(
      stream: stream, fromSequence: oldSequence, toSequence: newSequence, changes: changes,
      summary: Self.summary(from: old, to: new), events: events)
  }

  static func summary(from old: AnyAgentState, to new: AnyAgentState) -> String {
    var parts: [String] = []
    func count(_ number: Int, _ singular: String, _ plural: String, _ verb: String) {
      if number > 0 { parts.append("\(number) \(number == 1 ? singular : plural) \(verb)") }
    }
    switch (old, new) {
    case (.conversation(let before), .conversation(let after)):
      count(after.messages.count - before.messages.count, "message", "messages", "added")
      if after.summaries.count > before.summaries.count {
        parts.append(before.summaries.isEmpty ? "summary added" : "summary replaced")
      }
      count(after.feedback.count - before.feedback.count, "feedback", "feedback", "given")
      if before.status != after.status {
        parts.append("status \(before.status.rawValue) → \(after.status.rawValue)")
      }
    case (.task(let before), .task(let after)):
      if before.status != after.status {
        parts.append("task \(before.status.rawValue) → \(after.status.rawValue)")
      }
      for subtask in after.subtasks {
        guard let was = before.subtasks.first(where: { $0.id == subtask.id }) else {
          parts.append("\(subtask.id) added (\(subtask.status.rawValue))")
          continue
        }
        if was.status != subtask.status {
          parts.append("\(subtask.id) \(was.status.rawValue) → \(subtask.status.rawValue)")
        } else if was.attempts != subtask.attempts {
          parts.append("\(subtask.id) retried")
        }
      }
      if before.lastCheckpoint != after.lastCheckpoint && after.lastCheckpoint != nil {
        parts.append("checkpoint updated")
      }
    case (.profile(let before), .profile(let after)):
      let preferences = StateDiff.changes(from: before.preferences, to: after.preferences)
      if !preferences.isEmpty {
        parts.append("preferences changed: " + preferences.map(\.path).joined(separator: ", "))
      }
      let added = Set(after.facts.keys).subtracting(before.facts.keys).sorted()
      let removed = Set(before.facts.keys).subtracting(after.facts.keys).sorted()
      let changed = Set(after.facts.keys).intersection(before.facts.keys).filter {
        after.facts[$0] != before.facts[$0]
      }
      if !added.isEmpty { parts.append("facts stored: " + added.joined(separator: ", ")) }
      if !removed.isEmpty { parts.append("facts retracted: " + removed.joined(separator: ", ")) }
      if !changed.isEmpty { parts.append("facts changed: " + changed.sorted().joined(separator: ", ")) }
      let context = StateDiff.changes(from: .object(before.context), to: .object(after.context))
      if !context.isEmpty { parts.append("context learned: " + context.map(\.path).joined(separator: ", ")) }
    default:
      break
    }
    return parts.isEmpty ? "no change" : parts.joined(separator: ", ")
  }
}
