/* uv_work: the libuv peer of calm_bench's timer and offload figures.
 *   uv_work timer [n]     ns per firing: a 0 ms timer restarted from its callback n times
 *   uv_work offload [n]   us per job: n empty jobs through uv_queue_work, one at a time */
#define _GNU_SOURCE /* clock_gettime and the pthread types uv.h needs under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

static long left;   /* firings or jobs still to come */
static int failed;  /* a libuv call failed */

static double now_ns(void)
{
    struct timespec ts;
    /* CALM_BENCH_CLOCK=cpu: the process's CPU time, for a machine shared with other work */
    static int cpu = -1;
    if (cpu < 0) {
        const char *clock = getenv("CALM_BENCH_CLOCK");
        cpu = clock != NULL && strcmp(clock, "cpu") == 0;
    }
    clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void on_timer(uv_timer_t *timer)
{
    if (--left > 0 && uv_timer_start(timer, on_timer, 0, 0) < 0)
        failed = 1;
}

static void empty_work(uv_work_t *req)
{
    (void)req;
}

static void after_work(uv_work_t *req, int status)
{
    if (status < 0 || (--left > 0 && uv_queue_work(req->loop, req, empty_work, after_work) < 0))
        failed = 1;
}

static void first_done(uv_work_t *req, int status)
{
    (void)req;
    failed = status < 0;
}

int main(int argc, char **argv)
{
    int timer = argc >= 2 && strcmp(argv[1], "timer") == 0;
    int offload = argc >= 2 && strcmp(argv[1], "offload") == 0;
    long count = argc == 3 ? atol(argv[2]) : timer ? 1000000 : 20000;
    if ((!timer && !offload) || argc > 3 || count <= 0) {
        fprintf(stderr, "usage: uv_work timer|offload [count]\n");
        return 2;
    }
    uv_loop_t *loop = uv_default_loop();
    uv_timer_t t;
    uv_work_t req;
    double start;
    left = count;
    if (timer) {
        uv_timer_init(loop, &t);
        start = now_ns();
        failed = uv_timer_start(&t, on_timer, 0, 0) < 0;
        uv_run(loop, UV_RUN_DEFAULT);
        printf("%.1f\n", (now_ns() - start) / (double)count);
        uv_close((uv_handle_t *)&t, NULL);
    } else {
        /* the first job starts the pool: not part of the figure */
        failed = uv_queue_work(loop, &req, empty_work, first_done) < 0;
        uv_run(loop, UV_RUN_DEFAULT);
        start = now_ns();
        failed |= uv_queue_work(loop, &req, empty_work, after_work) < 0;
        uv_run(loop, UV_RUN_DEFAULT);
        printf("%.2f\n", (now_ns() - start) / 1e3 / (double)count);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    if (failed)
        fprintf(stderr, "uv_work: a libuv call failed\n");
    return failed ? 1 : 0;
}
