/* swallowed-cancel: a suspension status ignored, or a cancellation handled and then not returned. (Being written: see rules/swallowed-cancel.md.) */
#include "rule.h"

static void run(const program *p, diag_list *out) {
  (void)p;
  (void)out;
}

const lint_rule rule_swallowed_cancel = {
    .id = "swallowed-cancel",
    .summary = "a suspension status ignored, or a cancellation handled and then not returned",
    .severity = SEV_WARNING,
    .run = run,
};
