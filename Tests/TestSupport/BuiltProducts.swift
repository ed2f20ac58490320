/// The path of an executable built beside the test bundle (the package's
/// `.build/debug` or `.build/release`), for tests that run it as a child process.
public func builtProductPath(_ name: String) -> String {
  var path = CommandLine.arguments[0]
  // swift test runs .../debug/<Package>PackageTests.xctest.
  while let slash = path.lastIndex(of: "/"), !path.hasSuffix("/debug") && !path.hasSuffix("/release") {
    path = String(path[..<slash])
  }
  return path + "/" + name
}
