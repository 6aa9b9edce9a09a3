#!/usr/bin/env bash
# The pre-commit hooks in a scratch git repository: with the plain git hook
# (lint/hooks/pre-commit) and with the pre-commit framework (try-repo on this
# source tree, and a real commit through `pre-commit install`), a commit that adds a
# blocking call is refused, while a commit touching a file whose old finding is in
# .calm-lint-baseline.json (and only moved) goes through, and a commit that touches
# only a header, adding a blocking call there, is refused too.
# usage: precommit_test.sh CALM_LINT SOURCE_DIR
set -u
lint=$1 src=$2
if ! command -v pre-commit >/dev/null || ! command -v git >/dev/null; then
  echo "SKIP: git and pre-commit are needed for this test (bash .ci/deps installs them)"
  exit 77
fi
work=$(mktemp -d /tmp/calm-precommit-XXXXXX)
trap 'rm -rf "$work"' EXIT
export CALM_LINT=$lint PRE_COMMIT_HOME=$work/pre-commit-home HOME=$work
export GIT_AUTHOR_NAME=calm GIT_AUTHOR_EMAIL=calm@example.invalid
export GIT_COMMITTER_NAME=calm GIT_COMMITTER_EMAIL=calm@example.invalid
unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE
fail=0
expect() { # description, expected status (0 or nonzero), status
  if { [ "$2" = 0 ] && [ "$3" = 0 ]; } || { [ "$2" != 0 ] && [ "$3" != 0 ]; }; then
    echo "ok:   $1"
  else
    echo "FAIL: $1 (status $3)"
    fail=1
  fi
}

# A project with an old finding (legacy.c: sleep in a loop callback), baselined.
new_repo() {
  local repo=$1
  mkdir -p "$repo/build"
  cd "$repo" || exit 1
  git init -q -b main .
  cat >legacy.c <<'C'
#include <unistd.h>
__attribute__((annotate("calm::async"))) void on_tick(void) {
  sleep(1);
}
C
  cat >fresh.c <<'C'
int answer(void) { return 42; }
C
  cat >tick.h <<'C'
static inline void tick(void) {
}
C
  cat >ticker.c <<'C'
#include "tick.h"
__attribute__((annotate("calm::async"))) void on_tick_timer(void) { tick(); }
C
  cat >build/compile_commands.json <<JSON
[{"directory": "$repo", "file": "legacy.c", "arguments": ["cc", "-c", "legacy.c"]},
 {"directory": "$repo", "file": "fresh.c", "arguments": ["cc", "-c", "fresh.c"]},
 {"directory": "$repo", "file": "ticker.c", "arguments": ["cc", "-c", "ticker.c"]}]
JSON
  "$lint" -p build --write-baseline .calm-lint-baseline.json 2>/dev/null
  printf 'build/\n' >.gitignore
  git add .gitignore legacy.c fresh.c tick.h ticker.c .calm-lint-baseline.json
  git commit -q -m "start" --no-verify
}

# The old finding moves down (lines added above it): not new.
touch_legacy() {
  cat >legacy.c <<'C'
#include <unistd.h>
/* lines added above the old finding
   move it down without changing it */
__attribute__((annotate("calm::async"))) void on_tick(void) {
  sleep(1);
}
C
  git add legacy.c
}

# A new blocking call in a callback.
add_blocking() {
  cat >fresh.c <<'C'
#include <stdlib.h>
int answer(void) { return 42; }
__attribute__((annotate("calm::async"))) void on_request(void) {
  system("make");
}
C
  git add fresh.c
}

# Only the header changes: its inline function, called from a loop callback in
# ticker.c, now blocks. (Whatever else was staged is taken back first.)
add_header_blocking() {
  git reset -q HEAD -- fresh.c legacy.c
  git checkout -q HEAD -- fresh.c legacy.c
  cat >tick.h <<'C'
#include <unistd.h>
static inline void tick(void) {
  sleep(1);
}
C
  git add tick.h
}
header_refused() { # label, output file
  grep -q "tick.h:3:3: warning: blocking call 'sleep' in 'tick', reached from" "$2" \
    || { echo "FAIL: $1: the header's finding is not shown"; cat "$2"; fail=1; }
}

echo "== plain git hook"
new_repo "$work/plain"
cp "$src/lint/hooks/pre-commit" .git/hooks/pre-commit
export CALM_LINT_ARGS="-p build"
touch_legacy
CALM_LINT_BASELINE=no-such-baseline.json .git/hooks/pre-commit >"$work/out.txt" 2>&1
expect "plain hook: without the baseline the old finding refuses the commit" 1 $?
git commit -q -m "move the old finding" >"$work/out.txt" 2>&1
expect "plain hook: a commit touching a baselined finding goes through" 0 $?
add_blocking
git commit -q -m "add a blocking call" >"$work/out.txt" 2>&1
st=$?
expect "plain hook: a commit adding a blocking call is refused" 1 $st
grep -q "fresh.c:4:3: warning: blocking call 'system'" "$work/out.txt" || { echo "FAIL: the finding is not shown"; cat "$work/out.txt"; fail=1; }
grep -q "commit refused" "$work/out.txt" || { echo "FAIL: no refusal message"; fail=1; }
[ "$(git log --format=%s -1)" = "move the old finding" ] || { echo "FAIL: the refused commit was made"; fail=1; }
# the staged text counts, not the working tree: fix the file but do not stage it
printf 'int answer(void) { return 42; }\n' >fresh.c
git commit -q -m "still blocking in the index" >"$work/out.txt" 2>&1
expect "plain hook: the staged text is linted, not the working tree" 1 $?
add_header_blocking
git commit -q -m "a blocking call in a header" >"$work/out.txt" 2>&1
expect "plain hook: a commit touching only a header is linted and refused" 1 $?
header_refused "plain hook" "$work/out.txt"

echo "== pre-commit try-repo"
new_repo "$work/framework"
touch_legacy
pre-commit try-repo "$src" calm-lint >"$work/out.txt" 2>&1
st=$?
expect "try-repo: the baselined finding passes" 0 $st
grep -q "^calm-lint\.*Passed" "$work/out.txt" || { echo "FAIL: the hook did not run on legacy.c"; st=1; }
[ $st -eq 0 ] || cat "$work/out.txt"
add_blocking
pre-commit try-repo "$src" calm-lint >"$work/out.txt" 2>&1
st=$?
expect "try-repo: the new blocking call fails" 1 $st
grep -q "blocking call 'system'" "$work/out.txt" || { echo "FAIL: try-repo does not show the finding"; cat "$work/out.txt"; fail=1; }
add_header_blocking
pre-commit try-repo "$src" calm-lint >"$work/out.txt" 2>&1
expect "try-repo: a blocking call added in a header fails" 1 $?
header_refused "try-repo" "$work/out.txt"

echo "== pre-commit install, then git commit"
if git -C "$src" rev-parse --verify -q HEAD >/dev/null && git -C "$src" cat-file -e HEAD:.pre-commit-hooks.yaml 2>/dev/null; then
  new_repo "$work/installed"
  cat >.pre-commit-config.yaml <<YAML
repos:
  - repo: $src
    rev: $(git -C "$src" rev-parse HEAD)
    hooks:
      - id: calm-lint
YAML
  git add .pre-commit-config.yaml
  git commit -q -m "hooks" --no-verify
  pre-commit install >/dev/null
  touch_legacy
  git commit -q -m "move the old finding" >"$work/out.txt" 2>&1
  st=$?
  expect "framework: a commit touching a baselined finding goes through" 0 $st
  [ $st -eq 0 ] || cat "$work/out.txt"
  add_blocking
  git commit -q -m "add a blocking call" >"$work/out.txt" 2>&1
  st=$?
  expect "framework: a commit adding a blocking call is refused" 1 $st
  grep -q "blocking call 'system'" "$work/out.txt" || { echo "FAIL: the framework does not show the finding"; cat "$work/out.txt"; fail=1; }
  add_header_blocking
  git commit -q -m "a blocking call in a header" >"$work/out.txt" 2>&1
  expect "framework: a commit touching only a header is refused" 1 $?
  header_refused "framework" "$work/out.txt"
else
  echo "FAIL: $src is not a git checkout with .pre-commit-hooks.yaml committed"
  fail=1
fi
[ $fail -eq 0 ] && echo "pre-commit: both hooks refuse new findings and let baselined ones through"
exit $fail
