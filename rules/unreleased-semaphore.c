/* unreleased-semaphore: a semaphore permit acquired and not released on some path. (Being written: see rules/unreleased-semaphore.md.) */
#include "rule.h"

static void run(const program *p, diag_list *out) {
  (void)p;
  (void)out;
}

const lint_rule rule_unreleased_semaphore = {
    .id = "unreleased-semaphore",
    .summary = "a semaphore permit acquired and not released on some path",
    .severity = SEV_WARNING,
    .run = run,
};
