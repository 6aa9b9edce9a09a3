/* Parsing translation units in parallel: long-lived worker threads, one libclang
 * index each, pulling jobs from a shared counter. */
#ifndef CALM_LINT_SCHEDULE_H
#define CALM_LINT_SCHEDULE_H

#include <stdbool.h>

#include "../frontend/compdb.h"
#include "../ir/ir.h"

typedef struct {
  const char *file; /* the job whose text comes from `text` instead of the disk */
  const char *text;
  size_t len;
} unsaved_buffer;

/* Parses jobs[0..n) with `threads` workers; summaries[i] receives job i's summary
 * (never NULL). `progress`: a line on stderr as units finish. */
void schedule_parse(const compile_job *jobs, size_t n, int threads, const unsaved_buffer *unsaved, bool progress,
                    ir_summary **summaries);

#endif
