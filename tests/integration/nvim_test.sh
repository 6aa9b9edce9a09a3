#!/usr/bin/env bash
# The README's Neovim recipes, as written, in the Neovim Debian ships, headless:
# - built-in LSP client against calm-lint --lsp: opening a file shows calm-lint's
#   diagnostic (with its cross-file trace), and editing the blocking call away clears it;
#   typed back in it returns, and the server's NOLINT quick fix silences it;
# - nvim-lint on --stdin-filename (the plugin is not packaged: nvim_init.lua stands in
#   for its try_lint): a scratch file with no compile database shows its finding.
# usage: nvim_test.sh CALM_LINT SOURCE_DIR
set -u
lint=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v nvim >/dev/null; then
  echo "SKIP: nvim is needed for this test (bash .ci/deps installs neovim)"
  exit 77
fi
work=$(mktemp -d /tmp/calm-nvim-XXXXXX)
scratch=$(mktemp -d /tmp/calm-nvim-scratch-XXXXXX) # no compile database upward
trap 'rm -rf "$work" "$scratch"' EXIT
# the recipes run "calm-lint": the binary under test is the one on PATH
mkdir -p "$work/bin" "$work/build"
ln -s "$lint" "$work/bin/calm-lint"
export PATH="$work/bin:$PATH"
fail=0
recipe() { # marker, output file
  bash "$here/readme_snippet.sh" "$src/README.md" "$1" >"$2"
  [ -s "$2" ] || { echo "FAIL: no recipe after '$1' in README.md"; fail=1; }
}
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

echo "== built-in LSP client"
recipe "**Neovim, built-in LSP**" "$work/lsp.lua"
cat "$here/nvim_init.lua" "$work/lsp.lua" >"$work/init.lua"
(cd "$work" && CALM_NVIM_OUT="$work/diagnostics.txt" HOME="$work" XDG_STATE_HOME="$work/state" \
  timeout 120 nvim --headless -u "$work/init.lua" -i NONE -c 'lua CalmNvimTest()' helper.c </dev/null >"$work/nvim.log" 2>&1)
rc=$?
echo "-- diagnostics Neovim received:"
if cat "$work/diagnostics.txt" 2>/dev/null; then
  grep -q "^open 3:3 calm-lint \[blocking-in-loop\] blocking call 'sleep' in 'helper', reached from CALM_ASYNC function 'on_tick'" \
    "$work/diagnostics.txt" || { echo "FAIL: calm-lint's diagnostic did not appear on open"; fail=1; }
  grep -q "related=2" "$work/diagnostics.txt" || { echo "FAIL: the trace is not related information"; fail=1; }
  grep -q "^changed count=0" "$work/diagnostics.txt" || { echo "FAIL: the edit did not clear the diagnostic"; fail=1; }
  grep -q "^retyped 3:12 calm-lint \[blocking-in-loop\]" "$work/diagnostics.txt" ||
    { echo "FAIL: the call typed back in after a multi-byte character is not found where it is"; fail=1; }
  grep -q "^nolint count=0" "$work/diagnostics.txt" || { echo "FAIL: the NOLINT quick fix did not silence it"; fail=1; }
  grep -q "^line   /\* é \*/ sleep(1);  // NOLINT(blocking-in-loop)$" "$work/diagnostics.txt" ||
    { echo "FAIL: the NOLINT quick fix did not end the line with its comment"; fail=1; }
else
  echo "FAIL: none written; nvim exited $rc"; cat "$work/nvim.log"; fail=1
fi
[ $rc -eq 0 ] || { echo "FAIL: nvim exited with $rc"; cat "$work/nvim.log"; fail=1; }

echo "== nvim-lint, on a scratch file with no compile database"
cp "$work/helper.c" "$scratch/alone.c"
sed -i 's/^void helper/__attribute__((annotate("calm::async"))) void helper/' "$scratch/alone.c"
recipe "**Neovim, nvim-lint**" "$work/nvim-lint.lua"
cat "$here/nvim_init.lua" "$work/nvim-lint.lua" >"$work/init-lint.lua"
rm -f "$work/diagnostics.txt"
(cd "$scratch" && CALM_NVIM_OUT="$work/diagnostics.txt" HOME="$work" XDG_STATE_HOME="$work/state" \
  timeout 120 nvim --headless -u "$work/init-lint.lua" -i NONE -c 'lua CalmNvimLintTest()' alone.c </dev/null \
  >"$work/nvim.log" 2>&1)
rc=$?
echo "-- diagnostics Neovim received:"
if cat "$work/diagnostics.txt" 2>/dev/null; then
  grep -q "^lint 3:3 calm-lint \[blocking-in-loop\] blocking call 'sleep' in CALM_ASYNC function 'helper'" \
    "$work/diagnostics.txt" || { echo "FAIL: nvim-lint's recipe shows no finding"; fail=1; }
else
  echo "FAIL: none written; nvim exited $rc"; cat "$work/nvim.log"; fail=1
fi
[ $rc -eq 0 ] || { echo "FAIL: nvim exited with $rc"; cat "$work/nvim.log"; fail=1; }
[ $fail -eq 0 ] && echo "nvim: the README's recipes show calm-lint's diagnostics (and clear them)"
exit $fail
