/// The error type of the AgentState module.
///
/// Errors of the log underneath arrive as ``StateLogError``; this type covers
/// what agent state adds: events that do not fit the state they would change.
public struct AgentStateError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What went wrong; an extensible set of codes.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    enum Value: String, Hashable, Sendable {
      case invalidTransition = "invalid transition"
      case unknownStreamKind = "unknown stream kind"
      case unknownEventType = "unknown event type"
      case invalidArgument = "invalid argument"
      case retriesExhausted = "retries exhausted"
      case historyRemoved = "history removed"
    }
    let value: Value

    /// The event does not fit the current state: completing an unknown
    /// subtask, a message after the conversation ended. Nothing was written.
    public static let invalidTransition = Code(value: .invalidTransition)
    /// A stream id that is not `conversation/…`, `task/…` or `profile/…`.
    public static let unknownStreamKind = Code(value: .unknownStreamKind)
    /// A stored event whose type is not part of the stream kind's vocabulary.
    public static let unknownEventType = Code(value: .unknownEventType)
    /// An argument is not valid: an empty id, a malformed preference path.
    public static let invalidArgument = Code(value: .invalidArgument)
    /// ``AgentStateStore/update(_:id:maximumAttempts:_:)`` met a conflict on every attempt.
    public static let retriesExhausted = Code(value: .retriesExhausted)
    /// The point asked for is before the retention horizon: the events are gone
    /// and no snapshot covers it. The message names the horizon.
    public static let historyRemoved = Code(value: .historyRemoved)

    public var description: String { value.rawValue }
  }

  public var code: Code
  /// A one-line explanation.
  public var message: String
  /// The stream involved, if any.
  public var stream: String?

  init(_ code: Code, _ message: String, stream: String? = nil) {
    self.code = code
    self.message = message
    self.stream = stream
  }

  public var description: String {
    stream.map { "\(message) (stream \($0))" } ?? message
  }
}
