/* lock-across-await: a mutex (model `acquires` kind mutex) still held at a suspension
 * point (model `suspends`, or a call to a program function that suspends further
 * down) on some path after it was locked. */
#include <stdlib.h>

#include "../lint/graph/flow.h"
#include "rule.h"

enum { LIVE = 1 }; /* path state: the status variable still holds the lock call's result */

typedef struct {
  const program *p;
  int fn;               /* the function searched */
  int lock;             /* call index of the lock */
  int status;           /* variable holding its result, or -1 */
  const int *releasers; /* per program function: releases a mutex further down */
  const int *suspenders;
  bool *held;           /* per call of the function: a suspension reached holding the lock */
} search;

static bool is_suspension(const program *p, const ir_function *f, const ir_call *call, void *ctx) {
  (void)f;
  (void)ctx;
  const model_fn *m = program_model(p, call);
  return m && m->suspends;
}

/* Whether the call suspends the task: a suspension point, or a program function
 * that reaches one. */
static bool suspends(const search *s, int call) {
  if (is_suspension(s->p, NULL, &s->p->fns[s->fn].fn->calls[call], NULL)) return true;
  return flow_witness_target(s->p, s->fn, call, s->suspenders) >= 0;
}

static flow_action visit_op(const ir_function *f, const ir_op *op, flow_pos at, uint64_t *state, void *ctx) {
  search *s = ctx;
  (void)at;
  if (op->kind == IR_OP_ASSIGN && op->var == s->status) *state &= ~(uint64_t)LIVE;
  if (op->kind != IR_OP_CALL) return FLOW_CONTINUE;
  const ir_call *call = &f->calls[op->call];
  /* locked again on the way round a loop: the search from there is this one */
  if (op->call == s->lock) return FLOW_STOP;
  if (flow_releases_same(s->p, f, s->lock, call) || flow_hands_over(s->p, f, s->lock, call, s->releasers))
    return FLOW_STOP;
  if (suspends(s, op->call)) s->held[op->call] = true;
  if (call->use == IR_USE_VAR && call->dest == s->status) *state &= ~(uint64_t)LIVE;
  return FLOW_CONTINUE;
}

/* A lock call's result is 0 when it took the lock (pthread, C11 threads, libuv). */
static bool visit_edge(const ir_function *f, const ir_block *b, int which, uint64_t *state, void *ctx) {
  search *s = ctx;
  (void)f;
  return !(*state & LIVE) || flow_edge_admits(b, which, s->status, 0);
}

static const flow_state_visitor visitor = {visit_op, visit_edge, NULL, NULL};

/* The mutex as the source names it, without a leading '&'. */
static const char *mutex_name(const ir_function *f, const ir_value *v) {
  if (v->kind == IR_VAL_VAR) return f->vars[v->var].name;
  if (!v->text) return "the mutex";
  return v->text[0] == '&' ? v->text + 1 : v->text;
}

/* Notes from a called program function down to the suspension point it reaches. */
static void add_chain(const search *s, diag *d, int fn) {
  for (unsigned depth = 0; fn >= 0 && s->suspenders[fn] >= 0 && depth < 32; depth++) {
    const ir_function *g = s->p->fns[fn].fn;
    int c = s->suspenders[fn];
    const ir_call *call = &g->calls[c];
    if (is_suspension(s->p, NULL, call, NULL)) {
      diag_note_add(d, call->loc, xasprintf("'%s' suspends the task in '%s' here", g->name, call->callee_name));
      return;
    }
    diag_note_add(d, call->loc, xasprintf("'%s' calls '%s' here", g->name, call->callee_name));
    fn = flow_witness_target(s->p, fn, c, s->suspenders);
  }
}

static void report(const search *s, const ir_function *f, int c, diag_list *out) {
  const ir_call *lock = &f->calls[s->lock], *call = &f->calls[c];
  const model_resource_arg *r = flow_resource(s->p, lock, RESOURCE_MUTEX, true);
  const char *name = mutex_name(f, &lock->args[r->arg]);
  bool direct = is_suspension(s->p, NULL, call, NULL);
  char *msg = xasprintf("mutex '%s' is held across %s '%s'%s: while the task waits, every thread that takes the "
                        "lock blocks, and a task on this loop that takes it deadlocks the loop",
                        name, direct ? "suspension point" : "call to", call->callee_name,
                        direct ? "" : ", which suspends the task");
  diag *d = diag_add(out, "lock-across-await", SEV_WARNING, call->loc, msg);
  diag_note_add(d, lock->loc, xasprintf("'%s' locked here", name));
  if (!direct) add_chain(s, d, flow_witness_target(s->p, s->fn, c, s->suspenders));
}

static void run(const program *p, diag_list *out) {
  int *releasers = flow_fns_releasing(p, RESOURCE_MUTEX, false);
  int *suspenders = flow_fns_calling(p, is_suspension, NULL, false);
  for (unsigned f = 0; f < p->nfns; f++) {
    const ir_function *fn = p->fns[f].fn;
    bool *reported = NULL;
    for (unsigned c = 0; c < fn->ncalls; c++) {
      if (!flow_resource(p, &fn->calls[c], RESOURCE_MUTEX, true)) continue;
      search s = {p, (int)f, (int)c, -1, releasers, suspenders, xcalloc(fn->ncalls, sizeof(bool))};
      if (fn->calls[c].use == IR_USE_VAR) s.status = fn->calls[c].dest;
      flow_search_state(p, fn, flow_after_call(fn, (int)c), s.status >= 0 ? LIVE : 0, &visitor, &s, NULL, NULL);
      if (!reported) reported = xcalloc(fn->ncalls, sizeof(bool));
      for (unsigned k = 0; k < fn->ncalls; k++)
        if (s.held[k] && !reported[k]) {
          reported[k] = true;
          report(&s, fn, (int)k, out);
        }
      free(s.held);
    }
    free(reported);
  }
  free(releasers);
  free(suspenders);
}

const lint_rule rule_lock_across_await = {
    .id = "lock-across-await",
    .summary = "a mutex held across a suspension point",
    .severity = SEV_WARNING,
    .run = run,
};
