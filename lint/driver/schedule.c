/* The parallel parse. Results land in the job's own slot, so the order of
 * completion never shows in the output. */
#include "schedule.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../frontend/frontend.h"

typedef struct {
  const compile_job *jobs;
  size_t n;
  const unsaved_buffer *unsaved;
  ir_summary **summaries;
  atomic_size_t next;
  atomic_size_t done;
  bool progress;
  char *cwd; /* progress names files relative to it (taken before any parse) */
  pthread_mutex_t lock;
} shared_state;

static void report_progress(shared_state *s, const char *file) {
  size_t done = atomic_fetch_add(&s->done, 1) + 1;
  if (!s->progress) return;
  pthread_mutex_lock(&s->lock);
  /* the path, not the base name: many projects have a util.c in every directory */
  size_t n = s->cwd ? strlen(s->cwd) : 0;
  const char *shown = n > 1 && strncmp(file, s->cwd, n) == 0 && file[n] == '/' ? file + n + 1 : file;
  fprintf(stderr, "\r\033[K[%zu/%zu] %s", done, s->n, shown);
  if (done == s->n) fputs("\r\033[K", stderr);
  fflush(stderr);
  pthread_mutex_unlock(&s->lock);
}

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

static void *worker(void *arg) {
  shared_state *s = arg;
  CXIndex index = clang_createIndex(0, 0);
  for (;;) {
    size_t i = atomic_fetch_add(&s->next, 1);
    if (i >= s->n) break;
    const compile_job *job = &s->jobs[i];
    const unsaved_buffer *u = s->unsaved;
    bool use = u && u->file && strcmp(u->file, job->file) == 0;
    ir_summary *bad = use ? NULL : unreadable_unit(job);
    s->summaries[i] = bad ? bad : frontend_parse(index, job, use ? u->text : NULL, use ? u->len : 0);
    report_progress(s, job->file);
  }
  clang_disposeIndex(index);
  return NULL;
}

void schedule_parse(const compile_job *jobs, size_t n, int threads, const unsaved_buffer *unsaved, bool progress,
                    ir_summary **summaries) {
  shared_state s;
  memset(&s, 0, sizeof s);
  s.jobs = jobs;
  s.n = n;
  s.unsaved = unsaved;
  s.summaries = summaries;
  s.progress = progress;
  s.cwd = progress ? getcwd(NULL, 0) : NULL;
  atomic_init(&s.next, 0);
  atomic_init(&s.done, 0);
  pthread_mutex_init(&s.lock, NULL);
  if (threads < 1) threads = 1;
  if ((size_t)threads > n) threads = n ? (int)n : 1;
  if (threads == 1) {
    worker(&s);
  } else {
    pthread_t *tids = xcalloc((size_t)threads, sizeof *tids);
    int started = 0;
    for (int t = 0; t < threads; t++)
      if (pthread_create(&tids[t], NULL, worker, &s) == 0) started++;
      else break;
    if (started == 0) worker(&s); /* no threads to be had: do it here */
    for (int t = 0; t < started; t++) pthread_join(tids[t], NULL);
    free(tids);
  }
  pthread_mutex_destroy(&s.lock);
  free(s.cwd);
}
