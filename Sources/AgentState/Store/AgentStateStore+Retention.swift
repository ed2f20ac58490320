public import StateLog

extension AgentStateStore {
  /// Removes the log's oldest segments holding only events before `sequence`,
  /// after snapshotting every conversation, task and profile with events in
  /// them at its last event before the new horizon, so that every state from
  /// the horizon on stays rebuildable.
  ///
  /// Time travel to before the horizon then throws
  /// ``AgentStateError/Code/historyRemoved`` naming it; it never gives a wrong
  /// answer. Crash-safe: the snapshots are durable before the retention file
  /// is, and that is durable before any segment goes.
  ///
  /// - Returns: The segment files removed.
  @discardableResult
  public func applyRetention(before sequence: UInt64) throws -> [String] {
    let horizon = log.retentionHorizon(removingBefore: sequence)
    guard horizon > log.retentionHorizon else { return [] }
    waitForSnapshots()
    for stream in log.streamIDs() {
      guard let (type, id) = try? AnyAgentState.stateType(of: stream),
        let first = log.firstStoredVersion(of: stream),
        let firstSequence = log.sequence(ofVersion: first, inStream: stream),
        firstSequence < horizon
      else { continue }
      try snapshotBefore(horizon, type, id: id)
    }
    // Only what was snapshotted goes, even if a segment rolled meanwhile.
    let removed = try log.removeSegments(before: horizon)
    // Streams whose events all went have no stored events but still have
    // snapshots: prune by what the snapshot folders hold.
    for stream in try snapshots.streams() { try snapshots.prune(stream, keep: snapshotsKept) }
    return removed
  }

  /// ``applyRetention(before:)`` for the events older than `timestamp`.
  @discardableResult
  public func applyRetention(olderThan timestamp: Timestamp) throws -> [String] {
    try applyRetention(before: try log.sequence(atOrBefore: timestamp) + 1)
  }

  private func snapshotBefore<State: AgentStream>(_ horizon: UInt64, _ type: State.Type, id: String) throws {
    let point = try state(type, id: id, at: .sequence(horizon - 1))
    guard point.sequence > 0 else { return }
    // Pruned after the removal, when the new horizon makes it the anchor;
    // pruning now could delete it as one of too many.
    try writeSnapshot(point.state, sequence: point.sequence, prune: false)
  }
}
