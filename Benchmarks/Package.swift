// swift-tools-version: 6.1
// The StateLog benchmarks: a nested package so that the benchmark harness and
// the SQLite, RocksDB and LMDB baselines are no dependency of the library itself.
//
//   swift package benchmark          (ordo-one/benchmark targets, from Benchmarks/)
//   swift run -c release compare     (side-by-side table + results.json)
import PackageDescription

let package = Package(
  name: "StateLogBenchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    // The package name is given because a path dependency is otherwise known by
    // its folder's name, which depends on where the repository is checked out.
    .package(name: "StateLog", path: ".."),
    .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    // The system SQLite (Debian: libsqlite3-dev), the baseline.
    .systemLibrary(
      name: "CSQLite",
      path: "Sources/CSQLite",
      pkgConfig: "sqlite3",
      providers: [.apt(["libsqlite3-dev"])]
    ),
    // The system RocksDB (Debian: librocksdb-dev), through its C API.
    .systemLibrary(
      name: "CRocksDB",
      path: "Sources/CRocksDB",
      pkgConfig: "rocksdb",
      providers: [.apt(["librocksdb-dev"])]
    ),
    // The system LMDB (Debian: liblmdb-dev).
    .systemLibrary(
      name: "CLMDB",
      path: "Sources/CLMDB",
      pkgConfig: "lmdb",
      providers: [.apt(["liblmdb-dev"])]
    ),
    // The workloads, shared by the benchmark targets and `compare`: the same
    // data for StateLog and every baseline.
    .target(
      name: "BenchSupport",
      dependencies: [
        "CSQLite",
        "CRocksDB",
        "CLMDB",
        .product(name: "StateLog", package: "StateLog"),
        .product(name: "AgentState", package: "StateLog"),
      ],
      path: "Sources/BenchSupport"
    ),
    // Times every workload on every engine and prints the comparison table.
    .executableTarget(
      name: "compare",
      dependencies: ["BenchSupport"],
      path: "Sources/compare"
    ),
    // The ordo-one/benchmark suite: every workload on both engines
    // (`swift package benchmark`).
    .executableTarget(
      name: "Workloads",
      dependencies: [
        "BenchSupport",
        .product(name: "Benchmark", package: "benchmark"),
      ],
      path: "Benchmarks/Workloads",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
  ],
  swiftLanguageModes: [.v6]
)
