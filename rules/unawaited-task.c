/* unawaited-task: a task handle discarded, or not awaited, grouped or detached on some path. (Being written: see rules/unawaited-task.md.) */
#include "rule.h"

static void run(const program *p, diag_list *out) {
  (void)p;
  (void)out;
}

const lint_rule rule_unawaited_task = {
    .id = "unawaited-task",
    .summary = "a task handle discarded, or not awaited, grouped or detached on some path",
    .severity = SEV_WARNING,
    .run = run,
};
