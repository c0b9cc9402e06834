#!/usr/bin/env bash
# bench/schedule/run.sh — fleet placement benchmark: 10,000 Deployments over
# 1,000 simulated clusters, sched_place() beside a naive implementation of the
# same rules (results checked identical), p50/p99 per placement, the ratio,
# and peak RSS. Builds an optimised binary from the sources into a temp dir;
# needs only a C compiler (no control plane, no network).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
${CC:-cc} -std=c17 -O2 -DNDEBUG -D_GNU_SOURCE -Isrc -o "$out/bench_placement" \
  bench/schedule/bench_placement.c src/schedule/placement.c src/schedule/division.c src/base/base.c -lm
"$out/bench_placement"
