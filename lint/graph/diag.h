/* Findings: what rules produce and reporters print. */
#ifndef CALM_LINT_DIAG_H
#define CALM_LINT_DIAG_H

#include "../ir/ir.h"

typedef enum { SEV_NOTE, SEV_WARNING, SEV_ERROR } diag_severity;

const char *severity_name(diag_severity s);

/* One step of a finding's trace (a registration site, a call on the way). */
typedef struct {
  ir_loc loc;
  char *message;
} diag_note;

/* One text replacement: `range` covers what is replaced (1-based line:col to end_line:end_col,
 * the end just past the last byte, the columns of `ir_loc`); an empty range inserts. Its
 * file is borrowed as a finding's own is. */
typedef struct {
  ir_loc range;
  char *text; /* the replacement; "" deletes */
} diag_edit;

/* A way to fix a finding. A safe fix keeps the program's meaning apart from the mistake
 * and is applied by --fix; an unsafe one is a labelled choice (it changes behaviour, e.g.
 * detaching a task), offered to editors and applied only with --unsafe-fixes, as Ruff does. */
typedef struct {
  char *description; /* lowercase, what the fix does: "replace 'CALM_FOREVER' with 'calm_after(30000)'" */
  diag_edit *edits;  /* non-overlapping, in source order */
  unsigned nedits;
  bool safe;
} diag_fix;

typedef struct {
  const char *rule; /* the rule id (static string) */
  diag_severity severity;
  char *message;
  ir_loc loc;
  diag_note *trace;
  unsigned ntrace;
  diag_fix *fixes; /* offered fixes, the preferred first */
  unsigned nfixes;
  bool rarely;     /* reached only from roots that run rarely: a note unless configured otherwise */
  bool suppressed; /* silenced by a NOLINT comment */
  bool baselined;  /* present in the baseline */
  bool withheld;   /* a chain past the configuration's max_guesses: counted, not reported */
  /* One mistake at several places: findings of a rule with the same `group` (calls of
   * one function reached the same way) are reported as the first of them, the others
   * as its `also`, each named by its `what` ("'fsync'"). NULL: a finding of its own. */
  char *group;
  char *what;
  diag_note *also;
  unsigned nalso;
  char *own_message; /* a merged finding's message before it named the others: its identity */
} diag;

typedef struct {
  diag *items;
  size_t len, cap;
} diag_list;

/* Adds a finding; takes ownership of `message`. Returns it for notes. */
diag *diag_add(diag_list *l, const char *rule, diag_severity sev, ir_loc loc, char *message);
/* Adds a trace step; takes ownership of `message`. */
void diag_note_add(diag *d, ir_loc loc, char *message);
/* Adds a fix with no edits yet; takes ownership of `description`. The pointer is valid
 * until the next diag_fix_add on `d`. */
diag_fix *diag_fix_add(diag *d, char *description, bool safe);
/* Appends an edit to a fix; copies `text`. */
void diag_fix_edit(diag_fix *f, ir_loc range, const char *text);

/* Sorts by file, line, column, rule and message, and drops exact duplicates, so the
 * output does not depend on the order work was done in. */
void diag_list_normalize(diag_list *l);
/* Sets a finding's group and the name of its call in a merged finding (copies both). */
void diag_set_group(diag *d, const char *group, const char *what);
/* Merges each group's findings into its first by location (after normalize): those
 * reported alike (not suppressed nor baselined, one severity, no fixes, since a fix is
 * for one place); the first's message says how many more there are and which. */
void diag_list_merge_groups(diag_list *l);
/* Frees what a finding owns (its message, trace and fixes). */
void diag_clear(diag *d);
void diag_list_free(diag_list *l);

#endif
