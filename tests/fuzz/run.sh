#!/bin/sh
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
targets=${*:-config model baseline suppress jsonrpc csource}
jobs=${CALM_FUZZ_JOBS:-2}

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=${CC:-clang} cmake -S "$root" -B "$build" -DCALM_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
set -- # the build targets, from the names
for t in $targets; do
  if [ "$t" = csource ]; then set -- "$@" calm-lint; else set -- "$@" "fuzz_$t"; fi
done
cmake --build "$build" -j"$jobs" --target "$@"

failed=0
for t in $targets; do
  work="$build/tests/fuzz/work-$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  if [ "$t" = csource ]; then
    echo "csource: $seconds s"
    python3 "$here/csource.py" "$build/calm-lint" "$seconds" --keep "$work/artifacts/batch" || failed=1
    continue
  fi
  cp "$here/corpus/$t/"* "$work/corpus/" 2>/dev/null || true
  echo "fuzz_$t: $seconds s"
  if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -dict="$here/$t.dict" -max_len=65536 \
       -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
       "$work/corpus" >"$work/log.txt" 2>&1; then
    echo "fuzz_$t: FAILED (see $work/log.txt and $work/artifacts/)"
    tail -n 30 "$work/log.txt"
    failed=1
  else
    grep -E "stat::number_of_executed_units" "$work/log.txt" | sed "s/^/fuzz_$t: /" || true
  fi
done
exit $failed
