public import StateLog

/// A long-running task as its events left it: goal, subtasks, checkpoint, errors.
public struct TaskState: AgentStream {
  public static let kind = "task"
  public static let stateVersion: UInt32 = 1

  public enum Status: String, Codable, Hashable, Sendable {
    /// No event yet.
    case new
    /// Created, no subtask started yet.
    case pending
    /// Work has started.
    case running
    case completed, failed, cancelled

    /// Whether the task is over: completed, failed or cancelled.
    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
  }

  public struct Subtask: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Hashable, Sendable {
      case pending, running, done, failed
    }

    public var id: String
    public var description: String
    public var status = Status.pending
    /// How many times it was started.
    public var attempts = 0
    public var agent: String?
    public var result: JSONValue?
    /// The error of the last failed attempt.
    public var error: String?
    /// Whether the last failure may be retried.
    public var retryable = true
  }

  public struct Checkpoint: Codable, Hashable, Sendable {
    public var data: JSONValue
    public var note: String?
    /// The stream version of the checkpoint event.
    public var version: UInt64
  }

  public var id: String
  public var version: UInt64 = 0
  public var skippedEvents = 0
  /// Where this stream was forked from, if it was.
  public var origin: ForkOrigin?
  public var status = Status.new
  public var goal: String?
  public var owner: String?
  /// Changed only by the reducer, which keeps an index of them.
  public internal(set) var subtasks: [Subtask] = []
  public var lastCheckpoint: Checkpoint?
  /// Every error reported, subtask failures included, oldest first.
  public var errors: [String] = []
  public var result: JSONValue?
  public var cancellationReason: String?
  /// Where each subtask is in ``subtasks``, so that a reducer finds one in
  /// O(1): a task with thousands of subtasks must not replay in quadratic time.
  private var positions = SubtaskPositions()

  enum CodingKeys: String, CodingKey, CaseIterable {
    case id, version, skippedEvents, origin, status, goal, owner, subtasks, lastCheckpoint, errors, result
    case cancellationReason
  }

  public init(id: String) { self.id = id }

  /// Applies one event's change (the reducer).
  ///
  /// - Throws: ``AgentStateError/Code/invalidTransition`` for any event before
  ///   `task.created` or after the task finished, a second `task.created`, an
  ///   unknown or duplicate subtask id, starting, completing or failing a
  ///   subtask that is already done.
  public mutating func reduce(_ event: TaskEvent) throws(AgentStateError) {
    if case .created(let created) = event {
      guard status == .new else { throw invalid("the task was already created") }
      let specs = created.subtasks ?? []
      guard Set(specs.map(\.id)).count == specs.count else { throw invalid("duplicate subtask ids") }
      status = .pending
      goal = created.goal
      owner = created.owner
      subtasks = specs.map { Subtask(id: $0.id, description: $0.description) }
      positions = SubtaskPositions()
      positions.record(subtasks, from: 0)
      return
    }
    guard status != .new else { throw invalid("the task has not been created") }
    guard !status.isFinished else { throw invalid("the task is \(status.rawValue)") }
    switch event {
    case .fork:
      break  // apply(_:mode:) starts a fork; a reducer never sees one
    case .created:
      break
    case .subtaskAdded(let added):
      guard positions.position(of: added.id, in: subtasks) == nil else {
        throw invalid("duplicate subtask \(added.id)")
      }
      let subtask = Subtask(id: added.id, description: added.description)
      if let after = added.after {
        guard let position = positions.position(of: after, in: subtasks) else {
          throw invalid("no subtask \(after) to add \(added.id) after")
        }
        subtasks.insert(subtask, at: position + 1)
        positions.record(subtasks, from: position + 1)
      } else {
        subtasks.append(subtask)
        positions.record(subtasks, from: subtasks.count - 1)
      }
    case .subtaskStarted(let started):
      let position = try open(started.id)
      subtasks[position].status = .running
      subtasks[position].attempts += 1
      subtasks[position].agent = started.agent
      status = .running
    case .subtaskCompleted(let completed):
      let position = try open(completed.id)
      subtasks[position].status = .done
      subtasks[position].result = completed.result
      subtasks[position].error = nil
      status = .running
    case .subtaskFailed(let failed):
      let position = try open(failed.id)
      subtasks[position].status = .failed
      subtasks[position].error = failed.error
      subtasks[position].retryable = failed.retryable
      errors.append("\(failed.id): \(failed.error)")
    case .checkpointed(let checkpoint):
      lastCheckpoint = Checkpoint(data: checkpoint.data, note: checkpoint.note, version: version + 1)
    case .completed(let completed):
      status = .completed
      result = completed.result
    case .failed(let failed):
      status = .failed
      errors.append(failed.error)
    case .cancelled(let cancelled):
      status = .cancelled
      cancellationReason = cancelled.reason
    }
  }

  /// The position of a subtask that exists and is not done.
  private mutating func open(_ id: String) throws(AgentStateError) -> Int {
    guard let position = positions.position(of: id, in: subtasks) else { throw invalid("no subtask \(id)") }
    guard subtasks[position].status != .done else { throw invalid("subtask \(id) is already done") }
    return position
  }

  /// Subtasks done, out of all.
  public var progress: (done: Int, total: Int) {
    (subtasks.count { $0.status == .done }, subtasks.count)
  }

  /// The subtask to run on resume: the first one not done (one interrupted
  /// while running, or failed retryably, is run again); `nil` if all are done
  /// or the first unfinished one failed for good.
  public var nextSubtask: Subtask? {
    guard let next = subtasks.first(where: { $0.status != .done }) else { return nil }
    return next.status == .failed && !next.retryable ? nil : next
  }
}

/// Subtask ids to positions: derived from ``TaskState/subtasks``, so it takes
/// no part in equality, hashing or coding.
struct SubtaskPositions: Hashable, Sendable {
  private var positions: [String: Int] = [:]

  /// The position of subtask `id` in `subtasks`, rebuilding the map first if
  /// it does not cover them (a state decoded from a snapshot or a fork starts
  /// without one). Ids are unique and only the reducer changes `subtasks`, so
  /// the map covers them exactly when it has as many entries.
  mutating func position(of id: String, in subtasks: [TaskState.Subtask]) -> Int? {
    if positions.count != subtasks.count {
      positions = Dictionary(subtasks.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { $1 })
    }
    return positions[id]
  }

  /// Records the positions from `start` on, after subtasks were added there.
  mutating func record(_ subtasks: [TaskState.Subtask], from start: Int) {
    for position in start..<subtasks.count { positions[subtasks[position].id] = position }
  }

  static func == (lhs: Self, rhs: Self) -> Bool { true }
  func hash(into hasher: inout Hasher) {}
}
