#!/usr/bin/env bash
# calm_lint_target() with the Ninja generator: one summary action per source, one link
# action; a second build runs nothing, a changed .c re-runs its action and the link, a
# changed header the actions of the sources that read it (depfiles), and the report is
# what a plain calm-lint run over the same sources prints.
# Usage: cmake_target_test.sh CALM_LINT SOURCE_DIR
set -u
LINT=$(realpath "$1")
SRC=$(realpath "$2")
command -v ninja >/dev/null || { echo "skip: ninja is not installed (.ci/deps)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
check() {
  local name=$1
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name" >&2; fails=$((fails + 1)); fi
}
mkdir -p p/inc p/util
cat >p/CMakeLists.txt <<EOF
cmake_minimum_required(VERSION 3.20)
project(sample C)
include($SRC/lint/cmake/CalmLintTarget.cmake)
add_library(util STATIC util/util.c)
target_include_directories(util PUBLIC inc)
target_compile_definitions(util PUBLIC USE_ASYNC=1)
add_executable(app main.c other.c)
target_link_libraries(app PRIVATE util)
calm_lint_target(app \${CLT_MODE})
EOF
cat >p/inc/util.h <<'EOF'
#if USE_ASYNC
#define ASYNC __attribute__((annotate("calm::async")))
#else
#define ASYNC
#endif
void helper(void);
EOF
cat >p/inc/only_main.h <<'EOF'
#define MAIN_ONLY 1
EOF
cat >p/main.c <<'EOF'
#include "util.h"
#include "only_main.h"
ASYNC void on_tick(void) { helper(); }
int main(void) { return 0; }
EOF
cat >p/other.c <<'EOF'
#include <unistd.h>
#include "util.h"
void helper(void) { sleep(1); }
EOF
echo 'int util(void) { return 0; }' >p/util/util.c

build() { ninja -C b -v >build.log 2>&1; }
actions() { grep -c -e "$1" build.log; }
cmake -S p -B b -G Ninja -DCALM_LINT_EXECUTABLE="$LINT" >cmake.log 2>&1 || { cat cmake.log; exit 1; }
build
check "first build succeeds" test $? -eq 0
check "one summary action per source of app" test "$(actions '--emit-summary')" -eq 2
check "one link action" test "$(actions '--link')" -eq 1
check "the report finds the chain across files, through usage requirements" \
  grep -q "other.c:3:21: warning: blocking call 'sleep'" b/calm-lint/app.txt
(cd b && "$LINT" --no-cache "$T/p/main.c" "$T/p/other.c" -- -I"$T/p/inc" -DUSE_ASYNC=1) >plain.txt 2>/dev/null
check "the report is what one plain run prints" cmp b/calm-lint/app.txt plain.txt
build
check "a second build runs nothing" grep -q "no work to do" build.log
echo '/* edited */' >>p/other.c
build
check "a changed .c re-runs only its summary" test "$(actions '--emit-summary')" -eq 1
check "  (other.c's)" grep -q -- "--emit-summary .*other.c.calm" build.log
check "  and the link" test "$(actions '--link')" -eq 1
echo '/* edited */' >>p/inc/only_main.h
build
check "a changed header re-runs the summaries of its includers only" test "$(actions '--emit-summary')" -eq 1
check "  (main.c's)" grep -q -- "--emit-summary .*main.c.calm" build.log
echo '/* edited */' >>p/inc/util.h
build
check "a header both include re-runs both" test "$(actions '--emit-summary')" -eq 2
cmake -S p -B b -DCLT_MODE=FAIL_ON_FINDINGS >cmake.log 2>&1 || { cat cmake.log; exit 1; }
build
check "FAIL_ON_FINDINGS fails the build on a finding" test $? -ne 0
check "  and prints it" grep -q "blocking call 'sleep'" build.log
[ $fails -eq 0 ] && echo "all calm_lint_target checks passed"
exit $((fails > 0))
