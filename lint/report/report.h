/* Reporters: the findings of a run as text (as clang prints diagnostics), JSON,
 * SARIF, GitHub workflow commands or a GitLab Code Quality report (DESIGN
 * "calm-lint interface"); fingerprints and baselines. */
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
  const char *srcroot; /* SARIF, gitlab, fingerprints: paths relative to it (NULL: cwd) */
  bool baseline_active; /* a baseline was applied: SARIF marks results as new */
  const char *buffer_path; /* the editor's buffer (--stdin-filename): quoted from */
  const char *buffer_text; /* buffer_text, not from the file on disk; both may be NULL */
  unsigned indirect_calls;    /* calls through function pointers in the program */
  unsigned indirect_resolved; /* of which resolved to at least one function */
  unsigned long indirect_targets; /* functions over the resolved ones */
  const char *docs_url; /* SARIF helpUri of each rule, "{rule}" standing for its id; NULL: none */
  const char *home_url; /* SARIF informationUri; NULL: none */
  unsigned withheld;    /* findings left out for a chain past max_guesses */
} report_input;

/* The path to show for `file`: relative to `cwd` when under it. Malloc'd. */
char *report_display_path(const char *file, const char *cwd);

/* The source lines reporters quote and measure columns on: each file read once, the
 * editor's buffer in place of its file. */
typedef struct report_sources report_sources;
report_sources *report_sources_new(const report_input *r);
void report_sources_free(report_sources *s);
/* Line `line` (1-based) of `file` without its line end, or NULL; *len its length.
 * Valid until `s` is freed. */
const char *report_source_line(report_sources *s, const char *file, unsigned line, size_t *len);
/* The 1-based column in Unicode code points of 1-based byte column `col` on `line`
 * (ir_loc columns count bytes, as clang's do). A malformed byte counts as one. */
unsigned report_codepoint_column(const char *line, size_t len, unsigned col);

/* Whether `s` is well-formed UTF-8. */
bool report_utf8_valid(const char *s);
/* `path` as valid UTF-8 for JSON: unchanged when it is; else, as SARIF's URIs, each
 * byte outside well-formed UTF-8 and each '%' percent-encoded. Malloc'd. */
char *report_utf8_path(const char *path);
/* `text` with each byte outside well-formed UTF-8 replaced by U+FFFD. Malloc'd. */
char *report_utf8_text(const char *text);

/* Counts of what is printed and what was silenced. */
size_t report_count_shown(const report_input *r);
/* Of those, the ones that fail a run (warnings and errors; a note does not). */
size_t report_count_failing(const report_input *r);
size_t report_count_suppressed(const report_input *r);
size_t report_count_baselined(const report_input *r);

/* `file:line:col: warning: message [rule]`, the source line with a caret, then the
 * trace as `note:` lines. `color`: ANSI colours as clang uses them. */
void report_text(FILE *out, const report_input *r, bool color);

/* One JSON object with version, tool, diagnostics, errors and summary; fields in a
 * fixed order. Returns a malloc'd string ending in a newline. */
char *report_json(const report_input *r);

/* SARIF 2.1.0 (one run; GitHub code scanning's profile): every rule with its doc,
 * results with %SRCROOT%-relative locations, traces as codeFlows, partialFingerprints,
 * suppressed findings with `suppressions`. Returns a malloc'd string. */
char *report_sarif(const report_input *r);

/* GitHub Actions workflow commands (`::warning file=...::message`), one a finding. */
void report_github(FILE *out, const report_input *r);

/* GitLab Code Quality report: a JSON array. Returns a malloc'd string. */
char *report_gitlab(const report_input *r);

/* ---- fingerprints (fingerprint.c) ---- */

/* The fingerprint of each finding in r->diags (same order; malloc'd array of
 * malloc'd strings): a hash of the rule, the file relative to the source root and the
 * message with numbers left out, plus the occurrence among equal hashes in the file.
 * Not the line: a finding that moved keeps its identity. */
char **report_fingerprints(const report_input *r);
void report_fingerprints_free(char **fps, size_t n);
/* `docs_url` with each "{rule}" replaced by the rule id `id`. Malloc'd. */
char *report_rule_url(const char *docs_url, const char *id);

/* The base of relative paths: r->srcroot, else r->cwd. */
const char *report_srcroot(const report_input *r);

/* ---- baselines (baseline.c) ---- */

/* Writes the fingerprints of every unsuppressed finding to `path` as JSON. Returns
 * 0, or -1 with *error set (malloc'd). */
int baseline_write(const char *path, const report_input *r, char **error);
/* Reads `path` and sets `baselined` on each finding whose fingerprint it holds.
 * Returns 0, or -1 with *error set (malloc'd, naming the file). */
int baseline_apply(const char *path, diag_list *diags, const report_input *r, char **error);

#endif
