#!/usr/bin/env bash
# calm as users install it. `install`: `cmake --install` into a scratch prefix, which is
# then moved (the install must be relocatable); a program is built against it with
# pkg-config and with find_package(calm), shared and static, and run; the installed
# calm-lint lints a file against the installed calm.h and its man page renders.
# `deb`: cpack builds the .deb, dpkg-deb lists its files, and a program builds against
# its unpacked tree.
#   install_test.sh install|deb BUILD_DIR LINT(ON|OFF) CMAKE CC [CFLAGS]
set -eu
mode=$1 build=$2 lint=$3 cmake=$4 cc=$5 cflags=${6:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || fail "no project version in $build/CMakeCache.txt"
src=$(sed -n 's/^calm_SOURCE_DIR:STATIC=//p' "$build/CMakeCache.txt")
soversion=$(echo "$version" | awk -F. '{ print ($1 == 0) ? $1 "." $2 : $1 }')

# A program that uses what an installed libcalm must provide: a task spawned through the
# calm_spawn macro (its calm__spawn_site call crosses the library's ABI), an await with a
# deadline, and a thread-pool offload.
mkdir "$tmp/app"
cat >"$tmp/app/app.c" <<'EOF'
#include <calm.h>
#include <stdio.h>

static int answer(void *arg) { (void)arg; return 42; }

static int child(void *arg) {
  int result = 0;
  int rc = calm_to_thread(answer, NULL, calm_after(5000), &result);
  if (rc != 0) return rc;
  *(int *)arg = result;
  return 0;
}

static int parent(void *arg) {
  calm_task *t = calm_spawn(calm_loop_current(), child, arg);
  if (!t) return -1;
  int result = -1;
  int rc = calm_await(t, calm_after(5000), &result);
  return rc != 0 ? rc : result;
}

int main(void) {
  int value = 0;
  calm_loop *loop = calm_loop_new(NULL);
  if (!loop) return 1;
  calm_task *t = calm_spawn(loop, parent, &value);
  calm_detach(t);
  int rc = calm_loop_run(loop);
  calm_loop_free(loop);
  printf("app: %d\n", value);
  return rc != 0 || value != 42;
}
EOF
# and one with a blocking call in a task, for calm-lint
cat >"$tmp/app/bad.c" <<'EOF'
#include <calm.h>
#include <unistd.h>
static int body(void *arg) { (void)arg; sleep(1); return 0; }
int main(void) { calm_loop *l = calm_loop_new(0); calm_detach(calm_spawn(l, body, 0)); return calm_loop_run(l); }
EOF
cat >"$tmp/app/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(calm_app LANGUAGES C)
find_package(calm REQUIRED CONFIG)
add_executable(app_shared app.c)
target_link_libraries(app_shared PRIVATE calm::calm)
add_executable(app_static app.c)
target_link_libraries(app_static PRIVATE calm::calm_static)
if(CALM_CHECK_LINT)
  if(NOT TARGET calm::calm-lint OR NOT EXISTS "${CALM_LINT_EXECUTABLE}")
    message(FATAL_ERROR "the package has no calm::calm-lint (CALM_LINT_EXECUTABLE='${CALM_LINT_EXECUTABLE}')")
  endif()
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/calm-lint-target CONTENT "$<TARGET_FILE:calm::calm-lint>")
endif()
if(CALM_CHECK_LINT_TARGET)
  if(NOT COMMAND calm_lint_target)
    message(FATAL_ERROR "the package does not define calm_lint_target()")
  endif()
  add_executable(app_bad bad.c)
  target_link_libraries(app_bad PRIVATE calm::calm)
  calm_lint_target(app_bad)
endif()
EOF

run_app() { # run_app EXE: runs it and checks what it printed
  local out
  out=$("$1" 2>&1) || fail "$1 failed: $out"
  [ "$out" = "app: 42" ] || fail "$1 printed '$out'"
}

# build_against PREFIX: pkg-config (shared, with an rpath) and CMake (shared and static)
build_against() {
  local prefix=$1 pc
  pc=$(find "$prefix" -name libcalm.pc -path '*/pkgconfig/*' | head -1)
  [ -n "$pc" ] || fail "no libcalm.pc under $prefix"
  export PKG_CONFIG_PATH=${pc%/*} PKG_CONFIG_LIBDIR=${pc%/*}
  [ "$(pkg-config --modversion libcalm)" = "$version" ] || fail "pkg-config --modversion libcalm: $(pkg-config --modversion libcalm)"
  local libdir
  libdir=$(pkg-config --variable=libdir libcalm)
  [ -f "$libdir/libcalm.so.$soversion" ] || fail "pkg-config's libdir $libdir has no libcalm.so.$soversion"
  # shellcheck disable=SC2046,SC2086 # pkg-config's output is a list of flags
  "$cc" $cflags -std=c11 -Wall -Wextra -Werror -o "$tmp/app_pc" "$tmp/app/app.c" \
    $(pkg-config --cflags --libs libcalm) -Wl,-rpath,"$libdir" || fail "cc with pkg-config --cflags --libs libcalm failed"
  run_app "$tmp/app_pc"
  ldd "$tmp/app_pc" | grep -q "libcalm.so.$soversion => $libdir/" || fail "app_pc does not load $libdir/libcalm.so.$soversion: $(ldd "$tmp/app_pc")"

  rm -rf "$tmp/app-build"
  local check_lint=OFF
  [ "$lint" = ON ] && [ "$mode" = install ] && check_lint=ON
  # calm_lint_target() comes with the package when the tree has lint/cmake/CalmLintTarget.cmake
  local check_lint_target=OFF
  [ "$lint" = ON ] && [ -f "$src/lint/cmake/CalmLintTarget.cmake" ] && check_lint_target=ON
  "$cmake" -S "$tmp/app" -B "$tmp/app-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$cflags" \
    -DCALM_CHECK_LINT=$check_lint -DCALM_CHECK_LINT_TARGET=$check_lint_target >"$tmp/app-cmake.log" 2>&1 || { cat "$tmp/app-cmake.log"; fail "find_package(calm) failed"; }
  "$cmake" --build "$tmp/app-build" >"$tmp/app-build.log" 2>&1 || { cat "$tmp/app-build.log"; fail "building against calm::calm failed"; }
  run_app "$tmp/app-build/app_shared"
  run_app "$tmp/app-build/app_static"
  readelf -d "$tmp/app-build/app_shared" | grep -q "NEEDED.*libcalm.so.$soversion" || fail "app_shared does not need libcalm.so.$soversion"
  ! readelf -d "$tmp/app-build/app_static" | grep -q 'NEEDED.*libcalm' || fail "app_static needs libcalm.so"
  # versions: its own major.minor is accepted; one the soname does not promise is refused
  # (an older minor before 1.0, an older major after it)
  local own older
  own=$(echo "$version" | cut -d. -f1,2)
  older=$(echo "$version" | awk -F. '{ if ($1 == 0) { if ($2 > 0) print "0." $2 - 1 } else print $1 - 1 ".0" }')
  find_version() { # find_version VERSION: configures a project asking for that version
    rm -rf "$tmp/ver"
    mkdir -p "$tmp/ver"
    printf 'cmake_minimum_required(VERSION 3.18)\nproject(ver LANGUAGES C)\nfind_package(calm %s REQUIRED CONFIG)\n' \
      "$1" >"$tmp/ver/CMakeLists.txt"
    "$cmake" -S "$tmp/ver" -B "$tmp/ver/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1
  }
  find_version "$own" || fail "find_package(calm $own) refuses calm $version"
  if [ -n "$older" ]; then
    ! find_version "$older" || fail "find_package(calm $older) accepts calm $version"
  fi
  rm -rf "$tmp/ver"
  if [ "$check_lint_target" = ON ]; then
    grep -q "bad.c:3:.*\[blocking-in-loop\]" "$tmp/app-build/calm-lint/app_bad.txt" ||
      fail "calm_lint_target(app_bad) did not report bad.c: $(cat "$tmp/app-build/calm-lint/app_bad.txt" "$tmp/app-build.log")"
  fi
  if [ "$check_lint" = ON ]; then
    [ "$(cat "$tmp/app-build/calm-lint-target")" = "$prefix/bin/calm-lint" ] ||
      fail "calm::calm-lint is $(cat "$tmp/app-build/calm-lint-target"), not $prefix/bin/calm-lint"
  fi
}

# check_library LIBDIR: the soname, and an ABI of calm.h's names only
check_library() {
  local so=$1/libcalm.so.$version header=$2
  [ -f "$so" ] || fail "no $so"
  [ -f "$1/libcalm.a" ] || fail "no $1/libcalm.a"
  readelf -d "$so" | grep -q "SONAME.*\[libcalm.so.$soversion\]" || fail "soname of $so: $(readelf -d "$so" | grep SONAME)"
  [ "$(readlink "$1/libcalm.so")" = "libcalm.so.$soversion" ] || fail "libcalm.so -> $(readlink "$1/libcalm.so")"
  local exported
  exported=$(nm -D --defined-only "$so" | awk '{ print $3 }' | grep '^calm_') || fail "$so exports no calm_ names"
  [ "$(echo "$exported" | wc -l)" -ge 40 ] || fail "$so exports only: $exported"
  for s in $exported; do
    grep -qw "$s" "$header" || fail "$so exports '$s', which calm.h does not declare"
  done
  ! nm -D --defined-only "$so" | awk '{ print $3 }' | grep -v '^calm_' | grep -qv '^_' ||
    fail "$so exports names outside calm_: $(nm -D --defined-only "$so" | awk '{ print $3 }' | grep -v '^calm_')"
}

if [ "$mode" = install ]; then
  "$cmake" --install "$build" --prefix "$tmp/stage" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install failed"; }
  # relocatable: nothing may point back at the prefix the install was made with
  mv "$tmp/stage" "$tmp/prefix"
  prefix=$tmp/prefix
  [ -f "$prefix/include/calm.h" ] || fail "no include/calm.h"
  libdir=$(dirname "$(find "$prefix" -name 'libcalm.so.*.*.*' | head -1)")
  check_library "$libdir" "$prefix/include/calm.h"
  [ -f "$libdir/cmake/calm/calmConfig.cmake" ] || fail "no $libdir/cmake/calm/calmConfig.cmake"
  build_against "$prefix"
  if [ "$lint" = ON ]; then
    [ -x "$prefix/bin/calm-lint" ] || fail "no bin/calm-lint"
    [ "$("$prefix/bin/calm-lint" --version)" = "calm-lint $version" ] || fail "calm-lint --version: $("$prefix/bin/calm-lint" --version)"
    # it keeps a path to the libclang it was linked with, wherever that was installed
    clangdir=$(dirname "$(sed -n 's/^LibClang_LIBRARY:FILEPATH=//p' "$build/CMakeCache.txt")")
    case "$clangdir" in
      /lib|/usr/lib|/lib64|/usr/lib64|/lib/*-linux-gnu|/usr/lib/*-linux-gnu) ;;
      *) readelf -d "$prefix/bin/calm-lint" | grep -E 'R(UN)?PATH' | grep -q "$clangdir" ||
           fail "installed calm-lint has no run path to $clangdir: $(readelf -d "$prefix/bin/calm-lint" | grep PATH)" ;;
    esac
    # the installed linter works on its own: built-in models, clang's headers, calm.h
    rc=0
    out=$("$prefix/bin/calm-lint" --quiet "$tmp/app/bad.c" -- -I"$prefix/include" 2>&1) || rc=$?
    [ "$rc" = 1 ] && echo "$out" | grep -q "bad.c:3:.*\[blocking-in-loop\]" || fail "installed calm-lint on bad.c (exit $rc): $out"
    page=$prefix/share/man/man1/calm-lint.1
    [ -f "$page" ] || fail "no share/man/man1/calm-lint.1"
    # every rule has its part of the page, and the page renders without a warning
    rules=$(sed -n 's/^CALM_RULE([a-z_]*, *"\([a-z-]*\)").*/\1/p' "$src/rules/rules.def")
    [ -n "$rules" ] || fail "no rules in $src/rules/rules.def"
    for rule in $rules; do
      grep -q "^\.SS \"$rule\"" "$page" || fail "calm-lint.1 has no section for $rule"
    done
    if command -v groff >/dev/null; then
      warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || fail "groff failed on calm-lint.1: $warn"
      [ -z "$warn" ] || fail "groff warns on calm-lint.1: $warn"
    fi
    if command -v man >/dev/null; then
      text=$(MANWIDTH=80 man -l "$page" 2>"$tmp/man.err") || fail "man -l calm-lint.1: $(cat "$tmp/man.err")"
      echo "$text" | grep -q '^SYNOPSIS' && echo "$text" | grep -q -- '--stdin-filename' &&
        echo "$text" | grep -q 'Why it matters' || fail "man -l calm-lint.1 lacks its sections: $text"
      MANPATH=$prefix/share/man man -w calm-lint | grep -q "^$page" || fail "man -w calm-lint does not find $page"
    elif ! command -v groff >/dev/null; then
      echo "install_test: neither man nor groff: calm-lint.1 not rendered" >&2
    fi
  fi
  # libcalm alone configures with libclang and cJSON out of reach
  env -u PKG_CONFIG_PATH -u PKG_CONFIG_LIBDIR "$cmake" -S "$src" -B "$tmp/nolint" -DCALM_LINT=OFF -DCMAKE_DISABLE_FIND_PACKAGE_LibClang=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_CJSON=ON >"$tmp/nolint.log" 2>&1 ||
    { cat "$tmp/nolint.log"; fail "-DCALM_LINT=OFF does not configure without libclang"; }
  ! grep -q '^LibClang_LIBRARY' "$tmp/nolint/CMakeCache.txt" || fail "-DCALM_LINT=OFF still looks for libclang"
  echo "install_test: install into a prefix, pkg-config and find_package(calm) work"
  exit 0
fi

[ "$mode" = deb ] || fail "unknown mode '$mode'"
command -v dpkg-deb >/dev/null && command -v cpack >/dev/null || { echo "install_test: no dpkg-deb or cpack" >&2; exit 77; }
cpack_bin=$(dirname "$cmake")/cpack
[ -x "$cpack_bin" ] || cpack_bin=cpack
(cd "$tmp" && "$cpack_bin" --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg") >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(find "$tmp/pkg" -maxdepth 1 -name '*.deb' | head -1)
[ -n "$deb" ] || fail "cpack made no .deb: $(cat "$tmp/cpack.log")"
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./||' >"$tmp/contents"
expect="usr/include/calm.h usr/lib/libcalm.a usr/lib/libcalm.so.$version usr/lib/pkgconfig/libcalm.pc
        usr/lib/cmake/calm/calmConfig.cmake usr/lib/cmake/calm/calmTargets.cmake"
[ "$lint" = ON ] && expect="$expect usr/bin/calm-lint usr/share/man/man1/calm-lint.1.gz usr/lib/cmake/calm/calmLintTargets.cmake"
for f in $expect; do
  grep -qx "$f" "$tmp/contents" || fail "$deb lacks $f; it holds: $(cat "$tmp/contents")"
done
grep -q '^usr/lib/libcalm.so -> libcalm.so' <(dpkg-deb -c "$deb" | awk '{ print $6, $7, $8 }' | sed 's|^\./||') ||
  fail "$deb lacks the libcalm.so link"
dpkg-deb -f "$deb" Package | grep -qx calm || fail "package name: $(dpkg-deb -f "$deb" Package)"
dpkg-deb -f "$deb" Version | grep -qx "$version" || fail "package version: $(dpkg-deb -f "$deb" Version)"
if [ "$lint" = ON ] && command -v dpkg-shlibdeps >/dev/null; then
  dpkg-deb -f "$deb" Depends | grep -q libclang || fail "Depends has no libclang: $(dpkg-deb -f "$deb" Depends)"
fi
dpkg-deb -x "$deb" "$tmp/root"
for f in "$tmp/root/usr/lib/libcalm.so.$version" "$tmp/root/usr/bin/calm-lint"; do
  [ -f "$f" ] || continue
  ! readelf -S "$f" | grep -q '\.debug_info' || fail "$(basename "$f") in the .deb is not stripped"
done
check_library "$tmp/root/usr/lib" "$tmp/root/usr/include/calm.h"
dpkg-deb -e "$deb" "$tmp/control"
(cd "$tmp/root" && md5sum -c --quiet "$tmp/control/md5sums") || fail "$deb's md5sums do not match its files"
if [ "$lint" = ON ] && command -v man >/dev/null; then
  MANWIDTH=80 man -l "$tmp/root/usr/share/man/man1/calm-lint.1.gz" 2>&1 | grep -q '^SYNOPSIS' ||
    fail "man -l does not render the .deb's calm-lint.1.gz"
fi
build_against "$tmp/root/usr"
echo "install_test: $(basename "$deb") holds calm's files and builds a program"
