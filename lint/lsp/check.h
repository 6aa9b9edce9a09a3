/* One lint of a document for the server: calm-lint itself is run on the buffer
 * (--stdin-filename, JSON output) and its findings become LSP diagnostics. Running
 * a child keeps the server alive whatever one parse does, and reuses the summary
 * cache of --stdin-filename for the rest of the project. */
#ifndef CALM_LINT_LSP_CHECK_H
#define CALM_LINT_LSP_CHECK_H

#include <cjson/cJSON.h>

/* file:// URIs and paths (percent-encoding). Malloc'd; uri_to_path returns NULL
 * for a URI that is not a file. */
char *uri_from_path(const char *path);
char *uri_to_path(const char *uri);

/* How far the parse of a lint has come: `fn` is called with 0 of `total` units when
 * calm-lint starts parsing and again as each unit is done (the buffer's own and every
 * unit the summary cache does not hold). */
typedef struct {
  void (*fn)(unsigned done, unsigned total, void *ctx);
  void *ctx;
} check_progress;

/* Lints `text` as `path` with the extra `args` in `cwd`. Returns an array of LSP
 * Diagnostic objects for `path` (never NULL); *log receives calm-lint's stderr when
 * it failed (malloc'd, or NULL). `progress` may be NULL. */
cJSON *check_document(const char *path, const char *text, const char *const *args, int nargs, const char *cwd,
                      const check_progress *progress, char **log);

/* The IR of every unit of the project `args` name, as calm-lint --dump-ir prints it
 * (one JSON object a line), run in `cwd`; NULL if calm-lint printed nothing. */
char *check_dump_ir(const char *const *args, int nargs, const char *cwd);

#endif
