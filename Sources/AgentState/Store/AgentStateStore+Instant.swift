import StateLog

extension AgentStateStore {
  /// The states of several streams at one instant, for example every
  /// conversation, task and profile of one user at 14:02.
  ///
  /// A timestamp is turned into one sequence number first, so every state
  /// reflects the same prefix of the log.
  ///
  /// - Returns: Each stream's state and the sequence of the last event it reflects.
  public func states(ofStreams streams: [String], at point: StatePoint) throws -> [String: (
    state: AnyAgentState, sequence: UInt64
  )] {
    var instant = point
    if case .timestamp(let time) = point { instant = .sequence(try sequence(atOrBefore: time)) }
    if case .latest = point { instant = .sequence(log.lastSequence) }
    var result: [String: (state: AnyAgentState, sequence: UInt64)] = [:]
    for stream in streams { result[stream] = try state(ofStream: stream, at: instant) }
    return result
  }
}
