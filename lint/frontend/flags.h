/* The arguments libclang parses a translation unit with: a compile job's flags made to
 * mean what they mean to clang run in the job's directory, from another directory. */
#ifndef CALM_LINT_FLAGS_H
#define CALM_LINT_FLAGS_H

#include <stddef.h>

#include "../base/base.h"
#include "compdb.h"

typedef struct {
  const char **argv; /* for clang_parseTranslationUnit2, NULL-terminated */
  int argc;
  strpool *pool; /* owns every string of argv */
  char *error;   /* NULL, or the first flag that could not be honoured (one line) */
} flags_args;

/* Builds the front-end arguments of `job`. Response files (`@file`) are read relative to
 * the job's directory, nested ones too, as clang's driver reads them, and their flags
 * pass the same filter as the database's (compdb_filter_flags). A path is made absolute
 * against the directory only where clang resolves it against its working directory and
 * it is there; anything else is kept as written, so clang's search goes on as it would.
 * An unreadable response file sets `error` (clang fails on it too) and is left out, so
 * the rest of the unit can still be analysed. Release with flags_args_free. */
void flags_build(const compile_job *job, flags_args *out);
void flags_args_free(flags_args *a);

/* `argv` with its readable response files expanded, as flags_build reads them; a name
 * that cannot be read is kept as written (flags_build reports it when the unit is
 * parsed). For the database, so the flags a summary depends on are in the job. The
 * result and its strings are malloc'd. */
char **flags_expand_response_files(const char *const *argv, size_t argc, const char *directory, size_t *nout);

/* The tokens of response-file text, split as clang's driver does on POSIX (GNU rules:
 * blanks separate, quotes group, backslash escapes). Returns the count; *out is malloc'd,
 * each string too. */
size_t flags_split_response(const char *text, char ***out);

#endif
