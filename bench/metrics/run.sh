#!/usr/bin/env bash
# bench/metrics/run.sh — CPU per wall second to scrape 1,000 pods' vLLM-sized
# /metrics every second: spillway's scraper, spillway's whole metrics hub
# (Pod objects in a store), and Debian's prometheus on the same targets as the
# baseline, with the ratio. See bench.py for the set-up.
#
# usage: bench/metrics/run.sh [PODS] [SECONDS]
#   BUILD_DIR (default build-bench-metrics) is configured as a Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
PODS=${1:-1000}
SECS=${2:-20}
BUILD_DIR=${BUILD_DIR:-build-bench-metrics}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSPILLWAY_PARTS="base/*.c;metrics/*.c;store/*.c;plane/*.c;cli/cmd_metrics.c" -DSPILLWAY_TESTS="none" >/dev/null
cmake --build "$BUILD_DIR" -j2 --target spillway >/dev/null
exec /usr/bin/python3 bench/metrics/bench.py "$BUILD_DIR/spillway" "$PODS" "$SECS"
