#!/usr/bin/env bash
# The one test command: installs dependencies, builds the sanitized flavour,
# runs unit tests (ctest + Criterion), end-to-end tests (pytest against the real
# binary) and every fuzz target for a short fixed time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh asan
scripts/build.sh fuzz
# the README's run command builds this flavour: -O3 warnings differ from -O0's
scripts/build.sh release | tail -n 20
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "== unit tests"
ctest --test-dir build-asan --output-on-failure -j2
echo "== fuzz targets (${FUZZ_RUNS:-100000} runs each, seed ${FUZZ_SEED:-1})"
# A fixed seed and run count make this step the same on every machine: it
# replays the committed corpus and then a reproducible sequence of mutations.
# Open-ended exploration (random seeds, minutes per target) is scripts/fuzz.sh;
# what it finds is fixed and its reproducer added to the corpus.
for f in build-fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  mkdir -p "$corpus"
  work=$(mktemp -d)
  # -timeout bounds one input (a pathological regex or loop is a finding);
  # the outer timeout bounds the whole run even if libFuzzer wedges
  timeout 300 "$f" -seed="${FUZZ_SEED:-1}" -runs="${FUZZ_RUNS:-100000}" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="build-fuzz/" -print_final_stats=0 "$work" "$corpus" >"$work.log" 2>&1 ||
    { tail -50 "$work.log"; echo "fuzz target $name failed"; exit 1; }
  echo "$name: $(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$work.log" | tail -1 || true)s"
  rm -rf "$work" "$work.log"
done
echo "== end-to-end tests"
SPILLWAY_BIN="$PWD/build-asan/spillway" SPILLWAY_TIMING_BIN="$PWD/build-release/spillway" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e "$@"
