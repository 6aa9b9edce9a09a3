/* missing-timeout: a wait with no deadline in a task or worker function. (Being written: see rules/missing-timeout.md.) */
#include "rule.h"

static void run(const program *p, diag_list *out) {
  (void)p;
  (void)out;
}

const lint_rule rule_missing_timeout = {
    .id = "missing-timeout",
    .summary = "a wait with no deadline in a task or worker function",
    .severity = SEV_WARNING,
    .run = run,
};
