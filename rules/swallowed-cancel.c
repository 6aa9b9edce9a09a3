/* swallowed-cancel: in loop context, the status of a suspension call (which can be the
 * cancellation status) ignored, never looked at, or seen on a branch that then keeps
 * the loop going, suspends again or reports success; and loop callbacks whose status
 * parameter is never read. */
#include <stdlib.h>
#include <string.h>

#include "../lint/graph/flow.h"
#include "../lint/graph/source.h"
#include "rule.h"

/* Per-path state of the status search: which tracked variables hold the status,
 * which hold a success value instead, whether the status was looked at, whether a
 * branch that admits the cancellation status was taken, and the first such branch. */
#define MAX_TRACKED 14
#define HOLDS(i) (1ull << (i))
#define SUCCESS(i) (1ull << (MAX_TRACKED + (i)))
#define READ_BIT (1ull << 28)
#define SEEN_BIT (1ull << 29)
#define LOOPED_BIT (1ull << 30) /* a loop's back edge was taken after SEEN */
#define SEEN_BLOCK(st) ((int)((st) >> 32) - 1)

typedef enum {
  END_NONE,
  END_UNREAD_RETURN,    /* returns before the status was looked at */
  END_UNREAD_OVERWRITE, /* the status is overwritten before it was looked at */
  END_SEEN_LOOP,        /* cancellation seen, then a loop goes on */
  END_SEEN_SUSPEND,     /* cancellation seen, then the task suspends again */
  END_SEEN_SUCCESS,     /* cancellation seen, then the function returns success */
} end_kind;

typedef struct {
  const program *p;
  const ir_function *f;
  int origin;         /* the call whose status is followed */
  int64_t cancel;     /* the model's cancellation status */
  const bool *shield; /* per call: inside shielded cleanup */
  int tracked[MAX_TRACKED];
  unsigned ntracked;
  end_kind end;
  ir_loc end_loc;
  int end_block;        /* the block of end_loc's operation, or -1 */
  const char *end_name; /* the suspension call or the overwritten variable */
} status_ctx;

static int tracked_index(const status_ctx *c, int var) {
  for (unsigned i = 0; i < c->ntracked; i++)
    if (c->tracked[i] == var) return (int)i;
  return -1;
}

static bool holds(const status_ctx *c, uint64_t st, int var) {
  int i = tracked_index(c, var);
  return i >= 0 && (st & HOLDS(i));
}

static uint64_t holding_mask(void) { return (1ull << MAX_TRACKED) - 1; }

static bool address_passed(const ir_call *call, int var) {
  for (unsigned a = 0; a < call->nargs; a++)
    if (call->args[a].kind == IR_VAL_VAR && call->args[a].addr_of && call->args[a].var == var) return true;
  return false;
}

/* A variable that only ever gets constants >= 0 (`int result = 0;`): returning it
 * reports success. */
static bool success_only_var(const ir_function *f, int var) {
  const ir_var *v = &f->vars[var];
  if (v->is_param || v->is_static) return false;
  bool assigned = false;
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++) {
      const ir_op *op = &f->blocks[b].ops[i];
      if (op->kind == IR_OP_ESCAPE && op->var == var) return false;
      if (op->kind == IR_OP_CALL && f->calls[op->call].dest == var) return false;
      if (op->kind == IR_OP_CALL && address_passed(&f->calls[op->call], var)) return false;
      if (op->kind == IR_OP_ASSIGN && op->val.kind == IR_VAL_VAR && op->val.addr_of && op->val.var == var)
        return false;
      if (op->kind != IR_OP_ASSIGN || op->var != var) continue;
      if (op->val.kind != IR_VAL_INT || op->val.ival < 0) return false;
      assigned = true;
    }
  return assigned;
}

/* Whether the function returns variable `var` somewhere. */
static bool returns_var(const ir_function *f, int var) {
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++) {
      const ir_op *op = &f->blocks[b].ops[i];
      if (op->kind == IR_OP_RETURN && op->val.kind == IR_VAL_VAR && !op->val.addr_of && op->val.var == var) return true;
    }
  return false;
}

/* Whether the status is set aside in a variable the function returns, one that the
 * suspension call `call` does not overwrite: the "await every handle, keep the first
 * failure" loop (`if (rc < 0 && status == 0) status = rc;`) carries a failure out once
 * it is done, this cancellation or one before it. */
static bool kept_for_return(const status_ctx *c, const ir_call *call) {
  for (unsigned i = 1; i < c->ntracked; i++)
    if (c->tracked[i] != call->dest && returns_var(c->f, c->tracked[i])) return true;
  return false;
}

static flow_action settle(status_ctx *c, end_kind kind, ir_loc loc, const char *name) {
  c->end = kind;
  c->end_loc = loc;
  c->end_block = -1;
  c->end_name = name;
  return FLOW_FOUND;
}

static flow_action status_op(const ir_function *f, const ir_op *op, flow_pos at, uint64_t *st, void *vctx) {
  status_ctx *c = vctx;
  switch (op->kind) {
  case IR_OP_READ:
    if (holds(c, *st, op->var)) *st |= READ_BIT;
    return FLOW_CONTINUE;
  case IR_OP_ESCAPE:
    return holds(c, *st, op->var) ? FLOW_STOP : FLOW_CONTINUE; /* stored for someone else */
  case IR_OP_ASSIGN: {
    bool from_status = op->val.kind == IR_VAL_VAR && !op->val.addr_of && holds(c, *st, op->val.var);
    int i = tracked_index(c, op->var);
    if (from_status) *st |= READ_BIT;
    if (i < 0) return FLOW_CONTINUE;
    *st &= ~(HOLDS(i) | SUCCESS(i));
    if (from_status) *st |= HOLDS(i);
    else if (op->val.kind == IR_VAL_INT && op->val.ival == 0) *st |= SUCCESS(i);
    if (!(*st & (READ_BIT | holding_mask())))
      return settle(c, END_UNREAD_OVERWRITE, op->loc, f->vars[op->var].name);
    return FLOW_CONTINUE;
  }
  case IR_OP_RETURN: {
    const ir_value *v = &op->val;
    if (v->kind == IR_VAL_VAR && !v->addr_of && holds(c, *st, v->var)) return FLOW_STOP;
    if ((*st & READ_BIT) && !(*st & SEEN_BIT)) return FLOW_STOP;
    /* success: a constant >= 0, a variable that holds one, or, for a status never
       looked at, a void return (the caller cannot learn of the cancellation); a
       failure or a value of unknown meaning leaves the judgment to the caller */
    bool success = v->kind == IR_VAL_OTHER && f->returns_void && !(*st & READ_BIT);
    if (v->kind == IR_VAL_INT) success = v->ival >= 0;
    if (v->kind == IR_VAL_VAR && !v->addr_of) {
      int i = tracked_index(c, v->var);
      success = i >= 0 ? (*st & SUCCESS(i)) != 0 : success_only_var(f, v->var);
    }
    if (!success) return FLOW_STOP;
    if (!(*st & READ_BIT)) return settle(c, END_UNREAD_RETURN, op->loc, NULL);
    if (!(*st & SEEN_BIT)) return FLOW_STOP;
    settle(c, END_SEEN_SUCCESS, op->loc, NULL);
    c->end_block = at.block;
    return FLOW_FOUND;
  }
  case IR_OP_CALL: {
    const ir_call *call = &f->calls[op->call];
    bool passes = false;
    for (unsigned i = 0; i < c->ntracked; i++)
      if ((*st & HOLDS(i)) && flow_call_uses_var(call, c->tracked[i])) passes = true;
    const model_fn *m = program_model(c->p, call);
    if (passes) {
      *st |= READ_BIT;
      if (!m) return FLOW_STOP; /* handed to code of the program, which may record it */
    }
    /* a later suspension call sees the cancellation again (it is sticky), so only
       one made after the cancellation was seen and set aside swallows it */
    if (m && m->suspends && !c->shield[op->call] && (*st & SEEN_BIT)) {
      if (kept_for_return(c, call)) return FLOW_STOP;
      return settle(c, *st & LOOPED_BIT ? END_SEEN_LOOP : END_SEEN_SUSPEND, call->loc, call->callee_name);
    }
    int i = call->dest >= 0 ? tracked_index(c, call->dest) : -1;
    if (i >= 0) {
      *st &= ~(HOLDS(i) | SUCCESS(i));
      if (!(*st & (READ_BIT | holding_mask())))
        return settle(c, END_UNREAD_OVERWRITE, call->loc, f->vars[call->dest].name);
    }
    return FLOW_CONTINUE;
  }
  }
  return FLOW_CONTINUE;
}

static bool status_edge(const ir_function *f, const ir_block *b, int which, uint64_t *st, void *vctx) {
  (void)f;
  status_ctx *c = vctx;
  if (b->cond_var < 0) return true;
  /* a tracked variable known to hold 0 on this path (`int status = 0;`) takes only the
     edges 0 can take: `if (rc < 0 && status == 0)` is the first failure only */
  int k = tracked_index(c, b->cond_var);
  if (k >= 0 && (*st & SUCCESS(k)) && !flow_edge_admits(b, which, b->cond_var, 0)) return false;
  if (!holds(c, *st, b->cond_var)) return true;
  if (!flow_edge_admits(b, which, b->cond_var, c->cancel)) return false;
  /* the last test the cancellation passes is the branch that decides what happens to
     it: the finding goes there, not to an earlier `if (rc < 0)` that only narrows */
  *st = (*st & 0xffffffffull) | READ_BIT | SEEN_BIT | ((uint64_t)(b - f->blocks + 1) << 32);
  return true;
}

static flow_action status_exit(const ir_function *f, uint64_t st, void *vctx) {
  (void)f;
  status_ctx *c = vctx;
  if (!(st & READ_BIT)) return settle(c, END_UNREAD_RETURN, f->end, NULL);
  return FLOW_STOP;
}

/* A loop that goes round again after the cancellation was seen is reported when it
 * reaches a suspension call again: its condition may still look at the status and
 * leave (`while (status == 0)`). */
static flow_action status_back(const ir_function *f, const ir_block *from, uint64_t *st, void *vctx) {
  (void)f;
  (void)from;
  (void)vctx;
  if (*st & SEEN_BIT) *st |= LOOPED_BIT;
  return FLOW_CONTINUE;
}

/* Variables that can carry the status on: the destination and, transitively, every
 * variable assigned from one of them. */
static void track_vars(status_ctx *c, int dest) {
  c->tracked[0] = dest;
  c->ntracked = 1;
  for (bool grown = true; grown;) {
    grown = false;
    for (unsigned b = 0; b < c->f->nblocks; b++)
      for (unsigned i = 0; i < c->f->blocks[b].nops; i++) {
        const ir_op *op = &c->f->blocks[b].ops[i];
        if (op->kind != IR_OP_ASSIGN || op->val.kind != IR_VAL_VAR || op->val.addr_of) continue;
        if (tracked_index(c, op->val.var) < 0 || tracked_index(c, op->var) >= 0) continue;
        if (c->ntracked == MAX_TRACKED) return;
        c->tracked[c->ntracked++] = op->var;
        grown = true;
      }
  }
}

static int shield_mark(const program *p, const ir_call *call, void *ctx) {
  (void)ctx;
  const model_fn *m = program_model(p, call);
  return m ? m->shield : 0;
}

static const char *var_name(const ir_function *f, int var) {
  return f->vars[var].is_temp ? "the result" : f->vars[var].name;
}

/* Whether block `b` is entered only from `from`: what it does happens only on that edge. */
static bool only_from(const ir_function *f, int b, int from) {
  for (unsigned k = 0; k < f->nblocks; k++) {
    const ir_block *x = &f->blocks[k];
    int n = x->term == IR_TERM_COND ? 2 : x->term == IR_TERM_GOTO ? 1 : 0;
    for (int i = 0; i < n; i++)
      if (x->succ[i] == b && (int)k != from) return false;
  }
  return true;
}

/* The fix for success returned right under the branch that saw the cancellation
 * (`if (rc < 0) return 0;`): return the status that branch tested. Only there: a
 * return shared with other paths would change them too, and the variable may be out
 * of scope at a return further down. */
static void offer_return_status(const ir_function *f, const ir_block *seen, const status_ctx *c, diag *d) {
  int sb = (int)(seen - f->blocks);
  if (f->returns_void || seen->cond_var < 0 || f->vars[seen->cond_var].is_temp || c->end_block < 0) return;
  if ((seen->succ[0] != c->end_block && seen->succ[1] != c->end_block) || !only_from(f, c->end_block, sb)) return;
  const ir_block *rb = &f->blocks[c->end_block];
  if (rb->nops != 1 || rb->ops[0].kind != IR_OP_RETURN) return; /* nothing else happens first */
  ir_loc ret = c->end_loc;
  char *text = source_range_text(ret);
  if (!text || ret.line != ret.end_line || strncmp(text, "return", 6) != 0) {
    free(text);
    return;
  }
  unsigned k = 6;
  while (text[k] == ' ' || text[k] == '\t') k++;
  bool ok = text[k] && (k > 6 || text[k] == '(');
  free(text);
  if (!ok) return;
  const char *var = f->vars[seen->cond_var].name;
  ir_loc at = ret;
  at.col = ret.col + k;
  diag_fix *fix = diag_fix_add(d, xasprintf("return '%s', the status, instead of success", var), true);
  diag_fix_edit(fix, at, var);
}

static void report_path(const program *p, const ir_function *f, const ir_call *call, const status_ctx *c,
                        uint64_t st, diag_list *out) {
  const char *v = var_name(f, call->dest);
  const char *q = f->vars[call->dest].is_temp ? "" : "'";
  diag *d;
  switch (c->end) {
  case END_UNREAD_RETURN:
  case END_UNREAD_OVERWRITE: {
    const char *what = c->end == END_UNREAD_RETURN ? "the function returns success" : "it is overwritten";
    d = diag_add(out, "swallowed-cancel", SEV_WARNING, call->loc,
                 xasprintf("status of '%s' in %s%s%s is not looked at before %s: a cancellation is swallowed "
                           "and the task goes on as if nothing happened",
                           call->callee_name, q, v, q, what));
    diag_note_add(d, c->end_loc,
                  c->end == END_UNREAD_RETURN ? xasprintf("success is returned here")
                                              : xasprintf("'%s' is overwritten here", c->end_name));
    break;
  }
  default: {
    const ir_block *seen = &f->blocks[SEEN_BLOCK(st)];
    const char *what = c->end == END_SEEN_LOOP      ? "the loop goes on"
                       : c->end == END_SEEN_SUSPEND ? "the task suspends again"
                                                    : "the function returns success";
    d = diag_add(out, "swallowed-cancel", SEV_WARNING, seen->term_loc,
                 xasprintf("this branch can see CALM_ECANCELED from '%s' but %s instead of returning it: the task "
                           "cannot be stopped",
                           call->callee_name, what));
    diag_note_add(d, call->loc, xasprintf("%s%s%s gets the status of '%s' here", q, v, q, call->callee_name));
    if (c->end_loc.line != seen->term_loc.line || c->end_loc.col != seen->term_loc.col)
      diag_note_add(d, c->end_loc,
                  c->end == END_SEEN_LOOP      ? xasprintf("the loop comes back to '%s' here", c->end_name)
                  : c->end == END_SEEN_SUSPEND ? xasprintf("'%s' suspends here", c->end_name)
                                               : xasprintf("success is returned here"));
    if (c->end == END_SEEN_SUCCESS) offer_return_status(f, seen, c, d);
  }
  }
  (void)p;
}

static void check_function(const program *p, const ir_function *f, diag_list *out) {
  bool *shield = NULL;
  for (unsigned ci = 0; ci < f->ncalls; ci++) {
    const ir_call *call = &f->calls[ci];
    const model_fn *m = program_model(p, call);
    if (!m || m->returns != RETURNS_STATUS || !m->has_cancel_status) continue;
    if (!shield) shield = flow_calls_inside(p, f, shield_mark, NULL);
    if (shield[ci]) continue; /* shielded: the call does not see cancellation */
    if (call->use == IR_USE_DISCARDED || call->use == IR_USE_VOIDED) {
      /* a dropped acquire is one mistake, reported by unreleased-semaphore (the code
         goes on as if it held a permit) */
      if (m->acquires.kind == RESOURCE_SEMAPHORE) continue;
      diag_add(out, "swallowed-cancel", SEV_WARNING, call->loc,
               xasprintf("status of '%s' is %s: a cancellation is swallowed and the task goes on as if nothing "
                         "happened",
                         call->callee_name, call->use == IR_USE_VOIDED ? "cast to void" : "ignored"));
      continue;
    }
    if (call->use != IR_USE_VAR || call->dest < 0) continue;
    status_ctx c = {.p = p, .f = f, .origin = (int)ci, .cancel = m->cancel_status, .shield = shield};
    track_vars(&c, call->dest);
    flow_state_visitor v = {status_op, status_edge, status_exit, status_back};
    uint64_t st = 0;
    if (flow_search_state(p, f, flow_after_call(f, (int)ci), HOLDS(0), &v, &c, NULL, &st))
      report_path(p, f, call, &c, st, out);
  }
  free(shield);
}

/* A loop callback whose status parameter (the model's status_param) is never read. */
static bool param_used(const ir_function *f, int var) {
  for (unsigned b = 0; b < f->nblocks; b++) {
    const ir_block *blk = &f->blocks[b];
    if (blk->term == IR_TERM_COND && blk->cond_var == var) return true;
    for (unsigned i = 0; i < blk->nops; i++) {
      const ir_op *op = &blk->ops[i];
      if ((op->kind == IR_OP_READ || op->kind == IR_OP_ESCAPE) && op->var == var) return true;
      if ((op->kind == IR_OP_ASSIGN || op->kind == IR_OP_RETURN) && op->val.kind == IR_VAL_VAR && op->val.var == var)
        return true;
      if (op->kind == IR_OP_CALL && flow_call_uses_var(&f->calls[op->call], var)) return true;
    }
  }
  return false;
}

static flow_action reach_exit(const ir_function *f, void *ctx) {
  (void)f;
  (void)ctx;
  return FLOW_FOUND;
}

/* Whether `f` does something on its normal path (one that returns, not an
 * assertion's way to abort) other than cleanup: a model `cleanup` call, or a call to
 * a function of the program that itself only cleans up (`free_request(req)`). */
static bool does_more_than_cleanup(const program *p, const ir_function *f, unsigned depth) {
  flow_visitor to_exit = {.exit = reach_exit};
  for (unsigned ci = 0; ci < f->ncalls; ci++) {
    const ir_call *call = &f->calls[ci];
    const model_fn *m = program_model(p, call);
    if (m && m->cleanup) continue;
    int callee = program_callee(p, call);
    if (!m && callee >= 0 && depth < 3 && !does_more_than_cleanup(p, p->fns[callee].fn, depth + 1)) continue;
    if (flow_search(p, f, flow_after_call(f, (int)ci), &to_exit, NULL, NULL)) return true;
  }
  return false;
}

/* Whether the callback goes on as if the operation had succeeded: it can return, and
 * does more than clean up. One that only closes, frees or counts acts alike either
 * way; one that always aborts is never meant to run. */
static bool goes_on(const program *p, const ir_function *f) {
  flow_visitor to_exit = {.exit = reach_exit};
  if (!flow_search(p, f, (flow_pos){IR_ENTRY, 0}, &to_exit, NULL, NULL)) return false;
  return does_more_than_cleanup(p, f, 0);
}

/* The model's entry for the callback root `r` stands for (a loop callback with that
 * status parameter), or NULL. */
static const model_callback *callback_model(const program *p, const root_info *r) {
  const model_fn *m = r->via ? model_db_lookup(p->models, r->via) : NULL;
  const model_callback *cb = NULL;
  for (unsigned i = 0; m && i < m->ncallbacks; i++)
    if (m->callbacks[i].context == CTX_LOOP && m->callbacks[i].status_param == r->status_param) cb = &m->callbacks[i];
  return cb;
}

/* The model's `cancelled_by` for this callback: its status is 0 unless that function
 * cancels the request, so it matters only in a translation unit that calls it. */
static bool cancel_possible(const program *p, const prog_fn *pf, const root_info *r) {
  const model_callback *cb = callback_model(p, r);
  const char *by = cb ? cb->cancelled_by : NULL;
  if (!by) return true;
  for (unsigned f = 0; f < pf->tu->nfuncs; f++)
    for (unsigned c = 0; c < pf->tu->funcs[f].ncalls; c++)
      if (strcmp(pf->tu->funcs[f].calls[c].callee_name, by) == 0) return true;
  return false;
}

/* The model's `status_checked_by` for this callback, when `f` calls it and looks at
 * its result: a connection callback that tests uv_accept has handled a failed listen,
 * since with an error status there is no connection and uv_accept fails. */
static bool status_checked(const program *p, const ir_function *f, const root_info *r) {
  const model_callback *cb = callback_model(p, r);
  const char *by = cb ? cb->status_checked_by : NULL;
  if (!by) return false;
  for (unsigned c = 0; c < f->ncalls; c++) {
    const ir_call *call = &f->calls[c];
    if (strcmp(call->callee_name, by) == 0 && call->use == IR_USE_VAR && call->dest >= 0 && param_used(f, call->dest))
      return true;
  }
  return false;
}

static void check_callback(const program *p, int fi, diag_list *out) {
  const prog_fn *pf = &p->fns[fi];
  if (pf->loop.root < 0) return;
  const root_info *r = &p->roots[pf->loop.root];
  const ir_function *f = pf->fn;
  if (r->kind != ROOT_CALLBACK || r->status_param < 0 || (unsigned)r->status_param >= f->nparams) return;
  if (param_used(f, r->status_param) || !goes_on(p, f) || !cancel_possible(p, pf, r) || status_checked(p, f, r)) return;
  const char *name = f->vars[r->status_param].name;
  diag *d = diag_add(out, "swallowed-cancel", SEV_WARNING, f->vars[r->status_param].loc,
                     xasprintf("status parameter '%s' of '%s' is never read: a failed or cancelled '%s' is "
                               "handled as if it had succeeded",
                               name && *name ? name : "(unnamed)", f->name, r->via));
  diag_note_add(d, r->site, xasprintf("'%s' is the callback of '%s' here", f->name, r->via));
}

static void run(const program *p, diag_list *out) {
  for (unsigned f = 0; f < p->nfns; f++) {
    if (!(p->fns[f].contexts & CTX_LOOP)) continue;
    if (rule_runs_in_task(p, (int)f)) check_function(p, p->fns[f].fn, out);
    check_callback(p, (int)f, out);
  }
}

const lint_rule rule_swallowed_cancel = {
    .id = "swallowed-cancel",
    .summary = "a suspension status ignored, or a cancellation handled and then not returned",
    .severity = SEV_WARNING,
    .run = run,
    .quiet_in_tests = true,
};
