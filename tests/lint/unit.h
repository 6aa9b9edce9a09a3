/* calm-lint's unit suites: each test_<stage>.c adds its suite here. */
#ifndef CALM_LINT_UNIT_H
#define CALM_LINT_UNIT_H

#include <CUnit/CUnit.h>

/* Source tree root, for fixtures and docs (set from argv by unit_main.c). */
extern const char *unit_source_dir;
/* The calm-lint binary under test (CLI suite). */
extern const char *unit_calm_lint;
/* A fresh scratch directory for this process. */
const char *unit_scratch(void);
/* Writes `text` to scratch/name and returns the path (static buffer per call site not
 * needed: malloc'd). */
char *unit_write(const char *name, const char *text);
/* Runs `<before> calm-lint ARGS` in the scratch directory (sh syntax: `before` may set
 * variables or wrap the binary, as `timeout 30` does), replacing *out and *err with
 * what it printed; returns the exit status, or -1 when it did not exit. */
int unit_run_lint(const char *before, const char *args, char **out, char **err);

#define UNIT_SUITES(X) X(compdb) X(config) X(models) X(suppress) X(summary) X(report) X(frontend) X(graph) X(catalogue) X(cli) X(formats) X(baseline) X(editor) X(hostile) X(pch) X(scale) X(lower)

#define UNIT_DECLARE(name) void unit_register_##name(void);
UNIT_SUITES(UNIT_DECLARE)
#undef UNIT_DECLARE

#endif
