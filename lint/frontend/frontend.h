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

/* Shared precompiled headers for the parses of `jobs` that follow, in this process and
 * in processes it forks from now on (see pch.h): units of one directory and flag set
 * that begin with the same directives are parsed on one PCH of them, and give the same
 * summaries as without. frontend_pch_end removes the PCHs; call it once the parses
 * are done, in the process that began. Without a writable temporary directory
 * nothing is shared. */
void frontend_pch_begin(const compile_job *jobs, size_t n);
void frontend_pch_end(void);

/* The version of the libclang that parses ("Debian clang version 14.0.6"), which
 * decides summaries as much as calm-lint's own code does. Static storage. */
const char *frontend_version(void);

#endif
