/* calm.h -- libcalm, a small async runtime for C: event loop, stackful tasks,
 * deadlines, cancellation, bounded primitives and thread/process offload.
 * Conventions C1-C8 of DESIGN.md are the rules this API is built around. */
#ifndef CALM_H
#define CALM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Contexts named in the contract comments:
 *   loop   -- on the loop's thread, in a loop callback or a task body
 *   task   -- in a task body only (the call may suspend the task)
 *   any    -- any thread
 *   outside -- on the loop's thread while calm_loop_run is not running */

/* ---- annotations read by calm-lint ----------------------------------- */
#define CALM_ASYNC       __attribute__((annotate("calm::async")))       /* runs in loop context */
#define CALM_BLOCKING    __attribute__((annotate("calm::blocking")))    /* blocks the caller */
#define CALM_NONBLOCKING __attribute__((annotate("calm::nonblocking"))) /* vouched not to block */

/* ---- time: milliseconds on the monotonic clock; deadlines are absolute - */
typedef int64_t calm_time;
#define CALM_FOREVER ((calm_time)-1) /* no deadline: an explicit choice */

/* Current monotonic time in ms. Context: any. */
calm_time calm_now(void);
/* calm_now() + ms, the usual way to write a deadline. Context: any. */
calm_time calm_after(int64_t ms);

/* ---- status: 0 or a negative errno value ------------------------------ */
#define CALM_ECANCELED (-ECANCELED)   /* the calling task was cancelled */
#define CALM_ETIMEDOUT (-ETIMEDOUT)   /* the deadline (call's or scope's) passed */
#define CALM_ECLOSED   (-EPIPE)       /* queue closed */
#define CALM_EWORKER   (-EOWNERDEAD)  /* process-pool worker died while running the job */
#define CALM_ENOTASK   (-EPERM)       /* a call that must suspend was made outside a task */
#define CALM_EDEADLK   (-EDEADLK)     /* tasks wait but nothing left can ever wake them */

/* A short lowercase message for a status (0 or negative errno), never NULL.
 * Context: any. */
const char *calm_strerror(int status);

/* ---- loop --------------------------------------------------------------- */
typedef struct calm_loop calm_loop;

/* Called for failures nobody else can see (detached tasks) and debug reports.
 * status is the failure (0 for a pure debug report); message is one line.
 * Runs in loop context like any callback: it must not block or suspend. */
typedef void (*calm_error_fn)(calm_loop *loop, int status, const char *message, void *arg);

typedef struct calm_options {
    int debug;              /* >0 on, <0 off, 0: on when env CALM_DEBUG=1 */
    int64_t slow_ms;        /* debug: warn when a callback/task step runs longer (default 100) */
    size_t stack_size;      /* task stack size in bytes (default 64 KiB) */
    unsigned threads;       /* calm_to_thread pool size (default 4) */
    unsigned processes;     /* calm_to_process pool size (default: online CPUs) */
    calm_error_fn on_error; /* default: one line on stderr */
    void *on_error_arg;     /* passed to on_error */
} calm_options;

/* New loop. opts NULL or zero-filled fields mean defaults.
 * Returns NULL with errno set (ENOMEM, EMFILE...) on failure. Context: any thread,
 * which then becomes the loop's thread. */
calm_loop *calm_loop_new(const calm_options *opts);
/* Runs the loop until calm_loop_stop or until nothing is left (no tasks, timers,
 * watchers, queued callbacks or offloaded work).
 * Returns 0; CALM_EDEADLK when tasks remain but nothing can wake them;
 * -EBUSY when the loop is already running. Context: outside. */
int calm_loop_run(calm_loop *loop);
/* Makes calm_loop_run return after the current iteration.
 * Context: any thread, and async-signal-safe. */
void calm_loop_stop(calm_loop *loop);
/* Cancels every task (tasks spawned meanwhile start cancelled) and runs the loop
 * until they have all finished or the deadline passes.
 * Returns 0 when every task finished, CALM_ETIMEDOUT otherwise, -EBUSY when
 * called from inside calm_loop_run. Context: outside. */
int calm_loop_shutdown(calm_loop *loop, calm_time deadline);
/* Frees the loop and everything it still owns: timers, watchers, pools (waits for
 * running offloaded work, kills worker processes). Tasks still alive are
 * destroyed without running (call calm_loop_shutdown first). In debug mode,
 * reports task handles never awaited, grouped or detached. Context: outside. */
void calm_loop_free(calm_loop *loop);
/* The loop running on this thread, else the first one created on it and not
 * yet freed, or NULL. Context: any. */
calm_loop *calm_loop_current(void);

/* ---- loop callbacks: loop context, must never block, cannot suspend ---- */
typedef void (*calm_callback)(calm_loop *loop, void *arg);

/* Runs cb(loop, arg) once, on the next iteration, in FIFO order.
 * Returns 0 or -ENOMEM. Context: loop or outside. */
int calm_call_soon(calm_loop *loop, calm_callback cb, void *arg);

typedef struct calm_timer calm_timer;
/* Calls cb after delay_ms, then every repeat_ms if repeat_ms > 0. Expired timers
 * run in deadline order. A one-shot timer frees itself after its callback
 * returns; a repeating one lives until calm_timer_stop.
 * Returns NULL with errno ENOMEM or EINVAL. Context: loop or outside. */
calm_timer *calm_timer_start(calm_loop *loop, int64_t delay_ms, int64_t repeat_ms,
                             calm_callback cb, void *arg);
/* Stops and frees a timer that has not yet fired (or a repeating one); allowed
 * inside its own callback. Context: loop or outside. */
void calm_timer_stop(calm_timer *timer);

#define CALM_READABLE 0x1 /* events/revents: data to read, or EOF */
#define CALM_WRITABLE 0x2 /* events/revents: room to write */
#define CALM_ERROR    0x4 /* revents only: error or hang-up on the fd */

typedef void (*calm_watch_fn)(calm_loop *loop, int fd, int revents, void *arg);
typedef struct calm_watch calm_watch;
/* Level-triggered: cb runs every iteration while fd is ready for events.
 * One watcher per fd; an fd cannot be watched and waited on (calm_wait_fd) at
 * the same time. Returns NULL with errno EEXIST, EBADF, EINVAL or ENOMEM.
 * Context: loop or outside. */
calm_watch *calm_watch_fd(calm_loop *loop, int fd, int events, calm_watch_fn cb, void *arg);
/* Stops and frees the watcher; allowed inside its own callback. Context: loop or outside. */
void calm_watch_stop(calm_watch *watch);

/* Calls cb in loop context each time signum arrives (delivered through a
 * self-pipe, so the callback is an ordinary loop callback). Signal callbacks do
 * not keep calm_loop_run alive by themselves. The previous disposition is
 * restored by calm_loop_free. Returns 0, -EINVAL, -ENOMEM, or -EBUSY when another
 * loop handles signum. Context: loop or outside. */
int calm_on_signal(calm_loop *loop, int signum, calm_callback cb, void *arg);

/* ---- tasks: bodies run in loop context and may suspend ------------------ */
typedef struct calm_task calm_task;
typedef int (*calm_task_fn)(void *arg); /* returns 0 or a negative status */

/* Starts fn(arg) as a task on its own stack (pooled, with a guard page); it
 * first runs once the caller suspends or returns, after the tasks already
 * ready. The handle must be awaited, added to a group or detached (C5). Debug
 * reports name the task by fn and its spawn site (file:line).
 * Returns NULL with errno ENOMEM. Context: loop or outside. */
calm_task *calm_spawn(calm_loop *loop, calm_task_fn fn, void *arg);
/* calm_spawn with a name used by debug reports (name must outlive the task). */
calm_task *calm_spawn_named(calm_loop *loop, const char *name, calm_task_fn fn, void *arg);
/* Records the spawn site that the next spawn on this thread keeps for debug
 * reports (fn's spelling, file and line: static functions are named without
 * symbols). The spawn macros below call it; nothing else needs to. Context: any. */
void calm__spawn_site(const char *fn, const char *file, int line);
/* The spawn calls are macros that record their call site first, then call the
 * function of the same name (a macro does not expand inside itself), so
 * `calm_spawn(loop, fn, arg)` is still a call to calm_spawn; `(calm_spawn)(...)`
 * or a function pointer skips the site. A helper that spawns for its callers
 * records its own site: give such tasks a name with calm_spawn_named. */
#define calm_spawn(loop, fn, arg) \
    calm_spawn((calm__spawn_site(#fn, __FILE__, __LINE__), (loop)), fn, arg)
#define calm_spawn_named(loop, name, fn, arg) \
    calm_spawn_named((calm__spawn_site(#fn, __FILE__, __LINE__), (loop)), name, fn, arg)
/* Waits for task to finish and stores its status in *result (may be NULL).
 * Always consumes the handle: on 0 the task is finished and freed; on
 * CALM_ETIMEDOUT or CALM_ECANCELED (the caller was cancelled) the awaited task
 * is cancelled and detached. Returns 0, CALM_ETIMEDOUT, CALM_ECANCELED, -EDEADLK
 * (awaiting itself; handle untouched) or CALM_ENOTASK (handle untouched).
 * Context: task. */
int calm_await(calm_task *task, calm_time deadline, int *result);
/* Gives up the handle: the task runs to its end; a failure other than
 * CALM_ECANCELED goes to the loop's error handler. Context: loop. */
void calm_detach(calm_task *task);
/* Requests cancellation: the task's current and every later suspension call
 * returns CALM_ECANCELED (except inside a shield). No effect on a finished task.
 * Does not consume the handle. Context: loop. */
void calm_cancel(calm_task *task);
/* The running task, or NULL in a loop callback. Context: loop. */
calm_task *calm_task_current(void);

/* ---- suspension points: 0 or a negative status, CALM_ECANCELED among them - */
/* Sleeps ms milliseconds (the sleep is its own deadline; a scope may cut it
 * short with CALM_ETIMEDOUT). Context: task. */
int calm_sleep(int64_t ms);
/* Lets every other ready task run once. While tasks keep the loop busy, queued
 * callbacks run between batches, timers are checked at least every 32 task
 * steps and I/O is polled every millisecond. Context: task. */
int calm_yield(void);
/* Waits until fd is ready for events (CALM_READABLE | CALM_WRITABLE); may return
 * 0 spuriously, so retry the I/O and wait again on EAGAIN. The fd stays
 * registered with the loop between waits: call calm_close (or calm_fd_forget)
 * before the descriptor is closed. Returns 0, CALM_ETIMEDOUT, CALM_ECANCELED,
 * -EEXIST (fd has a watcher), -EBADF, -ENOMEM. Context: task. */
int calm_wait_fd(int fd, int events, calm_time deadline);
/* Forgets the loop's registration of fd. Context: loop. */
void calm_fd_forget(int fd);
/* calm_fd_forget(fd) then close(fd). Returns close()'s 0 or -errno. Context: loop. */
int calm_close(int fd);

/* ---- deadline scopes ----------------------------------------------------- */
typedef struct calm_scope {
    calm_time deadline;        /* this scope's own deadline */
    calm_time effective;       /* min of this and the enclosing scopes' */
    struct calm_scope *outer;  /* enclosing scope of the same task */
    calm_task *task;           /* owner, NULL outside a task */
} calm_scope;
/* Every suspension call between enter and exit returns CALM_ETIMEDOUT once
 * deadline (or an enclosing scope's) passes. Scopes nest and must exit in
 * reverse order. Context: task (a no-op elsewhere). */
void calm_scope_enter(calm_scope *scope, calm_time deadline);
void calm_scope_exit(calm_scope *scope);

/* ---- shielded cleanup ---------------------------------------------------- */
/* Between enter and exit, suspension calls see neither the task's cancellation
 * nor the deadlines of scopes entered before the shield; their own deadlines
 * still apply, so cleanup stays bounded. Nests. Context: task. */
void calm_shield_enter(void);
void calm_shield_exit(void);

/* ---- semaphore ----------------------------------------------------------- */
typedef struct calm_sem calm_sem;
/* Returns NULL with errno ENOMEM. Context: loop or outside. */
calm_sem *calm_sem_new(calm_loop *loop, unsigned permits);
/* Takes a permit, waiting in FIFO order. Returns 0, CALM_ETIMEDOUT,
 * CALM_ECANCELED, CALM_ECLOSED (semaphore freed), or -EAGAIN outside a task when
 * no permit is free. Context: task (loop: try only). */
int calm_sem_acquire(calm_sem *sem, calm_time deadline);
/* Returns a permit, handing it to the first waiter if any (C8: on every path).
 * Context: loop. */
void calm_sem_release(calm_sem *sem);
/* Frees the semaphore; waiters get CALM_ECLOSED. Context: loop or outside. */
void calm_sem_free(calm_sem *sem);

/* ---- bounded queue ------------------------------------------------------- */
typedef struct calm_queue calm_queue;
/* capacity >= 1: always bounded. Returns NULL with errno EINVAL or ENOMEM.
 * Context: loop or outside. */
calm_queue *calm_queue_new(calm_loop *loop, size_t capacity);
/* Appends item, waiting while the queue is full. Returns 0, CALM_ECLOSED,
 * CALM_ETIMEDOUT, CALM_ECANCELED, or -EAGAIN outside a task when full.
 * Context: task (loop: try only). */
int calm_queue_put(calm_queue *q, void *item, calm_time deadline);
/* Removes the oldest item, waiting while empty. After close, remaining items
 * are still delivered, then CALM_ECLOSED. Returns 0, CALM_ECLOSED,
 * CALM_ETIMEDOUT, CALM_ECANCELED, or -EAGAIN outside a task when empty.
 * Context: task (loop: try only). */
int calm_queue_get(calm_queue *q, void **item, calm_time deadline);
/* Closes the queue and wakes every waiter: putters and getters with nothing
 * left get CALM_ECLOSED. Idempotent. Context: loop. */
void calm_queue_close(calm_queue *q);
/* Items still in the queue. Context: loop. */
size_t calm_queue_len(const calm_queue *q);
/* Frees the queue (closing it first); remaining items are not freed.
 * Context: loop or outside. */
void calm_queue_free(calm_queue *q);

/* ---- event --------------------------------------------------------------- */
typedef struct calm_event calm_event;
/* Returns NULL with errno ENOMEM. Context: loop or outside. */
calm_event *calm_event_new(calm_loop *loop);
/* Sets the event and wakes every waiter; it stays set until cleared. Context: loop. */
void calm_event_set(calm_event *ev);
void calm_event_clear(calm_event *ev);
int  calm_event_is_set(const calm_event *ev);
/* Waits until the event is set. Returns 0, CALM_ETIMEDOUT, CALM_ECANCELED,
 * CALM_ECLOSED (event freed), or -EAGAIN outside a task when not set.
 * Context: task (loop: try only). */
int calm_event_wait(calm_event *ev, calm_time deadline);
/* Frees the event; waiters get CALM_ECLOSED. Context: loop or outside. */
void calm_event_free(calm_event *ev);

/* ---- task groups (structured concurrency) --------------------------------- */
typedef struct calm_group calm_group;
/* A group whose members run at most `limit` at once (limit >= 1).
 * Returns NULL with errno EINVAL or ENOMEM. Context: loop or outside. */
calm_group *calm_group_new(calm_loop *loop, unsigned limit);
/* Spawns fn(arg) as a member, waiting while `limit` members run. Returns 0,
 * CALM_ETIMEDOUT, CALM_ECANCELED (the caller or the group was cancelled: stop
 * spawning), -ENOMEM, or -EAGAIN outside a task when full. Context: task (loop: try only). */
int calm_group_spawn(calm_group *g, calm_task_fn fn, void *arg, calm_time deadline);
/* Same with a name for debug reports. */
int calm_group_spawn_named(calm_group *g, const char *name, calm_task_fn fn, void *arg,
                           calm_time deadline);
#define calm_group_spawn(g, fn, arg, deadline) \
    calm_group_spawn((calm__spawn_site(#fn, __FILE__, __LINE__), (g)), fn, arg, deadline)
#define calm_group_spawn_named(g, name, fn, arg, deadline) \
    calm_group_spawn_named((calm__spawn_site(#fn, __FILE__, __LINE__), (g)), name, fn, arg, deadline)
/* Waits until every member has finished. The first member failure cancels the
 * others and is returned. On CALM_ETIMEDOUT or CALM_ECANCELED (the caller was
 * cancelled) the members are cancelled and left to finish on their own.
 * Context: task. */
int calm_group_wait(calm_group *g, calm_time deadline);
/* Cancels every member still running. Context: loop. */
void calm_group_cancel(calm_group *g);
/* Frees the group; members still running are cancelled and the memory goes
 * when the last one ends. Context: loop or outside. */
void calm_group_free(calm_group *g);

/* ---- offload: fn runs off the loop, may block, must not call loop APIs ---- */
typedef int (*calm_work_fn)(void *arg);
/* Runs fn(arg) on the loop's thread pool (started on first use, options.threads
 * threads) and stores its return in *result (may be NULL).
 * When the call returns, fn is not running and arg is the caller's again, on
 * every status. A deadline or cancellation that comes while fn runs is
 * delivered once fn has finished (as Trio's to_thread does): the call then
 * returns CALM_ETIMEDOUT / CALM_ECANCELED and *result still receives fn's
 * return. A job that had not started is dropped: fn never sees arg and *result
 * is left as it was. calm_loop_shutdown's cancellation waits for a running fn
 * the same way. To give up on a running fn, use calm_to_thread_detached.
 * Returns 0, CALM_ETIMEDOUT, CALM_ECANCELED, -ENOMEM, -EAGAIN (threads could not
 * start), CALM_ENOTASK. Context: task. */
int calm_to_thread(calm_work_fn fn, void *arg, calm_time deadline, int *result);

/* Completion of abandoned work, in loop context: status 0 when fn ran to its
 * end (result is its return), CALM_ECANCELED when fn never started (result 0).
 * It owns arg. */
typedef void (*calm_work_done_fn)(calm_loop *loop, int status, int result, void *arg,
                                  void *done_arg);
/* calm_to_thread that abandons fn on a deadline or cancellation: the call
 * returns at once with CALM_ETIMEDOUT / CALM_ECANCELED, and from then on arg
 * belongs to on_done(loop, status, result, arg, done_arg), which runs exactly
 * once, from the loop, after the call has returned (once fn ends, or soon when
 * fn never started), or at the latest in calm_loop_free. Abandoned work keeps
 * calm_loop_run going until its on_done has run. On 0 fn finished, *result is
 * set and on_done is never called. Any other status (-ENOMEM, -EAGAIN, -EINVAL
 * when on_done is NULL, CALM_ENOTASK) leaves arg with the caller and never calls
 * on_done. Context: task. */
int calm_to_thread_detached(calm_work_fn fn, void *arg, calm_time deadline, int *result,
                            calm_work_done_fn on_done, void *done_arg);

/* Runs in a pre-forked worker process: reads in[0..in_len), may set *out to a
 * malloc'd buffer of *out_len bytes; returns 0 or a negative status. */
typedef int (*calm_process_fn)(const void *in, size_t in_len, void **out, size_t *out_len);
/* Runs fn in a worker process of the loop's pool (options.processes workers,
 * forked on first use and kept; fn is a function of this program, and sees the
 * program's memory as it was at the fork). When the worker replied, fn's status
 * is returned and *out is a malloc'd copy of its output (free() it; NULL when
 * empty).
 * A worker that dies fails only its own job with CALM_EWORKER and is replaced.
 * On CALM_ETIMEDOUT / CALM_ECANCELED the call returns at once: a queued job is
 * dropped, and the worker running the job is killed (SIGKILL) and replaced, so
 * nothing of the job outlives the call. When the call returns, in is the
 * caller's again on every status (the worker had its own copy; nothing reads
 * in after the return), and *out is NULL unless fn's status came back. Returns
 * fn's status, CALM_EWORKER,
 * CALM_ETIMEDOUT, CALM_ECANCELED, -ENOMEM, -EAGAIN (no worker could start),
 * CALM_ENOTASK. Context: task. */
int calm_to_process(calm_process_fn fn, const void *in, size_t in_len,
                    void **out, size_t *out_len, calm_time deadline);

#ifdef __cplusplus
}
#endif
#endif /* CALM_H */
