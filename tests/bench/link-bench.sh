#!/usr/bin/env bash
# What calm-lint costs after the parse, and how that grows: summaries are emitted once
# (--emit-summaries), then `--link` alone (reading the summaries, linking, the rules and
# the report) is timed, CPU seconds and peak memory (/usr/bin/time -v), with the
# per-step CPU times that --statistics prints.
#
# usage: tests/bench/link-bench.sh synthetic [N...]      (default: 1000 10000 units of
#                                                         tests/bench/gen-synthetic.py)
#        tests/bench/link-bench.sh merged BUILD_DIR...   (compile databases, e.g. h2o's and
#                                                         libuv's: their units together,
#                                                         linked at 25, 50 and 100 %)
#   CALM_LINT overrides the binary (default: build/calm-lint of this tree); RUNS the
#   timed runs per size (default 5: min and median are printed); JOBS the parse's -j.
# Prints one Markdown table row per size.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
lint="${CALM_LINT:-$here/build/calm-lint}"
runs=${RUNS:-5}
jobs=${JOBS:-$(nproc)}
[ -x "$lint" ] || { echo "no calm-lint at $lint (build first, or set CALM_LINT)" >&2; exit 2; }
mode=${1:-synthetic}
[ $# -gt 0 ] && shift
work=$(mktemp -d /tmp/calm-link.XXXX)
trap 'rm -rf "$work"' EXIT

# link NAME ARGS...: RUNS timed links; prints a table row
link() {
  local name=$1
  shift
  for i in $(seq "$runs"); do
    /usr/bin/time -v -o "$work/time" "$lint" --link "$@" --format json --statistics >/dev/null 2>"$work/err" || true
    local cpu rss
    cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {print u + s}' "$work/time")
    rss=$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' "$work/time")
    echo "$cpu $rss $(grep -o 'after the parse.*' "$work/err" | tr -d ',')" >>"$work/$name.runs"
  done
  sort -n "$work/$name.runs" | python3 -c "
import sys
rows = [l.split() for l in sys.stdin]
cpu = [float(r[0]) for r in rows]
med = rows[len(rows) // 2]
steps = ' '.join(med[2:])
print('| %s | %.2f | %.2f | %s | %s |' % (sys.argv[1], cpu[0], float(med[0]), med[1], steps))" "$name"
}

echo "| input | --link CPU s, min | median | peak RSS MiB (median run) | median run's steps (--statistics) |"
echo "|---|---|---|---|---|"
if [ "$mode" = synthetic ]; then
  sizes=${*:-1000 10000}
  for n in $sizes; do
    python3 "$here/tests/bench/gen-synthetic.py" "$n" "$work/syn$n" >/dev/null
    "$lint" -p "$work/syn$n" -j "$jobs" --no-cache --quiet --emit-summaries "$work/sums$n" 2>/dev/null || true
    link "synthetic, $((n + 1)) units" "$work/sums$n"
    rm -rf "$work/syn$n" "$work/sums$n"
  done
elif [ "$mode" = merged ]; then
  [ $# -gt 0 ] || { echo "usage: $0 merged BUILD_DIR..." >&2; exit 2; }
  for db in "$@"; do
    "$lint" -p "$db" -j "$jobs" --no-cache --quiet --emit-summaries "$work/all" 2>/dev/null || true
  done
  total=$(ls "$work/all" | wc -l)
  for pct in 25 50 100; do
    # every k-th summary (by name, which is a hash of the unit's path): each share mixes
    # the databases as the whole does
    mkdir -p "$work/p$pct"
    ls "$work/all" | sort | awk -v p="$pct" 'NR % 4 < p / 25 || p == 100' | while read -r f; do
      ln -s "$work/all/$f" "$work/p$pct/$f"
    done
    link "merged, $pct % ($(ls "$work/p$pct" | wc -l) of $total units)" "$work/p$pct"
  done
else
  echo "usage: $0 synthetic [N...] | merged BUILD_DIR..." >&2
  exit 2
fi
