// The libFuzzer entry points. scripts/fuzz.sh builds this target with
// `-sanitize=fuzzer,address -parse-as-library`, which links libFuzzer's own
// `main`; built plainly (as `swift build` does), it is an empty program.
//
//   STATELOG_FUZZ_TARGET=segment .build-fuzz/debug/StateLogFuzz CORPUS_DIR
//   STATELOG_FUZZ_SEEDS=DIR STATELOG_FUZZ_TARGET=segment .build-fuzz/debug/StateLogFuzz   (writes seeds, exits)
import FuzzTargets
import Glibc

/// The target `STATELOG_FUZZ_TARGET` names, chosen once by `LLVMFuzzerInitialize`.
nonisolated(unsafe) var selectedTarget = FuzzTarget.segment

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> Int32 {
  let name = getenv("STATELOG_FUZZ_TARGET").map { String(cString: $0) } ?? ""
  guard let target = FuzzTarget(rawValue: name) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    let message = "set STATELOG_FUZZ_TARGET to one of: \(names)\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(2)
  }
  selectedTarget = target
  // Builds the fixture before the first input, so that it is not timed as one.
  let seeds = target.seeds()
  if let directory = getenv("STATELOG_FUZZ_SEEDS").map({ String(cString: $0) }) {
    for (index, seed) in seeds.enumerated() {
      guard let file = fopen(directory + "/seed-\(index)", "wb") else { exit(2) }
      _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
      fclose(file)
    }
    exit(0)
  }
  return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
  if let problem = selectedTarget.check(bytes) {
    fatalError("\(selectedTarget.rawValue): \(problem)")
  }
  return 0
}
