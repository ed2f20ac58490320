/// What an agent needs to answer a user, assembled by
/// ``AgentStateStore/context(conversation:tokenBudget:profile:openTasksOf:)``.
public struct AgentContext: Hashable, Sendable {
  /// The conversation's context window, if one was asked for.
  public var conversation: ConversationState.ContextWindow?
  /// The user's profile, if asked for.
  public var profile: ProfileState?
  /// The user's tasks that are not finished, by id, if asked for.
  public var openTasks: [TaskState]?
}

extension AgentStateStore {
  /// Reads, concurrently, the parts of an agent's context that are asked for:
  /// a conversation's context window, a profile, and a user's open tasks.
  ///
  /// - Parameters:
  ///   - conversation: The conversation id, or `nil` to skip it.
  ///   - tokenBudget: Caps the context window (``ConversationState/contextWindow(tokenBudget:)``).
  ///   - profile: The profile id, or `nil` to skip it.
  ///   - owner: Collect the tasks owned by this user that are not finished, or
  ///     `nil` to skip them.
  /// - Complexity: The open-task lookup reads every task stream's state (cached
  ///   after the first time).
  public func context(
    conversation: String? = nil, tokenBudget: Int? = nil, profile: String? = nil,
    openTasksOf owner: String? = nil
  ) async throws -> AgentContext {
    async let window = conversation.map {
      try self.conversation($0).state().contextWindow(tokenBudget: tokenBudget)
    }
    async let user = profile.map { try self.profile($0).state() }
    async let tasks = owner.map { try openTasks(of: $0) }
    return AgentContext(conversation: try await window, profile: try await user, openTasks: try await tasks)
  }

  /// The tasks owned by `owner` that have been created and are not finished, by id.
  public func openTasks(of owner: String) throws -> [TaskState] {
    let prefix = TaskState.kind + "/"
    return try log.streamIDs().filter { $0.hasPrefix(prefix) }
      .map { try state(TaskState.self, id: String($0.dropFirst(prefix.count))) }
      .filter { $0.owner == owner && $0.status != .new && !$0.status.isFinished }
  }
}
