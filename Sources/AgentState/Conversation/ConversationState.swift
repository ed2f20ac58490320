/// A conversation as its events left it: messages, summaries, feedback, status.
public struct ConversationState: AgentStream {
  public static let kind = "conversation"
  public static let stateVersion: UInt32 = 1

  public enum Status: String, Codable, Hashable, Sendable {
    /// No event yet.
    case new
    /// Started or holding messages.
    case active
    /// Ended: no more messages.
    case ended
  }

  public typealias Message = ConversationEvent.MessageAdded

  /// A summary of the messages up to and including ``throughMessage``.
  public struct Summary: Codable, Hashable, Sendable {
    public var text: String
    public var throughMessage: Int
  }

  public typealias Feedback = ConversationEvent.Feedback

  public var id: String
  public var version: UInt64 = 0
  public var skippedEvents = 0
  /// Where this stream was forked from, if it was.
  public var origin: ForkOrigin?
  public var status = Status.new
  public var agent: String?
  public var user: String?
  public var title: String?
  public var model: String?
  /// Every message in order; summaries never remove any.
  public var messages: [Message] = []
  public var summaries: [Summary] = []
  public var feedback: [Feedback] = []
  public var endReason: String?

  enum CodingKeys: String, CodingKey, CaseIterable {
    case id, version, skippedEvents, origin, status, agent, user, title, model, messages, summaries, feedback
    case endReason
  }

  public init(id: String) { self.id = id }

  /// Applies one event's change (the reducer).
  ///
  /// - Throws: ``AgentStateError/Code/invalidTransition`` for a second start, a
  ///   message, summary or feedback after the end, a summary that reaches past
  ///   the messages or back before the previous summary, feedback on a message
  ///   that does not exist.
  public mutating func reduce(_ event: ConversationEvent) throws(AgentStateError) {
    switch event {
    case .fork:
      break  // apply(_:mode:) starts a fork; a reducer never sees one
    case .started(let started):
      guard status == .new else { throw invalid("the conversation has already started") }
      status = .active
      agent = started.agent
      user = started.user
      title = started.title
      model = started.model
    case .messageAdded(let message):
      guard status != .ended else { throw invalid("the conversation has ended") }
      status = .active
      messages.append(message)
    case .summarized(let summary):
      guard status != .ended else { throw invalid("the conversation has ended") }
      guard summary.throughMessage >= 0, summary.throughMessage < messages.count else {
        throw invalid(
          "summary through message \(summary.throughMessage), but there are \(messages.count) messages")
      }
      guard summary.throughMessage >= (summaries.last?.throughMessage ?? -1) else {
        throw invalid(
          "summary through message \(summary.throughMessage) goes back before the previous summary")
      }
      summaries.append(Summary(text: summary.summary, throughMessage: summary.throughMessage))
    case .feedback(let rating):
      guard status != .ended else { throw invalid("the conversation has ended") }
      guard messages.indices.contains(rating.message), rating.rating.isFinite else {
        throw invalid("feedback on message \(rating.message), but there are \(messages.count) messages")
      }
      feedback.append(rating)
    case .ended(let ended):
      guard status != .ended else { throw invalid("the conversation has already ended") }
      status = .ended
      endReason = ended.reason
    }
  }

  /// Input and output tokens per role, over every message.
  public var tokenTotals: [ConversationEvent.Role: ConversationEvent.TokenCount] {
    var totals: [ConversationEvent.Role: ConversationEvent.TokenCount] = [:]
    for message in messages {
      guard let tokens = message.tokens else { continue }
      var total = totals[message.role] ?? ConversationEvent.TokenCount(input: 0, output: 0)
      total.input += tokens.input
      total.output += tokens.output
      totals[message.role] = total
    }
    return totals
  }

  /// What a model should see next: the latest summary and the messages after it.
  public struct ContextWindow: Codable, Hashable, Sendable {
    public var summary: String?
    /// The index in ``ConversationState/messages`` of the first message shown.
    public var firstMessage: Int
    public var messages: [Message]
  }

  /// The latest summary plus the messages after it; with a token budget, only
  /// the newest of those whose counted tokens fit in it (a message's tokens are
  /// its input plus output counts; messages without counts cost nothing).
  public func contextWindow(tokenBudget: Int? = nil) -> ContextWindow {
    let start = (summaries.last?.throughMessage ?? -1) + 1
    var first = start
    if let tokenBudget {
      var used = 0
      first = messages.count
      while first > start {
        let cost = messages[first - 1].tokens.map { $0.input + $0.output } ?? 0
        if used + cost > tokenBudget { break }
        used += cost
        first -= 1
      }
    }
    return ContextWindow(
      summary: summaries.last?.text, firstMessage: first, messages: Array(messages[first...]))
  }
}
