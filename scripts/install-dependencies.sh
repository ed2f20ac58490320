#!/usr/bin/env bash
# Installs the Debian packages StateLog builds against, and any named as
# arguments, if any is missing. Run by the other scripts; safe to run twice.
#
#   scripts/install-dependencies.sh                  # the library's
#   scripts/install-dependencies.sh libsqlite3-dev   # and the benchmarks' SQLite
set -euo pipefail

packages=(liblz4-dev libxxhash-dev pkg-config "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
