/* test_shutdown.c -- calm_loop_shutdown with tasks in every state, and with a
 * task that will not finish before the deadline. */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

static calm_loop *L;
static calm_sem *S;
static calm_queue *Q;
static calm_event *E;
static int fds[2];
static int ended, ended_cancelled;

static int note(int rc)
{
    ended++;
    if (rc == CALM_ECANCELED)
        ended_cancelled++;
    return rc;
}

static int st_sleep(void *a) { (void)a; return note(calm_sleep(60000)); }
static int st_sem(void *a)
{
    int rc = calm_sem_acquire(S, calm_after(60000));

    (void)a;
    if (rc == 0)
        calm_sem_release(S);
    return note(rc);
}
static int st_queue(void *a) { void *i; (void)a; return note(calm_queue_get(Q, &i, calm_after(60000))); }
static int st_event(void *a) { (void)a; return note(calm_event_wait(E, calm_after(60000))); }
static int st_fd(void *a) { (void)a; return note(calm_wait_fd(fds[0], CALM_READABLE, calm_after(60000))); }
/* long enough that it is still running when shutdown cancels, however loaded the machine:
 * the cancellation then arrives once it has finished (calm_to_thread waits for started work) */
static int slow_work(void *a) { (void)a; usleep(500000); return 0; }
static int st_thread(void *a) { (void)a; return note(calm_to_thread(slow_work, NULL, calm_after(60000), NULL)); }
static int hang_proc(const void *in, size_t in_len, void **out, size_t *out_len)
{
    (void)in;
    (void)in_len;
    (void)out;
    (void)out_len;
    sleep(60);
    return 0;
}
static int st_proc(void *a)
{
    (void)a;
    return note(calm_to_process(hang_proc, "x", 1, NULL, NULL, calm_after(60000)));
}
static int st_group(void *a)
{
    calm_group *g = calm_group_new(L, 2);
    int rc;

    (void)a;
    if (g == NULL)
        return -ENOMEM;
    rc = calm_group_spawn(g, st_sleep, NULL, calm_after(60000));
    if (rc == 0)
        rc = calm_group_wait(g, calm_after(60000));
    calm_group_free(g);
    return note(rc);
}
static int st_yield(void *a)
{
    int rc;

    (void)a;
    while ((rc = calm_yield()) == 0)
        ;
    return note(rc);
}
static int st_await(void *a)
{
    (void)a;
    return note(calm_await(calm_spawn(L, st_sleep, NULL), calm_after(60000), NULL));
}
static int st_cleanup(void *a)
{
    int rc = calm_sleep(60000);

    (void)a;
    int cleanup;

    calm_shield_enter();
    cleanup = calm_sleep(20);             /* cleanup takes a while, and is allowed to */
    calm_shield_exit();
    return note(rc != 0 ? rc : cleanup);
}
static int st_done(void *a) { (void)a; return 0; }
static int st_never_started(void *a) { (void)a; return note(calm_sleep(1)); }

static void stop_cb(calm_loop *loop, void *arg)
{
    (void)arg;
    calm_loop_stop(loop);
}

void test_shutdown_tasks_in_every_state(void)
{
    calm_task_fn fns[] = {st_sleep, st_sem, st_queue, st_event, st_fd, st_thread, st_proc,
                          st_group, st_yield, st_await, st_cleanup};
    calm_task *done;
    size_t i;

    L = test_loop();
    S = calm_sem_new(L, 0);
    Q = calm_queue_new(L, 2);
    E = calm_event_new(L);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    ended = ended_cancelled = 0;
    for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        spawn_detached(L, fns[i], NULL);
    done = calm_spawn(L, st_done, NULL);  /* finished, handle not yet awaited */
    ASSERT_FATAL(calm_timer_start(L, 30, 0, stop_cb, NULL) != NULL);
    ASSERT_EQ(calm_loop_run(L), 0);       /* stopped with everything suspended */
    spawn_detached(L, st_never_started, NULL);
    ASSERT_EQ(calm_loop_shutdown(L, calm_after(5000)), 0);
    /* the eleven, the awaited child, the group's member, the late one */
    ASSERT_EQ(ended, 14);
    ASSERT_EQ(ended_cancelled, 14);
    calm_detach(done);
    calm_sem_free(S);
    calm_queue_free(Q);
    calm_event_free(E);
    ASSERT_EQ(calm_close(fds[0]), 0);
    ASSERT_EQ(calm_close(fds[1]), 0);
    ASSERT_EQ(test_errors, 0);
    close_loop_clean(L);
}

static int stubborn(void *a)
{
    int rc = calm_sleep(60000);

    (void)a;
    int cleanup;

    calm_shield_enter();
    cleanup = calm_sleep(60000);          /* a cleanup that does not end in time */
    calm_shield_exit();
    return rc != 0 ? rc : cleanup;
}

void test_shutdown_deadline_passes(void)
{
    calm_options opts;
    calm_time t0;

    memset(&opts, 0, sizeof(opts));
    L = test_loop_opts(&opts);
    spawn_detached(L, stubborn, NULL);
    ASSERT_FATAL(calm_timer_start(L, 5, 0, stop_cb, NULL) != NULL);
    ASSERT_EQ(calm_loop_run(L), 0);
    t0 = calm_now();
    ASSERT_EQ(calm_loop_shutdown(L, calm_after(50)), CALM_ETIMEDOUT);
    ASSERT_TRUE(calm_now() - t0 >= 49 && calm_now() - t0 < 2000);
    calm_loop_free(L);                    /* destroys the stubborn task: nothing leaks */
    ASSERT_EQ(calm__alloc_live(), 0);
}
