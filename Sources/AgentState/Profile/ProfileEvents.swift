public import StateLog

/// The events of a user profile stream (`profile/<id>`).
public enum ProfileEvent: Hashable, Sendable {
  case preferenceSet(PreferenceSet)
  case preferenceRemoved(PreferenceRemoved)
  case factStored(FactStored)
  case factRetracted(FactRetracted)
  case contextLearned(ContextLearned)
  case preferencesUpdated(PreferencesUpdated)
  /// `profile.forked`: the first event of a forked stream.
  case fork(Forked<ProfileState>)

  /// `profile.preference_set`: `key` is a dotted path such as `"ui.theme"`.
  public struct PreferenceSet: EventType, Hashable {
    public static let typeName = "profile.preference_set"
    public static let schemaVersion: UInt32 = 1
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
      self.key = key
      self.value = value
    }
  }

  /// `profile.preference_removed`
  public struct PreferenceRemoved: EventType, Hashable {
    public static let typeName = "profile.preference_removed"
    public static let schemaVersion: UInt32 = 1
    public var key: String

    public init(key: String) { self.key = key }
  }

  /// `profile.fact_stored`: storing a fact with an existing id replaces it.
  public struct FactStored: EventType, Hashable {
    public static let typeName = "profile.fact_stored"
    public static let schemaVersion: UInt32 = 1
    public var id: String
    public var text: String
    public var category: String
    public var confidence: Double?
    public var source: String?

    public init(id: String, text: String, category: String, confidence: Double? = nil, source: String? = nil)
    {
      self.id = id
      self.text = text
      self.category = category
      self.confidence = confidence
      self.source = source
    }
  }

  /// `profile.fact_retracted`
  public struct FactRetracted: EventType, Hashable {
    public static let typeName = "profile.fact_retracted"
    public static let schemaVersion: UInt32 = 1
    public var id: String

    public init(id: String) { self.id = id }
  }

  /// `profile.preferences_updated`: a whole set of preferences at once, with
  /// the session's token usage. Its schema evolved twice, and older events are
  /// upcast on read (``ProfileEvent/registerUpcasters(in:)``): v1 nested the preferences
  /// under a user object (`{"user": {"preferences": {...}}}`), v2 flattened
  /// them to `preferences`, v3 added `token_usage`.
  public struct PreferencesUpdated: EventType, Hashable {
    public static let typeName = "profile.preferences_updated"
    public static let schemaVersion: UInt32 = 3

    public struct TokenUsage: Codable, Hashable, Sendable {
      public var total: Int
      public var session: Int

      public init(total: Int, session: Int) {
        self.total = total
        self.session = session
      }
    }

    /// Top-level preference names and their values.
    public var preferences: [String: JSONValue]
    public var tokenUsage: TokenUsage

    public init(preferences: [String: JSONValue], tokenUsage: TokenUsage = TokenUsage(total: 0, session: 0)) {
      self.preferences = preferences
      self.tokenUsage = tokenUsage
    }

    enum CodingKeys: String, CodingKey {
      case preferences
      case tokenUsage = "token_usage"
    }
  }

  /// `profile.context_learned`
  public struct ContextLearned: EventType, Hashable {
    public static let typeName = "profile.context_learned"
    public static let schemaVersion: UInt32 = 1
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
      self.key = key
      self.value = value
    }
  }
}
