#!/usr/bin/env bash
# Runs every workload on StateLog and on the SQLite, RocksDB and LMDB baselines,
# prints the side-by-side table and writes Benchmarks/results.json (see BENCHMARKS.md).
#
#   Benchmarks/compare.sh                                  # 100,000 events, 3 runs, medians
#   STATELOG_BENCH_EVENTS=1000000 Benchmarks/compare.sh    # larger
#   Benchmarks/compare.sh --output /tmp/results.json       # elsewhere
set -euo pipefail
cd "$(dirname "$0")"
# The library's packages, and the system SQLite, RocksDB and LMDB the baselines link.
bash ../scripts/install-dependencies.sh libsqlite3-dev librocksdb-dev liblmdb-dev
swift build -c release --product compare >&2
exec .build/release/compare "$@"
