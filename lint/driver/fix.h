/* --fix: choosing the fixes of a run's findings and applying them, each file at once. */
#ifndef CALM_LINT_FIX_H
#define CALM_LINT_FIX_H

#include <stdbool.h>
#include <stddef.h>

#include "../graph/diag.h"

/* The fix --fix applies for finding `d`: its first safe fix, or with `unsafe` its
 * first fix of any kind; NULL when there is none or the finding is silenced. */
const diag_fix *fix_chosen(const diag *d, bool unsafe);

/* The text of `path` with the chosen fixes of `diags` whose edits are all in it and
 * do not overlap an edit taken before (findings in order; a fix is taken whole or not
 * at all). `text` is the current text. Returns the new text (malloc'd; *len its
 * length) and sets *applied to the fixes taken, or NULL when none applies. */
char *fix_text(const char *path, const char *text, const diag_list *diags, bool unsafe, size_t *len,
               size_t *applied);

/* Applies the chosen fixes to every file they edit: each file written at once (a
 * temporary file renamed over it). With an editor's buffer (`buffer_path`, may be
 * NULL) only the buffer is fixed, and not written: *buffer_text is replaced by its
 * fixed text instead. Files are read
 * through lint/graph/source.h. Returns the fixes applied, or -1 with *error set
 * (malloc'd) when a file cannot be written; files written before stay written. */
long fix_apply(const diag_list *diags, bool unsafe, const char *buffer_path, char **buffer_text, size_t *buffer_len,
               char **error);

#endif
