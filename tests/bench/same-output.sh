#!/bin/sh
# The output of one calm-lint against a reference: `--format json` of each database
# (cold) and, for the first two, `--dump-ir`. The output is deterministic, so the files
# are compared as they are; when they differ, also sorted by line (an order change only).
# Run once with --save to record the reference, then after a change to compare.
# IR=all dumps the IR of every database, IR=none of none; JSON=0 leaves the reports out (the IR alone,
# when the rules changed in the meantime).
#
# usage: same-output.sh [--save] CALM_LINT OUT_DIR BUILD_DIR...
set -eu
save=0
if [ "${1:-}" = --save ]; then save=1; shift; fi
lint=$1 out=$2
shift 2
mkdir -p "$out"
status=0 n=0
for d in "$@"; do
  name=$(basename "$d" | sed 's/^build-calm-//')
  n=$((n + 1))
  kinds=
  [ "${JSON:-1}" = 1 ] && kinds=json
  { { [ $n -le 2 ] && [ "${IR:-}" != none ]; } || [ "${IR:-}" = all ]; } && kinds="$kinds ir"
  for k in $kinds; do
    case $k in
    json) "$lint" --no-cache -p "$d" -j 2 --format json >"$out/$name.$k.new" 2>/dev/null || true ;;
    ir) "$lint" --no-cache -p "$d" -j 2 --dump-ir >"$out/$name.$k.new" 2>/dev/null || true ;;
    esac
    if [ $save = 1 ]; then
      mv "$out/$name.$k.new" "$out/$name.$k.ref"
      echo "$name $k: $(wc -c <"$out/$name.$k.ref") bytes saved"
    elif cmp -s "$out/$name.$k.new" "$out/$name.$k.ref"; then
      echo "$name $k: same"
    else
      if [ "$(sort "$out/$name.$k.new" | md5sum)" = "$(sort "$out/$name.$k.ref" | md5sum)" ]; then
        echo "$name $k: DIFFERS in order only (diff $out/$name.$k.ref $out/$name.$k.new)"
      else
        echo "$name $k: DIFFERS (diff $out/$name.$k.ref $out/$name.$k.new)"
      fi
      status=1
    fi
  done
done
exit $status
