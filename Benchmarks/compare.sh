#!/usr/bin/env bash
# Runs every workload on StateLog and on SQLite, prints the side-by-side table
# and writes Benchmarks/results.json (see BENCHMARKS.md).
#
#   Benchmarks/compare.sh                                  # 100,000 events, 3 runs, medians
#   STATELOG_BENCH_EVENTS=1000000 Benchmarks/compare.sh    # larger
#   Benchmarks/compare.sh --output /tmp/results.json       # elsewhere
set -euo pipefail
cd "$(dirname "$0")"
source ../scripts/install-dependencies.sh
# The SQLite baseline links the system SQLite.
if ! dpkg-query -W -f='${Status}' libsqlite3-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "installing libsqlite3-dev" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libsqlite3-dev >/dev/null
fi
swift build -c release --product compare >&2
exec .build/release/compare "$@"
