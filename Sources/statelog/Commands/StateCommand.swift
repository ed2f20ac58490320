import AgentState
import ArgumentParser
import Foundation
import StateLog

struct StateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "state",
    abstract: "Rebuild a conversation, task or profile as of a point in time.",
    discussion: """
      --at takes a sequence number (1234 or seq:1234), a stream version (v:17), an ISO 8601 \
      time (2026-11-24T14:02:00Z; fractional seconds and offsets accepted) or a time relative \
      to now (-2h, -30m, -45s, -1d). Without it, the latest state.

      Examples:
        statelog state ./agent-log task/book-trip
        statelog state ./agent-log conversation/trip-planning --at 2026-11-24T14:02:00Z
        statelog state ./agent-log conversation/trip-planning --view context --format json
        statelog state ./agent-log profile/alice --at v:2
        statelog state ./agent-log --all --at 2026-11-24T14:02:00Z

      --all rebuilds every conversation, task and profile in one pass over the log \
      and prints one line per stream (with --format json, every state in full).
      """
  )

  enum View: String, ExpressibleByArgument, CaseIterable {
    case full, context
  }

  @Argument(help: "The log directory.") var log: String
  @Argument(help: "The stream: conversation/<id>, task/<id> or profile/<id>.") var stream: String?
  @Flag(help: "Every agent stream's state instead of one stream's.") var all = false
  // Unconditional, so that relative times such as -2h are values, not options.
  @Option(parsing: .unconditional, help: "The point in time (see above).") var at: String?
  @Option(help: "full, or context for a conversation's context window.") var view: View = .full
  @Option(help: "Limit the context window to this many tokens.") var tokenBudget: Int?
  @Option(help: "Output format: text or json.") var format: OutputFormat = .text

  func run() throws {
    try reportingFailures {
      let point = try at.map { try PointParser.parse($0) } ?? .latest
      let store = AgentStateStore(log: try Log.openReadOnly(at: log))
      if all {
        guard stream == nil else { throw CommandFailure("give a stream or --all, not both") }
        return try printAll(try store.allStates(at: point), store: store)
      }
      guard let stream else { throw CommandFailure("give a stream, or --all for every stream") }
      _ = try AnyAgentState.parse(stream)
      try requireStream(stream, in: store.log)
      let (state, sequence) = try store.state(ofStream: stream, at: point)
      let time = sequence == 0 ? nil : try store.log.event(at: sequence).timestamp
      var window: ConversationState.ContextWindow?
      if view == .context {
        guard case .conversation(let conversation) = state else {
          throw CommandFailure("--view context needs a conversation stream")
        }
        window = conversation.contextWindow(tokenBudget: tokenBudget)
      }
      switch format {
      case .json:
        let value = try window.map { try JSONValueEncoder().encode($0) } ?? state.jsonValue()
        print(
          jsonString([
            "stream": stream, "sequence": sequence, "version": state.version,
            "time": time.map { $0.description as Any } ?? NSNull(), "state": foundationObject(value),
          ]))
      case .text:
        print("\(stream) at version \(state.version), sequence \(sequence)\(time.map { ", \($0)" } ?? "")")
        print(StateRenderer.render(state, window: window))
      }
    }
  }

  private func printAll(_ states: AgentStates, store: AgentStateStore) throws {
    let time = states.sequence == 0 ? nil : try store.log.event(at: states.sequence).timestamp
    switch format {
    case .json:
      var objects: [String: Any] = [:]
      for (stream, state) in states.all { objects[stream] = foundationObject(try state.jsonValue()) }
      print(
        jsonString([
          "sequence": states.sequence, "time": time.map { $0.description as Any } ?? NSNull(),
          "states": objects,
        ]))
    case .text:
      print("\(states.count) streams at sequence \(states.sequence)\(time.map { ", \($0)" } ?? "")")
      print(
        table(
          ["stream", "version", "summary"],
          states.all.map { [$0.stream, String($0.state.version), StateRenderer.summary($0.state)] }))
    }
  }
}
