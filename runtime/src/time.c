/* time.c -- the monotonic clock in milliseconds, the loop's cheap test of
 * whether it has moved on, and the status messages. */
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "internal.h"

/* calm_now's own gate, one per thread, so any thread may call it (the loop's
 * is the loop thread's alone): a task that computes a deadline per message
 * reads the counter instead of the clock. */
static __thread calm__clock calm__now_clock;
static __thread int calm__now_ready;

calm_time calm_now(void)
{
    calm__clock *c = &calm__now_clock;

    if (__builtin_expect(!calm__now_ready, 0)) {
        calm__clock_init(c);
        calm__now_ready = 1;
    } else if (!calm__clock_moved(c)) {
        return c->ms;
    }
    return calm__clock_read(c);
}

calm_time calm_after(int64_t ms)
{
    return calm_now() + ms;
}

int64_t calm__clock_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the clock gate (internal.h: calm__clock) ----------------------------
 * clock_gettime costs 20-34 ns on these machines, and a busy loop asks every
 * CALM__CLOCK_STEPS task steps whether timers or I/O are due: 0.7 ns of a
 * 6.2 ns yield. The counter is read in about 10 ns, and the clock then once a
 * millisecond. Its rate is measured between real reads, each bracketed by two counter
 * reads, so that a read that lost its CPU midway (a wide bracket) cannot skew
 * it: a rate is taken only over a window CALM__RATE_SPAN times wider than the
 * two brackets, which bounds its error below the margin the gate keeps
 * (CALM__GATE_MARGIN), and the window starts again every CALM__RATE_WINDOW_NS
 * so that a rate that changed is learnt again. Until a rate is known, every
 * read is real. */
#define CALM__RATE_MIN_NS 1000000         /* 1 ms: the narrowest window */
#define CALM__RATE_WINDOW_NS 1000000000   /* 1 s */
#define CALM__RATE_SPAN 512               /* window / brackets: rate error <= 1/512 */
#define CALM__GATE_MARGIN 256             /* the gate opens 1/256 of the wait early */

void calm__clock_init(calm__clock *c)
{
    memset(c, 0, sizeof(*c));
#if defined(__x86_64__) || defined(__i386__)
    {
        unsigned a, b, cx, d;
        /* CPUID 0x80000007 EDX bit 8, the invariant TSC: one rate, running in
         * every sleep state (Linux's constant_tsc and nonstop_tsc) */
        c->usable = __get_cpuid(0x80000007, &a, &b, &cx, &d) && (d & (1u << 8)) != 0;
    }
#elif defined(__aarch64__)
    c->usable = 1;                        /* the generic timer's rate is architectural */
#endif
}

/* Learns the counter's rate from one bracketed read (integers only: the
 * loop's clock raises no floating-point flag in the task that reads it). */
static void calm__clock_learn(calm__clock *c, uint64_t before, uint64_t after, int64_t ns)
{
    uint64_t mid = before + (after - before) / 2, width = after - before, dt, dns;

    if (c->base_ns == 0 || before < c->base || ns < c->base_ns ||
        (c->per_ms == 0 && width < c->base_width)) {
        if (before < c->base)
            c->per_ms = 0;                /* a counter that went back: measure anew */
        c->base = mid;                    /* the first pair, or a better first pair */
        c->base_width = width;
        c->base_ns = ns;
        return;
    }
    dt = mid - c->base;
    dns = (uint64_t)(ns - c->base_ns);
    if (dns < CALM__RATE_MIN_NS || dt / CALM__RATE_SPAN < width + c->base_width)
        return;
    c->per_ms = dns < 4000000000u ? dt * 1000000 / dns : dt / (dns / 1000000);
    if (dns >= CALM__RATE_WINDOW_NS) {
        c->base = mid;
        c->base_width = width;
        c->base_ns = ns;
    }
}

calm_time calm__clock_read(calm__clock *c)
{
    struct timespec ts;
    uint64_t before = calm__ticks(), after;
    int64_t ns, left;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    c->span = 0;
    c->gated = 0;
    c->ms = ns / 1000000;
    if (!c->usable)
        return c->ms;
    after = calm__ticks();
    calm__clock_learn(c, before, after, ns);
    /* from the bracket's start: the clock was read after it, so the gate errs early */
    c->last = before;
    if (c->per_ms > 0) {
        left = 1000000 - ns % 1000000;    /* ns until the next millisecond */
        left -= left / CALM__GATE_MARGIN;
        c->span = (uint64_t)left * c->per_ms / 1000000;
    }
    return c->ms;
}

/* Statuses with a meaning of their own in calm; the rest are plain errno values. */
#define CALM__STATUS_MAP(X)                                   \
    X(0, "ok")                                                \
    X(CALM_ECANCELED, "cancelled")                            \
    X(CALM_ETIMEDOUT, "deadline passed")                      \
    X(CALM_ECLOSED, "closed")                                 \
    X(CALM_EWORKER, "process-pool worker died")               \
    X(CALM_ENOTASK, "must be called from a task")             \
    X(CALM_EDEADLK, "deadlock: nothing can wake the waiting tasks")

const char *calm_strerror(int status)
{
    static const char unknown[] = "unknown status";

#define CALM__CASE(code, msg) \
    if (status == (code))     \
        return msg;
    CALM__STATUS_MAP(CALM__CASE)
#undef CALM__CASE
    if (status < 0 && status > -4096)
        return strerrordesc_np(-status) ? strerrordesc_np(-status) : unknown;
    return unknown;
}
