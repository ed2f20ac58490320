#!/usr/bin/env bash
# W8 agent turn loop on LangGraph + SqliteSaver, the reference run for StateLog's W8.
# Usage: bash Benchmarks/langgraph/run.sh [--turns N] [--output FILE] [other w8_turn_loop.py flags]
# The virtualenv lives outside the repo (STATELOG_LANGGRAPH_VENV, default
# ${TMPDIR:-/tmp}/statelog-langgraph-venv) and is reused while requirements.txt
# is unchanged; the database goes to a temporary directory removed on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
venv="${STATELOG_LANGGRAPH_VENV:-${TMPDIR:-/tmp}/statelog-langgraph-venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$here/requirements.txt"
  echo "$want" > "$stamp"
fi
db_dir="$(mktemp -d "${TMPDIR:-/tmp}/statelog-langgraph-w8.XXXXXX")"
trap 'rm -rf "$db_dir"' EXIT
"$venv/bin/python" "$here/w8_turn_loop.py" --directory "$db_dir" "$@"
