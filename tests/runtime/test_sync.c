/* test_sync.c -- semaphore, bounded queue, event and task groups. */
#include <string.h>

#include "helpers.h"

static calm_loop *L;
static int order[64];
static int norder;

/* ---- semaphore */

static calm_sem *S;
static int sem_waiter(void *arg)
{
    int rc = calm_sem_acquire(S, calm_after(5000));

    if (rc != 0)
        return rc;
    order[norder++] = (int)(long)arg;
    rc = calm_sleep(1);
    calm_sem_release(S);                  /* on every path, the cancelled one too */
    return rc;
}

void test_sem_fifo_handoff(void)
{
    long i;
    int rc;

    L = test_loop();
    S = calm_sem_new(L, 1);
    norder = 0;
    for (i = 0; i < 5; i++)
        spawn_detached(L, sem_waiter, (void *)i);
    ASSERT_EQ(calm_loop_run(L), 0);
    ASSERT_EQ(norder, 5);
    for (i = 0; i < 5; i++)
        ASSERT_EQ(order[i], i);
    rc = calm_sem_acquire(S, calm_after(0)); /* the permit came back */
    ASSERT_EQ(rc, 0);
    if (rc == 0)
        calm_sem_release(S);
    calm_sem_free(S);
    close_loop_clean(L);
}

static int sem_free_waiter(void *arg)
{
    int rc = calm_sem_acquire(arg, calm_after(5000));

    ASSERT_EQ(rc, CALM_ECLOSED);
    if (rc == 0)
        calm_sem_release(arg);
    return rc == CALM_ECLOSED ? 0 : rc;
}

static void free_sem_cb(calm_loop *loop, void *arg)
{
    (void)loop;
    calm_sem_free(arg);
}

void test_sem_free_wakes_waiters(void)
{
    calm_sem *sem;

    L = test_loop();
    sem = calm_sem_new(L, 0);
    spawn_detached(L, sem_free_waiter, sem);
    ASSERT_FATAL(calm_timer_start(L, 5, 0, free_sem_cb, sem) != NULL);
    close_loop_clean(L);
}

/* ---- queue */

static calm_queue *Q;
static int max_len;
static int producer(void *arg)
{
    long i, n = (long)arg;
    int rc;

    for (i = 0; i < n; i++) {
        if ((rc = calm_queue_put(Q, (void *)(i + 1), calm_after(5000))) != 0)
            return rc;
        if ((int)calm_queue_len(Q) > max_len)
            max_len = (int)calm_queue_len(Q);
    }
    calm_queue_close(Q);
    return 0;
}

static long consumed[200];
static int nconsumed;
static int consumer(void *arg)
{
    void *item;
    int rc;

    (void)arg;
    for (;;) {
        rc = calm_queue_get(Q, &item, calm_after(5000));
        if (rc == CALM_ECLOSED)
            return 0;
        if (rc != 0)
            return rc;
        consumed[nconsumed++] = (long)item;
        if ((rc = calm_sleep(nconsumed % 7 == 0 ? 1 : 0)) != 0)
            return rc;
    }
}

void test_queue_bounded_fifo(void)
{
    int i;

    L = test_loop();
    Q = calm_queue_new(L, 4);
    max_len = 0;
    nconsumed = 0;
    spawn_detached(L, producer, (void *)100L);
    spawn_detached(L, consumer, NULL);
    ASSERT_EQ(calm_loop_run(L), 0);
    ASSERT_EQ(nconsumed, 100);
    for (i = 0; i < 100; i++)
        ASSERT_EQ(consumed[i], i + 1);
    ASSERT_TRUE(max_len <= 4);
    ASSERT_TRUE(calm_queue_new(L, 0) == NULL);
    calm_queue_free(Q);
    ASSERT_EQ(test_errors, 0);
    close_loop_clean(L);
}

static int closed_seen;
static int blocked_getter(void *arg)
{
    void *item;
    int rc = calm_queue_get(arg, &item, calm_after(5000));

    if (rc == CALM_ECLOSED)
        closed_seen++;
    return rc == CALM_ECLOSED ? 0 : rc;
}

static int blocked_putter(void *arg)
{
    int rc = calm_queue_put(arg, NULL, calm_after(5000));

    if (rc == CALM_ECLOSED)
        closed_seen++;
    return rc == CALM_ECLOSED ? 0 : rc;
}

static void close_queues(calm_loop *loop, void *arg)
{
    calm_queue **qs = arg;

    (void)loop;
    calm_queue_close(qs[0]);
    calm_queue_close(qs[1]);
}

static int drain_after_close(void *arg)
{
    void *item = NULL;

    ASSERT_EQ(calm_queue_get(arg, &item, calm_after(0)), 0); /* buffered items survive */
    ASSERT_TRUE(item == (void *)7);
    ASSERT_EQ(calm_queue_get(arg, &item, calm_after(0)), CALM_ECLOSED);
    ASSERT_EQ(calm_queue_put(arg, item, calm_after(0)), CALM_ECLOSED);
    return 0;
}

void test_queue_close_wakes_every_waiter(void)
{
    static calm_queue *qs[2];
    int i;

    L = test_loop();
    qs[0] = calm_queue_new(L, 1);         /* empty: getters wait */
    qs[1] = calm_queue_new(L, 1);         /* full: putters wait */
    ASSERT_EQ(calm_queue_put(qs[1], (void *)7, CALM_FOREVER), 0);
    closed_seen = 0;
    for (i = 0; i < 3; i++) {
        spawn_detached(L, blocked_getter, qs[0]);
        spawn_detached(L, blocked_putter, qs[1]);
    }
    ASSERT_FATAL(calm_timer_start(L, 10, 0, close_queues, qs) != NULL);
    ASSERT_EQ(calm_loop_run(L), 0);
    ASSERT_EQ(closed_seen, 6);
    spawn_detached(L, drain_after_close, qs[1]);
    ASSERT_EQ(calm_loop_run(L), 0);
    calm_queue_free(qs[0]);
    calm_queue_free(qs[1]);
    close_loop_clean(L);
}

/* ---- event */

static int woke;
static int event_waiter(void *arg)
{
    int rc = calm_event_wait(arg, calm_after(5000));

    if (rc == 0)
        woke++;
    return rc;
}

static void set_event(calm_loop *loop, void *arg)
{
    (void)loop;
    calm_event_set(arg);
}

void test_event_set_wakes_all(void)
{
    calm_event *ev;
    int i;

    L = test_loop();
    ev = calm_event_new(L);
    woke = 0;
    for (i = 0; i < 4; i++)
        spawn_detached(L, event_waiter, ev);
    ASSERT_FATAL(calm_timer_start(L, 5, 0, set_event, ev) != NULL);
    ASSERT_EQ(calm_loop_run(L), 0);
    ASSERT_EQ(woke, 4);
    ASSERT_TRUE(calm_event_is_set(ev));
    spawn_detached(L, event_waiter, ev);  /* stays set */
    ASSERT_EQ(calm_loop_run(L), 0);
    ASSERT_EQ(woke, 5);
    calm_event_clear(ev);
    ASSERT_TRUE(!calm_event_is_set(ev));
    calm_event_free(ev);
    close_loop_clean(L);
}

/* ---- groups */

static int running_now, running_max, member_cancelled;
static int member(void *arg)
{
    long ms = (long)arg;
    int rc;

    running_now++;
    if (running_now > running_max)
        running_max = running_now;
    rc = calm_sleep(ms);
    running_now--;
    if (rc == CALM_ECANCELED)
        member_cancelled++;
    return rc;
}

static int failing_member(void *arg)
{
    int rc = calm_sleep((long)arg);

    return rc != 0 ? rc : -EIO;
}

static int group_limit_main(void *arg)
{
    calm_group *g = calm_group_new(L, 3);
    int i, rc;

    (void)arg;
    for (i = 0; i < 10; i++) {
        rc = calm_group_spawn(g, member, (void *)5L, calm_after(5000));
        ASSERT_EQ(rc, 0);
    }
    ASSERT_EQ(calm_group_wait(g, calm_after(5000)), 0);
    calm_group_free(g);
    return 0;
}

void test_group_concurrency_limit(void)
{
    L = test_loop();
    running_now = running_max = 0;
    spawn_detached(L, group_limit_main, NULL);
    close_loop_clean(L);
    ASSERT_EQ(running_max, 3);
    ASSERT_TRUE(calm_group_new(NULL, 0) == NULL);
}

static int group_fail_main(void *arg)
{
    calm_group *g = calm_group_new(L, 10);
    calm_time t0 = calm_now();
    int i;

    (void)arg;
    for (i = 0; i < 5; i++)
        ASSERT_EQ(calm_group_spawn(g, member, (void *)60000L, calm_after(5000)), 0);
    ASSERT_EQ(calm_group_spawn(g, failing_member, (void *)10L, calm_after(5000)), 0);
    ASSERT_EQ(calm_group_wait(g, calm_after(5000)), -EIO);
    ASSERT_TRUE(calm_now() - t0 < 5000);
    /* a failed group takes no new members */
    ASSERT_EQ(calm_group_spawn(g, member, (void *)1L, calm_after(5000)), CALM_ECANCELED);
    calm_group_free(g);
    return 0;
}

void test_group_first_failure_cancels_rest(void)
{
    L = test_loop();
    member_cancelled = 0;
    spawn_detached(L, group_fail_main, NULL);
    close_loop_clean(L);
    ASSERT_EQ(member_cancelled, 5);
}

static int group_timeout_main(void *arg)
{
    calm_group *g = calm_group_new(L, 4);
    int i;

    (void)arg;
    for (i = 0; i < 4; i++)
        ASSERT_EQ(calm_group_spawn(g, member, (void *)60000L, calm_after(5000)), 0);
    ASSERT_EQ(calm_group_wait(g, calm_after(20)), CALM_ETIMEDOUT);
    calm_group_free(g);                   /* members still finishing: freed after them */
    return 0;
}

void test_group_wait_timeout_cancels_members(void)
{
    L = test_loop();
    member_cancelled = 0;
    spawn_detached(L, group_timeout_main, NULL);
    close_loop_clean(L);
    ASSERT_EQ(member_cancelled, 4);
}
