#!/usr/bin/env bash
# Exploratory fuzzing: every target (or the ones named) for SECONDS_EACH
# seconds with a fresh random seed, starting from the committed corpus
# tests/fuzz/corpus/<target>/. New inputs that add coverage accumulate in
# build-fuzz/corpus/<target>/ across runs (merge the ones worth keeping into
# the committed corpus with -merge=1); crashes go to build-fuzz/crash-* with
# the reproducer printed in build-fuzz/fuzz_<target>.log.
#   scripts/fuzz.sh                  # all targets, 300 s each
#   SECONDS_EACH=60 scripts/fuzz.sh gateway_request promtext
# The test command runs the same targets reproducibly (fixed seed and run
# count), so a finding there is the same finding on every machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh fuzz >/dev/null
secs=${SECONDS_EACH:-300}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in build-fuzz/fuzz_*; do
    [[ -x "$f" && "$f" != *.log ]] && targets+=("${f#build-fuzz/fuzz_}")
  done
fi
status=0
for t in "${targets[@]}"; do
  corpus="tests/fuzz/corpus/$t" found="build-fuzz/corpus/$t"
  mkdir -p "$corpus" "$found"
  if build-fuzz/"fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix=build-fuzz/ -print_final_stats=1 "$found" "$corpus" >"build-fuzz/fuzz_$t.log" 2>&1; then
    echo "$t: $(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "build-fuzz/fuzz_$t.log" | tail -1)s, found $(ls "$found" | wc -l)"
  else
    echo "$t: FAILED, see build-fuzz/fuzz_$t.log"; status=1
  fi
done
exit $status
