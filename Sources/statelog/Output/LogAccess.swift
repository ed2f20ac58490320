import StateLog

/// Options for commands that change a log that must already exist: a typo in
/// the path is an error, not a new empty log.
func existingLogOptions() -> LogOptions {
  var options = LogOptions()
  options.createIfMissing = false
  return options
}

/// Fails with exit code 9 unless `stream` has events in `log`.
func requireStream(_ stream: String, in log: Log) throws {
  guard log.lastVersion(of: stream) > 0 else {
    throw CommandFailure("unknown stream \(stream): it has no events", exitCode: 9)
  }
}
