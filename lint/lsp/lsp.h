/* calm-lint --lsp: a Language Server over stdin/stdout that publishes calm-lint's
 * findings as diagnostics when a document is opened, changed (debounced) or saved. */
#ifndef CALM_LINT_LSP_H
#define CALM_LINT_LSP_H

/* Serves until the client's `exit`. `args` (n of them) are passed on to each lint
 * run (-p, --config, --enable, ...). Returns the process exit status: 0 after
 * shutdown then exit, 1 if the client exited without shutdown or vanished. */
int lsp_serve(const char *const *args, int n);

#endif
