/* The parallel parse, contained. Each job slot is a worker process that parses on a
 * thread with a large stack and sends each summary back in its binary form; a unit
 * that crashes its worker, overflows the stack or runs past the time limit is that
 * unit's error, the slot gets a new worker and the run goes on. Results land
 * in the job's own slot, so the order of completion never shows in the output. */
#define _GNU_SOURCE /* pthread_getattr_np, sigaltstack */
#include "schedule.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../frontend/frontend.h"
#include "../ir/summary_bin.h"
#include "cache.h"

/* Address space only: pages are touched as deep recursion needs them. libclang's own
 * parse thread has 8 MiB, so it is told to parse on this one (LIBCLANG_NOTHREADS). */
#define PARSE_STACK_SIZE ((size_t)512 << 20)
#define PARSE_STACK_GUARD ((size_t)1 << 20)
#define ALT_STACK_SIZE ((size_t)64 << 10)
#define EXIT_STACK_OVERFLOW 86 /* a worker's status when the parse ran off its stack */

static unsigned timeout_seconds = SCHEDULE_TIMEOUT_DEFAULT;

void schedule_set_timeout(unsigned seconds) { timeout_seconds = seconds; }

static bool share_pch;

void schedule_set_pch(bool on) { share_pch = on; }

typedef struct {
  const compile_job *jobs;
  size_t n;
  const unsaved_buffer *unsaved;
} work;

/* libclang reads the file itself: a FIFO would block the parse forever and
 * /dev/zero would grow it without bound, so only a regular file within the size limit
 * is handed over; anything else is this unit's error, and the rest is still analysed. */
static ir_summary *unreadable_unit(const compile_job *job) {
  char *why = file_check(job->file, FILE_LIMIT_DEFAULT);
  if (!why) return NULL;
  ir_summary *sum = ir_summary_new(job->file);
  ir_loc loc = {job->file, 0, 0, 0, 0};
  char *msg = xasprintf("cannot read source file: %s", why);
  sum->failed = true;
  ir_summary_add_error(sum, loc, msg);
  free(msg);
  free(why);
  return sum;
}

static ir_summary *parse_one(const work *w, CXIndex index, size_t i) {
  const compile_job *job = &w->jobs[i];
  const unsaved_buffer *u = w->unsaved;
  bool use = u && u->file && strcmp(u->file, job->file) == 0;
  ir_summary *bad = use ? NULL : unreadable_unit(job);
  return bad ? bad : frontend_parse(index, job, use ? u->text : NULL, use ? u->len : 0);
}

static ir_summary *unit_error(const compile_job *job, const char *why) {
  ir_summary *sum = ir_summary_new(job->file);
  ir_loc loc = {job->file, 0, 0, 0, 0};
  sum->failed = true;
  ir_summary_add_error(sum, loc, why);
  return sum;
}

static bool write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t k = send(fd, p, len, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    len -= (size_t)k;
  }
  return true;
}

static bool read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len) {
    ssize_t k = read(fd, p, len);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    len -= (size_t)k;
  }
  return true;
}

/* ---- the worker process ---- */

static uintptr_t stack_lo;                /* lowest usable address of the parse thread's stack */
static struct sigaction fault_previous[2]; /* SIGSEGV, SIGBUS: libclang's crash recovery */

/* A fault in the guard below the stack is an overflow: the worker says so in its exit
 * status. Any other fault goes to the handler that was there (libclang recovers its
 * own crashes) by returning to the faulting instruction with that handler back. */
static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  uintptr_t a = (uintptr_t)si->si_addr;
  if (a + PARSE_STACK_GUARD + 4096 >= stack_lo && a < stack_lo + 4096) _exit(EXIT_STACK_OVERFLOW);
  sigaction(sig, &fault_previous[sig == SIGBUS], NULL);
}

/* Installed before every parse: libclang may install its handlers again. */
static void catch_overflow(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &fault_previous[0]);
  sigaction(SIGBUS, &sa, &fault_previous[1]);
}

typedef struct {
  const work *w;
  int fd;
} worker_arg;

/* Answers job indices read from fd with their summaries (a 64-bit length, then the
 * summary's binary form, includes too) until the parent closes the socket. */
static void *parse_thread(void *arg) {
  worker_arg *wa = arg;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void *addr;
    size_t size;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) stack_lo = (uintptr_t)addr;
    pthread_attr_destroy(&attr);
  }
  stack_t alt = {.ss_sp = xmalloc(ALT_STACK_SIZE), .ss_size = ALT_STACK_SIZE, .ss_flags = 0}, before;
  sigaltstack(&alt, &before);
  CXIndex index = clang_createIndex(0, 0);
  uint64_t i;
  while (read_all(wa->fd, &i, sizeof i) && i < wa->w->n) {
    catch_overflow();
    ir_summary *sum = parse_one(wa->w, index, (size_t)i);
    size_t n;
    void *bin = ir_summary_to_bin(sum, cache_build_id(), true, &n);
    ir_summary_free(sum);
    uint64_t len = n;
    bool ok = write_all(wa->fd, &len, sizeof len) && write_all(wa->fd, bin, n);
    free(bin);
    if (!ok) break;
  }
  clang_disposeIndex(index);
  sigaltstack(&before, NULL); /* a sanitizer's runtime unmaps the stack it finds there at thread exit */
  free(alt.ss_sp);
  return NULL;
}

static _Noreturn void worker_main(const work *w, int fd) {
  setenv("LIBCLANG_NOTHREADS", "1", 1);
  /* no fast bins: freeing a unit's AST then costs no consolidation passes
   * (about a tenth of a worker's time in malloc_consolidate on h2o without this) */
  mallopt(M_MXFAST, 0);
  worker_arg wa = {w, fd};
  pthread_attr_t attr;
  pthread_t tid;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, PARSE_STACK_SIZE);
  pthread_attr_setguardsize(&attr, PARSE_STACK_GUARD);
  int rc = pthread_create(&tid, &attr, parse_thread, &wa);
  pthread_attr_destroy(&attr);
  if (rc != 0) rc = pthread_create(&tid, NULL, parse_thread, &wa); /* no address space for it */
  if (rc == 0) pthread_join(tid, NULL);
  else parse_thread(&wa);
  _exit(0); /* the parent's atexit handlers and stdio buffers are not ours */
}

/* ---- the parent: one slot per job, multiplexed with poll ---- */

typedef struct {
  pid_t pid;        /* 0: no worker */
  int fd;           /* the parent's end of the worker's socket */
  bool busy;        /* a job is out */
  size_t job;       /* which */
  int64_t deadline; /* when it is killed, ms on the monotonic clock; 0: never */
  char *buf;        /* the reply read so far */
  size_t len, cap;
} slot;

typedef struct {
  const work *w;
  slot *slots;
  int nslots;
  ir_summary **summaries;
  size_t done;
  bool progress;
  char *cwd; /* progress names files relative to it (taken before any parse) */
  int progress_fd; /* CALM_LINT_PROGRESS_FD: "done total" lines for calm-lint --lsp, or -1 */
} sched;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report_progress(sched *s, const char *file) {
  size_t done = ++s->done;
  if (s->progress_fd >= 0) dprintf(s->progress_fd, "%zu %zu\n", done, s->w->n);
  if (!s->progress) return;
  /* the path, not the base name: many projects have a util.c in every directory */
  size_t n = s->cwd ? strlen(s->cwd) : 0;
  const char *shown = n > 1 && strncmp(file, s->cwd, n) == 0 && file[n] == '/' ? file + n + 1 : file;
  fprintf(stderr, "\r\033[K[%zu/%zu] %s", done, s->w->n, shown);
  if (done == s->w->n) fputs("\r\033[K", stderr);
  fflush(stderr);
}

static bool spawn(sched *s, slot *sl) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
  fflush(NULL); /* nothing buffered is written twice */
  pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    return false;
  }
  if (pid == 0) {
    for (int k = 0; k < s->nslots; k++)
      if (s->slots[k].pid) close(s->slots[k].fd);
    close(sv[0]);
    worker_main(s->w, sv[1]);
  }
  close(sv[1]);
  sl->pid = pid;
  sl->fd = sv[0];
  return true;
}

/* Ends the slot's worker (killed first if `kill_it`); returns its wait status. */
static int reap(slot *sl, bool kill_it) {
  int status = 0;
  if (kill_it) kill(sl->pid, SIGKILL);
  close(sl->fd);
  while (waitpid(sl->pid, &status, 0) < 0 && errno == EINTR) {
  }
  sl->pid = 0;
  sl->fd = -1;
  return status;
}

static void finish(sched *s, slot *sl, ir_summary *sum) {
  s->summaries[sl->job] = sum;
  sl->busy = false;
  sl->len = 0;
  report_progress(s, s->w->jobs[sl->job].file);
}

static char *death_reason(int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_STACK_OVERFLOW)
    return xasprintf("stack overflow while parsing (more than %zu MiB)", PARSE_STACK_SIZE >> 20);
  if (WIFSIGNALED(status)) return xasprintf("libclang crashed while parsing (signal %d)", WTERMSIG(status));
  return xasprintf("libclang crashed while parsing (exit status %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Reads what the worker has sent; a whole reply finishes the job, an end of file is
 * the worker's death. */
static void on_readable(sched *s, slot *sl) {
  if (sl->cap - sl->len < 65536) {
    sl->cap = sl->cap * 2 + 65536;
    sl->buf = xrealloc(sl->buf, sl->cap);
  }
  ssize_t k = read(sl->fd, sl->buf + sl->len, sl->cap - sl->len);
  if (k < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (k <= 0) {
    char *why = death_reason(reap(sl, false));
    finish(s, sl, unit_error(&s->w->jobs[sl->job], why));
    free(why);
    return;
  }
  sl->len += (size_t)k;
  uint64_t want; /* the summary's length */
  if (sl->len < sizeof want) return;
  memcpy(&want, sl->buf, sizeof want);
  if (sl->len - sizeof want < want) return;
  char *err = NULL;
  ir_summary *sum = ir_summary_from_bin(sl->buf + sizeof want, (size_t)want, cache_build_id(), &err);
  if (!sum) {
    char *why = xasprintf("the parse worker sent an unreadable summary: %s", err);
    sum = unit_error(&s->w->jobs[sl->job], why);
    free(why);
  }
  free(err);
  finish(s, sl, sum);
}

/* Hands out the next job to an idle slot, starting its worker if it has none; false
 * when no worker can be had. */
static bool dispatch(sched *s, slot *sl, size_t job) {
  for (int attempt = 0; attempt < 2; attempt++) {
    if (!sl->pid && !spawn(s, sl)) return false;
    uint64_t i = job;
    if (write_all(sl->fd, &i, sizeof i)) {
      sl->busy = true;
      sl->job = job;
      sl->len = 0;
      sl->deadline = timeout_seconds ? now_ms() + (int64_t)timeout_seconds * 1000 : 0;
      return true;
    }
    reap(sl, true); /* it died idle: start another */
  }
  return false;
}

void schedule_parse(const compile_job *jobs, size_t n, int threads, const unsaved_buffer *unsaved, bool progress,
                    ir_summary **summaries) {
  work w = {jobs, n, unsaved};
  if (share_pch) frontend_pch_begin(jobs, n); /* before any worker forks: they inherit the plan */
  /* the build identity heads every summary a worker sends and every one this process
   * reads: made once here, before the workers fork, not again in each of them (it
   * hashes the executable: 11 M instructions) */
  (void)cache_build_id();
  if (threads < 1) threads = 1;
  if ((size_t)threads > n) threads = n ? (int)n : 1;
  sched s = {&w, xcalloc((size_t)threads, sizeof(slot)), threads, summaries, 0, progress,
             progress ? getcwd(NULL, 0) : NULL, -1};
  /* the language server runs calm-lint on each buffer and shows these as it goes */
  const char *pfd_env = getenv("CALM_LINT_PROGRESS_FD");
  if (pfd_env && atoi(pfd_env) > 2) s.progress_fd = atoi(pfd_env);
  if (s.progress_fd >= 0) dprintf(s.progress_fd, "0 %zu\n", n);
  struct pollfd *pfd = xcalloc((size_t)threads, sizeof *pfd);
  CXIndex local = NULL; /* for jobs no worker process could be started for */
  size_t next = 0;
  while (s.done < n) {
    for (int k = 0; k < threads && next < n; k++)
      if (!s.slots[k].busy && dispatch(&s, &s.slots[k], next)) next++;
    int busy = 0;
    int64_t now = now_ms(), wait = -1;
    for (int k = 0; k < threads; k++) {
      slot *sl = &s.slots[k];
      if (!sl->busy) continue;
      pfd[busy].fd = sl->fd;
      pfd[busy].events = POLLIN;
      pfd[busy].revents = 0;
      busy++;
      if (sl->deadline) {
        int64_t left = sl->deadline > now ? sl->deadline - now : 0;
        if (wait < 0 || left < wait) wait = left;
      }
    }
    if (busy == 0) { /* no process to be had: parse here, uncontained */
      if (!local) local = clang_createIndex(0, 0);
      summaries[next] = parse_one(&w, local, next);
      report_progress(&s, jobs[next++].file);
      continue;
    }
    if (poll(pfd, (nfds_t)busy, wait > INT32_MAX ? INT32_MAX : (int)wait) < 0 && errno != EINTR) break;
    now = now_ms();
    for (int k = 0, p = 0; k < threads; k++) {
      slot *sl = &s.slots[k];
      if (!sl->busy) continue;
      short re = pfd[p++].revents;
      if (re) on_readable(&s, sl);
      else if (sl->deadline && now >= sl->deadline) {
        reap(sl, true);
        char *why = xasprintf("timed out after %u s", timeout_seconds);
        finish(&s, sl, unit_error(&jobs[sl->job], why));
        free(why);
      }
    }
  }
  for (int k = 0; k < threads; k++) {
    if (s.slots[k].pid) reap(&s.slots[k], false); /* the closed socket ends it */
    free(s.slots[k].buf);
  }
  for (size_t i = 0; i < n; i++) /* only if poll itself failed */
    if (!summaries[i]) summaries[i] = unit_error(&jobs[i], "the parse was interrupted");
  if (local) clang_disposeIndex(local);
  free(pfd);
  free(s.slots);
  free(s.cwd);
  if (share_pch) frontend_pch_end();
}
