/* internal.h -- libcalm's private structures and the calls its modules share.
 * Everything here runs on the loop's thread unless a comment says otherwise. */
#ifndef CALM_INTERNAL_H
#define CALM_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "calm.h"
#include "ctx.h"

#if defined(__SANITIZE_ADDRESS__)
#define CALM__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CALM__ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CALM__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CALM__TSAN 1
#endif
#endif

/* ---- intrusive doubly linked list; a node linked to itself is "not in a list" */
typedef struct calm__list {
    struct calm__list *prev, *next;
} calm__list;

static inline void calm__list_init(calm__list *n) { n->prev = n->next = n; }
static inline int calm__list_empty(const calm__list *h) { return h->next == h; }
static inline void calm__list_push(calm__list *h, calm__list *n)
{
    n->prev = h->prev;
    n->next = h;
    h->prev->next = n;
    h->prev = n;
}
static inline void calm__list_remove(calm__list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}
#define calm__container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* ---- allocation: every allocation goes through here so tests can inject
 * failures and check that nothing is left live (alloc.c) */
void *calm__malloc(size_t size);
void *calm__calloc(size_t n, size_t size);
void *calm__realloc(void *p, size_t size);
void  calm__free(void *p);
int   calm__alloc_should_fail(void);      /* consumes one step of the failure counter */
void  calm__alloc_note(long delta);       /* count a non-malloc allocation (stack slabs) */
/* test hooks, exported */
void calm__alloc_fail_after(long n);      /* the n-th next allocation (0 = next) fails; -1 off */
long calm__alloc_live(void);              /* allocations not yet freed */
long calm__alloc_fail_pending(void);      /* >= 0: the injected failure has not happened yet */

/* ---- timer heap (timer.c) */
typedef struct calm__tnode {
    calm_time when;                       /* absolute expiry */
    uint64_t seq;                         /* FIFO order among equal expiries */
    size_t index;                         /* slot in the heap, SIZE_MAX when not armed */
    void (*fire)(calm_loop *loop, struct calm__tnode *node);
} calm__tnode;

#define CALM__UNARMED ((size_t)-1)
int  calm__heap_push(calm_loop *loop, calm__tnode *node);  /* 0 or -ENOMEM */
void calm__heap_remove(calm_loop *loop, calm__tnode *node);
void calm__run_timers(calm_loop *loop);
void calm__timers_free(calm_loop *loop);
void calm__timer_free_node(calm__tnode *node);

/* ---- readiness sources registered with epoll (loop.c, io.c, signal.c, pools) */
typedef struct calm__io {
    void (*on_event)(calm_loop *loop, struct calm__io *io, uint32_t events);
} calm__io;

typedef struct calm__fd calm__fd;

/* ---- stacks (stack.c) */
typedef struct calm__slab calm__slab;
typedef struct calm__stacks {
    size_t size;                          /* usable bytes per stack */
    uintptr_t *free;                      /* free stacks (low bit: canary), used as a LIFO */
    size_t free_count, free_cap;          /* free_cap >= mapped: every stack has a slot */
    size_t mapped;                        /* stacks in all slabs */
    calm__slab *slabs;                    /* every mapping, unmapped at loop free */
} calm__stacks;

/* lowest usable address, NULL with errno; *canary: no guard page, check the canary */
void *calm__stack_get(calm__stacks *s, int *canary);
void  calm__stack_put(calm__stacks *s, void *lo, int canary);
int   calm__stack_check(void *lo, int canary); /* 0, or -1 when the canary was overwritten */
void  calm__stacks_free(calm__stacks *s);

/* ---- tasks (task.c) */
/* Only WAITING and DONE are tested; the others say what a task was last seen
 * doing (a yield handed over at once leaves them as they were, see task.c). */
enum calm__task_state { CALM__NEW, CALM__READY, CALM__RUNNING, CALM__WAITING, CALM__DONE };

struct calm_task {
    calm__ctx ctx;                        /* saved registers while not running */
    calm_loop *loop;
    calm_task_fn fn;
    void *arg;
    const char *name;                     /* explicit name (calm_spawn_named), or NULL */
    const char *fn_text;                  /* fn as spelled at the spawn site, or NULL */
    const char *site_file;                /* where it was spawned (calm_spawn macros), or NULL */
    int site_line;
    int state;                            /* enum calm__task_state */
    int result;                           /* fn's status once DONE */
    unsigned cancelled : 1;               /* calm_cancel was called */
    unsigned cancel_seen : 1;             /* a suspension returned CALM_ECANCELED */
    unsigned owned : 1;                   /* awaited, grouped or detached */
    unsigned detached : 1;
    unsigned yield_checks;                /* CALM__YIELD_*: why calm_yield cannot hand over at once */
    int shield;                           /* calm_shield_enter depth */
    calm_scope *scope;                    /* innermost deadline scope */
    calm_scope *shield_base;              /* innermost scope when the outer shield began */
    /* waiting */
    int wake_status;                      /* what the current suspension returns */
    int timeout_status;                   /* status if the deadline node fires */
    calm__list wait_node;                 /* in a primitive's waiter list */
    calm__tnode deadline;                 /* armed while waiting with a deadline */
    void *wait_item;                      /* queue item handed over */
    int wait_events;                      /* calm_wait_fd events */
    calm_task *awaiter;                   /* task in calm_await on this one */
    calm_task *next_ready;                /* ready queue link */
    calm_group *group;                    /* owning group, if any */
    calm__list group_node;                /* in group->members */
    calm__list all_node;                  /* in loop->tasks */
    void *stack;                          /* lowest usable stack address */
    int stack_canary;                     /* stack has no guard page */
#ifdef CALM__ASAN
    void *asan_fake;                      /* ASan fake stack saved across switches */
#endif
#ifdef CALM__TSAN
    void *tsan_fiber;
#endif
};

/* One word that calm_yield tests, instead of one test for each: the task may
 * have a status to return, or must switch the general way. */
#define CALM__YIELD_CANCEL 1u             /* cancelled: calm__check tells */
#define CALM__YIELD_SCOPE 2u              /* in a deadline scope: calm__check tells */
#define CALM__YIELD_CANARY 4u             /* no guard page: its canary is checked at each switch */
#define CALM__YIELD_DEBUG 8u              /* debug mode: every step goes through the loop */

calm_task *calm__current(void);           /* running task or NULL */
typedef struct calm__site {
    const char *fn, *file;                /* NULL file: no site recorded */
    int line;
} calm__site;
/* Takes the site the spawn macros recorded on this thread (and clears it), so
 * that a call that suspends first does not pick up another task's site. */
void calm__site_take(calm__site *site);
calm_task *calm__spawn(calm_loop *loop, const char *name, calm_task_fn fn, void *arg,
                       const calm__site *site);
/* First half of every suspension call: CALM_ECANCELED, CALM_ETIMEDOUT (scope) or 0. */
int  calm__check(calm_task *t);
/* The same for calls that only make sense in a task: *t is the running task, and
 * CALM_ENOTASK comes first when there is none. */
int  calm__enter(calm_task **t);
/* Parks t until calm__wake or the deadline; returns the wake status. The caller
 * links t->wait_node first if it waits on a list. */
int  calm__suspend(calm_task *t, calm_time deadline, int on_deadline);
void calm__wake(calm_task *t, int status);
void calm__wake_all(calm__list *waiters, int status);
int  calm__deadline_passed(calm_loop *loop, calm_time deadline);
void calm__task_free(calm_task *t);
void calm__tasks_free(calm_loop *loop);

/* ---- groups (group.c) */
void calm__group_member_done(calm_group *g, calm_task *t); /* frees t */
void calm__group_member_drop(calm_group *g, calm_task *t); /* loop free: unlink only */

/* ---- fds (io.c) */
void calm__fds_free(calm_loop *loop);
void calm__fds_flush(calm_loop *loop);    /* frees fd states dropped during a poll batch */

/* ---- signals (signal.c) */
void calm__signals_free(calm_loop *loop);
void calm__signals_reset_child(void);      /* in a forked worker */

/* ---- thread pool (threadpool.c) */
typedef struct calm__threadpool calm__threadpool;
void calm__threadpool_complete(calm_loop *loop); /* loop side of the completion eventfd */
/* Before a sleeping poll: watches briefly for jobs in flight to complete;
 * returns 1 when some did (their tasks are ready, no poll is needed). */
int  calm__threadpool_watch(calm_loop *loop);
void calm__threadpool_free(calm_loop *loop);
/* test hook, exported: the loop's and the idle worker's watch budgets (us) */
void calm__threadpool_budgets(const calm_loop *loop, unsigned *loop_us, unsigned *worker_us);

/* ---- process pool (procpool.c) */
typedef struct calm__procpool calm__procpool;
void calm__procpool_free(calm_loop *loop);

/* ---- debug and error reports (debug.c) */
void calm__report(calm_loop *loop, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *calm__fn_name(const void *fn, char *buf, size_t len);
const char *calm__task_name(const calm_task *t, char *buf, size_t len);
/* "'name' spawned at file:line" (quotes included), or "'name'" without a site. */
const char *calm__task_desc(const calm_task *t, char *buf, size_t len);
void calm__debug_slow(calm_loop *loop, const char *what, const void *fn, const char *desc,
                      int64_t ms);
int64_t calm__clock_us(void);

/* A cheap test of "has the millisecond clock moved on" (time.c): after each
 * real read, the value the CPU's constant-rate counter (TSC, cntvct_el0) will
 * have when the next millisecond begins; until the counter gets there, the
 * millisecond read last is still the time. Only the loop's thread uses it. */
typedef struct calm__clock {
    calm_time ms;                         /* the millisecond of the last real read */
    uint64_t last;                        /* counter at the last real read */
    uint64_t span;                        /* counter ticks from last to the next ms; 0: read */
    unsigned gated;                       /* reads answered by the counter since a real one */
    uint64_t per_ms;                      /* counter ticks per ms; 0: not yet measured */
    uint64_t base;                        /* counter at the start of the rate's window */
    uint64_t base_width;                  /* ticks the clock read there took */
    int64_t base_ns;                      /* CLOCK_MONOTONIC then, in ns */
    int usable;                           /* the counter runs at a constant rate, even asleep */
} calm__clock;

void      calm__clock_init(calm__clock *c);
calm_time calm__clock_read(calm__clock *c);      /* a real read (calm_now), arming the gate */

static inline uint64_t calm__ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
    return v;
#else
    return 0;
#endif
}

/* Every so many answers from the counter, a real read all the same: a counter
 * that jumps (a migrated virtual machine) cannot hold the clock for long. */
#define CALM__CLOCK_GATED_MAX 64

/* 1 when the millisecond clock may have moved on since the last real read,
 * so that calm__clock_read must tell; 0 when it surely has not. */
static inline int calm__clock_moved(calm__clock *c)
{
    /* unsigned: a counter that went backwards reads as moved on */
    if (calm__ticks() - c->last < c->span && ++c->gated < CALM__CLOCK_GATED_MAX)
        return 0;
    return 1;
}

/* ---- the loop */
#define CALM__CLOCK_STEPS 32              /* task steps between clock checks while busy */

typedef struct calm__soon {
    calm_callback cb;
    void *arg;
} calm__soon;

typedef struct calm__sighandler calm__sighandler;

struct calm_loop {
    int epfd;                             /* epoll instance */
    int wakefd;                           /* eventfd: stop requests and thread-pool completions */
    calm__io wake_io;
    int timerfd;                          /* wakes a poll for a far deadline; -1 until needed */
    calm__io timer_io;
    calm_time timer_armed;                /* when the timerfd fires; CALM_FOREVER: not armed */
    atomic_int stop;                      /* calm_loop_stop was called */
    atomic_int wake_pending;              /* an eventfd write is outstanding */
    int running;                          /* inside calm_loop_run / shutdown */
    int in_poll;                          /* dispatching an epoll batch */
    int shutting_down;                    /* new tasks start cancelled */
    int64_t clock_left;                   /* task steps until the next clock check while busy */
    unsigned clock_iters;                 /* iterations since the last clock read */
    calm_time poll_time;                  /* time of the last I/O poll */
    calm_time now;                        /* cached at the top of every iteration */
    calm__clock clock;                    /* answers "has now moved on" without a clock read */
    uint64_t polls;                       /* epoll_wait calls so far (test hook) */
    unsigned probe_skip;                  /* sleeping polls left before the next probe */
    unsigned probe_backoff;               /* probe_skip after the last empty probe */
    /* timers */
    calm__tnode **heap;                   /* binary min-heap on (when, seq) */
    size_t heap_len, heap_cap;
    uint64_t timer_seq;
    struct calm_timer *timer_cache;       /* freed timers for reuse, linked through arg */
    size_t timer_cache_len;
    /* call_soon ring */
    calm__soon *soon;
    size_t soon_head, soon_len, soon_cap;
    /* tasks */
    calm_task *ready_head, *ready_tail;
    calm__list tasks;                     /* every task not yet freed */
    size_t live_tasks;                    /* spawned and not finished */
    calm_task *current;                   /* task running now */
    calm_task *prev;                      /* task whose step just ended (see task.c) */
    calm_task *batch_last;                /* last task of the open batch; NULL: none open */
    calm__ctx ctx;                        /* the loop's registers while a task runs */
    calm__stacks stacks;
    calm_task *task_cache;                /* freed task structs, linked by next_ready */
    size_t task_cache_len;
    /* what keeps calm_loop_run going besides tasks and queued work */
    size_t refs;                          /* user timers, watchers, fd waits, offloaded jobs */
    /* fds */
    calm__fd **fds;                       /* indexed by descriptor */
    int fds_len;
    calm__fd *fds_dead;                   /* dropped during a poll batch */
    /* signals */
    int sigpipe[2];                       /* self-pipe written by the signal handler */
    calm__io sig_io;
    calm__sighandler *sighandlers;
    /* offload */
    calm__threadpool *threads;
    calm__procpool *procs;
    /* options */
    int debug;
    int64_t slow_ms;
    unsigned nthreads, nprocs;
    calm_error_fn on_error;
    void *on_error_arg;
#ifdef CALM__ASAN
    const void *asan_stack_lo;            /* the loop thread's stack, learned at the first switch */
    size_t asan_stack_size;
#endif
#ifdef CALM__TSAN
    void *tsan_fiber;                     /* the loop thread's own fiber */
#endif
};

extern __thread calm_loop *calm__tls_loop;
void calm__loop_wake(calm_loop *loop);    /* any thread: makes epoll_wait return */
/* Reads the clock; 1 when timers or an I/O poll are due, so the loop must run
 * its phases before more task steps. */
int  calm__loop_turn_due(calm_loop *loop);
int  calm__epoll_add(calm_loop *loop, int fd, uint32_t events, calm__io *io);

#endif /* CALM_INTERNAL_H */
