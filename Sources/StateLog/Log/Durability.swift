/// When an append's bytes reach stable storage, and so what survives a crash.
///
/// Every mode survives a crash of the *process*: appended bytes are in the
/// operating system's page cache as soon as ``Log/append(_:)`` returns. The modes
/// differ in what survives a crash of the *machine* (power loss, kernel panic).
public enum Durability: Hashable, Sendable {
  /// Appends return once written to the page cache. Data is made durable only
  /// when a segment rolls, on ``Log/synchronize()`` and on ``Log/close()``; a
  /// power loss may lose any appends since then. What survives is a prefix of
  /// what was written, unless the disk kept later pages but lost earlier ones:
  /// then opening reports corruption at the first lost byte rather than guess,
  /// and ``LogOptions/salvage`` keeps the prefix and moves the rest aside.
  case buffered
  /// Each append returns only after `fdatasync` of its bytes (and an fsync of
  /// the directory when it created a segment): an acknowledged append survives
  /// power loss. Concurrent appends wait for each other's fsyncs.
  case fsyncEveryAppend
  /// Same promise as ``fsyncEveryAppend``, but concurrent appends share fsyncs:
  /// each returns after the first fsync that began after its bytes were
  /// written. The best mode for many concurrent writers.
  case groupCommit
  /// Appends return once written to the page cache, and a background thread
  /// syncs every `milliseconds`: a power loss loses at most the appends of the
  /// last interval (plus the time one fsync takes).
  case periodic(milliseconds: Int)

  var syncsEveryAppend: Bool {
    switch self {
    case .fsyncEveryAppend, .groupCommit: true
    case .buffered, .periodic: false
    }
  }
}
