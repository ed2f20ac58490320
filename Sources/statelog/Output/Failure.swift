import AgentState
import ArgumentParser
import Glibc
import StateLog

/// Runs a command body and turns a thrown ``StateLogError`` into one line on
/// stderr and the documented exit code.
func reportingFailures(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as StateLogError {
    writeError("statelog: \(error.code): \(error)")
    throw ExitCode(exitCode(for: error))
  } catch let error as AgentStateError {
    writeError("statelog: \(error)")
    switch error.code {
    case .unknownStreamKind: throw ExitCode(9)
    case .invalidArgument: throw ExitCode(8)
    case .historyRemoved: throw ExitCode(11)
    default: throw ExitCode(1)
    }
  } catch let failure as CommandFailure {
    writeError("statelog: \(failure.message)")
    throw ExitCode(failure.exitCode)
  }
}

/// A failure of the command itself rather than of the library.
struct CommandFailure: Error {
  var message: String
  var exitCode: Int32

  init(_ message: String, exitCode: Int32 = 8) {
    self.message = message
    self.exitCode = exitCode
  }
}

func exitCode(for error: StateLogError) -> Int32 {
  switch error.code {
  case .notALog: 3
  case .locked: 4
  case .corruption: 5
  case .newerFormat: 6
  case .ioFailure: 7
  case .invalidArgument, .payloadTooLarge, .sequenceOutOfRange: 8
  case .wrongExpectedVersion, .duplicateEventID: 10
  default: 1
  }
}

/// Writes a line to stderr, unbuffered.
func writeError(_ line: String) {
  var text = line + "\n"
  text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
