/* missing-timeout: a wait with no deadline in a task or worker function: a suspension
 * call given CALM_FOREVER outside a deadline scope, or a wait the models call
 * indefinite (waits_forever) in a worker function. */
#include <stdlib.h>

#include "../lint/graph/flow.h"
#include "../lint/graph/source.h"
#include "rule.h"

#define NO_DEADLINE (-1) /* CALM_FOREVER, and -1 for every deadline argument of the models */

static bool arg_is_forever(const ir_value *v) { return v->kind == IR_VAL_INT && v->ival == NO_DEADLINE; }

/* +1 for a call opening a deadline scope that has a deadline, -1 for one closing a scope. */
static int scope_mark(const program *p, const ir_call *call, void *ctx) {
  (void)ctx;
  const model_fn *m = program_model(p, call);
  if (!m || m->scope == 0) return 0;
  if (m->scope < 0) return -1;
  bool forever = m->deadline_arg >= 0 && (unsigned)m->deadline_arg < call->nargs &&
                 arg_is_forever(&call->args[m->deadline_arg]);
  return forever ? 0 : 1;
}

/* Whether variable `var`, passed to call `target`, holds the no-deadline constant on
 * every path from the entry: state 1 means "holds it". */
typedef struct {
  int var, target;
  bool reached;
} forever_ctx;

static flow_action forever_op(const ir_function *f, const ir_op *op, flow_pos at, uint64_t *state, void *vctx) {
  (void)at;
  forever_ctx *c = vctx;
  if (op->kind == IR_OP_ASSIGN && op->var == c->var) *state = arg_is_forever(&op->val);
  if (op->kind == IR_OP_ESCAPE && op->var == c->var) *state = 0;
  if (op->kind != IR_OP_CALL) return FLOW_CONTINUE;
  if (op->call == c->target) {
    c->reached = true;
    return *state ? FLOW_STOP : FLOW_FOUND;
  }
  if (f->calls[op->call].dest == c->var) *state = 0;
  return FLOW_CONTINUE;
}

static bool var_always_forever(const program *p, const ir_function *f, int call, int var) {
  if (f->vars[var].is_param || f->vars[var].is_static) return false;
  forever_ctx c = {var, call, false};
  flow_state_visitor v = {.op = forever_op};
  bool some_path_not = flow_search_state(p, f, (flow_pos){IR_ENTRY, 0}, 0, &v, &c, NULL, NULL);
  return c.reached && !some_path_not;
}

/* Describes where `f` runs: "task 'body'" or "'helper', reached from task 'body'". */
static char *where(const program *p, int f, calm_context ctx) {
  chain_step *steps;
  int root;
  unsigned n = program_chain(p, f, ctx, &steps, &root);
  const char *root_name = n ? p->fns[steps[0].fn].fn->name : p->fns[f].fn->name;
  const char *role = root >= 0 ? rule_root_role(p, &p->roots[root])
                               : ctx == CTX_WORKER ? "worker function" : "loop callback";
  free(steps);
  return n <= 1 ? xasprintf("%s '%s'", role, root_name)
                : xasprintf("'%s', reached from %s '%s',", p->fns[f].fn->name, role, root_name);
}

/* The fix: the CALM_FOREVER written in the call becomes a deadline, when it is there
 * exactly once (not a -1, not a macro of the program's own). */
static void offer_deadline(diag *d, const ir_call *call) {
  ir_loc at;
  if (!source_find_once(call->loc, "CALM_FOREVER", &at)) return;
  /* RULE_FIX_DEADLINE_MS unless configured: long enough not to cut a healthy wait short,
     short enough that a hung one gives its permit, slot or handle back */
  char *with = xasprintf("calm_after(%lld)", rule_settings_for(call->loc.file).fix_deadline_ms);
  diag_fix *fix = diag_fix_add(d, xasprintf("replace 'CALM_FOREVER' with '%s'", with), true);
  diag_fix_edit(fix, at, with);
  free(with);
}

static void check_deadlines(const program *p, int fi, diag_list *out) {
  const ir_function *f = p->fns[fi].fn;
  bool *in_scope = NULL;
  int guesses = -1; /* of the function's chain, once a call needs them */
  for (unsigned c = 0; c < f->ncalls; c++) {
    const ir_call *call = &f->calls[c];
    const model_fn *m = program_model(p, call);
    if (!m || !m->suspends || m->deadline_arg < 0 || (unsigned)m->deadline_arg >= call->nargs) continue;
    const ir_value *dl = &call->args[m->deadline_arg];
    bool via_var = dl->kind == IR_VAL_VAR && !dl->addr_of;
    if (!arg_is_forever(dl) && !(via_var && var_always_forever(p, f, (int)c, dl->var))) continue;
    if (!in_scope) in_scope = flow_calls_inside(p, f, scope_mark, NULL);
    if (in_scope[c]) continue;
    if (guesses < 0) guesses = (int)rule_chain_guesses(p, -1, -1, fi, CTX_LOOP);
    if (rule_withhold("missing-timeout", (unsigned)guesses, call->loc, out)) continue;
    char *in = where(p, fi, CTX_LOOP);
    diag *d = diag_add(out, "missing-timeout", SEV_WARNING, call->loc,
                       xasprintf("'%s' in %s waits with no deadline: if what it waits for never comes, the "
                                 "task hangs forever and holds everything it owns",
                                 call->callee_name, in));
    free(in);
    if (via_var)
      diag_note_add(d, f->vars[dl->var].loc,
                    xasprintf("'%s' holds CALM_FOREVER on every path to the call", f->vars[dl->var].name));
    else
      offer_deadline(d, call);
    rule_add_chain(p, d, fi, CTX_LOOP);
  }
  free(in_scope);
}

/* Whether the loop waits for worker function `fi` to finish: it was offloaded with an
 * API that suspends the task until the work is done (calm_to_thread) or that reports
 * back to the loop with a callback (uv_queue_work). A thread the program starts
 * itself (pthread_create) owns its time, and its waits are its own business. */
static bool loop_waits_for(const program *p, int fi) {
  chain_step *steps;
  int root;
  program_chain(p, fi, CTX_WORKER, &steps, &root);
  free(steps);
  if (root < 0 || p->roots[root].kind != ROOT_CALLBACK || !p->roots[root].via) return false;
  const model_fn *m = model_db_lookup(p->models, p->roots[root].via);
  if (!m) return false;
  if (m->suspends) return true;
  for (unsigned i = 0; i < m->ncallbacks; i++)
    if (m->callbacks[i].context == CTX_LOOP) return true;
  return false;
}

static void check_worker_waits(const program *p, int fi, diag_list *out) {
  const ir_function *f = p->fns[fi].fn;
  if (!loop_waits_for(p, fi)) return;
  int guesses = -1; /* of the function's chain, once a call needs them */
  for (unsigned c = 0; c < f->ncalls; c++) {
    const ir_call *call = &f->calls[c];
    const model_fn *m = program_model(p, call);
    if (!m || !model_cond_holds(&m->waits_forever, call)) continue;
    if (guesses < 0) guesses = (int)rule_chain_guesses(p, -1, -1, fi, CTX_WORKER);
    if (rule_withhold("missing-timeout", (unsigned)guesses, call->loc, out)) continue;
    char *in = where(p, fi, CTX_WORKER);
    diag *d = diag_add(out, "missing-timeout", SEV_WARNING, call->loc,
                       xasprintf("'%s' in %s waits with no time limit: if it never wakes, the work never "
                                 "ends and holds its pool thread and whoever waits for its result forever",
                                 call->callee_name, in));
    free(in);
    rule_add_chain(p, d, fi, CTX_WORKER);
  }
}

static void run(const program *p, diag_list *out) {
  for (unsigned f = 0; f < p->nfns; f++) {
    unsigned ctx = p->fns[f].contexts;
    if ((ctx & CTX_LOOP) && rule_runs_in_task(p, (int)f)) check_deadlines(p, (int)f, out);
    if (ctx & CTX_WORKER) check_worker_waits(p, (int)f, out);
  }
}

const lint_rule rule_missing_timeout = {
    .id = "missing-timeout",
    .summary = "a wait with no deadline in a task or worker function",
    .severity = SEV_WARNING,
    .run = run,
    .quiet_in_tests = true,
};
