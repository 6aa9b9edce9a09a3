/* The table of rules, generated from rules.def, and lookups over it. */
#include <stdlib.h>
#include <string.h>

#include "rule.h"

#define CALM_RULE(name, id) extern const lint_rule rule_##name;
#include "rules.def"
#undef CALM_RULE

const lint_rule *const lint_rules[] = {
#define CALM_RULE(name, id) &rule_##name,
#include "rules.def"
#undef CALM_RULE
    NULL,
};

const unsigned lint_rule_count = sizeof lint_rules / sizeof lint_rules[0] - 1;

const lint_rule *lint_rule_find(const char *id) {
  for (unsigned i = 0; i < lint_rule_count; i++)
    if (strcmp(lint_rules[i]->id, id) == 0) return lint_rules[i];
  return NULL;
}

extern const char *const calm_rule_doc_names[];
extern const char *const calm_rule_doc_texts[];
extern const unsigned calm_rule_doc_count;

const char *lint_rule_doc(const char *id) {
  for (unsigned i = 0; i < calm_rule_doc_count; i++)
    if (strcmp(calm_rule_doc_names[i], id) == 0) return calm_rule_doc_texts[i];
  return NULL;
}

static void (*settings_get)(const char *file, rule_settings *out, void *ctx);
static void *settings_ctx;

void rule_settings_provide(void (*get)(const char *file, rule_settings *out, void *ctx), void *ctx) {
  settings_get = get;
  settings_ctx = ctx;
}

rule_settings rule_settings_for(const char *file) {
  rule_settings s = {RULE_FIX_DEADLINE_MS, RULE_MAX_GUESSES};
  if (settings_get) settings_get(file, &s, settings_ctx);
  return s;
}

/* A root registered through an API that starts a task (calm_spawn, calm_group_spawn). */
static bool root_starts_task(const program *p, const root_info *root) {
  const model_fn *m = root->via ? model_db_lookup(p->models, root->via) : NULL;
  return root->context == CTX_LOOP && m && (m->returns == RETURNS_TASK || m->spawns == SPAWNS_BOUNDED);
}

/* Why a cold root runs rarely, from the API it was registered with. */
static const char *cold_role(const root_info *root) {
  const char *via = root->via ? root->via : "";
  if (strstr(via, "signal") || strstr(via, "event")) return "signal callback";
  if (strstr(via, "close")) return "close callback";
  if (strstr(via, "timer")) return "one-shot timer callback";
  return "rarely run callback";
}

const char *rule_root_role(const program *p, const root_info *root) {
  if (root->kind == ROOT_ANNOTATED) return "CALM_ASYNC function";
  if (root->cold) return cold_role(root);
  if (root_starts_task(p, root)) return "task";
  return root->context == CTX_WORKER ? "worker function" : "loop callback";
}

bool rule_runs_in_task(const program *p, int f) {
  chain_step *steps;
  int root;
  program_chain(p, f, CTX_LOOP, &steps, &root);
  free(steps);
  if (root < 0) return false;
  const root_info *r = &p->roots[root];
  return r->kind == ROOT_ANNOTATED || root_starts_task(p, r);
}

/* The last component of a path, for notes that name where something was set. */
static const char *file_name(const char *path) {
  const char *slash = path ? strrchr(path, '/') : NULL;
  return slash ? slash + 1 : path ? path : "?";
}

/* Whether `call` of `f` enters `next` not as its callee but as a callback the callee
 * runs (a model's `invokes`, or one registered earlier with a setter). */
static bool runs_inside(const program *p, int f, const ir_call *call, int next) {
  if (!call->callee_usr) return false;
  int defs[8];
  unsigned n = program_resolve(p, f, call->callee_usr, defs, 8);
  for (unsigned i = 0; i < n && i < 8; i++)
    if (defs[i] == next) return false;
  return true;
}

static void add_steps(const program *p, diag *d, const chain_step *steps, unsigned n, int root, calm_context ctx);

/* The chain to `f` in `ctx`: its shortest one, or with `caller` >= 0 the shortest to
 * `caller` and then its call `call` into `f`. *steps is malloc'd. */
static unsigned chain_to(const program *p, int caller, int call, int f, calm_context ctx, chain_step **steps,
                         int *root) {
  if (caller < 0) return program_chain(p, f, ctx, steps, root);
  unsigned n = program_chain(p, caller, ctx, steps, root);
  if (!n) return 0;
  *steps = xrealloc(*steps, (n + 1) * sizeof **steps);
  (*steps)[n - 1].call = call;
  (*steps)[n] = (chain_step){f, -1};
  return n + 1;
}

unsigned rule_chain_guesses(const program *p, int caller, int call, int f, calm_context ctx) {
  chain_step *steps;
  int root;
  unsigned n = chain_to(p, caller, call, f, ctx, &steps, &root);
  unsigned guesses = program_chain_guesses(p, steps, n);
  free(steps);
  return guesses;
}

bool rule_withhold(const char *rule, unsigned guesses, ir_loc at, diag_list *out) {
  if ((int)guesses <= rule_settings_for(at.file).max_guesses) return false;
  diag_add(out, rule, SEV_WARNING, at, xstrdup("withheld: a chain past max_guesses"))->withheld = true;
  return true;
}

bool rule_chain_too_guessed(const program *p, int caller, int call, int f, calm_context ctx, const char *rule,
                            ir_loc at, diag_list *out) {
  return rule_withhold(rule, rule_chain_guesses(p, caller, call, f, ctx), at, out);
}

void rule_add_chain(const program *p, diag *d, int f, calm_context ctx) { rule_add_chain_through(p, d, -1, -1, f, ctx); }

void rule_add_chain_through(const program *p, diag *d, int caller, int call, int f, calm_context ctx) {
  chain_step *steps;
  int root;
  unsigned n = chain_to(p, caller, call, f, ctx, &steps, &root);
  add_steps(p, d, steps, n, root, ctx);
  free(steps);
}

static void add_steps(const program *p, diag *d, const chain_step *steps, unsigned n, int root, calm_context ctx) {
  if (n > 0 && root >= 0) {
    const root_info *r = &p->roots[root];
    const char *name = p->fns[steps[0].fn].fn->name;
    /* a wrapper that hands the callback on is named as called, then the API it reaches */
    char *passed = r->wrapper ? xasprintf("passed to '%s' here, which hands it to '%s'", r->wrapper, r->via)
                              : xasprintf("passed to '%s' here", r->via);
    if (r->kind == ROOT_ANNOTATED)
      diag_note_add(d, r->site, xasprintf("'%s' runs on the loop: it is annotated CALM_ASYNC", name));
    else if (r->kind == ROOT_SLOT)
      diag_note_add(d, r->site,
                    xasprintf("'%s' runs %s: stored here in '%s', which the library calls %s", name,
                              ctx == CTX_WORKER ? "off the loop thread" : "on the loop", r->via,
                              ctx == CTX_WORKER ? "off the loop" : "from its loop"));
    else if (ctx == CTX_WORKER)
      diag_note_add(d, r->site, xasprintf("'%s' runs off the loop thread: %s", name, passed));
    else
      diag_note_add(d, r->site, xasprintf("'%s' runs on the loop as a %s: %s", name, rule_root_role(p, r), passed));
    free(passed);
  }
  for (unsigned i = 0; i + 1 < n; i++) {
    const ir_function *fn = p->fns[steps[i].fn].fn;
    const ir_call *call = &fn->calls[steps[i].call];
    const call_target *t = program_indirect_target(p, steps[i].fn, steps[i].call, steps[i + 1].fn);
    if (t)
      diag_note_add(d, call->loc, xasprintf("'%s' calls '%s' through '%s' (set in '%s' at %s:%u)", fn->name,
                                            p->fns[t->fn].fn->name, call->callee_name, t->set_in ? t->set_in : "?",
                                            file_name(t->set_at.file), t->set_at.line));
    else if (runs_inside(p, steps[i].fn, call, steps[i + 1].fn))
      diag_note_add(d, call->loc,
                    xasprintf("'%s' calls '%s' here, which runs '%s'", fn->name, call->callee_name,
                              p->fns[steps[i + 1].fn].fn->name));
    else
      diag_note_add(d, call->loc, xasprintf("'%s' calls '%s' here", fn->name, call->callee_name));
  }
}
