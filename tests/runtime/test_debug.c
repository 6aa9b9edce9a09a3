/* test_debug.c -- debug mode, the run-time twin of calm-lint: slow callbacks
 * and task steps named (static task functions too, with their spawn site),
 * handles never owned, swallowed cancellations. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "helpers.h"

static calm_loop *L;

static void busy_ms(int ms)
{
    calm_time end = calm_now() + ms;

    while (calm_now() < end)
        ;
}

/* not static: dladdr names exported symbols (the test links with -rdynamic) */
void calm_test_slow_callback(calm_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    busy_ms(40);
}

static int nothing(void *arg)
{
    (void)arg;
    return 0;
}

static int nothing_to_do(void *arg)
{
    (void)arg;
    return calm_sleep(5);
}

static calm_loop *debug_loop(int64_t slow_ms)
{
    calm_options opts;

    memset(&opts, 0, sizeof(opts));
    opts.debug = 1;
    opts.slow_ms = slow_ms;
    return test_loop_opts(&opts);
}

void test_debug_slow_callback_named(void)
{
    L = debug_loop(20);
    ASSERT_EQ(calm_call_soon(L, calm_test_slow_callback, NULL), 0);
    ASSERT_EQ(calm_loop_run(L), 0);
    /* at least: a loaded machine may stretch another step past 20 ms too */
    ASSERT_TRUE(test_errors >= 1);
    ASSERT_TRUE(strstr(test_error_all, "slow callback 'calm_test_slow_callback'") != NULL);
    close_loop_clean(L);
}

static int busy_task(void *arg)
{
    int rc;

    (void)arg;
    busy_ms(40);
    rc = calm_yield();
    return rc;
}

void test_debug_slow_task_step_named(void)
{
    calm_task *t;

    L = debug_loop(20);
    t = calm_spawn_named(L, "checksum-job", busy_task, NULL);
    calm_detach(t);
    ASSERT_EQ(calm_loop_run(L), 0);
    ASSERT_TRUE(test_errors >= 1);
    ASSERT_TRUE(strstr(test_error_all, "slow task step 'checksum-job'") != NULL);
    close_loop_clean(L);
}


/* A static function: dladdr cannot name it; the spawn macro's spelling can. */
static int static_busy_task(void *arg)
{
    return busy_task(arg);
}

void test_debug_slow_static_task_named_with_site(void)
{
    char want[256];
    calm_task *t;
    int line;

    L = debug_loop(20);
    line = __LINE__ + 1;
    t = calm_spawn(L, static_busy_task, NULL);
    ASSERT_FATAL(t != NULL);
    calm_detach(t);
    ASSERT_EQ(calm_loop_run(L), 0);
    snprintf(want, sizeof(want), "slow task step 'static_busy_task' spawned at %s:%d ran", __FILE__,
             line);
    ASSERT_TRUE(strstr(test_error_all, want) != NULL);
    if (strstr(test_error_all, want) == NULL)
        fprintf(stderr, "wanted: %s\ngot: %s", want, test_error_all);
    close_loop_clean(L);
}

static int group_member(void *arg)
{
    return busy_task(arg);
}

/* A group spawn that waits for a slot keeps its own site, not that of a
 * spawn made meanwhile. */
static int group_spawner(void *arg)
{
    calm_group *g = calm_group_new(calm_loop_current(), 1);
    char want[256];
    int line, rc;

    (void)arg;
    ASSERT_FATAL(g != NULL);
    ASSERT_EQ(calm_group_spawn(g, nothing_to_do, NULL, calm_after(1000)), 0);
    line = __LINE__ + 1;
    rc = calm_group_spawn(g, group_member, NULL, calm_after(1000)); /* waits for the slot */
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(calm_group_wait(g, calm_after(1000)), 0);
    calm_group_free(g);
    snprintf(want, sizeof(want), "slow task step 'group_member' spawned at %s:%d ran", __FILE__,
             line);
    ASSERT_TRUE(strstr(test_error_all, want) != NULL);
    if (strstr(test_error_all, want) == NULL)
        fprintf(stderr, "wanted: %s\ngot: %s", want, test_error_all);
    return rc;
}

static int other_spawner(void *arg)
{
    calm_task *t = calm_spawn(calm_loop_current(), nothing_to_do, arg);

    return calm_await(t, calm_after(1000), NULL);
}

void test_debug_group_member_named_with_site(void)
{
    L = debug_loop(20);
    spawn_detached(L, group_spawner, NULL);
    spawn_detached(L, other_spawner, NULL);
    ASSERT_EQ(calm_loop_run(L), 0);
    close_loop_clean(L);
}

void test_debug_unowned_handle_reported(void)
{
    char want[256];
    int line;

    L = debug_loop(60000);
    ASSERT_FATAL(calm_spawn_named(L, "forgotten", nothing, NULL) != NULL); // NOLINT(unawaited-task): the mistake under test
    line = __LINE__ + 1;
    ASSERT_FATAL(calm_spawn(L, nothing, NULL) != NULL); // NOLINT(unawaited-task): the mistake under test, unnamed and static
    ASSERT_EQ(calm_loop_run(L), 0);
    ASSERT_EQ(test_errors, 0);
    calm_loop_free(L);
    ASSERT_EQ(test_errors, 2);
    ASSERT_TRUE(strstr(test_error_all, "task 'forgotten' spawned at") != NULL);
    snprintf(want, sizeof(want), "task 'nothing' spawned at %s:%d was never awaited", __FILE__, line);
    ASSERT_TRUE(strstr(test_error_all, want) != NULL);
    if (strstr(test_error_all, want) == NULL)
        fprintf(stderr, "wanted: %s\ngot: %s", want, test_error_all);
    ASSERT_EQ(calm__alloc_live(), 0);
}

static int swallow(void *arg)
{
    int rc = calm_sleep(60000); // NOLINT(swallowed-cancel): the mistake debug mode must catch

    (void)arg;
    (void)rc;
    return 0;                             /* cancelled, yet reports success */
}

static int cancel_swallower(void *arg)
{
    calm_task *t = calm_spawn_named(L, "swallower", swallow, NULL);

    (void)arg;
    ASSERT_EQ(calm_sleep(2), 0);
    calm_cancel(t);
    ASSERT_EQ(calm_await(t, calm_after(1000), NULL), 0);
    return 0;
}

void test_debug_swallowed_cancel_reported(void)
{
    L = debug_loop(60000);
    spawn_detached(L, cancel_swallower, NULL);
    ASSERT_EQ(calm_loop_run(L), 0);
    ASSERT_EQ(test_errors, 1);
    ASSERT_TRUE(strstr(test_error_message, "swallower") != NULL);
    ASSERT_TRUE(strstr(test_error_message, "swallowed") != NULL);
    close_loop_clean(L);
}

void test_debug_off_reports_only_failures(void)
{
    calm_options opts;

    memset(&opts, 0, sizeof(opts));
    opts.debug = -1;
    opts.slow_ms = 1;
    L = test_loop_opts(&opts);
    ASSERT_EQ(calm_call_soon(L, calm_test_slow_callback, NULL), 0);
    ASSERT_FATAL(calm_spawn(L, nothing, NULL) != NULL); // NOLINT(unawaited-task): never owned, and not reported with debug off
    ASSERT_EQ(calm_loop_run(L), 0);
    calm_loop_free(L);
    ASSERT_EQ(test_errors, 0);
    ASSERT_EQ(calm__alloc_live(), 0);
}
