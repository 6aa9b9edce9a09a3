#!/usr/bin/env bash
# Times calm-lint against `clang -fsyntax-only` (one process per translation unit,
# the way builds and run-clang-tidy run it) over the same translation units, in one
# run, and prints min and median of each and their ratio. Optionally clang-tidy with
# one cheap check as a second peer.
#
# usage: tests/bench/lint-vs-clang.sh -p BUILD_DIR [-j N] [-r REPEATS] [--tidy] [PATH_PREFIX...]
#   PATH_PREFIX limits the translation units to files under those paths.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=""; jobs=$(nproc); repeats=5; tidy=0; prefixes=()
lint="${CALM_LINT:-$here/build/calm-lint}"
while [ $# -gt 0 ]; do
  case "$1" in
    -p) build=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    -r) repeats=$2; shift 2 ;;
    --tidy) tidy=1; shift ;;
    *) prefixes+=("$(realpath "$1")"); shift ;;
  esac
done
[ -n "$build" ] || { echo "usage: $0 -p BUILD_DIR [-j N] [-r REPEATS] [--tidy] [PATH_PREFIX...]" >&2; exit 2; }
build=$(realpath "$build")
[ -x "$lint" ] || { echo "no calm-lint at $lint (build first, or set CALM_LINT)" >&2; exit 2; }
work=$(mktemp -d /tmp/calm-bench.XXXX)
trap 'rm -rf "$work"' EXIT

# One shell command per translation unit, flags filtered as calm-lint filters them.
python3 - "$build/compile_commands.json" "$work" "${prefixes[@]}" <<'PY'
import json, os, shlex, sys
db, work, prefixes = sys.argv[1], sys.argv[2], sys.argv[3:]
drop_alone = {"-c", "-MD", "-MMD", "-MP", "-MG", "-M", "-MM"}
drop_value = {"-o", "-MF", "-MT", "-MQ"}
files, cmds = [], []
for e in json.load(open(db)):
    d = e["directory"]
    f = os.path.normpath(os.path.join(d, e["file"]))
    if prefixes and not any(f == p or f.startswith(p + "/") for p in prefixes):
        continue
    if f in files or not f.endswith(".c"):
        continue
    args = e.get("arguments") or shlex.split(e["command"])
    out, skip = [], False
    for i, a in enumerate(args[1:]):
        if skip: skip = False; continue
        if a in drop_value: skip = True; continue
        if a in drop_alone or a.startswith("-Werror") or a.startswith("-fsanitize"): continue
        if os.path.normpath(os.path.join(d, a)) == f: continue
        out.append(a)
    files.append(f)
    cmds.append("cd %s && clang -fsyntax-only -w %s %s" % (shlex.quote(d), " ".join(map(shlex.quote, out)), shlex.quote(f)))
open(os.path.join(work, "files"), "w").write("\n".join(files) + "\n")
open(os.path.join(work, "clang.sh"), "w").write("\n".join(cmds) + "\n")
PY
n=$(wc -l < "$work/files")
[ "$n" -gt 0 ] || { echo "no translation units selected" >&2; exit 2; }

now() { date +%s.%N; }
time_it() { local t0 t1; t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now); echo "$t1 - $t0" | bc -l; }
run_clang() { tr '\n' '\0' < "$work/clang.sh" | xargs -0 -P "$jobs" -n 1 sh -c; }
run_lint() { xargs -a "$work/files" -d '\n' "$lint" -p "$build" -j "$jobs" --format json; }
run_tidy() { xargs -a "$work/files" -d '\n' -P "$jobs" -n 1 clang-tidy -quiet -p "$build" -checks='-*,bugprone-sizeof-expression'; }

stats() { sort -n | awk '{a[NR]=$1} END {printf "%.3f %.3f\n", a[1], (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "translation units: $n, parallel jobs: $jobs, repeats: $repeats"
: > "$work/t.clang"; : > "$work/t.lint"; : > "$work/t.tidy"
for r in $(seq "$repeats"); do
  # alternate the order so drift on a shared machine hits both sides
  if [ $((r % 2)) -eq 1 ]; then
    time_it run_clang >> "$work/t.clang"; time_it run_lint >> "$work/t.lint"
  else
    time_it run_lint >> "$work/t.lint"; time_it run_clang >> "$work/t.clang"
  fi
  [ $tidy -eq 1 ] && command -v clang-tidy >/dev/null && time_it run_tidy >> "$work/t.tidy"
done
read -r cmin cmed < <(stats < "$work/t.clang")
read -r lmin lmed < <(stats < "$work/t.lint")
printf "%-34s min %8.3f s   median %8.3f s\n" "clang -fsyntax-only (per TU)" "$cmin" "$cmed"
printf "%-34s min %8.3f s   median %8.3f s\n" "calm-lint (all rules)" "$lmin" "$lmed"
if [ -s "$work/t.tidy" ]; then
  read -r tmin tmed < <(stats < "$work/t.tidy")
  printf "%-34s min %8.3f s   median %8.3f s\n" "clang-tidy (one check, per TU)" "$tmin" "$tmed"
  printf "ratio calm-lint / clang-tidy: min %.2f  median %.2f\n" "$(echo "$lmin / $tmin" | bc -l)" "$(echo "$lmed / $tmed" | bc -l)"
fi
printf "ratio calm-lint / clang -fsyntax-only: min %.2f  median %.2f\n" "$(echo "$lmin / $cmin" | bc -l)" "$(echo "$lmed / $cmed" | bc -l)"
