#!/usr/bin/env bash
# build.sh [release|asan|fuzz]: configures and builds one flavour into build-<flavour>/.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
case "$flavour" in
  release) cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null ;;
  asan)    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSPILLWAY_SANITIZE=ON >/dev/null ;;
  fuzz)    CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSPILLWAY_FUZZ=ON >/dev/null ;;
  *) echo "build.sh: unknown flavour '$flavour' (expected release, asan or fuzz)" >&2; exit 2 ;;
esac
cmake --build "build-$flavour" -j"$(nproc)"
