#!/bin/sh
# check_lint: calm-lint on the examples. The good ones (job_runner.c, echo_server.c) must
# have no finding; on job_runner_bad.c the findings must be exactly its MISTAKE(<rule>)
# markers: a finding off a marker is a false positive, a marker without its finding a
# missed bug.
#   usage: check_lint.sh CALM-LINT BUILD-DIR EXAMPLES-DIR
set -eu
lint=$1 build=$2 examples=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

if ! "$lint" -p "$build" "$examples/job_runner.c" "$examples/echo_server.c" >"$tmp/good" 2>&1; then
    echo "FAIL: the good examples are not lint-clean:"
    cat "$tmp/good"
    failed=1
fi

rc=0
"$lint" -p "$build" "$examples/job_runner_bad.c" >"$tmp/bad" 2>&1 || rc=$?
if [ "$rc" -gt 1 ]; then
    echo "FAIL: calm-lint exited $rc on job_runner_bad.c:"
    cat "$tmp/bad"
    exit 1
fi
# "line rule" pairs, one a line, sorted
sed -n 's/^[^:]*job_runner_bad\.c:\([0-9]*\):[0-9]*: warning: .*\[\([a-z-]*\)\]$/\1 \2/p' \
    "$tmp/bad" | sort -u >"$tmp/found"
grep -n 'MISTAKE([a-z-]*)' "$examples/job_runner_bad.c" |
    sed -n 's/^\([0-9]*\):.*MISTAKE(\([a-z-]*\)).*/\1 \2/p' | sort -u >"$tmp/marked"

if [ ! -s "$tmp/marked" ]; then
    echo "FAIL: no MISTAKE markers found in job_runner_bad.c"
    failed=1
fi
if comm -13 "$tmp/marked" "$tmp/found" | grep . >"$tmp/extra"; then
    echo "FAIL: findings on job_runner_bad.c with no marker (line rule):"
    cat "$tmp/extra"
    failed=1
fi
if comm -23 "$tmp/marked" "$tmp/found" | grep . >"$tmp/missing"; then
    echo "FAIL: markers on job_runner_bad.c with no finding (line rule):"
    cat "$tmp/missing"
    failed=1
fi
[ "$failed" -eq 0 ] || { echo "calm-lint output:"; cat "$tmp/bad"; exit 1; }
echo "ok: good examples clean, $(wc -l <"$tmp/found") findings on job_runner_bad.c, each on its marker"
