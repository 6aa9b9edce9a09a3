/* Reporters: the findings of a run as text (as clang prints diagnostics) or JSON
 * (DESIGN "calm-lint interface"). */
#ifndef CALM_LINT_REPORT_H
#define CALM_LINT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "../graph/diag.h"

/* A translation unit that could not be analysed fully. */
typedef struct {
  const char *file; /* may be NULL */
  unsigned line, col;
  const char *message;
} report_error;

typedef struct {
  const diag_list *diags; /* normalised; suppressed and baselined ones are counted, not printed */
  const report_error *errors;
  size_t nerrors;
  unsigned files, functions;
  const char *cwd; /* paths under it are printed relative to it */
} report_input;

/* The path to show for `file`: relative to `cwd` when under it. Malloc'd. */
char *report_display_path(const char *file, const char *cwd);

/* Counts of what is printed and what was silenced. */
size_t report_count_shown(const report_input *r);
size_t report_count_suppressed(const report_input *r);
size_t report_count_baselined(const report_input *r);

/* `file:line:col: warning: message [rule]`, the source line with a caret, then the
 * trace as `note:` lines. `color`: ANSI colours as clang uses them. */
void report_text(FILE *out, const report_input *r, bool color);

/* One JSON object with version, tool, diagnostics, errors and summary; fields in a
 * fixed order. Returns a malloc'd string ending in a newline. */
char *report_json(const report_input *r);

#endif
