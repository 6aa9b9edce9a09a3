/* The on-disk cache of translation-unit summaries, used by every run: a second run
 * of the same command re-parses nothing, and a change re-parses only the units it
 * reaches. Also the summary files of shards and build actions (one format). */
#ifndef CALM_LINT_CACHE_H
#define CALM_LINT_CACHE_H

#include <stdint.h>

#include "schedule.h"

/* Limits of a cache directory; pruning removes entries unused for `max_age_days`, then
 * the least recently used ones until the entries fit in `max_bytes`. */
#define CACHE_MAX_AGE_DAYS 30
#define CACHE_MAX_BYTES ((uint64_t)512 << 20)

/* The identity of this calm-lint build: its version, the summary format and the
 * built-in models' text. Two runs of one build key entries alike on any machine. */
const char *cache_build_id(void);

/* Like schedule_parse, but job i's summary is read from `dir` when an entry exists for
 * the same build, the same file, directory and flags, and the same content of the main
 * file and of every file its last parse read (clang's inclusion list); otherwise it
 * is parsed and stored. A missing, corrupt or stale entry is a miss. The job whose text
 * is `unsaved` is always parsed and never stored, nor are units that failed to parse.
 * `hits` receives the number of units read from the cache. Entries are written
 * atomically, so concurrent runs may share a directory. */
void cache_parse(const char *dir, const compile_job *jobs, size_t n, int threads, const unsaved_buffer *unsaved,
                 bool progress, ir_summary **summaries, size_t *hits);

/* Removes from `dir` the entries unused for `max_age_days` (0: keep any age), then the
 * least recently used until the rest fit in `max_bytes` (0: no cap), and temporary
 * files left by interrupted writes. Only files calm-lint wrote are removed. Returns the
 * number of files removed. */
size_t cache_prune(const char *dir, unsigned max_age_days, uint64_t max_bytes);

/* ---- summary files (--emit-summaries, --emit-summary, --link) ---- */

/* Writes `s` to `path` atomically as a summary file of this build. Returns 0, or -1
 * with *why set (malloc'd, one line). */
int summary_file_write(const char *path, const ir_summary *s, char **why);

/* Reads a summary file. NULL with *why set (malloc'd, one line) when it cannot be
 * read, is no summary file, or has another summary format than this build reads. */
ir_summary *summary_file_read(const char *path, char **why);

/* The files a parse of `job` read (main file first, then its inclusions, each once,
 * absolute): for a depfile. Returns the count; *out is malloc'd, each string too. */
size_t cache_dependencies(const compile_job *job, const ir_summary *s, char ***out);

void make_dirs(const char *dir);

#endif
