/* The front end: parses one translation unit with libclang and returns its IR
 * summary. The only part of calm-lint that knows libclang. */
#ifndef CALM_LINT_FRONTEND_H
#define CALM_LINT_FRONTEND_H

#include <clang-c/Index.h>

#include "../ir/ir.h"
#include "compdb.h"

/* Parses `job` with `index` (one index per thread). `unsaved`, when not NULL, is the
 * text to use for job->file instead of what is on disk (an editor's buffer).
 * Never returns NULL: a translation unit that fails to parse yields a summary with
 * `failed` set and its errors, plus whatever functions clang could still build. */
ir_summary *frontend_parse(CXIndex index, const compile_job *job, const char *unsaved, size_t unsaved_len);

#endif
