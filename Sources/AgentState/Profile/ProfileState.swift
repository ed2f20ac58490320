public import StateLog

/// A user's profile as its events left it: nested preferences, facts, learned context.
public struct ProfileState: AgentStream {
  public static let kind = "profile"
  public static let stateVersion: UInt32 = 1

  public typealias Fact = ProfileEvent.FactStored

  public var id: String
  public var version: UInt64 = 0
  public var skippedEvents = 0
  /// Where this stream was forked from, if it was.
  public var origin: ForkOrigin?
  /// Preferences as a nested object: `"ui.theme"` is at `preferences["ui"]["theme"]`.
  public var preferences: JSONValue = .object([:])
  /// Facts by id; retracted facts are gone.
  public var facts: [String: Fact] = [:]
  /// What the agent learned, by key.
  public var context: [String: JSONValue] = [:]

  enum CodingKeys: String, CodingKey, CaseIterable {
    case id, version, skippedEvents, origin, preferences, facts, context
  }

  public init(id: String) { self.id = id }

  /// Applies one event's change (the reducer).
  ///
  /// - Throws: ``AgentStateError/Code/invalidTransition`` for a malformed
  ///   preference path, removing a preference that is not set, retracting an
  ///   unknown fact, a confidence outside 0...1, an empty key.
  public mutating func reduce(_ event: ProfileEvent) throws(AgentStateError) {
    switch event {
    case .fork:
      break  // apply(_:mode:) starts a fork; a reducer never sees one
    case .preferenceSet(let set):
      let path = try Self.path(set.key)
      Self.set(&preferences, path: path[...], to: set.value)
    case .preferenceRemoved(let removed):
      let path = try Self.path(removed.key)
      guard preference(at: path) != nil else { throw invalid("no preference \(removed.key)") }
      Self.remove(&preferences, path: path[...])
      if case .null = preferences { preferences = .object([:]) }
    case .factStored(let fact):
      guard !fact.id.isEmpty else { throw invalid("a fact needs an id") }
      if let confidence = fact.confidence, !(0...1).contains(confidence) {
        throw invalid("confidence \(confidence) is outside 0...1")
      }
      facts[fact.id] = fact
    case .factRetracted(let retracted):
      guard facts.removeValue(forKey: retracted.id) != nil else { throw invalid("no fact \(retracted.id)") }
    case .preferencesUpdated(let updated):
      var paths: [([String], JSONValue)] = []
      for (key, value) in updated.preferences.sorted(by: { $0.key < $1.key }) {
        paths.append((try Self.path(key), value))
      }
      for (path, value) in paths { Self.set(&preferences, path: path[...], to: value) }
      context["token_usage"] = [
        "total": .int(Int64(updated.tokenUsage.total)), "session": .int(Int64(updated.tokenUsage.session)),
      ]
    case .contextLearned(let learned):
      guard !learned.key.isEmpty else { throw invalid("learned context needs a key") }
      context[learned.key] = learned.value
    }
  }

  /// The preference at a dotted path, or `nil`.
  public func preference(_ key: String) -> JSONValue? {
    preference(at: key.split(separator: ".", omittingEmptySubsequences: false).map(String.init))
  }

  private func preference(at path: [String]) -> JSONValue? {
    path.reduce(preferences as JSONValue?) { $0?[$1] }
  }

  /// Facts grouped by category, each group sorted by id.
  public var factsByCategory: [String: [Fact]] {
    Dictionary(grouping: facts.values, by: \.category).mapValues { $0.sorted { $0.id < $1.id } }
  }

  /// The names of a dotted preference key.
  ///
  /// One pass over the UTF-8 bytes: replay splits a key for every preference
  /// event, and the generic `split` was a sixth of a profile's replay time.
  static func path(_ key: String) throws(AgentStateError) -> [String] {
    var parts: [String] = []
    let bytes = key.utf8
    var start = bytes.startIndex
    var index = start
    while true {
      let atEnd = index == bytes.endIndex
      if atEnd || bytes[index] == UInt8(ascii: ".") {
        guard start != index else {
          throw invalid("preference key \"\(key)\" is not a dotted path of non-empty names")
        }
        parts.append(String(key[start..<index]))
        if atEnd { return parts }
        start = bytes.index(after: index)
      }
      index = bytes.index(after: index)
    }
  }

  /// Sets the leaf at `path`, replacing whatever is not an object on the way.
  ///
  /// In place: each level's members are taken out of `value` before they
  /// change, so that the dictionaries are not copied on every event.
  private static func set(_ value: inout JSONValue, path: ArraySlice<String>, to leaf: JSONValue) {
    guard let key = path.first else {
      value = leaf
      return
    }
    var members = value.objectValue ?? [:]
    value = .null
    set(&members[key, default: .object([:])], path: path.dropFirst(), to: leaf)
    value = .object(members)
  }

  /// Removes the leaf at `path` and any object it leaves empty, in place as
  /// ``set(_:path:to:)`` does; `value` becomes `null` if nothing is left of it.
  private static func remove(_ value: inout JSONValue, path: ArraySlice<String>) {
    guard let key = path.first, var members = value.objectValue else {
      value = .null
      return
    }
    value = .null
    if path.count == 1 {
      members[key] = nil
    } else if members[key] != nil {
      remove(&members[key]!, path: path.dropFirst())
      if case .null? = members[key] { members[key] = nil }
    }
    if !members.isEmpty { value = .object(members) }
  }
}
