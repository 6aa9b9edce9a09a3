/* Code actions: the quick fixes the server offers for its own diagnostics. */
#ifndef CALM_LINT_LSP_ACTIONS_H
#define CALM_LINT_LSP_ACTIONS_H

#include <cjson/cJSON.h>

/* The TextEdit that silences `rule` on 0-based `line` of `text`: the rule is added to
 * the line's NOLINT(...) list if it has one, else `// NOLINT(rule)` ends the line
 * (`/ * NOLINT(rule) * /` before a line-continuing backslash, which would splice the
 * next line into a line comment). NULL if `text` has no such line. */
cJSON *action_nolint_edit(const char *text, unsigned line, const char *rule);

/* The CodeAction objects for the diagnostics in `diags` (as check_document made
 * them, for the document `uri` whose text is `text`) that start on a line of
 * [first_line, last_line]: the rule's own fixes (a diagnostic's data.fixes: title,
 * isPreferred, changes), then "suppress with NOLINT(rule)". Never NULL. */
cJSON *actions_for_range(const char *uri, const char *text, const cJSON *diags, unsigned first_line,
                         unsigned last_line);

#endif
