import AgentState
import Foundation
import StateLog

/// Renders agent states as readable text for `statelog state`.
enum StateRenderer {
  /// The state in full, or only the context window of a conversation if `window` is given.
  static func render(_ state: AnyAgentState, window: ConversationState.ContextWindow?) -> String {
    switch state {
    case .conversation(let conversation): window.map(context) ?? render(conversation)
    case .task(let task): render(task)
    case .profile(let profile): render(profile)
    }
  }

  /// One line about a state, for `statelog state --all`.
  static func summary(_ state: AnyAgentState) -> String {
    switch state {
    case .conversation(let state):
      "\(state.status.rawValue), \(state.messages.count) messages, \(state.summaries.count) summaries"
    case .task(let state):
      "\(state.status.rawValue), \(state.progress.done)/\(state.progress.total) subtasks done"
        + (state.goal.map { ", goal \(quoted($0))" } ?? "")
    case .profile(let state):
      "\(state.preferences.leafCount) preferences, \(state.facts.count) facts, \(state.context.count) context entries"
    }
  }

  static func render(_ state: ConversationState) -> String {
    var lines = [
      fields([
        ("status", state.status.rawValue), ("agent", state.agent), ("user", state.user),
        ("model", state.model),
        ("title", state.title),
      ])
    ]
    lines.append("messages (\(state.messages.count)):")
    lines += messageRows(state.messages, first: 0)
    for summary in state.summaries {
      lines.append("summary through #\(summary.throughMessage): \(quoted(summary.text))")
    }
    for rating in state.feedback {
      lines.append(
        "feedback on #\(rating.message): \(rating.rating)\(rating.comment.map { " " + quoted($0) } ?? "")")
    }
    let totals = state.tokenTotals.sorted { $0.key.rawValue < $1.key.rawValue }
    if !totals.isEmpty {
      lines.append(
        "tokens: "
          + totals.map { "\($0.key.rawValue) \($0.value.input) in / \($0.value.output) out" }.joined(
            separator: ", "))
    }
    if let reason = state.endReason { lines.append("ended: \(reason)") }
    if state.skippedEvents > 0 {
      lines.append("skipped events (invalid transitions): \(state.skippedEvents)")
    }
    return lines.joined(separator: "\n")
  }

  static func context(_ window: ConversationState.ContextWindow) -> String {
    var lines: [String] = []
    if let summary = window.summary { lines.append("summary: \(quoted(summary))") }
    lines.append("messages from #\(window.firstMessage):")
    lines += messageRows(window.messages, first: window.firstMessage)
    return lines.joined(separator: "\n")
  }

  static func messageRows(_ messages: [ConversationState.Message], first: Int) -> [String] {
    messages.enumerated().map { offset, message in
      var text = message.content
      if let calls = message.toolCalls, !calls.isEmpty {
        text += calls.map { " -> \($0.name)(\($0.arguments))" }.joined()
      }
      if let call = message.toolCallID { text = "[\(call)] " + text }
      let tokens = message.tokens.map { "  [\($0.input) in / \($0.output) out]" } ?? ""
      return
        "  #\(first + offset) \(message.role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(oneLine(text))\(tokens)"
    }
  }

  static func render(_ state: TaskState) -> String {
    let progress = state.progress
    var lines = [
      fields([
        ("goal", state.goal), ("status", state.status.rawValue), ("owner", state.owner),
        ("progress", "\(progress.done)/\(progress.total)"), ("next", state.nextSubtask?.id),
      ])
    ]
    if !state.subtasks.isEmpty {
      lines.append("subtasks:")
      lines.append(
        table(
          ["  id", "status", "attempts", "result / error"],
          state.subtasks.map { subtask in
            [
              "  " + subtask.id, subtask.status.rawValue, String(subtask.attempts),
              subtask.error.map { "error: \($0)" } ?? subtask.result?.description ?? "",
            ]
          }))
    }
    if let checkpoint = state.lastCheckpoint {
      lines.append(
        "last checkpoint (v\(checkpoint.version)): \(checkpoint.data)\(checkpoint.note.map { " " + quoted($0) } ?? "")"
      )
    }
    if !state.errors.isEmpty { lines.append("errors: " + state.errors.joined(separator: "; ")) }
    if let result = state.result { lines.append("result: \(result)") }
    if state.skippedEvents > 0 {
      lines.append("skipped events (invalid transitions): \(state.skippedEvents)")
    }
    return lines.joined(separator: "\n")
  }

  static func render(_ state: ProfileState) -> String {
    var lines = ["preferences: \(state.preferences)"]
    if !state.facts.isEmpty {
      lines.append("facts:")
      lines.append(
        table(
          ["  id", "category", "confidence", "text"],
          state.facts.values.sorted { $0.id < $1.id }.map {
            ["  " + $0.id, $0.category, $0.confidence.map { String($0) } ?? "", $0.text]
          }))
    }
    for (key, value) in state.context.sorted(by: { $0.key < $1.key }) {
      lines.append("context \(key) = \(value)")
    }
    return lines.joined(separator: "\n")
  }

  private static func fields(_ pairs: [(String, String?)]) -> String {
    pairs.compactMap { name, value in value.map { "\(name): \($0)" } }.joined(separator: "   ")
  }

  private static func quoted(_ text: String) -> String { "\"\(oneLine(text))\"" }

  private static func oneLine(_ text: String) -> String { oneLineSummary(text, width: 90) }
}

extension JSONValue {
  /// How many values that are not objects this holds: the number of
  /// preferences, whose dotted keys nest.
  var leafCount: Int {
    if case .object(let members) = self { return members.values.reduce(0) { $0 + $1.leafCount } }
    return 1
  }
}
