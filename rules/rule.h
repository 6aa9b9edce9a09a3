/* The rule interface: each rule is one descriptor in rules/<id>.c, listed once in
 * rules.def. A rule reads the linked program (IR, call graph, contexts, models) and
 * adds findings; it never sees libclang. */
#ifndef CALM_RULE_H
#define CALM_RULE_H

#include "../lint/graph/diag.h"
#include "../lint/graph/program.h"

typedef struct {
  const char *id;      /* stable, kebab-case: what users write in NOLINT and configs */
  const char *summary; /* one line, lowercase, for --list-rules and SARIF */
  diag_severity severity;
  void (*run)(const program *p, diag_list *out);
  bool off_by_default; /* runs only when a configuration or --enable names it */
  bool quiet_in_tests; /* its harm is to a service's clients: a note in test code ("test_code") */
} lint_rule;

/* Every rule, in rules.def order; NULL-terminated. */
extern const lint_rule *const lint_rules[];
extern const unsigned lint_rule_count;

const lint_rule *lint_rule_find(const char *id);

/* The rule's documentation (rules/<id>.md, compiled in), or NULL. */
const char *lint_rule_doc(const char *id);

/* What the configuration of a file says to the rules (the driver provides it). */
#define RULE_FIX_DEADLINE_MS 30000 /* the default deadline a fix writes for CALM_FOREVER */
#define RULE_MAX_GUESSES 2          /* the default "max_guesses" */
typedef struct {
  long long fix_deadline_ms; /* "fix_deadline_ms" */
  int max_guesses;           /* "max_guesses": a chain with more guessed steps is not reported */
} rule_settings;

/* The settings for `file`: the provider's, else the defaults. */
rule_settings rule_settings_for(const char *file);
/* Installs the provider (NULL: the defaults); it fills *out for `file`. */
void rule_settings_provide(void (*get)(const char *file, rule_settings *out, void *ctx), void *ctx);

/* Helpers shared by rules: a readable name for the role of a loop-context root. */
const char *rule_root_role(const program *p, const root_info *root);

/* Whether loop-context function `f` runs in a task (a task body, a CALM_ASYNC
 * function, or what they call), where suspension calls suspend; in a plain loop
 * callback they only try, and return at once. */
bool rule_runs_in_task(const program *p, int f);

/* Whether the chain to function `f` in context `ctx` (through call `call` of `caller`
 * when `caller` >= 0) takes more guesses than the configuration of `file` allows: more
 * calls through function pointers that hold several functions, each followed to one of
 * them by type alone. Such a chain is rarely a path the program takes. */
/* When it does, a withheld finding of `rule` at `at` is added to `out`, so the run
 * can say how many it left out (once its configuration has had its say). */
bool rule_chain_too_guessed(const program *p, int caller, int call, int f, calm_context ctx, const char *rule,
                            ir_loc at, diag_list *out);
/* The two halves of it, for a rule that reports several calls of one function: the
 * chain's guesses, and the withheld finding when they are too many for `at`'s file. */
unsigned rule_chain_guesses(const program *p, int caller, int call, int f, calm_context ctx);
bool rule_withhold(const char *rule, unsigned guesses, ir_loc at, diag_list *out);

/* Adds the chain that puts function `f` in context `ctx` to a finding's trace: a
 * note at the root (where it was registered, or its CALM_ASYNC annotation), then
 * one note per call on the way down to `f`. */
void rule_add_chain(const program *p, diag *d, int f, calm_context ctx);

/* The same, for a chain that reaches `f` through call `call` of `caller` (which runs
 * in `ctx`) rather than along the shortest one; `caller` -1: the shortest one. */
void rule_add_chain_through(const program *p, diag *d, int caller, int call, int f, calm_context ctx);

#endif
