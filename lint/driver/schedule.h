/* Parsing translation units in parallel: one long-lived worker process per job slot,
 * so that a unit that crashes libclang, overflows the stack or never finishes costs
 * only its own summary. */
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

#define SCHEDULE_TIMEOUT_DEFAULT 300 /* seconds a unit may take (--timeout-per-file) */

/* The time limit of every later parse, in seconds; 0: none. */
void schedule_set_timeout(unsigned seconds);

/* Whether later parses share precompiled headers of the directives units begin with
 * (--pch, experimental; frontend_pch_begin). Off by default. */
void schedule_set_pch(bool on);

/* Parses jobs[0..n) with `threads` workers; summaries[i] receives job i's summary
 * (never NULL). A unit whose worker dies or runs past the time limit gets a summary
 * with `failed` set and the reason as its error. `progress`: a line on stderr as
 * units finish. */
void schedule_parse(const compile_job *jobs, size_t n, int threads, const unsaved_buffer *unsaved, bool progress,
                    ir_summary **summaries);

#endif
