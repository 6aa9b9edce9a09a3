/* loop-call-off-loop: a loop API that is not thread-safe called from a worker function. (Being written: see rules/loop-call-off-loop.md.) */
#include "rule.h"

static void run(const program *p, diag_list *out) {
  (void)p;
  (void)out;
}

const lint_rule rule_loop_call_off_loop = {
    .id = "loop-call-off-loop",
    .summary = "a loop API that is not thread-safe called from a worker function",
    .severity = SEV_WARNING,
    .run = run,
};
