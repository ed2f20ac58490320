public import StateLog

/// The events of a conversation stream (`conversation/<id>`), with their stored
/// type names. Payload fields use the JSON names of the public vocabulary.
public enum ConversationEvent: Hashable, Sendable {
  case started(Started)
  case messageAdded(MessageAdded)
  case summarized(Summarized)
  case feedback(Feedback)
  case ended(Ended)
  /// `conversation.forked`: the first event of a forked stream.
  case fork(Forked<ConversationState>)

  /// `conversation.started`
  public struct Started: EventType, Hashable {
    public static let typeName = "conversation.started"
    public static let schemaVersion: UInt32 = 1
    public var agent: String
    public var user: String?
    public var title: String?
    public var model: String?

    public init(agent: String, user: String? = nil, title: String? = nil, model: String? = nil) {
      self.agent = agent
      self.user = user
      self.title = title
      self.model = model
    }
  }

  /// A tool call an assistant message asks for.
  public struct ToolCall: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    /// The arguments as the model produced them, usually JSON text.
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
      self.id = id
      self.name = name
      self.arguments = arguments
    }
  }

  /// Tokens a model call consumed and produced.
  public struct TokenCount: Codable, Hashable, Sendable {
    public var input: Int
    public var output: Int

    public init(input: Int, output: Int) {
      self.input = input
      self.output = output
    }
  }

  /// Who wrote a message.
  public enum Role: String, Codable, Hashable, Sendable, CaseIterable {
    case system, user, assistant, tool
  }

  /// `conversation.message_added`
  public struct MessageAdded: EventType, Hashable {
    public static let typeName = "conversation.message_added"
    public static let schemaVersion: UInt32 = 1
    public var role: Role
    public var content: String
    public var name: String?
    public var toolCalls: [ToolCall]?
    public var toolCallID: String?
    public var tokens: TokenCount?

    public init(
      role: Role, content: String, name: String? = nil, toolCalls: [ToolCall]? = nil,
      toolCallID: String? = nil,
      tokens: TokenCount? = nil
    ) {
      self.role = role
      self.content = content
      self.name = name
      self.toolCalls = toolCalls
      self.toolCallID = toolCallID
      self.tokens = tokens
    }

    enum CodingKeys: String, CodingKey {
      case role, content, name, tokens
      case toolCalls = "tool_calls"
      case toolCallID = "tool_call_id"
    }
  }

  /// `conversation.summarized`: older messages stay in history but leave the
  /// context window.
  public struct Summarized: EventType, Hashable {
    public static let typeName = "conversation.summarized"
    public static let schemaVersion: UInt32 = 1
    public var summary: String
    /// The index of the last message the summary covers.
    public var throughMessage: Int

    public init(summary: String, throughMessage: Int) {
      self.summary = summary
      self.throughMessage = throughMessage
    }

    enum CodingKeys: String, CodingKey {
      case summary
      case throughMessage = "through_message"
    }
  }

  /// `conversation.feedback`
  public struct Feedback: EventType, Hashable {
    public static let typeName = "conversation.feedback"
    public static let schemaVersion: UInt32 = 1
    /// The index of the message rated.
    public var message: Int
    public var rating: Double
    public var comment: String?

    public init(message: Int, rating: Double, comment: String? = nil) {
      self.message = message
      self.rating = rating
      self.comment = comment
    }
  }

  /// `conversation.ended`
  public struct Ended: EventType, Hashable {
    public static let typeName = "conversation.ended"
    public static let schemaVersion: UInt32 = 1
    public var reason: String?

    public init(reason: String? = nil) { self.reason = reason }
  }
}
