/* Which open documents a change on disk concerns. A unit's findings depend on the
 * files it includes and on the units it is linked with through calls: its callers
 * decide the context its functions run in, its callees what they do. The call graph
 * comes from the project's IR (calm-lint --dump-ir), includes from the text. */
#ifndef CALM_LINT_LSP_DEPS_H
#define CALM_LINT_LSP_DEPS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct deps_graph deps_graph;

/* The units and call edges of `dump` (--dump-ir output, one unit a line; NULL or
 * lines that are not JSON give no units). */
deps_graph *deps_graph_new(const char *dump);
void deps_graph_free(deps_graph *g);

/* Tells the graph the current text of an open document, which wins over the file
 * on disk when includes are read (the graph keeps a copy). */
void deps_graph_set_text(deps_graph *g, const char *path, const char *text);

/* Takes the files changed on disk (absolute paths, n of them) for the calls below:
 * the units they touch are found once, however many documents are asked about. */
void deps_graph_set_changed(deps_graph *g, const char *const *changed, size_t n);

/* Whether the findings of the document `doc` can change with the changed files:
 * `doc` includes one (directly or through headers found beside their includer), or
 * a unit that is one or includes one is linked with `doc`'s unit by a chain of calls
 * in either direction. `doc`'s own file on disk does not count: its buffer is its
 * text. */
bool deps_graph_depends(deps_graph *g, const char *doc);

/* Whether the text of `path` includes one of `targets` (n of them), directly or
 * through the headers it names that exist beside their includer: an #include
 * "x/y.h" or <x/y.h> matches a target ending in /x/y.h. `text` NULL: the file is
 * read. */
bool deps_includes(deps_graph *g, const char *path, const char *text, const char *const *targets, size_t n);

#endif
