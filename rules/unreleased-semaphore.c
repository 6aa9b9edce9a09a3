/* unreleased-semaphore: a semaphore permit acquired (model `acquires` kind semaphore)
 * that some path takes to the function's exit without a matching release; and an
 * acquire whose failure is treated as success (status ignored, or the failure path
 * goes on to release a permit it never took). */
#include <stdlib.h>

#include "../lint/graph/flow.h"
#include "rule.h"

/* Path state: bit i is set while variable `slots[i]` holds the acquire's status
 * (slot 0 is the variable the acquire assigned, the others its copies). */
#define MAX_SLOTS 8

typedef struct {
  const program *p;
  const ir_function *f;
  int acquire;      /* call index of the acquire */
  int key_var;      /* the semaphore's variable when it is one, else -1 */
  int slots[MAX_SLOTS];
  unsigned nslots;  /* 0 when the status is dropped */
  int64_t value;    /* the status this search assumes */
  bool failure;     /* failure search: looking for a release */
  const int *releasers;
  int found_call;
} search;

static int slot_of(const search *s, int var) {
  for (unsigned i = 0; i < s->nslots; i++)
    if (s->slots[i] == var && var >= 0) return (int)i;
  return -1;
}

/* Whether variable `var` holds the status on this path. */
static bool holds(const search *s, uint64_t state, int var) {
  int i = slot_of(s, var);
  return i >= 0 && (state >> i & 1);
}

/* The status variable and the variables it is copied into, as far as they fit. */
static void find_slots(search *s, int status) {
  s->nslots = 0;
  if (status < 0) return;
  s->slots[s->nslots++] = status;
  for (unsigned added = 1; added;) {
    added = 0;
    for (unsigned b = 0; b < s->f->nblocks; b++)
      for (unsigned i = 0; i < s->f->blocks[b].nops && s->nslots < MAX_SLOTS; i++) {
        const ir_op *op = &s->f->blocks[b].ops[i];
        if (op->kind == IR_OP_ASSIGN && op->val.kind == IR_VAL_VAR && slot_of(s, op->val.var) >= 0 &&
            slot_of(s, op->var) < 0) {
          s->slots[s->nslots++] = op->var;
          added = 1;
        }
      }
  }
}

static const model_resource_arg *acquired(const program *p, const ir_call *call) {
  return flow_resource(p, call, RESOURCE_SEMAPHORE, true);
}

/* Whether the op hands the status to code that looks at it out of sight: a store,
 * an argument, a copy into a variable not followed. */
static bool status_leaves(const search *s, const ir_function *f, const ir_op *op, uint64_t state) {
  if (op->kind == IR_OP_ASSIGN)
    return op->val.kind == IR_VAL_VAR && holds(s, state, op->val.var) && slot_of(s, op->var) < 0;
  if (op->kind == IR_OP_ESCAPE) return holds(s, state, op->var);
  if (op->kind != IR_OP_CALL) return false;
  const ir_call *call = &f->calls[op->call];
  for (unsigned i = 0; i < call->nargs; i++)
    if (call->args[i].kind == IR_VAL_VAR && holds(s, state, call->args[i].var)) return true;
  return false;
}

/* Clears the slot of `var` (assigned something else); with `from`, copies its bit. */
static void assign(const search *s, uint64_t *state, int var, int from) {
  int i = slot_of(s, var);
  if (i < 0) return;
  bool copy = from >= 0 && holds(s, *state, from);
  *state &= ~((uint64_t)1 << i);
  if (copy) *state |= (uint64_t)1 << i;
}

static flow_action visit_op(const ir_function *f, const ir_op *op, flow_pos at, uint64_t *state, void *ctx) {
  search *s = ctx;
  (void)at;
  /* a failure examined elsewhere may well be handled there */
  if (s->failure && status_leaves(s, f, op, *state)) return FLOW_STOP;
  switch (op->kind) {
  case IR_OP_ASSIGN:
    assign(s, state, op->var, op->val.kind == IR_VAL_VAR ? op->val.var : -1);
    return FLOW_CONTINUE;
  case IR_OP_ESCAPE:
    return op->var == s->key_var && s->key_var >= 0 ? FLOW_STOP : FLOW_CONTINUE;
  case IR_OP_RETURN:
    /* returning the acquire's own status tells the caller it holds the permit */
    if (!s->failure && op->val.kind == IR_VAL_VAR && holds(s, *state, op->val.var)) return FLOW_STOP;
    return FLOW_CONTINUE;
  case IR_OP_READ:
    return FLOW_CONTINUE;
  case IR_OP_CALL:
    break;
  }
  const ir_call *call = &f->calls[op->call];
  if (op->call == s->acquire || acquired(s->p, call)) {
    if (s->failure) return FLOW_STOP; /* a new acquire: what follows may hold a permit */
    if (op->call == s->acquire) *state = 0;
    return FLOW_CONTINUE;
  }
  if (flow_releases_same(s->p, f, s->acquire, call)) {
    s->found_call = op->call;
    return s->failure ? FLOW_FOUND : FLOW_STOP;
  }
  if (flow_hands_over(s->p, f, s->acquire, call, s->releasers)) return FLOW_STOP;
  if (call->use == IR_USE_VAR) assign(s, state, call->dest, -1);
  return FLOW_CONTINUE;
}

static bool visit_edge(const ir_function *f, const ir_block *b, int which, uint64_t *state, void *ctx) {
  search *s = ctx;
  (void)f;
  return b->term != IR_TERM_COND || !holds(s, *state, b->cond_var) || flow_edge_admits(b, which, b->cond_var, s->value);
}

static flow_action visit_exit(const ir_function *f, uint64_t state, void *ctx) {
  search *s = ctx;
  (void)f;
  (void)state;
  return s->failure ? FLOW_STOP : FLOW_FOUND;
}

static const flow_state_visitor visitor = {visit_op, visit_edge, visit_exit, NULL};

/* The name the source gives the semaphore, for messages. */
static const char *object_name(const ir_function *f, const ir_value *v) {
  if (v->kind == IR_VAL_VAR) return f->vars[v->var].name;
  return v->text ? v->text : "the semaphore";
}

/* Negative values the status can take that matter to the code: the model's
 * cancellation status, a generic failure, and every negative constant it is compared
 * with. */
static unsigned failure_values(const search *s, const model_fn *m, int64_t *out, unsigned cap) {
  unsigned n = 0;
  out[n++] = m->has_cancel_status && m->cancel_status < 0 ? m->cancel_status : -1;
  if (out[0] != -1) out[n++] = -1;
  for (unsigned b = 0; b < s->f->nblocks && n < cap; b++) {
    const ir_block *blk = &s->f->blocks[b];
    if (blk->term != IR_TERM_COND || slot_of(s, blk->cond_var) < 0 || blk->cond_k >= 0) continue;
    bool dup = false;
    for (unsigned i = 0; i < n; i++) dup |= out[i] == blk->cond_k;
    if (!dup) out[n++] = blk->cond_k;
  }
  return n;
}

static void check_acquire(const program *p, const ir_function *f, int c, const int *releasers, diag_list *out) {
  const ir_call *call = &f->calls[c];
  const model_resource_arg *r = acquired(p, call);
  const ir_value *arg = &call->args[r->arg];
  const char *name = object_name(f, arg);
  search s = {.p = p, .f = f, .acquire = c, .key_var = -1, .releasers = releasers, .found_call = -1};
  if (arg->kind == IR_VAL_VAR && !arg->addr_of) s.key_var = arg->var;
  find_slots(&s, call->use == IR_USE_VAR ? call->dest : -1);
  if (!s.nslots && call->use != IR_USE_VOID_TYPE)
    diag_add(out, "unreleased-semaphore", SEV_WARNING, call->loc,
             xasprintf("status of '%s' on '%s' is ignored: after a timeout or cancellation the code goes on as if "
                       "it held a permit",
                       call->callee_name, name));

  flow_pos start = flow_after_call(f, c), at;
  uint64_t st = s.nslots ? 1 : 0;
  if (flow_search_state(p, f, start, st, &visitor, &s, &at, NULL)) {
    const ir_block *b = &f->blocks[at.block];
    bool ret = at.block != IR_EXIT && b->nops && b->ops[b->nops - 1].kind == IR_OP_RETURN;
    ir_loc where = ret ? b->ops[b->nops - 1].loc : f->end;
    diag *d = diag_add(out, "unreleased-semaphore", SEV_WARNING, call->loc,
                       xasprintf("permit acquired from '%s' is not released on the path that %s at line %u: the "
                                 "semaphore loses a slot for good, and once every slot is lost all acquires fail",
                                 name, ret ? "returns" : "ends", where.line));
    diag_note_add(d, where, xasprintf("%s here still holding the permit from '%s'", ret ? "returns" : "ends", name));
  }

  if (s.nslots) {
    int64_t values[16];
    unsigned n = failure_values(&s, program_model(p, call), values, 16);
    s.failure = true;
    for (unsigned i = 0; i < n; i++) {
      s.value = values[i];
      s.found_call = -1;
      if (!flow_search_state(p, f, start, 1, &visitor, &s, &at, NULL)) continue;
      const ir_call *rel = &f->calls[s.found_call];
      diag *d = diag_add(out, "unreleased-semaphore", SEV_WARNING, call->loc,
                         xasprintf("failure of '%s' on '%s' is treated as success: when it fails, the path goes on "
                                   "to '%s' at line %u and gives back a permit it never took",
                                   call->callee_name, name, rel->callee_name, rel->loc.line));
      diag_note_add(d, rel->loc, xasprintf("releases a permit the failed '%s' never took", call->callee_name));
      break;
    }
  }
}

static void run(const program *p, diag_list *out) {
  int *releasers = flow_fns_releasing(p, RESOURCE_SEMAPHORE, true);
  for (unsigned f = 0; f < p->nfns; f++) {
    const ir_function *fn = p->fns[f].fn;
    /* a function modelled as an acquire (the API's own code, a wrapper named in the
       configuration) keeps the permit on purpose */
    const model_fn *self = model_db_lookup(p->models, fn->name);
    if (self && self->acquires.kind == RESOURCE_SEMAPHORE) continue;
    for (unsigned c = 0; c < fn->ncalls; c++)
      if (acquired(p, &fn->calls[c])) check_acquire(p, fn, (int)c, releasers, out);
  }
  free(releasers);
}

const lint_rule rule_unreleased_semaphore = {
    .id = "unreleased-semaphore",
    .summary = "a semaphore permit acquired and not released on some path",
    .severity = SEV_WARNING,
    .run = run,
};
