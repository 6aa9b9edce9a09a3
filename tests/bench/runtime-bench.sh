#!/usr/bin/env bash
# runtime-bench: builds the libcalm benchmarks (Release) and prints each figure as min and
# median of RUNS runs next to the same work on its peer (libuv, Python asyncio), with the
# ratio of the medians and the target. Runs of libcalm and of the peer alternate so that
# drift on a noisy machine hits both alike.
#   usage: tests/bench/runtime-bench.sh        (BUILD_DIR=build-bench RUNS=5 by default)
# LOAD=N adds the offload figure once more with N busy processes running beside it (a machine
# with more runnable threads than CPUs), and PP_FLOOR=1 a bare epoll ping-pong as the floor.
# CLOCK=cpu times the switch, spawn and ping-pong figures of both sides by the process's
# CPU time instead of the wall clock: on a machine shared with other work, wall time
# mostly measures the neighbours (the timer and offload figures stay on the wall clock,
# as waiting for a worker is part of them).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
runs=${RUNS:-5}
[ "$runs" -ge 1 ] || { echo "runtime-bench: RUNS must be at least 1" >&2; exit 2; }

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCALM_SANITIZE=OFF -DCALM_TSAN=OFF \
    -DCALM_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target calm_bench uv_pingpong uv_work -j "$(nproc)" >/dev/null
calm="$build/tests/bench/calm_bench"
uv="$build/tests/bench/uv_pingpong"
uvw="$build/tests/bench/uv_work"
py="python3 $root/tests/bench/asyncio_bench.py"
clock=${CLOCK:-wall}
case $clock in
    wall) on_cpu="" ;;
    cpu) on_cpu="env CALM_BENCH_CLOCK=cpu" ;;
    *) echo "runtime-bench: CLOCK must be wall or cpu" >&2; exit 2 ;;
esac

# min and median of the numbers on stdin, one a line
stats() {
    sort -g | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%s %s\n", v[1], m }'
}

# figure LABEL UNIT TARGET_OP TARGET PEER_NAME "CALM_CMD" "PEER_CMD"
# TARGET_OP is "<=" (lower is better, target an absolute bound), ">=1.25peer" (at least
# 1.25 times the peer's median), "<=0.5peer" (at most half the peer's median) or "-" (no
# target).
figure() {
    local label=$1 unit=$2 op=$3 target=$4 peer=$5 calm_cmd=$6 peer_cmd=$7
    local calm_out peer_out i
    calm_out=$(mktemp) peer_out=$(mktemp)
    for ((i = 0; i < runs; i++)); do
        $calm_cmd >>"$calm_out"
        $peer_cmd >>"$peer_out"
    done
    read -r cmin cmed < <(stats <"$calm_out")
    read -r pmin pmed < <(stats <"$peer_out")
    rm -f "$calm_out" "$peer_out"
    local ratio verdict
    ratio=$(awk -v c="$cmed" -v p="$pmed" 'BEGIN { printf "%.3g", c / p }')
    case $op in
        "<=") verdict=$(awk -v c="$cmed" -v t="$target" 'BEGIN { print (c <= t) ? "met" : "MISSED" }')
             target="<= $target $unit" ;;
        ">=1.25peer") verdict=$(awk -v c="$cmed" -v p="$pmed" 'BEGIN { print (c >= 1.25 * p) ? "met" : "MISSED" }')
             target=">= 1.25 $peer" ;;
        "<=0.5peer") verdict=$(awk -v c="$cmed" -v p="$pmed" 'BEGIN { print (c <= p / 2) ? "met" : "MISSED" }')
             target="<= 0.5 $peer" ;;
        *) verdict="" target="" ;;
    esac
    printf "%-34s %12.1f %12.1f   %-8s %12.1f %12.1f   %8sx   %-12s %s\n" \
        "$label ($unit)" "$cmin" "$cmed" "$peer" "$pmin" "$pmed" "$ratio" "$target" "$verdict"
}

# floor LABEL UNIT "CMD": a figure with no peer (what the runtime is built on), min and median
floor() {
    local label=$1 unit=$2 cmd=$3 out i
    out=$(mktemp)
    for ((i = 0; i < runs; i++)); do $cmd >>"$out"; done
    read -r fmin fmed < <(stats <"$out")
    rm -f "$out"
    printf "%-34s %12.2f %12.2f   (floor)\n" "$label ($unit)" "$fmin" "$fmed"
}

echo "libcalm benchmarks: $runs runs each, $(uname -m), $(nproc) cores, $(date -u +%FT%TZ)," \
    "$clock clock, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-34s %12s %12s   %-8s %12s %12s   %9s   %s\n" \
    "figure" "libcalm min" "median" "peer" "min" "median" "ratio" "target (libcalm median)"
figure "context switch" "ns" "<=" 5 asyncio "$on_cpu $calm switch" "$on_cpu $py switch"
floor "  bare switch, fixed partner" "ns" "$on_cpu $calm switch-bare"
floor "  bare switch, FIFO ring" "ns" "$on_cpu $calm switch-floor"
figure "spawn+await" "ns/task" "<=" 150 asyncio "$on_cpu $calm spawn" "$on_cpu $py spawn"
figure "idle task at 100000 tasks" "B/task" "<=" 6144 asyncio "$calm memory" "$py memory"
# 400 000 messages (over a second each): shorter runs are mostly noise on a shared machine
figure "socketpair ping-pong 64 B" "msg/s" ">=1.25peer" - libuv "$on_cpu $calm pingpong 400000" "$on_cpu $uv 400000"
figure "socketpair ping-pong 64 B" "msg/s" "-" - asyncio "$on_cpu $calm pingpong" "$on_cpu $py pingpong"
if [ "${PP_FLOOR:-0}" = 1 ]; then
    floor "  bare epoll ping-pong" "msg/s" "$on_cpu $calm pingpong-floor 400000"
fi
figure "0 ms timer re-armed" "ns/firing" "-" - libuv "$calm timer" "$uvw timer"
figure "thread offload round trip" "us/job" "<=0.5peer" - libuv "$calm offload" "$uvw offload"
load=${LOAD:-0}
if [ "$load" -gt 0 ]; then
    hogs=()
    for ((i = 0; i < load; i++)); do (while :; do :; done) & hogs+=($!); done
    trap 'kill "${hogs[@]}" 2>/dev/null' EXIT
    figure "offload, $load busy processes" "us/job" "<=0.5peer" - libuv "$calm offload" "$uvw offload"
    kill "${hogs[@]}"
    wait "${hogs[@]}" 2>/dev/null || true
    trap - EXIT
fi
echo "ratio = libcalm median / peer median: below 1 is better for times and bytes, above 1 for msg/s"

# syscalls NAME N "CALM_CMD" "PEER_CMD": system calls per operation (N operations) under
# strace -c -f, total and the busiest calls. strace slows every call down, so a program
# that watches for work before it sleeps sleeps more often under it: an upper bound.
syscalls() {
    local name=$1 n=$2 calm_cmd=$3 peer_cmd=$4 out who
    command -v strace >/dev/null || { echo "syscalls: strace not installed"; return; }
    out=$(mktemp)
    for who in libcalm libuv; do
        local cmd=$calm_cmd
        [ "$who" = libuv ] && cmd=$peer_cmd
        strace -f -c -o "$out" $cmd "$n" >/dev/null
        # strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall
        awk -v n="$n" -v who="$who" -v name="$name" '
            $1 ~ /^[0-9.]+$/ && $NF == "total" { total = $4 }
            $1 ~ /^[0-9.]+$/ && $NF != "total" && $4 >= n / 10 { busy = busy sprintf(" %s %.2f", $NF, $4 / n) }
            END { printf "%-34s %-8s %6.2f per op:%s\n", name " (syscalls)", who, total / n, busy }' "$out"
    done
    rm -f "$out"
}
# perfcount NAME N "CALM_CMD" "PEER_CMD": system calls and context switches per operation
# counted by perf's tracepoints, which do not slow the program down (when perf may read them).
perfcount() {
    local name=$1 n=$2 calm_cmd=$3 peer_cmd=$4 who
    perf stat -x, -e raw_syscalls:sys_enter true >/dev/null 2>&1 || { echo "perfcount: perf cannot count syscalls here"; return; }
    for who in libcalm libuv; do
        local cmd=$calm_cmd
        [ "$who" = libuv ] && cmd=$peer_cmd
        perf stat -x, -e raw_syscalls:sys_enter,context-switches -- $cmd "$n" 2>&1 >/dev/null |
            awk -F, -v n="$n" -v who="$who" -v name="$name" '
                $3 ~ /sys_enter/ { sc = $1 } $3 ~ /context-switches/ { cs = $1 }
                END { printf "%-34s %-8s %6.2f syscalls, %5.2f context switches per op (perf)\n",
                      name, who, sc / n, cs / n }'
    done
}
perfcount "0 ms timer re-armed" 1000000 "$calm timer" "$uvw timer"
perfcount "thread offload round trip" 20000 "$calm offload" "$uvw offload"
perfcount "socketpair ping-pong 64 B" 400000 "$calm pingpong" "$uv"
syscalls "0 ms timer re-armed" 100000 "$calm timer" "$uvw timer"
syscalls "thread offload round trip" 5000 "$calm offload" "$uvw offload"
syscalls "socketpair ping-pong 64 B" 100000 "$calm pingpong" "$uv"
