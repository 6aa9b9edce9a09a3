#!/usr/bin/env bash
# calm-lint at scale on a real project: the summary cache (cold run, warm run with
# nothing changed, after editing one .c, after editing the most widely included
# header) and two shards linked, each timed and each output compared with a plain
# run's. The project is copied first, so the edits touch no shared checkout.
#
# usage: tests/bench/scale-bench.sh SOURCE_DIR BUILD_DIR [-j N]
#   BUILD_DIR holds compile_commands.json (paths under SOURCE_DIR).
#   CALM_LINT overrides the calm-lint binary (default: build/calm-lint of this tree).
# Prints one Markdown table row per measurement: wall time, and CPU time (user + system,
# steadier than wall time on a shared machine), each also as a ratio to the cold run.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
lint="${CALM_LINT:-$here/build/calm-lint}"
[ $# -ge 2 ] || { echo "usage: $0 SOURCE_DIR BUILD_DIR [-j N]" >&2; exit 2; }
src=$(realpath "$1"); build=$(realpath "$2"); shift 2
jobs=$(nproc)
[ "${1:-}" = -j ] && jobs=$2
[ -x "$lint" ] || { echo "no calm-lint at $lint (build first, or set CALM_LINT)" >&2; exit 2; }
work=$(mktemp -d /tmp/calm-scale.XXXX)
trap 'rm -rf "$work"' EXIT

cp -a "$src" "$work/src"
rel=${build#"$src"/}
db="$work/src/$rel"
rm -rf "$db/.calm-lint-cache"
python3 - "$db/compile_commands.json" "$src" "$work/src" <<'PY'
import json, sys
path, old, new = sys.argv[1:]
text = open(path).read().replace(old, new)
open(path, "w").write(text)
PY
cache="$work/cache"
name=$(basename "$src")

now() { date +%s.%N; }
# timed OUTFILE ARGS...: the seconds of one run with --statistics (same work, and stderr
# says how many units it parsed: in $work/parsed); then OUTFILE gets the report of an
# untimed run, to compare with a plain run's
timed() {
  local out=$1 t0 t1
  shift
  t0=$(now)
  /usr/bin/time -f "%U %S" -o "$work/cpu" "$lint" -p "$db" -j "$jobs" --statistics "$@" >/dev/null 2>"$work/err" || true
  t1=$(now)
  tail -1 "$work/cpu" | awk '{print $1 + $2}' >>"$work/cpus"
  grep -o '[0-9]* translation units\? parsed, [0-9]* read from the cache' "$work/err" >"$work/parsed" || echo "-" >"$work/parsed"
  "$lint" -p "$db" -j "$jobs" "$@" >"$out" 2>/dev/null || true
  echo "$t1 - $t0" | bc
}

plain=$(timed "$work/plain.txt" --no-cache)
cold=$(timed "$work/cold.txt" --cache-dir "$cache")
c_stats=$(cat "$work/parsed")
warm=$(timed "$work/warm.txt" --cache-dir "$cache")
w_stats=$(cat "$work/parsed")

# one .c: the middle unit of the database
c_file=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); f=sorted(e['file'] for e in d); print(f[len(f)//2])" \
  "$db/compile_commands.json")
case "$c_file" in /*) ;; *) c_file="$work/src/$c_file" ;; esac
echo "/* edited */" >>"$c_file"
one_c=$(timed "$work/one_c.txt" --cache-dir "$cache")
o_stats=$(cat "$work/parsed")

# the header that most cache entries list (the second line of an entry)
header=$(for e in "$cache"/*.calm; do sed -n 2p "$e"; done | python3 -c "
import json, sys, collections
n = collections.Counter()
for line in sys.stdin:
    for path, _ in json.loads(line):
        if path.endswith('.h') and path.startswith(sys.argv[1]): n[path] += 1
print(n.most_common(1)[0][0])" "$work/src/")
echo "/* edited */" >>"$header"
one_h=$(timed "$work/one_h.txt" --cache-dir "$cache")
h_stats=$(cat "$work/parsed")
"$lint" -p "$db" -j "$jobs" --no-cache >"$work/plain2.txt" 2>/dev/null || true

t0=$(now)
"$lint" -p "$db" -j "$jobs" --no-cache --emit-summaries "$work/sums" --shard 1/2 2>/dev/null
s1=$(echo "$(now) - $t0" | bc)
t0=$(now)
"$lint" -p "$db" -j "$jobs" --no-cache --emit-summaries "$work/sums" --shard 2/2 2>/dev/null
s2=$(echo "$(now) - $t0" | bc)
t0=$(now)
"$lint" --link "$work/sums" >"$work/link.txt" 2>/dev/null || true
link=$(echo "$(now) - $t0" | bc)

same() { cmp -s "$1" "$2" && echo identical || echo DIFFERENT; }
cpu() { sed -n "${1}p" "$work/cpus"; }
cold_cpu=$(cpu 2)
ratio() { echo "scale=3; $1 / $cold" | bc; }
cratio() { echo "scale=3; $1 / $cold_cpu" | bc; }
units=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$db/compile_commands.json")
echo "| project | units | measurement | wall s | ratio | CPU s | ratio | output vs plain run |"
echo "|---|---|---|---|---|---|---|---|"
echo "| $name | $units | plain run, --no-cache | $plain | $(ratio "$plain") | $(cpu 1) | $(cratio "$(cpu 1)") | - |"
echo "| $name | $units | cold run, cache written ($c_stats) | $cold | 1 | $cold_cpu | 1 | $(same "$work/plain.txt" "$work/cold.txt") |"
echo "| $name | $units | warm, nothing changed ($w_stats) | $warm | $(ratio "$warm") | $(cpu 3) | $(cratio "$(cpu 3)") | $(same "$work/plain.txt" "$work/warm.txt") |"
echo "| $name | $units | warm, one .c edited (${c_file#"$work/src/"}; $o_stats) | $one_c | $(ratio "$one_c") | $(cpu 4) | $(cratio "$(cpu 4)") | - |"
echo "| $name | $units | warm, header edited (${header#"$work/src/"}; $h_stats) | $one_h | $(ratio "$one_h") | $(cpu 5) | $(cratio "$(cpu 5)") | $(same "$work/plain2.txt" "$work/one_h.txt") |"
echo "| $name | $units | --shard 1/2 + --shard 2/2 + --link (wall s each) | $s1 + $s2 + $link | $(ratio "$(echo "$s1 + $s2 + $link" | bc)") | | | $(same "$work/plain2.txt" "$work/link.txt") |"
