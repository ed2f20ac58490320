import FuzzTargets
import TestSupport
import Testing

/// Every input of the committed fuzzing corpora (Tests/Fuzz/Corpus: seeds
/// from a real log and what the fuzzer kept; Tests/Fuzz/Regressions: each
/// input that once crashed or gave a wrong answer), read by its target.
@Suite("Fuzz corpora")
struct FuzzRegressionTests {
  static let fuzzDirectory: String = {
    let file = #filePath
    let tests = file[..<file.range(of: "/AgentStateTests/")!.lowerBound]
    return tests + "/Fuzz"
  }()

  @Test(
    "every corpus and regression input is read without a crash or a wrong answer",
    arguments: FuzzTarget.allCases)
  func corpora(target: FuzzTarget) {
    var inputs = target.seeds()
    for folder in ["Corpus", "Regressions"] {
      let directory = Self.fuzzDirectory + "/" + folder + "/" + target.rawValue
      inputs += Files.list(directory).map { Files.read(directory + "/" + $0) }
    }
    #expect(!inputs.isEmpty)
    for (index, input) in inputs.enumerated() {
      let problem = target.check(input)
      #expect(problem == nil, "\(target.rawValue) input \(index) (\(input.count) bytes)")
    }
  }
}
