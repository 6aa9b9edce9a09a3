"""asyncio_bench: the Python asyncio peer of calm_bench, the same work measured the same way.

usage: python3 asyncio_bench.py switch|spawn|memory|pingpong [count]
Prints one number: ns per switch, ns per spawn+await, resident bytes per idle task,
or one-way 64-byte messages per second. Waits here carry no timeout (asyncio's cheapest
idiom), so the peer does slightly less work than libcalm, whose waits all take a deadline.
"""
import asyncio
import gc
import os
import socket
import sys
import time

MSG_SIZE = 64
SPAWN_BATCH = 1000


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def yielder(n):
    for _ in range(n):
        await asyncio.sleep(0)


# CALM_BENCH_CLOCK=cpu: time on the CPU, not on the wall, as calm_bench and the libuv
# peers do on a machine shared with other work
clock_ns = time.process_time_ns if os.environ.get("CALM_BENCH_CLOCK") == "cpu" else time.perf_counter_ns


async def bench_switch(count):
    """Two tasks yield to each other `count` times each; ns per switch."""
    start = clock_ns()
    await asyncio.gather(yielder(count), yielder(count))
    return (clock_ns() - start) / (2 * count)


async def noop():
    return 0


async def bench_spawn(count):
    """Spawn a batch of empty tasks, await them all, repeat; ns per task."""
    rounds = max(1, count // SPAWN_BATCH)
    start = clock_ns()
    for _ in range(rounds):
        tasks = [asyncio.create_task(noop()) for _ in range(SPAWN_BATCH)]
        for task in tasks:
            await task
    return (clock_ns() - start) / (rounds * SPAWN_BATCH)


async def idle(event):
    await event.wait()


async def bench_memory(count):
    """`count` tasks parked on one event; resident bytes each."""
    event = asyncio.Event()
    gc.collect()
    before = resident_bytes()
    tasks = [asyncio.create_task(idle(event)) for _ in range(count)]
    await asyncio.sleep(0)  # every task runs up to its wait
    after = resident_bytes()
    event.set()
    await asyncio.gather(*tasks)
    return (after - before) / count


async def bounce(sock, remaining, first):
    """Receive one message, send it back, until the shared budget is spent."""
    loop = asyncio.get_running_loop()
    message = b"x" * MSG_SIZE
    if first:
        await loop.sock_sendall(sock, message)
    while True:
        have = 0
        while have < MSG_SIZE:
            chunk = await loop.sock_recv(sock, 65536)
            if not chunk:
                raise ConnectionError("peer closed")
            have += len(chunk)
        remaining[0] -= 1
        if remaining[0] <= 0:
            sock.shutdown(socket.SHUT_WR)  # wake the other side: it sees end of stream
            return
        await loop.sock_sendall(sock, message)


async def bench_pingpong(count):
    """One 64-byte message bounced over a socketpair; one-way messages per second."""
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    remaining = [count]
    start = clock_ns()
    results = await asyncio.gather(bounce(a, remaining, True), bounce(b, remaining, False),
                                   return_exceptions=True)
    elapsed = clock_ns() - start
    a.close()
    b.close()
    errors = [r for r in results if isinstance(r, BaseException)
              and not isinstance(r, ConnectionError)]
    if errors:
        raise errors[0]
    return count / (elapsed / 1e9)


BENCHES = {
    "switch": (bench_switch, 200_000),
    "spawn": (bench_spawn, 100_000),
    "memory": (bench_memory, 100_000),
    "pingpong": (bench_pingpong, 100_000),
}


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in BENCHES:
        print(__doc__, file=sys.stderr)
        return 2
    bench, default = BENCHES[sys.argv[1]]
    count = int(sys.argv[2]) if len(sys.argv) == 3 else default
    print(f"{asyncio.run(bench(count)):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
