#!/usr/bin/env bash
# SARIF output against the official validator (@microsoft/sarif-multitool validate)
# and the 2.1.0 JSON schema, for every fixture directory, the runtime examples, a
# unit that does not parse and a baselined run.
# usage: sarif_test.sh CALM_LINT SOURCE_DIR NPM_DIR RULE_COUNT
set -u
lint=$1 src=$2 npm_dir=$3 rule_count=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/npm_tools.sh"
npm_tools "$npm_dir" "$here"

work=$(mktemp -d /tmp/calm-sarif-XXXXXX)
trap 'rm -rf "$work"' EXIT
flags=(-std=c11 -D_GNU_SOURCE -I"$src/runtime/include")
# and the include directories the fixtures ask the fixture runner for ("// fixture-flags:")
flags+=($(grep -rh --include='*.c' '^// fixture-flags:' "$src/tests/fixtures" | sed 's|^// fixture-flags:||' | tr ' ' '\n' | sort -u))
logs=()
fail=0

run_lint() { # out.sarif, args...: status 0 or 1 expected (2 only where asked)
  local out=$1
  shift
  (cd "$src" && "$lint" --format sarif "$@" >"$out")
}

for dir in "$src"/tests/fixtures/*/; do
  name=$(basename "$dir")
  run_lint "$work/fixture-$name.sarif" "tests/fixtures/$name" -- "${flags[@]}"
  [ $? -le 1 ] || { echo "FAIL: calm-lint on tests/fixtures/$name"; fail=1; }
  logs+=("$work/fixture-$name.sarif")
done
for ex in "$src"/runtime/examples/*.c; do
  name=$(basename "$ex" .c)
  run_lint "$work/example-$name.sarif" "runtime/examples/$name.c" -- "${flags[@]}"
  [ $? -le 1 ] || { echo "FAIL: calm-lint on runtime/examples/$name.c"; fail=1; }
  logs+=("$work/example-$name.sarif")
done

# a unit that does not parse: its errors become tool execution notifications
mkdir -p "$work/broken"
printf '#include "missing.h"\nint x = ;\n' >"$work/broken/broken.c"
(cd "$work/broken" && "$lint" --format sarif --srcroot "$work/broken" broken.c -- >"$work/broken.sarif")
[ $? -eq 2 ] || { echo "FAIL: a parse error must give status 2"; fail=1; }
logs+=("$work/broken.sarif")

# a finding silenced with NOLINT is carried with `suppressions`
mkdir -p "$work/quiet"
cat >"$work/quiet/quiet.c" <<'C'
#include <unistd.h>
__attribute__((annotate("calm::async"))) void on_tick(void) {
  sleep(1); // NOLINT(blocking-in-loop)
  usleep(10);
}
C
(cd "$work/quiet" && "$lint" --format sarif quiet.c -- >"$work/quiet.sarif")
[ $? -eq 1 ] || { echo "FAIL: quiet.c has one unsuppressed finding"; fail=1; }
logs+=("$work/quiet.sarif")

# a baselined run: only new results, marked baselineState "new"
bad=runtime/examples/job_runner_bad.c
(cd "$src" && "$lint" --write-baseline "$work/base.json" "$bad" -- "${flags[@]}" 2>/dev/null)
run_lint "$work/baselined.sarif" --baseline "$work/base.json" "$bad" -- "${flags[@]}"
[ $? -eq 0 ] || { echo "FAIL: nothing is new against its own baseline"; fail=1; }
logs+=("$work/baselined.sarif")

echo "== contract checks"
node "$here/sarif_check.js" "$rule_count" "${logs[@]}" || fail=1

echo "== JSON schema ($SARIF_SCHEMA)"
NODE_PATH="$TOOLS" node "$here/sarif_schema.js" "$SARIF_SCHEMA" "${logs[@]}" || fail=1

echo "== sarif-multitool validate"
# The validator's own log is read, not its exit status (0 even with errors). A log
# that breaks the schema on purpose proves the validator really checks.
printf '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[],"bogus":1}]}' >"$work/control.sarif"
validate() { # log -> validator result log
  (cd "$npm_dir" && npx --no-install @microsoft/sarif-multitool validate "$1" -o "$2" --log ForceOverwrite \
     >"$2.out" 2>&1)
}
count_errors() {
  node -e 'const l=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
    const e=l.runs[0].results.filter(r=>r.level==="error");
    for (const r of e) console.log("  "+r.ruleId+" "+JSON.stringify(r.message.arguments||r.message.text));
    console.log(e.length)' "$1" | tail -n 1
}
validate "$work/control.sarif" "$work/control.validation"
if [ "$(count_errors "$work/control.validation")" = 0 ]; then
  echo "FAIL: the validator did not flag a log that breaks the schema"
  fail=1
fi
for log in "${logs[@]}"; do
  validate "$log" "$log.validation" || { echo "FAIL: validator did not run on $log"; cat "$log.validation.out"; fail=1; continue; }
  n=$(count_errors "$log.validation")
  warnings=$(grep -c ': warning ' "$log.validation.out")
  echo "validate: $(basename "$log"): $n errors, $warnings warnings"
  if [ "$n" != 0 ]; then
    grep ': error ' "$log.validation.out"
    fail=1
  fi
done
[ $fail -eq 0 ] && echo "sarif: all ${#logs[@]} logs valid" || echo "sarif: FAILED"
exit $fail
