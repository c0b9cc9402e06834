#!/usr/bin/env bash
# The README's run command: installs dependencies, builds the release flavour
# and runs `spillway up` (the embedded default fleet unless --config is given).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release >&2
exec build-release/spillway up "$@"
