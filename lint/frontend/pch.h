/* Shared precompiled headers: the #include lines that several units of one flag set
 * begin with are parsed once into a PCH, and those units are parsed on top of it. The
 * plan is made before the parse workers start (frontend_pch_begin); each PCH is built
 * by the first worker that needs it and found on disk by the others. */
#ifndef CALM_LINT_PCH_H
#define CALM_LINT_PCH_H

#include <clang-c/Index.h>
#include <stddef.h>

#include "../ir/ir.h"
#include "compdb.h"

/* Fewer units than this beginning with the same directives share no PCH: building one
 * costs about a parse and a half of the prefix, loading it a fraction of one. */
#define PCH_MIN_USERS 3

/* A built PCH, ready for units to use. */
typedef struct {
  const char *path;     /* the PCH file, for -include-pch */
  const char **argv;    /* the front-end flags units parse it with: theirs, then -include-pch */
  int argc;
  ir_summary *summary;  /* what the directives themselves define and read, lowered once */
} pch_ready;

/* Lowers the unit of `tu`, with front-end flags `argv`, as frontend_parse does. */
typedef ir_summary *(*pch_lower_fn)(CXTranslationUnit tu, const char *file, const char **argv, int argc);

/* The leading directives of a source text: the #include, #define and #undef lines
 * before anything else (comments and blank lines between them are skipped), each
 * ending in '\n'. A conditional, a continued line or a comment on a directive line
 * ends the run: what follows is the unit's own. Malloc'd; "" when there are none. */
char *pch_leading_directives(const char *text, size_t len);

/* The PCH `job` (parsed with front-end flags `argv`) can be parsed on, built now
 * with `lower` if no process has built it yet; NULL when there is none for it, when
 * it could not be built, or while another worker builds it. */
const pch_ready *pch_acquire(const compile_job *job, const char **argv, int argc, pch_lower_fn lower);

/* Says that `job` has errors on its PCH and none without: the PCH is to blame (a header
 * without an include guard is read twice), and no later unit of this process is
 * parsed on it. */
void pch_refused(const compile_job *job);

/* The index for units parsed on a PCH: it leaves out the PCH's declarations when a
 * unit's cursors are visited (they are in pch_ready.summary, lowered once). */
CXIndex pch_index(void);

#endif
