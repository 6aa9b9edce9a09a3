/* .calm-lint.json: which rules run, which models load, extra API knowledge. */
#ifndef CALM_LINT_CONFIG_H
#define CALM_LINT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  char *path;
  char *dir;
  const char **enable;         /* rules to run (NULL: all) */
  size_t nenable;
  bool has_enable;
  const char **disable;        /* rules to leave out */
  size_t ndisable;
  const char **models_disable; /* built-in models to leave out */
  size_t nmodels_disable;
  char **model_files;          /* absolute paths of extra model files */
  size_t nmodel_files;
  void *functions;             /* cJSON object of extra function entries, or NULL */
  bool cold_warning;           /* "cold_roots": "warning": what only cold roots reach is a warning */
} lint_config;

/* Reads and validates a configuration file. Returns 0, or -1 with *error set
 * (malloc'd, one line: `path:line:col: ...` for malformed JSON). Rule ids are
 * checked against the registry. */
int config_load(const char *path, lint_config *out, char **error);
/* The same for `text` (NUL-terminated, `len` bytes before the NUL) read from `path`,
 * which names the file in errors and anchors relative model_files. */
int config_parse(const char *text, size_t len, const char *path, lint_config *out, char **error);
void config_free(lint_config *c);

/* Whether rule `id` runs under this configuration and the command line's
 * enable/disable lists (the command line wins). `c` may be NULL. */
bool config_rule_enabled(const lint_config *c, const char *const *cli_enable, size_t ncli_enable,
                         const char *const *cli_disable, size_t ncli_disable, const char *id);

/* Checks rule ids named on the command line or in a config; returns the first
 * unknown one, or NULL. "all" is accepted. */
const char *config_unknown_rule(const char *const *ids, size_t n);

#endif
