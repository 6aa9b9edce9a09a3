/* An on-disk cache of translation-unit summaries, so an editor that lints one
 * buffer on every change does not re-parse the rest of the project each time. */
#ifndef CALM_LINT_CACHE_H
#define CALM_LINT_CACHE_H

#include "schedule.h"

/* Like schedule_parse, but job i's summary is read from `dir` when an entry exists
 * for the same linter binary, flags and file contents and none of the files it
 * includes changed (size and mtime); otherwise it is parsed and stored. The job
 * whose text is `unsaved` is always parsed and never stored. Summaries of units that
 * failed to parse are not stored. `hits` receives the number of cache hits. */
void cache_parse(const char *dir, const compile_job *jobs, size_t n, int threads, const unsaved_buffer *unsaved,
                 bool progress, ir_summary **summaries, size_t *hits);

#endif
