#!/usr/bin/env bash
# The whole torture suite at full strength (README, "Reliability"): the
# crash, power-loss, injected-error and corruption suites with 1,000 SIGKILLs
# of a writer instead of CI's 100, then every fuzz target for a fixed time.
#
#   scripts/torture.sh              # 1,000 kills, 120 s of fuzzing per target
#   STATELOG_KILLS=5000 FUZZ_SECONDS=600 scripts/torture.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh
swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
STATELOG_KILLS=${STATELOG_KILLS:-1000} swift test --skip-build \
  --filter 'CrashTests|PowerLoss|InjectedErrorTests|CorruptionTests|TruncationTests|FaultInjectionTests|FuzzRegressionTests' \
  >"$log" 2>&1 || status=$?
grep -E '^(crash loop|power loss|injected errors)|✘|Test run with' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "the torture suites failed (exit $status); the end of their output:" >&2
  tail -n 200 "$log" >&2
  exit "$status"
fi
bash scripts/fuzz.sh "${FUZZ_SECONDS:-120}"
