/* unbounded-spawn: spawning inside a loop with no bound on concurrency. (Being written: see rules/unbounded-spawn.md.) */
#include "rule.h"

static void run(const program *p, diag_list *out) {
  (void)p;
  (void)out;
}

const lint_rule rule_unbounded_spawn = {
    .id = "unbounded-spawn",
    .summary = "spawning inside a loop with no bound on concurrency",
    .severity = SEV_WARNING,
    .run = run,
};
