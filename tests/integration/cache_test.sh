#!/usr/bin/env bash
# The summary cache of every run, shards and links, and one unit as a build action:
# a warm run parses nothing, an edit re-parses what it reaches (a header by clang's
# inclusion list, also one a macro names), output is the same bytes with and without
# the cache and for any shard count and -j, a bad entry is a miss.
# Usage: cache_test.sh CALM_LINT
set -u
LINT=$(realpath "$1")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
check() { # check NAME COND...
  local name=$1
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name" >&2; fails=$((fails + 1)); fi
}
same() { cmp -s "$1" "$2" || { diff "$1" "$2" | head -20 >&2; return 1; }; }
has() { grep -q -- "$2" "$1" || { echo "  '$2' not in $1:" >&2; head -5 "$1" >&2; return 1; }; }

mkdir -p src/inc build
cat >src/inc/common.h <<'EOF'
#define ASYNC __attribute__((annotate("calm::async")))
void helper(void);
EOF
cat >src/a.c <<'EOF'
#define HDR "inc/common.h"
#include HDR
#include <unistd.h>
ASYNC void on_tick(void) { helper(); sleep(1); }
EOF
cat >src/b.c <<'EOF'
#include "inc/common.h"
#include <unistd.h>
void helper(void) { usleep(10); }
EOF
cat >src/c.c <<'EOF'
#include <stdio.h>
int lonely(void) { return 0; }
EOF
cat >build/compile_commands.json <<EOF
[{"directory": "$T/src", "file": "a.c", "arguments": ["cc", "-c", "a.c", "-o", "a.o"]},
 {"directory": "$T/src", "file": "b.c", "arguments": ["cc", "-c", "b.c", "-o", "b.o"]},
 {"directory": "$T/src", "file": "c.c", "arguments": ["cc", "-c", "c.c", "-o", "c.o"]}]
EOF

run() { "$LINT" -p build --statistics "$@" >stats.out 2>stats.err; }
parsed() { grep -q "calm-lint: $1 translation units\? parsed, $2 read from the cache" stats.err ||
  { echo "  wanted $1 parsed, $2 cached:" >&2; cat stats.err >&2; return 1; }; }

"$LINT" -p build --no-cache >plain.txt 2>plain.err
"$LINT" -p build --no-cache --format json >plain.json 2>/dev/null
check "--no-cache writes no cache" test ! -e build/.calm-lint-cache
check "the fixture has findings in two files" has plain.txt "b.c:3:21: warning: blocking call 'usleep'"
run
check "cold run parses every unit" parsed 3 0
check "the cache sits beside the database" test "$(ls build/.calm-lint-cache/*.calm | wc -l)" -eq 3
run
check "warm run parses nothing" parsed 0 3
"$LINT" -p build >warm.txt 2>warm.err
"$LINT" -p build --format json >warm.json 2>/dev/null
check "text output with the cache is the same bytes" same plain.txt warm.txt
check "json output with the cache is the same bytes" same plain.json warm.json
check "stderr with the cache is the same" same plain.err warm.err

touch src/a.c src/inc/common.h
run
check "a touch (same content) re-parses nothing" parsed 0 3
echo '/* edited */' >>src/c.c
run
check "editing one .c re-parses only it" parsed 1 2
echo '/* edited */' >>src/inc/common.h
run
check "editing a header re-parses its includers, also through a macro-named include" parsed 2 1

# a header whose mtime is after the parse began may have changed under the parse:
# the units that read it are not stored (here: a stamp in the future)
rm -rf build/.calm-lint-cache
touch -d '+1 hour' src/inc/common.h
run
check "a header stamped after the parse began..." parsed 3 0
run
check "  keeps its includers out of the cache" parsed 2 1
run
touch -d '-1 minute' src/inc/common.h
run
check "  until the stamp is older than the parse" parsed 2 1
run
check "  after which they are cached" parsed 0 3

for e in build/.calm-lint-cache/*.calm; do head -c 100 "$e" >"$e.cut" && mv "$e.cut" "$e"; done
run
check "truncated entries are misses" parsed 3 0
"$LINT" -p build >after.txt 2>/dev/null
check "and the output is unchanged" same plain.txt after.txt
for e in build/.calm-lint-cache/*.calm; do printf 'calm-lint-cache 3 %s\n[["/x","0"]]\n{' "$(head -c 50 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$e"; done
e=$(ls build/.calm-lint-cache/*.calm | head -1)
sed -n 1p "$e" >/dev/null
run
check "corrupt entries are misses" parsed 3 0
# an entry of another build: its id differs on the first line
for e in build/.calm-lint-cache/*.calm; do sed -i '1s/ [0-9a-f]*$/ 0000000000000000/' "$e"; done
run
check "an entry of another calm-lint build is a miss" parsed 3 0
run
check "and is replaced" parsed 0 3
# a rebuilt calm-lint of the same version (other bytes: here one appended) lowers
# what its sources now say: the old build's entries are not its own
cp "$LINT" rebuilt-calm-lint && printf '\0' >>rebuilt-calm-lint
rebuilt() { ./rebuilt-calm-lint -p build --statistics >stats.out 2>stats.err; }
rebuilt
check "entries of another build of the same version are misses" parsed 3 0
rebuilt
check "  and that build then hits its own" parsed 0 3
run
check "  while the first build still finds its own beside them" parsed 0 3

"$LINT" -p build --cache-dir "$T/elsewhere" >/dev/null 2>&1
check "--cache-dir puts the entries there" test "$(ls elsewhere/*.calm | wc -l)" -eq 3
echo keep >elsewhere/notes.calm
touch -d '40 days ago' "$(ls elsewhere/*.calm | head -1)" elsewhere/notes.calm
"$LINT" -p build --cache-dir "$T/elsewhere" --cache-prune 2>prune.err
check "--cache-prune removes an entry unused for 40 days" test "$(ls elsewhere/*.calm | wc -l)" -eq 3
check "but never a file calm-lint did not write" test -f elsewhere/notes.calm
"$LINT" -p build --cache-dir "$T/elsewhere" --cache-prune=1K 2>/dev/null
check "--cache-prune=SIZE keeps the cache under SIZE" test "$(du -bc elsewhere/*.calm | tail -1 | cut -f1)" -le 1024
check "--cache-prune=junk is a usage error" bash -c "'$LINT' -p build --cache-prune=12Q 2>/dev/null; test \$? -eq 2"

# ---- shards and link ----
rm -rf build/.calm-lint-cache
for n in 1 2 3; do
  for j in 1 2; do
    rm -rf "sum$n"
    ok=true
    for i in $(seq 1 $n); do
      "$LINT" -p build --no-cache -j$j --emit-summaries "sum$n" --shard "$i/$n" >emit.out 2>&1 || ok=false
      [ -s emit.out ] && ok=false
    done
    check "--shard I/$n -j$j emits quietly" $ok
    "$LINT" --link "sum$n" >link.txt 2>link.err
    check "--link of $n shards (-j$j) prints what one run prints" same plain.txt link.txt
    check "and the same on stderr" same plain.err link.err
  done
done
"$LINT" --link sum2 --format json >link.json 2>/dev/null
check "--link json is the same bytes" same plain.json link.json
"$LINT" --link sum2 >/dev/null 2>&1
check "--link exits as the run does (findings: 1)" test $? -eq 1
"$LINT" --link sum2 --exit-zero >/dev/null 2>&1
check "--exit-zero exits 0 with findings" test $? -eq 0
"$LINT" --link sum1 sum2 >twice.txt 2>/dev/null
check "a unit in two inputs is linked once" same plain.txt twice.txt
cp -r sum2 old
f=$(ls old/*.calm | head -1)
sed -i '1s/^calm-lint-summary [0-9]*/calm-lint-summary 999/' "$f"
"$LINT" --link old >/dev/null 2>old.err
check "a summary of another format is an error (2)" test $? -eq 2
check "which says so" has old.err "has summary format 999 but this calm-lint reads format"
check "--shard without --emit-summaries is a usage error" bash -c "'$LINT' --shard 1/2 2>/dev/null; test \$? -eq 2"
check "--shard 3/2 is a usage error" bash -c "'$LINT' --emit-summaries x --shard 3/2 2>/dev/null; test \$? -eq 2"

# ---- one unit as a build action ----
mkdir -p act
for u in a b c; do
  (cd src && "$LINT" --emit-summary "../act/$u.calm" -MF "../act/$u.d" -- cc -c "$u.c" -o "$u.o") ||
    { echo "FAIL --emit-summary $u" >&2; fails=$((fails + 1)); }
done
check "the depfile names the target" has act/a.d "^../act/a.calm:"
check "the depfile lists a macro-named header" has act/a.d "$T/src/inc/common.h"
check "the depfile lists system headers" has act/a.d "unistd.h"
check "the depfile does not list what the unit does not read" bash -c "! grep -q inc/common.h act/c.d"
"$LINT" --link act/a.calm act/b.calm act/c.calm >act.txt 2>act.err
check "linking the actions' summaries prints what one run prints" same plain.txt act.txt
check "--emit-summary without a command is a usage error" bash -c "'$LINT' --emit-summary x.calm 2>/dev/null; test \$? -eq 2"

[ $fails -eq 0 ] && echo "all cache checks passed"
exit $((fails > 0))
