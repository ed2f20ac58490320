#!/usr/bin/env bash
# Fuzzes every reader of bad bytes with libFuzzer (address sanitizer on) for a
# fixed time each: segments with recovery, index files, snapshot files,
# payloads, JSON Lines interchange lines and --at points (Tests/FuzzTargets).
#
#   scripts/fuzz.sh                      # 120 s per target
#   scripts/fuzz.sh 600 segment index    # longer, some targets
#
# New inputs that reach new code are merged into Tests/Fuzz/Corpus/<target>;
# an input that crashes, hangs, allocates more than 256 MB at once or gets a
# wrong answer from an oracle is written to Tests/Fuzz/Regressions/<target>/,
# where `swift test` (FuzzRegressionTests) replays it from then on. Commit
# both. Exits non-zero if any target found a problem.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 2
fi
all=(segment index snapshot payload interchange point)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for target in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $target "* ]] || { echo "unknown target $target (targets: ${all[*]})" >&2; exit 2; }
done
work=""
log=""
trap 'rm -rf "$work" "$log"' EXIT

bash scripts/install-dependencies.sh
# --sanitize fuzzer links libFuzzer's main; -sanitize=fuzzer on the compiles
# adds the coverage instrumentation it steers by.
swift build --product StateLogFuzz --sanitize fuzzer --sanitize address \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --scratch-path .build-fuzz >&2
binary=$PWD/.build-fuzz/debug/StateLogFuzz

failed=0
summary=()
for target in "${targets[@]}"; do
  corpus=Tests/Fuzz/Corpus/$target
  regressions=Tests/Fuzz/Regressions/$target
  mkdir -p "$corpus" "$regressions"
  work=$(mktemp -d)
  STATELOG_FUZZ_SEEDS=$work STATELOG_FUZZ_TARGET=$target "$binary"
  log=$(mktemp)
  status=0
  STATELOG_FUZZ_TARGET=$target "$binary" "$work" "$corpus" -max_total_time="$seconds" -max_len=65536 \
    -malloc_limit_mb=256 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$regressions/" >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  # Keep only what reaches code the committed corpus does not.
  STATELOG_FUZZ_TARGET=$target "$binary" -merge=1 "$corpus" "$work" >/dev/null 2>&1 ||
    echo "fuzz $target: could not merge new inputs into $corpus" >&2
  rm -rf "$work"
  if [ "$status" -ne 0 ]; then
    failed=1
    echo "fuzz $target: FAILED (exit $status), input saved in $regressions:" >&2
    grep -E 'ERROR|Fatal error|SUMMARY|Test unit written' "$log" | head -5 >&2
    summary+=("$target: problem found after ${runs:-?} inputs")
  else
    summary+=("$target: ${runs:-?} inputs in ${seconds} s, no problem; corpus $(ls "$corpus" | wc -l) files")
  fi
  rm -f "$log"
done
printf 'fuzz %s\n' "${summary[@]}"
exit $failed
