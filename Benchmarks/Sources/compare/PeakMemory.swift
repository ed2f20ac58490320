// W7's peak resident memory, measured in a child process per engine and run:
// a fresh process holds no freed memory of an earlier workload that the
// measured one could reuse without growing (glibc keeps freed heap pages, and
// `malloc_trim` gives back only some of them), so each engine's peak is its own.
import BenchSupport
import Foundation

/// The engines of `--peak-memory`, by their argument.
let peakMemoryEngines = ["statelog", "sqlite", "rocksdb", "lmdb"]

/// `compare --peak-memory W1|W4 ENGINE DIRECTORY`: runs one workload on one
/// engine in this process and prints the most resident memory it added, in
/// bytes. W1 appends the data set (STATELOG_BENCH_EVENTS events) durably to a
/// new log in DIRECTORY; W4 scans the log already in DIRECTORY.
func runPeakMemoryChild(workload: String, engine: String, directory: String, events: Int) -> Never {
  do {
    let data = Dataset.make(events: workload == "W1" ? events : 0)
    let (_, peak) = try ResidentMemory.measure {
      switch (workload, engine) {
      case ("W1", "statelog"):
        _ = try StateLogWorkloads.append(data, to: directory, durability: .fsyncEveryAppend)
      case ("W1", "sqlite"): _ = try SQLiteWorkloads.append(data, to: directory, durable: true)
      case ("W1", "rocksdb"): _ = try RocksDBWorkloads.append(data, to: directory, durable: true)
      case ("W1", "lmdb"): _ = try LMDBWorkloads.append(data, to: directory, durable: true)
      case ("W4", "statelog"): _ = try StateLogWorkloads.scan(directory)
      case ("W4", "sqlite"): _ = try SQLiteWorkloads.scan(directory)
      case ("W4", "rocksdb"): _ = try RocksDBWorkloads.scan(directory)
      case ("W4", "lmdb"): _ = try LMDBWorkloads.scan(directory)
      default:
        throw BenchError(
          "--peak-memory takes W1 or W4 and one of \(peakMemoryEngines.joined(separator: ", "))")
      }
    }
    print(peak)
    exit(0)
  } catch {
    FileHandle.standardError.write(Data("peak memory: \(error)\n".utf8))
    exit(1)
  }
}

/// Runs `compare --peak-memory` in a child process and returns the memory it
/// reports, in megabytes.
func peakMemory(_ workload: String, engine: String, directory: String) throws -> Double {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
  process.arguments = ["--peak-memory", workload, engine, directory]
  let output = Pipe()
  process.standardOutput = output
  try process.run()
  let bytes = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0,
    let peak = Double(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
  else {
    throw BenchError("--peak-memory \(workload) \(engine) failed (exit status \(process.terminationStatus))")
  }
  return peak / 1e6
}

/// Measures `workload`'s peak memory once on every engine, in the order of
/// ``peakMemoryEngines`` with the directory of the same place, and appends it
/// to `row`'s samples.
func recordPeakMemory(_ workload: String, round: Int, directories: [String], into row: inout Row) throws {
  var line: [String] = []
  for (engine, (directory, samples)) in zip(
    peakMemoryEngines, zip(directories, [\Row.stateLog, \.sqlite, \.rocksdb, \.lmdb]))
  {
    let peak = try peakMemory(workload, engine: engine, directory: directory)
    row[keyPath: samples].append(peak)
    line.append("\(engine) \(String(format: "%.1f", peak))")
  }
  log("round \(round): W7 peak memory added by \(workload) (MB): \(line.joined(separator: ", "))")
}
