#!/usr/bin/env bash
# The README's Emacs recipes, as written, with Debian's Emacs: eglot on calm-lint --lsp
# (elpa-eglot) and the flymake backend on --stdin-filename. A file with no compile
# database, as a scratch file is, shows calm-lint's finding in both.
# usage: emacs_test.sh CALM_LINT SOURCE_DIR
set -u
lint=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v emacs >/dev/null || ! ls -d /usr/share/emacs/site-lisp/elpa/eglot-* >/dev/null 2>&1; then
  echo "SKIP: emacs and elpa-eglot are needed for this test (bash .ci/deps installs them)"
  exit 77
fi
work=$(mktemp -d /tmp/calm-emacs-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/src"
ln -s "$lint" "$work/bin/calm-lint"
export PATH="$work/bin:$PATH"
cat >"$work/src/tick.c" <<'C'
#include <unistd.h>
__attribute__((annotate("calm::async"))) void on_tick(void) {
  sleep(1);
}
C
emacs --version | head -n 1
fail=0
for recipe in flymake eglot; do
  echo "== $recipe"
  marker="**Emacs, $recipe**"
  bash "$here/readme_snippet.sh" "$src/README.md" "$marker" >"$work/$recipe.el"
  [ -s "$work/$recipe.el" ] || { echo "FAIL: no recipe after '$marker' in README.md"; fail=1; continue; }
  rm -f "$work/out.txt"
  (cd "$work/src" && CALM_EMACS_OUT="$work/out.txt" HOME="$work" timeout 120 \
    emacs --batch -q -l "$here/emacs_harness.el" -l "$work/$recipe.el" --eval "(calm-$recipe-test \"tick.c\")" \
    </dev/null >"$work/emacs.log" 2>&1)
  rc=$?
  echo "-- what Emacs shows:"
  if cat "$work/out.txt" 2>/dev/null; then
    grep -q "^$recipe 3:3 [^ ]*warning .*blocking call 'sleep' in CALM_ASYNC function 'on_tick'" "$work/out.txt" \
      || { echo "FAIL: $recipe does not show calm-lint's finding"; cat "$work/emacs.log"; fail=1; }
  else
    echo "FAIL: nothing written; emacs exited $rc"; cat "$work/emacs.log"; fail=1
  fi
done
[ $fail -eq 0 ] && echo "emacs: the README's recipes show calm-lint's finding"
exit $fail
