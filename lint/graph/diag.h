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

typedef struct {
  const char *rule; /* the rule id (static string) */
  diag_severity severity;
  char *message;
  ir_loc loc;
  diag_note *trace;
  unsigned ntrace;
  bool rarely;     /* reached only from roots that run rarely: a note unless configured otherwise */
  bool suppressed; /* silenced by a NOLINT comment */
  bool baselined;  /* present in the baseline */
} diag;

typedef struct {
  diag *items;
  size_t len, cap;
} diag_list;

/* Adds a finding; takes ownership of `message`. Returns it for notes. */
diag *diag_add(diag_list *l, const char *rule, diag_severity sev, ir_loc loc, char *message);
/* Adds a trace step; takes ownership of `message`. */
void diag_note_add(diag *d, ir_loc loc, char *message);

/* Sorts by file, line, column, rule and message, and drops exact duplicates, so the
 * output does not depend on the order work was done in. */
void diag_list_normalize(diag_list *l);
/* Frees what a finding owns (its message and trace). */
void diag_clear(diag *d);
void diag_list_free(diag_list *l);

#endif
