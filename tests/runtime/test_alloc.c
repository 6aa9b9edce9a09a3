/* test_alloc.c -- allocation failure injected at each allocation site in turn:
 * the failing call reports it (NULL/errno or -ENOMEM, -EAGAIN for pools), the
 * program goes on, and once the loop is freed nothing libcalm allocated is live. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

static int bad_status;                    /* a failure that was not ENOMEM-like */

static int ok_nomem(int rc)
{
    if (rc != 0 && rc != -ENOMEM && rc != -EAGAIN && rc != CALM_EWORKER)
        bad_status = rc;
    return rc;
}

static void tick(calm_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
}

static int work(void *arg)
{
    (void)arg;
    return 5;
}

static int proc(const void *in, size_t in_len, void **out, size_t *out_len)
{
    *out = malloc(in_len);
    if (*out == NULL)
        return -ENOMEM;
    memcpy(*out, in, in_len);
    *out_len = in_len;
    return 0;
}

static int short_sleep(void *arg)
{
    int rc = calm_sleep((long)arg);

    /* a sibling's ENOMEM fails the group, which cancels the rest */
    return rc == CALM_ECANCELED ? rc : ok_nomem(rc);
}

static int scenario_task(void *arg)
{
    calm_loop *loop = arg;
    calm_sem *sem;
    calm_queue *q;
    calm_event *ev;
    calm_group *g;
    calm_task *t;
    void *item, *out = NULL;
    size_t out_len = 0;
    int i, r, sv[2];

    /* the primitives */
    sem = calm_sem_new(loop, 1);
    if (sem != NULL) {
        r = calm_sem_acquire(sem, calm_after(100));
        ok_nomem(r);
        if (r == 0)
            calm_sem_release(sem);
        calm_sem_free(sem);
    }
    q = calm_queue_new(loop, 2);
    if (q != NULL) {
        if (ok_nomem(calm_queue_put(q, q, calm_after(100))) == 0)
            ok_nomem(calm_queue_get(q, &item, calm_after(100)));
        calm_queue_free(q);
    }
    ev = calm_event_new(loop);
    if (ev != NULL) {
        calm_event_set(ev);
        ok_nomem(calm_event_wait(ev, calm_after(100)));
        calm_event_free(ev);
    }
    /* a group whose members outnumber the timer heap's first allocation */
    g = calm_group_new(loop, 100);
    if (g != NULL) {
        for (i = 0; i < 70; i++)
            if (ok_nomem(calm_group_spawn(g, short_sleep, (void *)2L, calm_after(1000))) != 0)
                break;
        ok_nomem(calm_group_wait(g, calm_after(5000)));
        calm_group_free(g);
    }
    t = calm_spawn(loop, short_sleep, (void *)1L);
    if (t != NULL)
        ok_nomem(calm_await(t, calm_after(1000), &r));
    /* fds */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) {
        calm_watch *w = calm_watch_fd(loop, sv[1], CALM_WRITABLE, NULL, NULL);
        if (w != NULL)
            calm_watch_stop(w);
        if (write(sv[1], "x", 1) == 1)
            ok_nomem(calm_wait_fd(sv[0], CALM_READABLE, calm_after(1000)));
        calm_close(sv[0]);
        close(sv[1]);
    }
    /* offload */
    ok_nomem(calm_to_thread(work, NULL, calm_after(5000), &r));
    if (ok_nomem(calm_to_process(proc, "abc", 3, &out, &out_len, calm_after(5000))) == 0)
        free(out);
    return 0;
}

static void run_scenario(void)
{
    calm_options opts;
    calm_loop *loop;
    calm_task *t;
    calm_timer *tm;
    int i;

    memset(&opts, 0, sizeof(opts));
    opts.processes = 1;
    opts.threads = 2;
    opts.debug = -1;
    loop = calm_loop_new(&opts);
    if (loop == NULL) {
        ASSERT_EQ(errno, ENOMEM);
        return;
    }
    tm = calm_timer_start(loop, 1, 0, tick, NULL);
    (void)tm;                             /* one-shot: frees itself */
    for (i = 0; i < 80; i++)              /* grows the call_soon ring */
        if (calm_call_soon(loop, tick, NULL) != 0)
            break;
    if (calm_on_signal(loop, SIGUSR2, tick, NULL) != 0)
        ASSERT_TRUE(1);
    t = calm_spawn(loop, scenario_task, loop);
    if (t == NULL)
        ASSERT_EQ(errno, ENOMEM);
    else
        calm_detach(t);
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(calm_loop_shutdown(loop, calm_after(2000)), 0);
    calm_loop_free(loop);
}

void test_alloc_failure_at_each_site(void)
{
    long n;

    /* the first run counts nothing; then each allocation in turn fails */
    for (n = 0; n < 2000; n++) {
        bad_status = 0;
        calm__alloc_fail_after(n);
        run_scenario();
        ASSERT_EQ(bad_status, 0);
        ASSERT_EQ(calm__alloc_live(), 0);
        if (calm__alloc_live() != 0 || bad_status != 0) {
            fprintf(stderr, "allocation site %ld failed badly\n", n);
            break;
        }
        if (calm__alloc_fail_pending() >= 0)
            break;                        /* the scenario made fewer than n allocations */
    }
    calm__alloc_fail_after(-1);
    ASSERT_TRUE(n > 20);
    ASSERT_TRUE(n < 2000);
}
