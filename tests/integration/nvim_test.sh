#!/usr/bin/env bash
# Neovim's built-in LSP client, headless, against calm-lint --lsp: opening a file
# shows calm-lint's diagnostic (with its cross-file trace), and editing the blocking
# call away clears it.
# usage: nvim_test.sh CALM_LINT
set -u
lint=$1
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v nvim >/dev/null; then
  echo "SKIP: nvim is needed for this test (bash .ci/deps installs neovim)"
  exit 77
fi
work=$(mktemp -d /tmp/calm-nvim-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/build"
cat >"$work/main.c" <<'C'
__attribute__((annotate("calm::async"))) void on_tick(void);
void helper(void);
void on_tick(void) { helper(); }
C
cat >"$work/helper.c" <<'C'
#include <unistd.h>
void helper(void) {
  sleep(1);
}
C
cat >"$work/build/compile_commands.json" <<JSON
[{"directory": "$work", "file": "main.c", "arguments": ["cc", "-c", "main.c"]},
 {"directory": "$work", "file": "helper.c", "arguments": ["cc", "-c", "helper.c"]}]
JSON
nvim --version | head -n 1
(cd "$work" && CALM_LINT="$lint" CALM_NVIM_OUT="$work/diagnostics.txt" HOME="$work" XDG_STATE_HOME="$work/state" \
  timeout 120 nvim --headless -u "$here/nvim_init.lua" -i NONE -c 'lua CalmNvimTest()' helper.c </dev/null >"$work/nvim.log" 2>&1)
rc=$?
echo "-- diagnostics Neovim received:"
cat "$work/diagnostics.txt" 2>/dev/null || { echo "(none written; nvim exited $rc)"; cat "$work/nvim.log"; exit 1; }
fail=0
grep -q "^open 3:3 calm-lint \[blocking-in-loop\] blocking call 'sleep' in 'helper', reached from CALM_ASYNC function 'on_tick'" \
  "$work/diagnostics.txt" || { echo "FAIL: calm-lint's diagnostic did not appear on open"; fail=1; }
grep -q "related=2" "$work/diagnostics.txt" || { echo "FAIL: the trace is not related information"; fail=1; }
grep -q "^changed count=0" "$work/diagnostics.txt" || { echo "FAIL: the edit did not clear the diagnostic"; fail=1; }
[ $rc -eq 0 ] || { echo "FAIL: nvim exited with $rc"; cat "$work/nvim.log"; fail=1; }
[ $fail -eq 0 ] && echo "nvim: calm-lint's diagnostics shown and cleared"
exit $fail
