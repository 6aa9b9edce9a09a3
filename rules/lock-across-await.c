/* lock-across-await: a mutex held across a suspension point. (Being written: see rules/lock-across-await.md.) */
#include "rule.h"

static void run(const program *p, diag_list *out) {
  (void)p;
  (void)out;
}

const lint_rule rule_lock_across_await = {
    .id = "lock-across-await",
    .summary = "a mutex held across a suspension point",
    .severity = SEV_WARNING,
    .run = run,
};
