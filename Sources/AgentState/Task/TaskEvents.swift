public import StateLog

/// The events of a task stream (`task/<id>`): long-running work with subtasks.
public enum TaskEvent: Hashable, Sendable {
  case created(Created)
  case subtaskAdded(SubtaskAdded)
  case subtaskStarted(SubtaskStarted)
  case subtaskCompleted(SubtaskCompleted)
  case subtaskFailed(SubtaskFailed)
  case checkpointed(Checkpointed)
  case completed(Completed)
  case failed(Failed)
  case cancelled(Cancelled)
  /// `task.forked`: the first event of a forked stream.
  case fork(Forked<TaskState>)

  /// A subtask as a task is created with it.
  public struct SubtaskSpec: Codable, Hashable, Sendable {
    public var id: String
    public var description: String

    public init(id: String, description: String) {
      self.id = id
      self.description = description
    }
  }

  /// `task.created`
  public struct Created: EventType, Hashable {
    public static let typeName = "task.created"
    public static let schemaVersion: UInt32 = 1
    public var goal: String
    public var owner: String?
    public var subtasks: [SubtaskSpec]?

    public init(goal: String, owner: String? = nil, subtasks: [SubtaskSpec]? = nil) {
      self.goal = goal
      self.owner = owner
      self.subtasks = subtasks
    }
  }

  /// `task.subtask_added`: a new subtask, at the end or after `after`.
  public struct SubtaskAdded: EventType, Hashable {
    public static let typeName = "task.subtask_added"
    public static let schemaVersion: UInt32 = 1
    public var id: String
    public var description: String
    public var after: String?

    public init(id: String, description: String, after: String? = nil) {
      self.id = id
      self.description = description
      self.after = after
    }
  }

  /// `task.subtask_started`
  public struct SubtaskStarted: EventType, Hashable {
    public static let typeName = "task.subtask_started"
    public static let schemaVersion: UInt32 = 1
    public var id: String
    public var agent: String?

    public init(id: String, agent: String? = nil) {
      self.id = id
      self.agent = agent
    }
  }

  /// `task.subtask_completed`
  public struct SubtaskCompleted: EventType, Hashable {
    public static let typeName = "task.subtask_completed"
    public static let schemaVersion: UInt32 = 1
    public var id: String
    public var result: JSONValue?

    public init(id: String, result: JSONValue? = nil) {
      self.id = id
      self.result = result
    }
  }

  /// `task.subtask_failed`
  public struct SubtaskFailed: EventType, Hashable {
    public static let typeName = "task.subtask_failed"
    public static let schemaVersion: UInt32 = 1
    public var id: String
    public var error: String
    /// Whether another attempt may succeed; a resumed task retries it.
    public var retryable: Bool

    public init(id: String, error: String, retryable: Bool) {
      self.id = id
      self.error = error
      self.retryable = retryable
    }
  }

  /// `task.checkpointed`: what a resumed task needs to go on.
  public struct Checkpointed: EventType, Hashable {
    public static let typeName = "task.checkpointed"
    public static let schemaVersion: UInt32 = 1
    public var data: JSONValue
    public var note: String?

    public init(data: JSONValue, note: String? = nil) {
      self.data = data
      self.note = note
    }
  }

  /// `task.completed`
  public struct Completed: EventType, Hashable {
    public static let typeName = "task.completed"
    public static let schemaVersion: UInt32 = 1
    public var result: JSONValue?

    public init(result: JSONValue? = nil) { self.result = result }
  }

  /// `task.failed`
  public struct Failed: EventType, Hashable {
    public static let typeName = "task.failed"
    public static let schemaVersion: UInt32 = 1
    public var error: String

    public init(error: String) { self.error = error }
  }

  /// `task.cancelled`
  public struct Cancelled: EventType, Hashable {
    public static let typeName = "task.cancelled"
    public static let schemaVersion: UInt32 = 1
    public var reason: String?

    public init(reason: String? = nil) { self.reason = reason }
  }
}
