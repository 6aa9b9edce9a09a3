/* .calm-lint.json: which rules run and how loud, which files are left out, which
 * models load, extra API knowledge. A file may build on others ("extends", "inherit");
 * a lint_config is the effective result, each setting with the place that gave it. */
#ifndef CALM_LINT_CONFIG_H
#define CALM_LINT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../graph/diag.h"

/* One value a configuration file gives, with where it was written. */
typedef struct {
  char *text;    /* a rule id or glob, a path glob, a model name or file, a function name */
  char *origin;  /* "path:line:col" of the value in the file that gave it */
  char *base;    /* path globs: the directory they are relative to (that file's) */
  int severity;  /* "severity" entries: the diag_severity given */
  char **rules;  /* "per-file-ignores" entries: the rule ids or globs left out */
  size_t nrules;
} config_entry;

typedef struct {
  char *path;                   /* the file loaded, as named */
  char *dir;                    /* its directory, absolute */
  char **chain;                 /* the files it is built from, the base first, `path` last */
  size_t nchain;
  /* one slot per rule, in lint_rules order */
  bool *rule_on;                /* runs (before the command line's --enable/--disable) */
  char **rule_origin;           /* where that was decided; NULL: the default */
  int *severity;                /* a diag_severity override, or -1 */
  char **severity_origin;
  bool cold_warning;            /* "cold_roots": "warning": what only cold roots reach is a warning */
  char *cold_origin;
  bool test_warning;            /* "test_code": "warning": test code is reported as any other */
  char *test_code_origin;
  config_entry *test_paths;     /* "test-paths": globs of test code (the defaults unless replaced) */
  size_t ntest_paths;
  long long fix_deadline_ms;    /* "fix_deadline_ms": the deadline fixes write for CALM_FOREVER; 0: the default */
  char *fix_deadline_origin;
  int max_guesses;              /* "max_guesses": with max_guesses_origin set; else the default */
  char *max_guesses_origin;
  char *docs_url;               /* "docs_url": a rule's page, "{rule}" standing for its id; NULL: none */
  char *docs_url_origin;
  char *home_url;               /* "home_url": the tool's page (SARIF informationUri); NULL: none */
  char *home_url_origin;
  config_entry *exclude;        /* path globs of files not linted */
  size_t nexclude;
  config_entry *ignores;        /* "per-file-ignores": a path glob and its rules */
  size_t nignores;
  config_entry *models_disable; /* built-in models to leave out */
  size_t nmodels_disable;
  config_entry *model_files;    /* absolute paths of extra model files */
  size_t nmodel_files;
  void *functions;              /* cJSON object of extra function entries (a child's win), or NULL */
  config_entry *function_names; /* the names in `functions`, with where each was given */
  size_t nfunction_names;
} lint_config;

/* What the command line adds on top of every configuration. */
typedef struct {
  const char *const *enable;    /* --enable: only these rules (ids or globs); n 0: no say */
  size_t nenable;
  const char *const *disable;   /* --disable */
  size_t ndisable;
  bool warnings_as_errors;      /* --warnings-as-errors[=GLOBS] */
  const char *const *wae;       /* its GLOBS; none: every rule */
  size_t nwae;
} config_cli;

/* Reads and validates a configuration file and the files it builds on. Returns 0,
 * or -1 with *error set (malloc'd, one line: `path:line:col: ...` naming the file
 * and place at fault, also in a parent). Rule ids are checked against the registry. */
int config_load(const char *path, lint_config *out, char **error);
/* The same for `text` (NUL-terminated, `len` bytes before the NUL) read from `path`,
 * which names the file in errors and anchors relative paths; files it extends or
 * inherits are read from disk. */
int config_parse(const char *text, size_t len, const char *path, lint_config *out, char **error);
void config_free(lint_config *c);

/* Whether rule `id` runs under this configuration and the command line's
 * enable/disable lists (the command line wins). `c` may be NULL. */
bool config_rule_enabled(const lint_config *c, const char *const *cli_enable, size_t ncli_enable,
                         const char *const *cli_disable, size_t ncli_disable, const char *id);

/* What becomes of a finding of `rule` at severity `sev` (what the rule gave it;
 * `rarely`: reached only from cold roots) in `file` (absolute): false when it is not
 * reported at all (its rule is off, or ignored for the file); else true, with *sev
 * after "cold_roots", "severity" and --warnings-as-errors. `c` may be NULL. */
bool config_finding(const lint_config *c, const config_cli *cli, const char *file, const char *rule, bool rarely,
                    diag_severity *sev);

/* What the configuration and the command line make of rule `rule` (its index in
 * lint_rules) for a finding at severity `sev` in `file` (absolute; NULL: no path
 * applies), each part with where it was decided: "default", "path:line:col" or
 * "command line (...)" (pointers into `c` or static). `c`, `cli` may be NULL. */
typedef struct {
  bool on;                /* the rule runs (before per-file-ignores) */
  const char *on_at;
  const char *ignored_at; /* the per-file-ignores entry that drops the finding, or NULL */
  diag_severity sev;
  const char *sev_at;
} config_verdict;
config_verdict config_decide(const lint_config *c, const config_cli *cli, const char *file, unsigned rule, bool rarely,
                             diag_severity sev);

/* The globs a file is test code by when no "test-paths" replaces them: test and
 * benchmark directories and test files by the usual names, at any depth under the
 * configuration's directory (the working directory when there is none). */
extern const char *const config_default_test_paths[];
extern const size_t config_default_ntest_paths;

/* The "test-paths" entry (or default) that makes `file` (absolute) test code, or
 * NULL; *text and *origin say which glob and where it was given. `c` may be NULL. */
bool config_test_code(const lint_config *c, const char *file, const char **text, const char **origin);

/* Whether the path glob of entry `e` (exclude, per-file-ignores) names `file`
 * (absolute, normalized). */
bool config_entry_matches(const config_entry *e, const char *file);

/* The "exclude" entry that leaves `file` (absolute) out, or NULL. `c` may be NULL. */
const config_entry *config_excluded(const lint_config *c, const char *file);

/* Whether `path` (relative, '/'-separated) matches `glob`: `*` and `?` within a
 * name, `**` any number of directories; a glob with no '/' matches a name at any
 * depth; a match of a directory covers everything under it. */
bool config_glob_match(const char *glob, const char *path);

/* The effective settings for `file` (absolute; it need not exist) and where each
 * came from, as text or JSON (malloc'd). `c` may be NULL (no configuration); paths
 * are shown relative to `cwd`. */
char *config_show(const lint_config *c, const config_cli *cli, const char *file, const char *cwd, bool json);

/* Checks rule ids (or globs) named on the command line or in a config; returns the
 * first that names no rule, or NULL. "all" is accepted. */
const char *config_unknown_rule(const char *const *ids, size_t n);

/* The candidate closest to `word` if it is close enough to be a typo of it, else NULL. */
const char *config_closest(const char *word, const char *const *candidates, size_t n);
/* The same over the rule ids. */
const char *config_closest_rule(const char *word);

#endif
