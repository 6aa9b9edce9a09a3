#!/usr/bin/env bash
# calm-lint's Bazel aspect (lint/bazel/calm.bzl) on the example workspace, offline:
# the command lines it forms (aquery), one summary action per source and one link per
# target, a report equal to a plain run's, hits in --disk_cache after `bazel clean`, a
# changed .c re-running only its summary and the links above it, a copy of the
# workspace at another path served its own files' summaries by that cache, the flags.
# Offline means @rules_cc and @rules_java (which Bazel 4.2's WORKSPACE suffix fetches)
# are the stubs in offline/, and the cc toolchain is the one autoconfigured from gcc.
# Usage: bazel_test.sh CALM_LINT SOURCE_DIR
# CALM_BAZEL_OUTPUT_USER_ROOT: Bazel's --output_user_root (default: a temporary one).
# CALM_BAZEL_ASPECT: the aspect's directory (default: lint/bazel; an install's share/calm/bazel).
set -u
LINT=$(realpath "$1")
SRC=$(realpath "$2")
command -v bazel >/dev/null || { echo "skip: bazel is not installed (apt-get install bazel-bootstrap)"; exit 77; }
T=$(mktemp -d)
ROOT=${CALM_BAZEL_OUTPUT_USER_ROOT:-$T/root}
ACTIONS="python3 $SRC/tests/bazel/actions.py"
WS=$T/ws
bz() { (cd "$WS" && bazel --nohome_rc --output_user_root="$ROOT" --max_idle_secs=600 "$@"); }
cleanup() {
  for WS in "$T/ws" "$T/other/ws"; do
    [ -d "$WS" ] && bz clean --expunge >/dev/null 2>&1 # the output base and the server go with it
  done
  chmod -R u+w "$T" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
check() {
  local name=$1
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name" >&2; fails=$((fails + 1)); fi
}

cp -r "$SRC/tests/bazel/example" "$T/ws"
mkdir "$T/calm_lint"
ln -s "$LINT" "$T/calm_lint/calm-lint"
echo 'exports_files(["calm-lint"])' >"$T/calm_lint/BUILD"
touch "$T/calm_lint/WORKSPACE"
cat >"$T/ws/.bazelrc" <<EOF
build --override_repository=rules_cc=$SRC/tests/bazel/offline/rules_cc
build --override_repository=rules_java=$SRC/tests/bazel/offline/rules_java
build --override_repository=calm=${CALM_BAZEL_ASPECT:-$SRC/lint/bazel}
build --override_repository=calm_lint=$T/calm_lint
build --disk_cache=$T/disk
build --nosandbox_debug --color=no --curses=no
build --aspects=@calm//:calm.bzl%calm_aspect --output_groups=calm
EOF
BIN=$T/ws/bazel-bin
# build LOG [flags...]: the calm actions it ran or took from a cache go to LOG.actions
build() {
  local log=$1
  shift
  bz build //... --execution_log_json_file="$T/$log.json" "$@" >"$T/$log" 2>&1
  local s=$?
  $ACTIONS log "$T/$log.json" >"$T/$log.actions"
  return $s
}
count() { grep -c -e "$2" "$T/$1.actions"; }

# the command lines, before anything is built
bz aquery --include_aspects --output=jsonproto 'mnemonic("Calm.*", //...)' >"$T/aquery.json" 2>"$T/aquery.log" ||
  { cat "$T/aquery.log"; exit 1; }
$ACTIONS commands "$T/aquery.json" >"$T/commands"
# has KEY PATTERN: the command line of the action whose line holds KEY matches PATTERN
has() { grep -e "$1" "$T/commands" | grep -q -e "$2"; }
check "aquery: one summary action per source" test "$(grep -c '^CalmSummary' "$T/commands")" -eq 3
check "aquery: one link action per target with C below it" test "$(grep -c '^CalmLink' "$T/commands")" -eq 3
check "net.c's summary: its output, the toolchain's compiler, the source" \
  has '^CalmSummary [^ ]*/bin/net/calm-lint/net/net.c.calm ' \
  " --emit-summary [^ ]*/net.c.calm -- /[^ ]*/[gc]cc .* -c /proc/self/cwd/net/net.c$"
check "  its local_defines and copts" has '/net/net.c.calm ' ' -DTICK_MS=100 .* -Wno-unused-parameter '
check "  a dep's defines (usage requirements)" has '/net/net.c.calm ' ' -DSTORE_FSYNC=1 '
check "  the workspace as a quote include, through /proc/self/cwd" has '/net/net.c.calm ' ' -iquote /proc/self/cwd '
check "store.c's summary: its own defines" has '/store/store.c.calm ' ' -DSTORE_FSYNC=1 '
check "  not net's local ones" test "$(grep '/store/store.c.calm ' "$T/commands" | grep -c TICK_MS)" -eq 0
check "both actions may run in the sandbox" test "$(grep -c ' \[\] ' "$T/commands")" -eq 6
check "app's link: its summary and its deps', transitively" \
  has '^CalmLink [^ ]*/app.txt ' ' --link --exit-zero [^ ]*/store.c.calm [^ ]*/net.c.calm [^ ]*/main.c.calm$'
check "store's link: its own summary only" has '^CalmLink [^ ]*/store.txt ' ' --link --exit-zero [^ ]*/store.c.calm$'
check "a header-only library has no link (nothing to link)" test "$(grep -c '/common/' "$T/commands")" -eq 0
bz aquery --include_aspects --output=jsonproto --copt=-DFROM_COPT --conlyopt=-DFROM_CONLYOPT \
  'mnemonic("CalmSummary", //store)' 2>/dev/null | $ACTIONS commands /dev/stdin >"$T/commands.opts"
check "--copt and --conlyopt reach the summaries" grep -q -- "-DFROM_COPT -DFROM_CONLYOPT -c /proc/self/cwd/store/store.c" "$T/commands.opts"

build build1
s=$?
check "the first build succeeds" test $s -eq 0
[ $s -eq 0 ] || cat "$T/build1"
check "  it runs the three summaries" test "$(count build1 '^CalmSummary run')" -eq 3
check "  and the three links" test "$(count build1 '^CalmLink run')" -eq 3
check "app's report: the blocking call in store, reached from net's libuv callback" \
  grep -q "^store/store.c:9:13: warning: blocking call 'fopen' in 'store_append', reached from loop callback 'on_tick'" \
  "$BIN/app/calm-lint/app.txt"
check "  with the trace through net.c" grep -q "^net/net.c:8:3: note: 'on_tick' calls 'store_append' here" \
  "$BIN/app/calm-lint/app.txt"
check "  and the call store's own define keeps, one finding with fopen's" grep -q "note: and here: 'fsync'" "$BIN/app/calm-lint/app.txt"
check "net's report has it too" grep -q "blocking call 'fopen'" "$BIN/net/calm-lint/net.txt"
check "store's alone has no loop, so no finding" test ! -s "$BIN/store/calm-lint/store.txt"
check "the build log shows the report" grep -q "warning: blocking call 'fopen'" "$T/build1"
EXECROOT=$(bz info execution_root 2>/dev/null)
$ACTIONS compdb "$T/aquery.json" "$T/db" "$EXECROOT"
(cd "$EXECROOT" && "$LINT" --no-cache -p "$T/db") 2>/dev/null | sed 's#/proc/self/cwd/##g' >"$T/plain.txt"
check "app's report is what a plain run over the same compile commands prints" \
  cmp "$BIN/app/calm-lint/app.txt" "$T/plain.txt"
cp "$BIN/app/calm-lint/app.txt" "$T/app.txt"

build build2
check "a second build runs no calm action" test ! -s "$T/build2.actions"
bz clean >/dev/null 2>&1
build build3
check "after bazel clean every calm action is a --disk_cache hit" test "$(count build3 ' hit ')" -eq 6
check "  (Bazel's count)" grep -q "6 remote cache hit" "$T/build3"
check "the actions ran in the sandbox" grep -q "[0-9] linux-sandbox" "$T/build1"
check "  and the report is the same" cmp "$BIN/app/calm-lint/app.txt" "$T/app.txt"
echo '/* edited */' >>"$T/ws/app/main.c"
build build4
check "a changed main.c re-runs two actions" test "$(grep -c ' run ' "$T/build4.actions")" -eq 2
check "  its summary" grep -q "^CalmSummary run .*/app/main.c.calm$" "$T/build4.actions"
check "  and app's link" grep -q "^CalmLink run .*/app/calm-lint/app.txt$" "$T/build4.actions"
echo '/* edited */' >>"$T/ws/store/store.c"
build build5
check "a changed store.c re-runs its summary" test "$(count build5 '^CalmSummary run .*/store.c.calm$')" -eq 1
check "  and no other" test "$(count build5 '^CalmSummary')" -eq 1
check "  and the three links above it" test "$(count build5 '^CalmLink run')" -eq 3
echo '/* edited */' >>"$T/ws/common/common.h"
build build5h
check "a changed header re-runs the summaries of every target that sees it" \
  test "$(count build5h '^CalmSummary run')" -eq 3 -a "$(count build5h '^CalmLink run')" -eq 3

# another checkout at another path, sharing the cache: what it takes from the cache names
# its own files, so a link it runs shows their lines, relative to its execroot
mkdir "$T/other"
cp -r "$T/ws" "$T/other/ws"
rm -f "$T"/other/ws/bazel-*
echo '/* edited elsewhere */' >>"$T/other/ws/app/main.c"
WS=$T/other/ws build elsewhere
check "another checkout takes the summaries it shares from the cache" test "$(count elsewhere '^CalmSummary hit')" -eq 2
check "  runs main.c's and app's link" test "$(count elsewhere ' run ')" -eq 2
has_line() { grep -A1 "^store/store.c:9:13: warning: blocking call 'fopen'" "$1" | grep -q 'fopen(JOURNAL_PATH, "a");'; }
check "  and its report names store.c by its own path, with its line" has_line "$T/other/ws/bazel-bin/app/calm-lint/app.txt"
check "  the same report as the first checkout's" cmp "$T/other/ws/bazel-bin/app/calm-lint/app.txt" "$T/app.txt"
(WS=$T/other/ws bz clean --expunge >/dev/null 2>&1)

build build6 --@calm//:config=//:quiet.calm-lint.json
check "--@calm//:config: the link reads that configuration" test ! -s "$BIN/app/calm-lint/app.txt"
check "  and only the links re-run" test "$(grep -c ' run ' "$T/build6.actions")" -eq 3 -a "$(count build6 CalmSummary)" -eq 0
build build7 --@calm//:fail_on_findings
check "--@calm//:fail_on_findings fails the build on a finding" test $? -ne 0
check "  and prints it" grep -q "warning: blocking call 'fopen'" "$T/build7"
[ $fails -eq 0 ] && echo "all Bazel aspect checks passed"
exit $((fails > 0))
