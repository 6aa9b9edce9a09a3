/* helpers.h -- what every runtime test shares: assertions that print both
 * sides, the clean-shutdown check every test ends with, the test hooks. */
#ifndef CALM_TEST_HELPERS_H
#define CALM_TEST_HELPERS_H

#include <CUnit/Basic.h>
#include <stdio.h>

#include "calm.h"

/* test hooks exported by libcalm */
void calm__alloc_fail_after(long n);
long calm__alloc_live(void);
long calm__alloc_fail_pending(void);
uint64_t calm__loop_polls(const calm_loop *loop); /* epoll_wait calls so far */
/* the loop's clock through its gate; *gated: the CPU's counter answered, no clock read */
calm_time calm__loop_clock_now(calm_loop *loop, int *gated);
/* the thread pool's watch budgets in us: the loop's for completions, the idle worker's for jobs */
void calm__threadpool_budgets(const calm_loop *loop, unsigned *loop_us, unsigned *worker_us);

#define ASSERT_EQ(a, b)                                                                   \
    do {                                                                                  \
        long long a_ = (long long)(a), b_ = (long long)(b);                               \
        if (a_ != b_)                                                                     \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, \
                    #a, #b, a_, b_);                                                      \
        CU_ASSERT(a_ == b_);                                                              \
    } while (0)

#define ASSERT_TRUE(c)                                                                    \
    do {                                                                                  \
        if (!(c))                                                                         \
            fprintf(stderr, "%s:%d: %s is false\n", __FILE__, __LINE__, #c);              \
        CU_ASSERT(c);                                                                     \
    } while (0)

#define ASSERT_FATAL(c)                                                                   \
    do {                                                                                  \
        if (!(c)) {                                                                       \
            fprintf(stderr, "%s:%d: %s is false\n", __FILE__, __LINE__, #c);              \
            CU_FAIL_FATAL(#c);                                                            \
        }                                                                                 \
    } while (0)

/* A new loop whose errors are collected by the test (see test_errors). */
calm_loop *test_loop(void);
calm_loop *test_loop_opts(calm_options *opts);
/* Every test ends here: the loop runs dry, shuts down, is freed, and nothing
 * libcalm allocated is still live. */
void close_loop_clean(calm_loop *loop);

/* error-handler capture */
extern int test_errors;                   /* reports received */
extern int test_error_status;             /* status of the last one */
extern char test_error_message[512];      /* the last one */
extern char test_error_all[4096];         /* all of them, one per line */

/* spawn and forget in tests that check the outcome through shared state; a
 * macro, so that debug reports name the test's function and line */
#define spawn_detached(loop, fn, arg) detach_spawned(calm_spawn(loop, fn, arg))
void detach_spawned(calm_task *t);

#endif
