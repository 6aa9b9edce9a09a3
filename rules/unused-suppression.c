/* unused-suppression: a NOLINT that silences nothing, or names no rule (Ruff's RUF100).
 * Off by default. Only the driver sees comments, so it makes these findings once the
 * other rules' findings are matched against the markers; the descriptor gives the rule
 * its place in the registry, the configuration and the docs. */
#include "rule.h"

static void run(const program *p, diag_list *out) {
  (void)p;
  (void)out;
}

const lint_rule rule_unused_suppression = {
    .id = "unused-suppression",
    .summary = "a NOLINT comment that silences nothing or names no rule",
    .severity = SEV_WARNING,
    .run = run,
    .off_by_default = true,
};
