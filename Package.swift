// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
  name: "StateLog",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "StateLog", targets: ["StateLog"]),
    .library(name: "AgentState", targets: ["AgentState"]),
    .executable(name: "statelog", targets: ["statelog"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
  ],
  targets: [
    .systemLibrary(
      name: "CLZ4",
      pkgConfig: "liblz4",
      providers: [.apt(["liblz4-dev"])]
    ),
    .systemLibrary(
      name: "CXXHash",
      pkgConfig: "libxxhash",
      providers: [.apt(["libxxhash-dev"])]
    ),
    .target(
      name: "StateLog",
      dependencies: [
        "CLZ4",
        "CXXHash",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),
    .target(
      name: "AgentState",
      dependencies: ["StateLog"],
      swiftSettings: strictSettings
    ),
    .executableTarget(
      name: "statelog",
      dependencies: [
        "StateLog",
        "AgentState",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strictSettings
    ),
    // The crash-and-resume example of the README: a task of many subtasks that
    // picks up where it was killed.
    .executableTarget(
      name: "task-resume-example",
      dependencies: ["AgentState", "StateLog"],
      path: "Examples/TaskResume",
      swiftSettings: strictSettings
    ),
    // The child process of the agent-state crash tests: snapshots and
    // retention while being killed.
    .executableTarget(
      name: "AgentStateCrashWorker",
      dependencies: ["AgentState", "StateLog"],
      path: "Tests/AgentStateCrashWorker",
      swiftSettings: strictSettings
    ),
    // A child process for crash tests: appends durably and reports each
    // acknowledged sequence on stdout until it is killed.
    .executableTarget(
      name: "StateLogCrashWriter",
      dependencies: ["StateLog"],
      path: "Tests/StateLogCrashWriter",
      swiftSettings: strictSettings
    ),
    // The readers the fuzzer attacks and their oracles, shared by the libFuzzer
    // entry point and the tests that replay the corpora (scripts/fuzz.sh).
    .target(
      name: "FuzzTargets",
      dependencies: [
        "AgentState", "StateLog", "TestSupport", .product(name: "Logging", package: "swift-log"),
      ],
      path: "Tests/FuzzTargets",
      swiftSettings: strictSettings
    ),
    .executableTarget(
      name: "StateLogFuzz",
      dependencies: ["FuzzTargets"],
      path: "Tests/Fuzz/Entry",
      swiftSettings: strictSettings
    ),
    // Helpers shared by the test targets: temporary directories, file surgery.
    .target(
      name: "TestSupport",
      dependencies: [.product(name: "Logging", package: "swift-log")],
      path: "Tests/TestSupport",
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "AgentStateTests",
      dependencies: [
        "AgentState", "StateLog", "TestSupport", "FuzzTargets",
        .product(name: "Subprocess", package: "swift-subprocess"),
        .product(name: "SystemPackage", package: "swift-system"),
      ],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "StateLogCLITests",
      dependencies: [
        "StateLog", "TestSupport",
        .product(name: "Subprocess", package: "swift-subprocess"),
        .product(name: "SystemPackage", package: "swift-system"),
      ],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "StateLogTests",
      dependencies: [
        "StateLog",
        "TestSupport",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Subprocess", package: "swift-subprocess"),
        .product(name: "SystemPackage", package: "swift-system"),
      ],
      swiftSettings: strictSettings
    ),
  ],
  swiftLanguageModes: [.v6]
)
