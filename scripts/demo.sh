#!/usr/bin/env bash
# Runs StateLog's demo: writes a realistic agent log and travels in time
# through it. Pass a directory to keep the log; the default is a fresh one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh
swift build --product statelog >&2
exec .build/debug/statelog demo "$@"
