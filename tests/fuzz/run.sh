#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DCALM_FUZZ=ON, in build-fuzz/ or $CALM_FUZZ_BUILD)
# and runs each for SECONDS (default 30) on a copy of its seed corpus, with its
# dictionary. Exits non-zero if any target finds a crash, a leak or undefined
# behaviour; the reproducer is left in the build directory. The csource target is
# csource.py: generated C programs linted end to end by the instrumented calm-lint.
# usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
set -eu
seconds=${1:-30}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${CALM_FUZZ_BUILD:-$root/build-fuzz}
targets=${*:-config model baseline suppress jsonrpc summary compdb csource}
jobs=${CALM_FUZZ_JOBS:-2}

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=${CC:-clang} cmake -S "$root" -B "$build" -DCALM_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
set -- # the build targets, from the names
for t in $targets; do
  if [ "$t" = csource ]; then set -- "$@" calm-lint; else set -- "$@" "fuzz_$t"; fi
done
cmake --build "$build" -j"$jobs" --target "$@"

# One target: its verdict goes to $work/report.txt, its status is the target's.
run_target() {
  t=$1
  work="$build/tests/fuzz/work-$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  if [ "$t" = csource ]; then
    python3 "$here/csource.py" "$build/calm-lint" "$seconds" --keep "$work/artifacts/batch" >"$work/report.txt" 2>&1
    return
  fi
  cp "$here/corpus/$t/"* "$work/corpus/" 2>/dev/null || true
  if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -dict="$here/$t.dict" -max_len=65536 \
       -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
       "$work/corpus" >"$work/log.txt" 2>&1; then
    { echo "fuzz_$t: FAILED (see $work/log.txt and $work/artifacts/)"; tail -n 30 "$work/log.txt"; } >"$work/report.txt"
    return 1
  fi
  grep -E "stat::number_of_executed_units" "$work/log.txt" | sed "s/^/fuzz_$t: /" >"$work/report.txt" || true
}

# $jobs targets at a time: each is bounded by its SECONDS, so the whole takes about
# SECONDS * targets / jobs.
failed=0
running=0
for t in $targets; do
  echo "$t: $seconds s"
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
for t in $targets; do cat "$build/tests/fuzz/work-$t/report.txt"; done
exit $failed
