/* helpers.c -- the shared part of the runtime tests. */
#include <string.h>

#include "helpers.h"

int test_errors;
int test_error_status;
char test_error_message[512];
char test_error_all[4096];

static void collect_error(calm_loop *loop, int status, const char *message, void *arg)
{
    (void)loop;
    (void)arg;
    test_errors++;
    test_error_status = status;
    snprintf(test_error_message, sizeof(test_error_message), "%s", message);
    if (strlen(test_error_all) + strlen(message) + 2 < sizeof(test_error_all)) {
        strcat(test_error_all, message);
        strcat(test_error_all, "\n");
    }
}

calm_loop *test_loop_opts(calm_options *opts)
{
    calm_loop *loop;

    test_errors = 0;
    test_error_status = 0;
    test_error_message[0] = '\0';
    test_error_all[0] = '\0';
    if (opts->on_error == NULL)
        opts->on_error = collect_error;
    loop = calm_loop_new(opts);
    ASSERT_FATAL(loop != NULL);
    return loop;
}

calm_loop *test_loop(void)
{
    calm_options opts;

    /* debug follows CALM_DEBUG: CTest runs the task-level suites both ways,
     * since debug mode takes the loop round trip after every task step */
    memset(&opts, 0, sizeof(opts));
    return test_loop_opts(&opts);
}

void close_loop_clean(calm_loop *loop)
{
    ASSERT_EQ(calm_loop_run(loop), 0);
    ASSERT_EQ(calm_loop_shutdown(loop, calm_after(2000)), 0);
    calm_loop_free(loop);
    ASSERT_EQ(calm__alloc_live(), 0);
}

void detach_spawned(calm_task *t)
{
    ASSERT_FATAL(t != NULL);
    calm_detach(t);
}
