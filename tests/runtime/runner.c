/* runner.c -- runs one runtime test (argv[1] = "suite.name") or all of them,
 * each under a watchdog so that a hang fails instead of stalling CI. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define TEST(suite, name, seconds) void test_##suite##_##name(void);
#include "list.h"
#undef TEST

static const struct {
    const char *suite, *name;
    void (*fn)(void);
    unsigned seconds;
} calm_tests[] = {
#define TEST(suite, name, seconds) {#suite, #name, test_##suite##_##name, seconds},
#include "list.h"
#undef TEST
};

static const char *current_test = "?";

static void on_watchdog(int sig)
{
    char msg[256];
    int n = snprintf(msg, sizeof(msg), "watchdog: test %s timed out\n", current_test);

    (void)sig;
    if (write(2, msg, (size_t)n) < 0) {
        /* nothing more to do: exiting is the report */
    }
    _exit(3);
}

static unsigned watchdog_scale(void)
{
    const char *s = getenv("CALM_WATCHDOG_SCALE");
    int v = s ? atoi(s) : 1;

    return v > 0 ? (unsigned)v : 1;
}

static int run_one(size_t i)
{
    char full[128];
    CU_pSuite suite;
    unsigned failures;

    snprintf(full, sizeof(full), "%s.%s", calm_tests[i].suite, calm_tests[i].name);
    current_test = full;
    calm__alloc_fail_after(-1);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    suite = CU_add_suite(calm_tests[i].suite, NULL, NULL);
    CU_add_test(suite, calm_tests[i].name, calm_tests[i].fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    signal(SIGALRM, on_watchdog);
    alarm(calm_tests[i].seconds * watchdog_scale());
    CU_basic_run_tests();
    alarm(0);
    failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    size_t i, n = sizeof(calm_tests) / sizeof(calm_tests[0]);
    int rc = 0, found = 0;

    setvbuf(stdout, NULL, _IONBF, 0);
    for (i = 0; i < n; i++) {
        char full[128];
        snprintf(full, sizeof(full), "%s.%s", calm_tests[i].suite, calm_tests[i].name);
        if (argc > 1 && strcmp(argv[1], full) != 0 && strcmp(argv[1], calm_tests[i].suite) != 0)
            continue;
        found = 1;
        if (run_one(i) != 0)
            rc = 1;
    }
    if (!found) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    return rc;
}
