#!/usr/bin/env bash
# The README's Vim + ALE recipe, as written, with Debian's vim and vim-ale: a file
# (with no compile database, as a scratch file is) shows calm-lint's finding.
# usage: ale_test.sh CALM_LINT SOURCE_DIR
set -u
lint=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v vim >/dev/null || [ ! -f /usr/share/vim-ale/plugin/ale.vim ]; then
  echo "SKIP: vim and vim-ale are needed for this test (bash .ci/deps installs them)"
  exit 77
fi
work=$(mktemp -d /tmp/calm-ale-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/src"
ln -s "$lint" "$work/bin/calm-lint"
export PATH="$work/bin:$PATH"
bash "$here/readme_snippet.sh" "$src/README.md" "**Vim, ALE**" >"$work/recipe.vim"
[ -s "$work/recipe.vim" ] || { echo "FAIL: no ALE recipe in README.md"; exit 1; }
cat "$here/ale_harness.vim" "$work/recipe.vim" >"$work/vimrc"
cat >"$work/src/tick.c" <<'C'
#include <unistd.h>
__attribute__((annotate("calm::async"))) void on_tick(void) {
  sleep(1);
}
C
vim --version | head -n 1
(cd "$work/src" && CALM_VIM_OUT="$work/out.txt" HOME="$work" timeout 120 \
  vim -N -u "$work/vimrc" -i NONE -n --not-a-term -c 'call CalmAleTest()' tick.c </dev/null >"$work/vim.log" 2>&1)
rc=$?
fail=0
echo "-- what ALE shows:"
if cat "$work/out.txt" 2>/dev/null; then
  grep -q "^ale 3:3 W blocking call 'sleep' in CALM_ASYNC function 'on_tick'" "$work/out.txt" \
    || { echo "FAIL: ALE does not show calm-lint's finding"; fail=1; }
else
  echo "FAIL: nothing written; vim exited $rc"; fail=1
fi
[ $rc -eq 0 ] || { echo "FAIL: vim exited with $rc"; fail=1; }
[ $fail -eq 0 ] && echo "ale: the README's recipe shows calm-lint's finding"
exit $fail
