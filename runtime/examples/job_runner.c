/* job_runner: the classic polling job runner on libcalm and SQLite. A poller task claims
 * pending jobs atomically and runs each in a bounded task group under a deadline; every
 * SQLite call runs on the thread pool and the CPU-heavy part on the process pool. A job
 * that fails or hangs fails alone. SIGINT/SIGTERM stop it gracefully: a claimed job that
 * did not finish goes back to pending, so no job is ever lost. */
#define _GNU_SOURCE /* getopt_long, clock_gettime, pause under -std=c11 */
#include <calm.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    STORE_DEADLINE_MS = 10000, /* any store call; above SQLite's busy timeout */
    BUSY_TIMEOUT_MS = 5000,    /* how long SQLite waits for another writer's lock */
    SHUTDOWN_GRACE_MS = 5000,  /* how long running jobs get to put themselves back */
};

/* ---- options ------------------------------------------------------------------------ */

struct options {
    const char *db_path;  /* SQLite database file, created if missing */
    int64_t seed;         /* jobs to add before running (one fails, one hangs) */
    int64_t concurrency;  /* jobs running at once */
    int64_t timeout_ms;   /* deadline of each job */
    int64_t lease_ms;     /* how long a claim outlives a runner that died holding it */
    int64_t poll_ms;      /* pause between polls while no job is pending */
    int64_t work_rounds;  /* CPU work of each seeded job */
    int exit_when_done;   /* stop once nothing is pending here or running here */
};

static const char usage[] =
    "usage: job_runner [options]\n"
    "  --db PATH          database file (default jobs.db)\n"
    "  --seed N           add N jobs first; the 2nd fails and the 3rd hangs (default 0)\n"
    "  --concurrency N    jobs run at once (default 4)\n"
    "  --timeout MS       deadline of each job (default 5000)\n"
    "  --lease MS         a claim held by a runner that died is free again after this;\n"
    "                     keep it above --timeout (default 2 * (timeout + 10000))\n"
    "  --poll MS          pause between polls while nothing is pending (default 200)\n"
    "  --work ROUNDS      CPU work of each seeded job (default 20000000)\n"
    "  --exit-when-done   stop once no job is pending or running\n"
    "SIGINT or SIGTERM stops it; jobs that did not finish go back to pending.\n";

/* Parses a decimal integer in [min, max]; returns 0 or -1. */
static int parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

/* Returns 0, 1 when only help was asked for, or -1 after saying what is wrong. */
static int parse_options(int argc, char **argv, struct options *opts)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 's'},
        {"concurrency", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"lease", required_argument, NULL, 'l'},
        {"poll", required_argument, NULL, 'p'},
        {"work", required_argument, NULL, 'w'},
        {"exit-when-done", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *opts = (struct options){"jobs.db", 0, 4, 5000, 0, 200, 20000000, 0};
    int c, index = 0;
    while ((c = getopt_long(argc, argv, "", longopts, &index)) != -1) {
        int bad = 0;
        switch (c) {
        case 'd': opts->db_path = optarg; break;
        case 's': bad = parse_int(optarg, 0, 1000000, &opts->seed); break;
        case 'c': bad = parse_int(optarg, 1, 1024, &opts->concurrency); break;
        case 't': bad = parse_int(optarg, 1, INT32_MAX, &opts->timeout_ms); break;
        case 'l': bad = parse_int(optarg, 1, INT32_MAX, &opts->lease_ms); break;
        case 'p': bad = parse_int(optarg, 1, INT32_MAX, &opts->poll_ms); break;
        case 'w': bad = parse_int(optarg, 0, INT64_MAX, &opts->work_rounds); break;
        case 'x': opts->exit_when_done = 1; break;
        case 'h': fputs(usage, stdout); return 1;
        default: fputs(usage, stderr); return -1;
        }
        if (bad) {
            fprintf(stderr, "job_runner: bad value '%s' for --%s\n", optarg, longopts[index].name);
            return -1;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return -1;
    }
    if (opts->lease_ms == 0)
        opts->lease_ms = 2 * (opts->timeout_ms + STORE_DEADLINE_MS);
    return 0;
}

/* ---- the job store: SQLite, touched only on pool threads --------------------------------
 * A job is claimed by one UPDATE ... RETURNING: it becomes 'running' with a lease, and its
 * attempt number fences the claim, so a runner only ever settles the claim it holds. A
 * running job whose lease ran out (its runner was killed) is claimable again. */

static const char schema_sql[] =
    "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = NORMAL;"
    "CREATE TABLE IF NOT EXISTS jobs ("
    "  id          INTEGER PRIMARY KEY,"
    "  kind        TEXT    NOT NULL,"                       /* work, fail or hang */
    "  input       INTEGER NOT NULL,"                       /* rounds of CPU work */
    "  state       TEXT    NOT NULL DEFAULT 'pending'"
    "              CHECK (state IN ('pending', 'running', 'done', 'failed')),"
    "  attempts    INTEGER NOT NULL DEFAULT 0,"             /* claims so far */
    "  lease_until INTEGER,"                                /* unix ms, while running */
    "  result      TEXT,"
    "  error       TEXT);"
    "CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, id);";

static const char seed_sql[] = "INSERT INTO jobs (kind, input) VALUES (?1, ?2)";

static const char claim_sql[] =
    "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ?1 + ?2"
    " WHERE id = (SELECT id FROM jobs"
    "             WHERE state = 'pending' OR (state = 'running' AND lease_until < ?1)"
    "             ORDER BY id LIMIT 1)"
    " RETURNING id, attempts, kind, input";

static const char settle_sql[] =
    "UPDATE jobs SET state = ?3, result = ?4, error = ?5, lease_until = NULL"
    " WHERE id = ?1 AND attempts = ?2 AND state = 'running'";

struct store {
    pthread_mutex_t lock; /* one statement at a time on the connection */
    sqlite3 *db;          /* NULL before opening and after closing */
};

struct job {
    int64_t id;
    int64_t attempt;     /* this claim's attempt number: fences the claim */
    char kind[16];       /* "work", "fail" or "hang" */
    int64_t input;       /* rounds of CPU work */
};

/* Maps a failed SQLite call to a status, saying what failed on stderr. */
static int store_error(struct store *store, const char *what)
{
    int code = sqlite3_errcode(store->db);
    fprintf(stderr, "job_runner: %s: %s\n", what, sqlite3_errmsg(store->db));
    return code == SQLITE_BUSY || code == SQLITE_LOCKED ? -EBUSY : -EIO;
}

static int64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int store_open_locked(struct store *store, const char *path)
{
    int rc = sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(store->db, schema_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    int status = store->db ? store_error(store, "open") : -ENOMEM;
    sqlite3_close(store->db);
    store->db = NULL;
    return status;
}

static int store_close_locked(struct store *store)
{
    int rc = sqlite3_close(store->db);
    store->db = NULL;
    return rc == SQLITE_OK ? 0 : -EIO;
}

/* Adds count jobs in one transaction: the 2nd fails and the 3rd hangs. */
static int store_seed_locked(struct store *store, int64_t count, int64_t rounds)
{
    sqlite3_stmt *insert = NULL;
    int rc = sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(store->db, seed_sql, -1, &insert, NULL);
    for (int64_t i = 1; rc == SQLITE_OK && i <= count; i++) {
        const char *kind = i == 2 ? "fail" : i == 3 ? "hang" : "work";
        sqlite3_bind_text(insert, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_int64(insert, 2, rounds);
        rc = sqlite3_step(insert);
        rc = rc == SQLITE_DONE ? sqlite3_reset(insert) : rc;
    }
    sqlite3_finalize(insert);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    int status = store_error(store, "seed");
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

/* Claims the oldest claimable job into *job. Returns 1 if one was claimed, 0 if none. */
static int store_claim_locked(struct store *store, int64_t lease_ms, struct job *job)
{
    sqlite3_stmt *claim = NULL;
    int rc = sqlite3_prepare_v2(store->db, claim_sql, -1, &claim, NULL);
    if (rc != SQLITE_OK)
        return store_error(store, "claim");
    sqlite3_bind_int64(claim, 1, unix_ms());
    sqlite3_bind_int64(claim, 2, lease_ms);
    int found = 0;
    rc = sqlite3_step(claim);
    if (rc == SQLITE_ROW) {
        job->id = sqlite3_column_int64(claim, 0);
        job->attempt = sqlite3_column_int64(claim, 1);
        const unsigned char *kind = sqlite3_column_text(claim, 2);
        snprintf(job->kind, sizeof job->kind, "%s", kind ? (const char *)kind : "");
        job->input = sqlite3_column_int64(claim, 3);
        found = 1;
        rc = sqlite3_step(claim);
    }
    int status = rc == SQLITE_DONE ? found : store_error(store, "claim");
    sqlite3_finalize(claim);
    return status;
}

/* Moves a claimed job to state ("done", "failed" or back to "pending"). A claim that
 * is no longer ours (its lease ran out and another runner took the job) is -ESTALE. */
static int store_settle_locked(struct store *store, const struct job *job, const char *state,
                               const char *result, const char *error)
{
    sqlite3_stmt *settle = NULL;
    int rc = sqlite3_prepare_v2(store->db, settle_sql, -1, &settle, NULL);
    if (rc != SQLITE_OK)
        return store_error(store, "settle");
    sqlite3_bind_int64(settle, 1, job->id);
    sqlite3_bind_int64(settle, 2, job->attempt);
    sqlite3_bind_text(settle, 3, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(settle, 4, result, -1, SQLITE_STATIC);
    sqlite3_bind_text(settle, 5, error, -1, SQLITE_STATIC);
    rc = sqlite3_step(settle);
    int status = rc != SQLITE_DONE ? store_error(store, "settle")
                 : sqlite3_changes(store->db) == 0 ? -ESTALE : 0;
    sqlite3_finalize(settle);
    return status;
}

/* ---- store calls: the store on the thread pool -----------------------------------------
 * A task hands a store call to calm_to_thread, which returns only once the pool thread is
 * done with the call (a deadline or cancellation that comes meanwhile is delivered when
 * the call has finished), so the call is the task's own again on every status and is
 * freed at once. A claim that went through while the task was being cancelled still
 * comes back: the task owns that job and puts it back. */

enum store_verb { STORE_OPEN, STORE_SEED, STORE_CLAIM, STORE_SETTLE, STORE_CLOSE };

struct store_call {
    enum store_verb verb;
    struct store *store;
    int ran;                  /* the pool thread ran the call: status is its outcome */
    int status;               /* the call's outcome */
    const char *path;         /* OPEN */
    int64_t count, rounds;    /* SEED */
    int64_t lease_ms;         /* CLAIM */
    struct job job;           /* CLAIM: the job claimed; SETTLE: the job to settle */
    char state_to[8];         /* SETTLE: "done", "failed" or "pending" */
    char result[24];          /* SETTLE: the result column, empty for NULL */
    char error[64];           /* SETTLE: the error column, empty for NULL */
};

static int store_execute_locked(struct store_call *call)
{
    struct store *store = call->store;
    if (call->verb == STORE_OPEN)
        return store->db ? -EALREADY : store_open_locked(store, call->path);
    if (store->db == NULL)
        return -EPIPE;
    switch (call->verb) {
    case STORE_SEED: return store_seed_locked(store, call->count, call->rounds);
    case STORE_CLAIM: return store_claim_locked(store, call->lease_ms, &call->job);
    case STORE_SETTLE:
        return store_settle_locked(store, &call->job, call->state_to,
                                   call->result[0] ? call->result : NULL,
                                   call->error[0] ? call->error : NULL);
    case STORE_CLOSE: return store_close_locked(store);
    default: return -EINVAL;
    }
}

/* Worker function (thread pool): runs one store call. */
static int store_work(void *arg)
{
    struct store_call *call = arg;
    pthread_mutex_lock(&call->store->lock);
    call->status = store_execute_locked(call);
    call->ran = 1;
    pthread_mutex_unlock(&call->store->lock);
    return call->status;
}

static struct store_call *store_call_new(struct store *store, enum store_verb verb)
{
    struct store_call *call = calloc(1, sizeof *call);
    if (call) {
        call->verb = verb;
        call->store = store;
    }
    return call;
}

/* ---- the CPU-heavy part: runs in a process-pool worker ---------------------------------- */

struct work_order {
    char kind[16];   /* "work", "fail" or "hang" */
    int64_t id;      /* the job: seeds the digest */
    int64_t rounds;  /* mixing rounds */
};

static uint64_t mix_rounds(uint64_t seed, int64_t rounds)
{
    uint64_t x = seed;
    for (int64_t i = 0; i < rounds; i++) {
        uint64_t z = x += 0x9e3779b97f4a7c15u;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        x ^= z ^ (z >> 31);
    }
    return x;
}

/* Process worker: digests the job's input. A "fail" job fails (its input is rejected); a
 * "hang" job never returns (its deadline has the pool kill this worker and start a fresh
 * one). */
static int compute_digest(const void *in, size_t in_len, void **out, size_t *out_len)
{
    struct work_order order;
    if (in_len != sizeof order)
        return -EINVAL;
    memcpy(&order, in, sizeof order);
    if (strcmp(order.kind, "fail") == 0)
        return -EINVAL;
    if (strcmp(order.kind, "hang") == 0)
        for (;;)
            pause(); // NOLINT(missing-timeout): hangs on purpose; the caller's deadline ends it
    if (strcmp(order.kind, "work") != 0)
        return -ENOTSUP; /* a kind this runner does not know */
    uint64_t *digest = malloc(sizeof *digest);
    if (digest == NULL)
        return -ENOMEM;
    *digest = mix_rounds((uint64_t)order.id, order.rounds);
    *out = digest;
    *out_len = sizeof *digest;
    return 0;
}

/* ---- the runner: tasks on the loop ------------------------------------------------------ */

struct runner {
    struct options opts;
    calm_loop *loop;
    struct store store;           /* touched only by store calls, on pool threads */
    calm_group *jobs;             /* running jobs, at most opts.concurrency */
    calm_event *slot_freed;       /* set whenever a job ends */
    int64_t running;              /* jobs spawned into the group and not ended */
    int64_t done, failed, put_back; /* jobs settled so far, by outcome */
    int stopping;                 /* a stop signal arrived */
    int status;                   /* the runner task's outcome */
};

struct job_task {
    struct runner *runner;
    struct job job;               /* the claim this task holds */
};

/* Task side: runs call on the thread pool, waiting up to STORE_DEADLINE_MS, and frees
 * it. Returns the call's status (a claim returns 1 and the job in *claimed, 0 when none
 * is claimable): also when the deadline passed while the call ran, since it did run. A
 * cancellation is returned as such, except that a claim that went through meanwhile
 * still returns 1: the caller owns that job and must start it or put it back. */
static int store_run(struct store_call *call, struct job *claimed)
{
    int status = calm_to_thread(store_work, call, calm_after(STORE_DEADLINE_MS), NULL);
    if (call->ran && (status == 0 || status == CALM_ETIMEDOUT ||
                      (call->verb == STORE_CLAIM && call->status == 1)))
        status = call->status;
    if (status == 1 && claimed)
        *claimed = call->job;
    free(call); /* no pool thread holds it any more, whatever the status */
    return status;
}

/* Opens the store (shielded: setup runs to its end even if a stop signal comes) and
 * seeds it. Context: task. */
static int open_store(struct runner *r)
{
    struct store_call *call = store_call_new(&r->store, STORE_OPEN);
    if (call == NULL)
        return -ENOMEM;
    call->path = r->opts.db_path;
    calm_shield_enter();
    int status = store_run(call, NULL);
    calm_shield_exit();
    if (status < 0 || r->opts.seed == 0)
        return status;
    if ((call = store_call_new(&r->store, STORE_SEED)) == NULL)
        return -ENOMEM;
    call->count = r->opts.seed;
    call->rounds = r->opts.work_rounds;
    return store_run(call, NULL);
}

/* Closes the store, shielded: the last thing the runner does. Context: task. */
static int close_store(struct runner *r)
{
    struct store_call *call = store_call_new(&r->store, STORE_CLOSE);
    if (call == NULL)
        return -ENOMEM;
    calm_shield_enter();
    int status = store_run(call, NULL);
    calm_shield_exit();
    return status;
}

/* Claims the next job for task. Returns 1 when one was claimed, 0 when none is
 * claimable. Context: task. */
static int claim_job(struct runner *r, struct job_task *task)
{
    struct store_call *call = store_call_new(&r->store, STORE_CLAIM);
    if (call == NULL)
        return -ENOMEM;
    /* the lease only matters when a runner dies without putting its jobs back */
    call->lease_ms = r->opts.lease_ms;
    return store_run(call, &task->job);
}

/* Moves a claimed job to its final state, or back to pending. Shielded: a job settled
 * halfway would stay claimed until its lease runs out. Context: task. */
static int settle_job(struct runner *r, const struct job *job, const char *state,
                      const char *result, const char *error)
{
    struct store_call *call = store_call_new(&r->store, STORE_SETTLE);
    if (call == NULL)
        return -ENOMEM;
    call->job = *job;
    snprintf(call->state_to, sizeof call->state_to, "%s", state);
    snprintf(call->result, sizeof call->result, "%s", result ? result : "");
    snprintf(call->error, sizeof call->error, "%s", error ? error : "");
    calm_shield_enter();
    int status = store_run(call, NULL);
    calm_shield_exit();
    if (status == -ESTALE) {
        fprintf(stderr, "job_runner: job %" PRId64 ": claim lost to another runner\n", job->id);
        status = 0;
    }
    return status;
}

/* Puts a claimed job that did not run to its end back to pending. Context: task. */
static int put_back_job(struct runner *r, const struct job *job)
{
    int status = settle_job(r, job, "pending", NULL, NULL);
    if (status == 0) {
        r->put_back++;
        printf("job %" PRId64 " %s: put back\n", job->id, job->kind);
    }
    return status;
}

/* Records how a job ended: done with its digest, or failed with the reason. */
static int record_outcome(struct runner *r, const struct job *job, int outcome, uint64_t digest)
{
    char result[24];
    snprintf(result, sizeof result, "%016" PRIx64, digest);
    const char *error = outcome == 0 ? NULL : calm_strerror(outcome);
    int status = settle_job(r, job, outcome == 0 ? "done" : "failed",
                            outcome == 0 ? result : NULL, error);
    if (status == 0) {
        if (outcome == 0)
            r->done++;
        else
            r->failed++;
        printf("job %" PRId64 " %s: %s %s\n", job->id, job->kind, outcome == 0 ? "done" : "failed",
               outcome == 0 ? result : error);
    }
    return status;
}

/* Runs the job's CPU-heavy part in the process pool before deadline. */
static int compute_job(const struct job *job, calm_time deadline, uint64_t *digest)
{
    struct work_order order = {.id = job->id, .rounds = job->input};
    snprintf(order.kind, sizeof order.kind, "%s", job->kind);
    void *out = NULL;
    size_t out_len = 0;
    int status = calm_to_process(compute_digest, &order, sizeof order, &out, &out_len, deadline);
    if (status == 0 && out_len == sizeof *digest)
        memcpy(digest, out, sizeof *digest);
    else if (status == 0)
        status = -EPROTO;
    free(out);
    return status;
}

/* Task (group member): runs one claimed job under its deadline. The job's own failure,
 * a timeout included, is recorded and is not the group's failure; cancellation puts the
 * job back and is returned. */
static int run_job(void *arg)
{
    struct job_task *task = arg;
    struct runner *r = task->runner;
    uint64_t digest = 0;
    int status = compute_job(&task->job, calm_after(r->opts.timeout_ms), &digest);
    if (status == CALM_ECANCELED) {
        int put_back = put_back_job(r, &task->job);
        if (put_back < 0)
            fprintf(stderr, "job_runner: job %" PRId64 " stays claimed until its lease ends: %s\n",
                    task->job.id, calm_strerror(put_back));
    } else {
        status = record_outcome(r, &task->job, status, digest);
    }
    r->running--;
    calm_event_set(r->slot_freed);
    free(task);
    return status;
}

/* Waits until fewer than opts.concurrency jobs run, so that a job is claimed only when
 * it can start at once. Context: task. */
static int wait_for_slot(struct runner *r)
{
    while (r->running >= r->opts.concurrency) {
        calm_event_clear(r->slot_freed);
        int status = calm_event_wait(r->slot_freed, calm_after(r->opts.poll_ms));
        if (status < 0 && status != CALM_ETIMEDOUT)
            return status;
    }
    return 0;
}

/* Starts a claimed job in the group; a job that cannot start goes back to pending. */
static int start_job(struct runner *r, struct job_task *task)
{
    int status = calm_group_spawn_named(r->jobs, "run_job", run_job, task,
                                        calm_after(r->opts.poll_ms));
    if (status == 0) {
        r->running++;
        return 0;
    }
    int put_back = put_back_job(r, &task->job);
    free(task);
    return status == CALM_ETIMEDOUT ? put_back : status;
}

/* Claims one job and starts it. Returns 1 when a job was claimed, 0 when none is
 * claimable. Context: task. */
static int start_next_job(struct runner *r)
{
    struct job_task *task = calloc(1, sizeof *task);
    if (task == NULL)
        return -ENOMEM;
    task->runner = r;
    int status = claim_job(r, task);
    if (status == 1) {
        status = start_job(r, task); /* frees task if the job could not start */
        return status < 0 ? status : 1;
    }
    free(task);
    return status;
}

/* The poller: claims jobs while slots are free and starts each in the group. Returns 0
 * once nothing is left to do (with --exit-when-done), or the status that stopped it. */
static int poll_jobs(struct runner *r)
{
    for (;;) {
        int status = wait_for_slot(r);
        if (status == 0)
            status = start_next_job(r);
        if (status == 0 && r->opts.exit_when_done && r->running == 0)
            return 0;
        if (status == 0)
            status = calm_sleep(r->opts.poll_ms);
        if (status < 0)
            return status;
    }
}

/* Waits, shielded, until every running job has ended or put itself back. Returns the
 * first job failure, else the poller's status. Context: task. */
static int wait_for_jobs(struct runner *r, int poll_status)
{
    calm_shield_enter();
    int status = calm_group_wait(r->jobs, calm_after(r->opts.timeout_ms + SHUTDOWN_GRACE_MS));
    calm_shield_exit();
    if (status < 0 && status != CALM_ECANCELED)
        return status;
    return poll_status;
}

/* Task: the runner. Opens the store, polls and runs jobs until told to stop (or until
 * done), lets the running jobs finish or put themselves back, and closes the store. */
static int run_runner(void *arg)
{
    struct runner *r = arg;
    int status = open_store(r);
    if (status == 0) {
        r->jobs = calm_group_new(r->loop, (unsigned)r->opts.concurrency);
        status = r->jobs ? poll_jobs(r) : -ENOMEM;
    }
    if (r->jobs) {
        status = wait_for_jobs(r, status);
        calm_group_free(r->jobs);
        r->jobs = NULL;
    }
    int closed = close_store(r);
    if (status == 0)
        status = closed;
    const char *outcome = status == 0                             ? "finished"
                          : status == CALM_ECANCELED && r->stopping ? "stopped"
                                                                    : calm_strerror(status);
    printf("job_runner: %" PRId64 " done, %" PRId64 " failed, %" PRId64 " put back: %s\n",
           r->done, r->failed, r->put_back, outcome);
    r->status = status;
    return status;
}

/* ---- main ------------------------------------------------------------------------------- */

/* Signal callback (loop): a stop request. calm_loop_run returns and main shuts down. */
static void on_stop_signal(calm_loop *loop, void *arg)
{
    struct runner *r = arg;
    if (!r->stopping)
        printf("job_runner: stopping\n");
    r->stopping = 1;
    calm_loop_stop(loop);
}

static void on_loop_error(calm_loop *loop, int status, const char *message, void *arg)
{
    (void)loop;
    (void)status;
    (void)arg;
    fprintf(stderr, "job_runner: %s\n", message);
}

/* Registers the stop signals and starts the runner task. */
static int start_runner(struct runner *r)
{
    int status = calm_on_signal(r->loop, SIGINT, on_stop_signal, r);
    if (status == 0)
        status = calm_on_signal(r->loop, SIGTERM, on_stop_signal, r);
    if (status == 0 && (r->slot_freed = calm_event_new(r->loop)) == NULL)
        status = -ENOMEM;
    calm_task *task = status == 0 ? calm_spawn_named(r->loop, "run_runner", run_runner, r) : NULL;
    if (task == NULL)
        return status < 0 ? status : -ENOMEM;
    calm_detach(task); /* its outcome lands in r->status */
    return 0;
}

int main(int argc, char **argv)
{
    struct runner r = {.status = -EINPROGRESS};
    int parsed = parse_options(argc, argv, &r.opts);
    if (parsed != 0)
        return parsed < 0 ? 2 : 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_mutex_init(&r.store.lock, NULL);

    calm_options loop_opts = {.processes = (unsigned)r.opts.concurrency, .on_error = on_loop_error};
    r.loop = calm_loop_new(&loop_opts);
    if (r.loop == NULL) {
        perror("job_runner: calm_loop_new");
        return 1;
    }
    int status = start_runner(&r);
    if (status == 0)
        status = calm_loop_run(r.loop);
    int down = calm_loop_shutdown(r.loop, calm_after(SHUTDOWN_GRACE_MS + STORE_DEADLINE_MS));
    if (status == 0 && down < 0)
        status = down;
    if (r.slot_freed)
        calm_event_free(r.slot_freed);
    calm_loop_free(r.loop);
    pthread_mutex_destroy(&r.store.lock);

    if (status == 0)
        status = r.status == CALM_ECANCELED && r.stopping ? 0 : r.status;
    if (status < 0 && status != r.status)
        fprintf(stderr, "job_runner: %s\n", calm_strerror(status));
    return status == 0 ? 0 : 1;
}
