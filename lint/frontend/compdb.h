/* The compile database: which translation units to parse and with which flags. */
#ifndef CALM_LINT_COMPDB_H
#define CALM_LINT_COMPDB_H

#include <stddef.h>

/* One translation unit to parse. */
typedef struct {
  char *file;      /* absolute, normalised path of the source file */
  char *directory; /* working directory of the compile command */
  char **args;     /* flags for the front end: no compiler, no input, no output */
  size_t nargs;
} compile_job;

typedef struct {
  char *path; /* the compile_commands.json that was read */
  compile_job *jobs;
  size_t njobs;
  struct strmap *index; /* file -> its job, so a lookup costs the same for any size */
  struct strmap *dirs;  /* "/dir/" -> the first job whose file is under it (compdb_infer) */
} compdb;

/* Loads `dir/compile_commands.json` as clang's tooling reads it ("arguments", else
 * "command" split with shell quoting; the driver mode a compiler name such as clang-cl
 * or g++ implies; a relative "directory" against `dir`), with response files expanded
 * as the front end expands them (flags.h). Returns 0, or -1 with *error set (malloc'd,
 * one line, naming the file and, for malformed JSON, the line and column). */
int compdb_load(const char *dir, compdb *out, char **error);
void compdb_free(compdb *db);

/* The entry for `file` (absolute), or NULL. Constant time on average. */
const compile_job *compdb_find(const compdb *db, const char *file);

/* A job for `file` when the database has none (a header, a new file): the flags of
 * the entry whose source is nearest in the directory tree. NULL if the database is
 * empty. The result is owned by the caller (compile_job_free). */
compile_job *compdb_infer(const compdb *db, const char *file);

/* Turns a compiler command line into front-end flags: drops the compiler (and a
 * ccache-like wrapper), the input file, -c, -o, dependency-file flags, and every
 * flag that would load code into the linter (-fplugin=, -fpass-plugin=,
 * -Xclang -load, -Xclang -plugin, ...). The result is malloc'd; strings are copied. */
char **compdb_filter_args(const char *const *argv, size_t argc, const char *file, const char *directory,
                          size_t *nout);
/* The same filter over flags alone (no compiler in front): the flags after `--`, or
 * those read from a response file. Also drops clang config files (`--config`, which can
 * carry -Xclang -load), `-mllvm -load`, `-Xclang -fpass-plugin=`, and each of these
 * behind clang-cl's `/clang:`. */
char **compdb_filter_flags(const char *const *argv, size_t argc, const char *file, const char *directory,
                           size_t *nout);

void compile_job_init(compile_job *job, const char *file, const char *directory, char **args, size_t nargs);
compile_job *compile_job_copy(const compile_job *job);
void compile_job_clear(compile_job *job);
void compile_job_free(compile_job *job);

#endif
