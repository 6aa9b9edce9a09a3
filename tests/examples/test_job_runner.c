/* test_job_runner: runs runtime/examples/job_runner end to end against a fresh SQLite
 * database and checks the database afterwards: a seeded batch is processed, a failing
 * and a hanging job fail alone, and after SIGTERM mid-run every job that had been
 * claimed and not finished is pending again, so that a second run finishes everything.
 * usage: test_job_runner PATH-TO-job_runner */
#define _GNU_SOURCE /* mkdtemp under -std=c11 */
#include "proc.h"

#include <CUnit/Basic.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *runner_path;
static char dir[64];

/* Like CU_ASSERT_EQUAL, and prints both sides when they differ. */
#define EXPECT_EQ(actual, expected)                                                              \
    do {                                                                                         \
        long long actual_ = (actual), expected_ = (expected);                                    \
        if (actual_ != expected_)                                                                \
            fprintf(stderr, "\n%s:%d: %s is %lld, expected %s = %lld\n", __FILE__, __LINE__,     \
                    #actual, actual_, #expected, expected_);                                     \
        CU_ASSERT_EQUAL(actual_, expected_);                                                     \
    } while (0)

/* Per-job CPU work: small enough that a job ends far inside its deadline even in a
 * sanitizer -O0 build on a loaded machine; the hanging job is what tests the deadline. */
#define WORK "5000000"

/* Job deadlines and leases, as option text, scaled like every other timeout here. */
static char timeout_arg[24], lease_arg[24];
static int64_t timeout_ms, lease_ms;

static void set_job_timeout(int64_t ms)
{
    timeout_ms = proc_scaled_ms(ms);
    lease_ms = timeout_ms + proc_scaled_ms(1000); /* just above the deadline */
    snprintf(timeout_arg, sizeof timeout_arg, "%lld", (long long)timeout_ms);
    snprintf(lease_arg, sizeof lease_arg, "%lld", (long long)lease_ms);
}

static void db_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

/* Runs one SQL query that yields one integer; -1 on any error, which is printed unless
 * quiet. */
static long long query(const char *db_file, const char *sql, int quiet)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    long long value = -1;
    if (sqlite3_open_v2(db_file, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        value = sqlite3_column_int64(stmt, 0);
    else if (!quiet)
        fprintf(stderr, "\nquery '%s' on %s: %s\n", sql, db_file, db ? sqlite3_errmsg(db) : "no db");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

static long long query_int(const char *db_file, const char *sql)
{
    return query(db_file, sql, 0);
}

static long long count_state(const char *db_file, const char *state)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE state = '%s'", state);
    return query_int(db_file, sql);
}

/* Runs job_runner with the given options to its end; returns its exit status. */
static int run_to_end(const char *db_file, const char *seed, int64_t limit_ms)
{
    char *argv[] = {(char *)runner_path, "--db", (char *)db_file, "--seed", (char *)seed,
                    "--concurrency", "3", "--timeout", timeout_arg, "--lease", lease_arg,
                    "--poll", "20", "--work", WORK, "--exit-when-done", NULL};
    pid_t pid = proc_start(argv, NULL);
    CU_ASSERT_FATAL(pid > 0);
    return proc_wait(pid, proc_scaled_ms(limit_ms));
}

/* A seeded batch: every job ends done, except the failing and the hanging one, which
 * fail alone (the hanging one by its deadline) and stop nothing else. */
static void test_batch_survives_failing_and_hanging_jobs(void)
{
    char db[96];
    db_path(db, sizeof db, "batch.db");
    set_job_timeout(1000);
    int64_t start = proc_now_ms();
    EXPECT_EQ(run_to_end(db, "12", 60000), 0);
    int64_t elapsed = proc_now_ms() - start;

    EXPECT_EQ(query_int(db, "SELECT count(*) FROM jobs"), 12);
    EXPECT_EQ(count_state(db, "done"), 10);
    EXPECT_EQ(count_state(db, "failed"), 2);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM jobs WHERE state = 'done' AND result IS NOT NULL"), 10);
    EXPECT_EQ(query_int(db, "SELECT id FROM jobs WHERE kind = 'fail' AND state = 'failed' AND error IS NOT NULL"), 2);
    EXPECT_EQ(query_int(db, "SELECT id FROM jobs WHERE kind = 'hang' AND state = 'failed' AND error IS NOT NULL"), 3);
    EXPECT_EQ(query_int(db, "SELECT sum(attempts) FROM jobs"), 12);
    /* the hanging job held one slot for its 1 s deadline while the others went on */
    CU_ASSERT(elapsed < proc_scaled_ms(30000));
}

/* Sleeps until at least n jobs are done, or timeout_ms passes. The runner may not have
 * created the database yet: errors only mean "not yet". */
static long long wait_for_done(const char *db, long long n, int64_t timeout_ms)
{
    int64_t deadline = proc_now_ms() + timeout_ms;
    long long done = 0;
    while ((done = query(db, "SELECT count(*) FROM jobs WHERE state = 'done'", 1)) < n &&
           proc_now_ms() < deadline)
        proc_sleep_ms(20);
    return done;
}

/* SIGTERM in the middle of a run: the runner exits 0, no job is left claimed, every job
 * is still there, and a second run finishes them all: nothing was lost. */
static void test_sigterm_puts_unfinished_jobs_back(void)
{
    char db[96];
    db_path(db, sizeof db, "sigterm.db");
    set_job_timeout(3000);
    char *argv[] = {(char *)runner_path, "--db", db, "--seed", "40", "--concurrency", "4",
                    "--timeout", timeout_arg, "--poll", "20", "--work", WORK, NULL};
    pid_t pid = proc_start(argv, NULL);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT(wait_for_done(db, 4, proc_scaled_ms(60000)) >= 4);
    CU_ASSERT(count_state(db, "running") > 0);
    EXPECT_EQ(kill(pid, SIGTERM), 0);
    EXPECT_EQ(proc_wait(pid, proc_scaled_ms(20000)), 0);

    EXPECT_EQ(query_int(db, "SELECT count(*) FROM jobs"), 40);
    EXPECT_EQ(count_state(db, "running"), 0);
    CU_ASSERT(count_state(db, "pending") > 0);
    EXPECT_EQ(count_state(db, "done") + count_state(db, "failed") + count_state(db, "pending"), 40);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM jobs WHERE lease_until IS NOT NULL"), 0);

    /* a second runner picks up exactly what the first one put back */
    EXPECT_EQ(run_to_end(db, "0", 120000), 0);
    EXPECT_EQ(count_state(db, "done"), 38);
    EXPECT_EQ(count_state(db, "failed"), 2);
    EXPECT_EQ(count_state(db, "pending") + count_state(db, "running"), 0);
}

/* SIGKILL in the middle of a run leaves claimed jobs 'running': once their lease has run
 * out, the next runner claims them again (a second attempt) and finishes everything. */
static void test_killed_runner_jobs_come_back_after_lease(void)
{
    char db[96];
    db_path(db, sizeof db, "sigkill.db");
    set_job_timeout(2000);
    char *argv[] = {(char *)runner_path, "--db", db, "--seed", "40", "--concurrency", "4",
                    "--timeout", timeout_arg, "--lease", lease_arg, "--poll", "20", "--work", WORK,
                    NULL};
    pid_t pid = proc_start(argv, NULL);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT(wait_for_done(db, 4, proc_scaled_ms(60000)) >= 4);
    EXPECT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_EQ(proc_wait(pid, proc_scaled_ms(10000)), 128 + SIGKILL);
    long long orphaned = count_state(db, "running");
    CU_ASSERT(orphaned > 0);

    proc_sleep_ms(lease_ms + 100); /* the orphaned claims' leases run out */
    EXPECT_EQ(run_to_end(db, "0", 120000), 0);
    EXPECT_EQ(count_state(db, "done"), 38);
    EXPECT_EQ(count_state(db, "failed"), 2);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM jobs WHERE attempts = 2"), orphaned);
}

/* SIGINT before any job ran: a clean stop all the same. */
static void test_sigint_at_start_stops_cleanly(void)
{
    char db[96];
    db_path(db, sizeof db, "sigint.db");
    set_job_timeout(3000);
    char *argv[] = {(char *)runner_path, "--db", db, "--seed", "5", "--concurrency", "2",
                    "--timeout", timeout_arg, "--work", WORK, NULL};
    pid_t pid = proc_start(argv, NULL);
    CU_ASSERT_FATAL(pid > 0);
    proc_sleep_ms(100);
    EXPECT_EQ(kill(pid, SIGINT), 0);
    EXPECT_EQ(proc_wait(pid, proc_scaled_ms(20000)), 0);
    EXPECT_EQ(count_state(db, "running"), 0);
}

static void remove_dir(void)
{
    static const char *const files[] = {"batch.db", "sigterm.db", "sigkill.db", "sigint.db"};
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char path[128];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        for (size_t j = 0; j < sizeof suffixes / sizeof *suffixes; j++) {
            snprintf(path, sizeof path, "%s/%s%s", dir, files[i], suffixes[j]);
            unlink(path);
        }
    rmdir(dir);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_job_runner PATH-TO-job_runner\n");
        return 2;
    }
    runner_path = argv[1];
    alarm((unsigned)(proc_scaled_ms(300000) / 1000)); /* watchdog: a hang fails the test */
    snprintf(dir, sizeof dir, "/tmp/calm-job-runner-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite suite = CU_add_suite("job_runner", NULL, NULL);
    CU_add_test(suite, "batch survives a failing and a hanging job",
                test_batch_survives_failing_and_hanging_jobs);
    CU_add_test(suite, "SIGTERM mid-run puts unfinished jobs back",
                test_sigterm_puts_unfinished_jobs_back);
    CU_add_test(suite, "a killed runner's jobs come back after their lease",
                test_killed_runner_jobs_come_back_after_lease);
    CU_add_test(suite, "SIGINT at start stops cleanly", test_sigint_at_start_stops_cleanly);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    remove_dir();
    return failures == 0 ? 0 : 1;
}
