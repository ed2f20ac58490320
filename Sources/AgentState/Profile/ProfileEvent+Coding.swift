public import StateLog

extension ProfileEvent: AgentEvent {
  public static let eventTypes: [any EventType.Type] = [
    Forked<ProfileState>.self,
    PreferenceSet.self, PreferenceRemoved.self, FactStored.self, FactRetracted.self, ContextLearned.self,
    PreferencesUpdated.self,
  ]

  /// Migrations of older profile events to their current schema versions.
  public static func registerUpcasters(in registry: inout SchemaRegistry) {
    let type = PreferencesUpdated.typeName
    if registry.currentVersion(of: type) == nil { registry.register(PreferencesUpdated.self) }
    registry.addUpcaster(for: type, from: 1) { v1 in
      ["preferences": v1["user"]?["preferences"] ?? [:]]
    }
    registry.addUpcaster(for: type, from: 2) { v2 in
      var v3 = v2
      if v3["token_usage"] == nil { v3["token_usage"] = ["total": 0, "session": 0] }
      return v3
    }
  }

  public static func forked(_ fork: Forked<ProfileState>) -> Self { .fork(fork) }

  public var fork: Forked<ProfileState>? {
    if case .fork(let fork) = self { return fork }
    return nil
  }

  private static let forkedTypeName = Forked<ProfileState>.typeName

  public init(decoding event: some DecodableEvent) throws {
    switch event.type {
    case PreferenceSet.typeName: self = .preferenceSet(try event.decode(as: PreferenceSet.self))
    case PreferenceRemoved.typeName: self = .preferenceRemoved(try event.decode(as: PreferenceRemoved.self))
    case FactStored.typeName: self = .factStored(try event.decode(as: FactStored.self))
    case FactRetracted.typeName: self = .factRetracted(try event.decode(as: FactRetracted.self))
    case ContextLearned.typeName: self = .contextLearned(try event.decode(as: ContextLearned.self))
    case PreferencesUpdated.typeName:
      self = .preferencesUpdated(try event.decode(as: PreferencesUpdated.self))
    case Self.forkedTypeName: self = .fork(try event.decode(as: Forked<ProfileState>.self))
    default: throw Self.unknown(event)
    }
  }

  public func newEvent(in store: EventStore, stream: String, id: EventID) throws -> NewEvent {
    switch self {
    case .fork(let event): try store.newEvent(event, stream: stream, id: id)
    case .preferenceSet(let event): try store.newEvent(event, stream: stream, id: id)
    case .preferenceRemoved(let event): try store.newEvent(event, stream: stream, id: id)
    case .factStored(let event): try store.newEvent(event, stream: stream, id: id)
    case .factRetracted(let event): try store.newEvent(event, stream: stream, id: id)
    case .contextLearned(let event): try store.newEvent(event, stream: stream, id: id)
    case .preferencesUpdated(let event): try store.newEvent(event, stream: stream, id: id)
    }
  }
}
