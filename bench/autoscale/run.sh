#!/usr/bin/env bash
# bench/autoscale/run.sh — CPU cost of one autoscaler reconcile at 1,000 pods,
# printed beside the same reconcile at the first seed's scale (its FederatedHPA
# with 2 pods) as the baseline, and the ratio. Two levels:
#   algo        the pure HPA algorithm (hpa_reconcile) on prebuilt inputs
#   controller  a whole autoscaler sync: store reads, selector matching, one
#               metrics lookup per pod and metric, the algorithm, status write
# The scrape side (reading 1,000 pods' /metrics) is bench/metrics/.
#
# usage: bench/autoscale/run.sh [PODS] [SECONDS_PER_RUN]
#   BUILD_DIR (default build-bench-autoscale) is configured as a Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
PODS=${1:-1000}
SECS=${2:-3}
BASE_PODS=2
BUILD_DIR=${BUILD_DIR:-build-bench-autoscale}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSPILLWAY_PARTS="base/*.c;autoscale/*.c;store/*.c;plane/*.c;api/*.c" -DSPILLWAY_TESTS="none" >/dev/null
cmake --build "$BUILD_DIR" -j2 --target spillway_core >/dev/null
BIN="$BUILD_DIR/bench_reconcile"
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -Isrc bench/autoscale/bench_reconcile.c "$BUILD_DIR/libspillway_core.a" \
  $(pkg-config --cflags --libs libuv jansson yaml-0.1 libcurl sqlite3 openssl) -lhttp_parser -lm -lpthread -o "$BIN"

us() { sed -n 's/.*cpu_us_per_reconcile=\([0-9.]*\).*/\1/p'; }
echo "autoscaler reconcile cost (CPU time, Release build, ${SECS}s per run)"
printf "%-11s %12s %14s %14s %8s %18s\n" level pods baseline_us result_us ratio "CPU@5s-sync(1000)"
for level in algo controller; do
  base=$("$BIN" "$level" "$BASE_PODS" "$SECS" | us)
  res=$("$BIN" "$level" "$PODS" "$SECS" | us)
  ratio=$(awk -v a="$res" -v b="$base" 'BEGIN { printf "%.1f", a / b }')
  share=$(awk -v a="$res" 'BEGIN { printf "%.4f%%", a / 5e6 * 100 }')
  printf "%-11s %12s %14s %14s %8s %18s\n" "$level" "$BASE_PODS->$PODS" "$base" "$res" "${ratio}x" "$share"
done
echo "(baseline = the seed's FederatedHPA with $BASE_PODS pods; CPU@5s-sync = share of one core at the default 5 s sync period)"
