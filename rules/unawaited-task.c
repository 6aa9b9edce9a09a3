/* unawaited-task: a task handle (from a call whose model `returns: "task"`, or from a
 * function of the program that returns such a handle it still owns) that is
 * discarded, or that some path drops (the function ends, or the variable is
 * overwritten) before it is awaited, grouped, detached, returned, stored or passed on. */
#include <stdlib.h>
#include <string.h>

#include "../lint/graph/flow.h"
#include "../lint/graph/source.h"
#include "rule.h"

#define MAX_SLOTS 64 /* variables that can hold one handle, one state bit each */

/* One spawn under study: which variables can hold its handle, one state bit each. */
typedef struct {
  const ir_function *f;
  int *slot; /* per variable: its bit, or -1 when it never holds the handle */
  int nslots;
  bool find_return; /* look for a path that returns the handle still owned */
} handle;

/* The variables the handle can reach by plain copies (`u = t`), as state bits.
 * False when there are more than one state can hold. */
static bool collect_slots(handle *h, int dest) {
  const ir_function *f = h->f;
  unsigned char *copies = xcalloc(f->nvars, 1);
  copies[dest] = 1;
  flow_copies(f, copies);
  h->slot = xmalloc(f->nvars * sizeof *h->slot);
  h->slot[dest] = 0;
  h->nslots = 1;
  bool ok = true;
  for (unsigned v = 0; v < f->nvars; v++) {
    if ((int)v == dest) continue;
    h->slot[v] = -1;
    if (!copies[v]) continue;
    if (h->nslots == MAX_SLOTS) ok = false;
    else h->slot[v] = h->nslots++;
  }
  free(copies);
  return ok;
}

static bool holds(const handle *h, uint64_t state, int var) {
  return var >= 0 && h->slot[var] >= 0 && (state >> h->slot[var] & 1);
}

/* The variable stops holding the handle; FOUND when no variable holds it any more. */
static flow_action drop(const handle *h, uint64_t *state, int var) {
  if (!holds(h, *state, var)) return FLOW_CONTINUE;
  *state &= ~((uint64_t)1 << h->slot[var]);
  return *state ? FLOW_CONTINUE : FLOW_FOUND;
}

static flow_action on_op(const ir_function *f, const ir_op *op, flow_pos at, uint64_t *state, void *ctx) {
  (void)at;
  const handle *h = ctx;
  switch (op->kind) {
  case IR_OP_CALL: {
    const ir_call *call = &f->calls[op->call];
    for (unsigned i = 0; i < call->nargs; i++)
      if (call->args[i].kind == IR_VAL_VAR && holds(h, *state, call->args[i].var))
        return FLOW_STOP; /* awaited, detached, grouped or passed on */
    return call->use == IR_USE_VAR ? drop(h, state, call->dest) : FLOW_CONTINUE;
  }
  case IR_OP_ASSIGN:
    if (op->val.kind == IR_VAL_VAR && !op->val.addr_of && holds(h, *state, op->val.var)) {
      if (h->slot[op->var] >= 0) *state |= (uint64_t)1 << h->slot[op->var];
      return FLOW_CONTINUE;
    }
    return drop(h, state, op->var);
  case IR_OP_ESCAPE:
    return holds(h, *state, op->var) ? FLOW_STOP : FLOW_CONTINUE;
  case IR_OP_RETURN:
    if (op->val.kind == IR_VAL_VAR && holds(h, *state, op->val.var)) return h->find_return ? FLOW_FOUND : FLOW_STOP;
    return FLOW_CONTINUE;
  case IR_OP_READ:
    return FLOW_CONTINUE;
  }
  return FLOW_CONTINUE;
}

/* A test of the handle against NULL: the NULL side is a spawn that failed. */
static bool on_edge(const ir_function *f, const ir_block *b, int which, uint64_t *state, void *ctx) {
  (void)f;
  const handle *h = ctx;
  if (!holds(h, *state, b->cond_var)) return true;
  return flow_edge_admits_other(b, which, b->cond_var, 0);
}

static flow_action on_exit(const ir_function *f, uint64_t state, void *ctx) {
  (void)f;
  (void)state;
  const handle *h = ctx;
  return h->find_return ? FLOW_STOP : FLOW_FOUND;
}

static const flow_state_visitor visitor = {on_op, on_edge, on_exit, NULL};

/* A name for the handle in messages: the first declared variable that holds it. */
static const char *handle_name(const handle *h, uint64_t state) {
  for (unsigned v = 0; v < h->f->nvars; v++)
    if (!h->f->vars[v].is_temp && holds(h, state, (int)v)) return h->f->vars[v].name;
  return NULL;
}

static void check_kept(const program *p, const ir_function *f, int c, diag_list *out) {
  const ir_call *call = &f->calls[c];
  handle h = {f, NULL, 0, false};
  if (!collect_slots(&h, call->dest)) {
    free(h.slot);
    return;
  }
  flow_pos at;
  uint64_t state = 1;
  if (!flow_search_state(p, f, flow_after_call(f, c), 1, &visitor, &h, &at, &state)) {
    free(h.slot);
    return;
  }
  const ir_block *b = &f->blocks[at.block];
  bool overwritten = at.op < (int)b->nops;
  const ir_op *op = overwritten ? &b->ops[at.op] : NULL;
  /* an overwrite leaves no holder: name the handle by the variable that lost it */
  int lost = !op ? -1 : op->kind == IR_OP_CALL ? f->calls[op->call].dest : op->var;
  const char *name = lost >= 0 ? (f->vars[lost].is_temp ? NULL : f->vars[lost].name) : handle_name(&h, state);
  char *what = name ? xasprintf("task handle '%s' from '%s'", name, call->callee_name)
                    : xasprintf("task handle from '%s'", call->callee_name);
  diag *d;
  if (overwritten && op->kind == IR_OP_CALL && op->call == c) {
    d = diag_add(out, "unawaited-task", SEV_WARNING, call->loc,
                 xasprintf("%s is overwritten by the next iteration's spawn before it is awaited, grouped or "
                           "detached: the earlier task's failure is lost",
                           what));
  } else if (overwritten) {
    ir_loc where = op->loc;
    d = diag_add(out, "unawaited-task", SEV_WARNING, call->loc,
                 xasprintf("%s is overwritten at line %u before it is awaited, grouped or detached: the "
                           "task's failure is lost",
                           what, where.line));
    diag_note_add(d, where, xstrdup("the handle is overwritten here while its task may still run"));
  } else {
    ir_loc where = b->nops ? b->ops[b->nops - 1].loc : f->end;
    d = diag_add(out, "unawaited-task", SEV_WARNING, call->loc,
                 xasprintf("%s is never awaited, grouped or detached on the path that leaves '%s' at line %u: "
                           "the task's failure is lost",
                           what, f->name, where.line));
    diag_note_add(d, where, xasprintf("'%s' returns here while the handle is still owned", f->name));
  }
  free(what);
  free(h.slot);
}

/* Whether some path of `f` returns the handle that call `c` produced, still owned:
 * the function hands its callers a handle they must take care of. */
static bool returns_owned(const program *p, const ir_function *f, int c) {
  handle h = {f, NULL, 0, true};
  bool found = collect_slots(&h, f->calls[c].dest) &&
               flow_search_state(p, f, flow_after_call(f, c), 1, &visitor, &h, NULL, NULL);
  free(h.slot);
  return found;
}

/* Whether `call` produces a task handle: the model says so, or the callee is a
 * function of the program that returns one it owns (`returner`, per function). */
static bool makes_task(const program *p, const unsigned char *returner, const ir_call *call) {
  const model_fn *m = program_model(p, call);
  if (m) return m->returns == RETURNS_TASK;
  int callee = program_callee(p, call);
  return callee >= 0 && returner[callee];
}

static unsigned char *find_returners(const program *p) {
  unsigned char *returner = xcalloc(p->nfns + 1, 1);
  for (bool changed = true; changed;) {
    changed = false;
    for (unsigned fi = 0; fi < p->nfns; fi++) {
      const ir_function *f = p->fns[fi].fn;
      for (unsigned c = 0; c < f->ncalls && !returner[fi]; c++)
        if (f->calls[c].use == IR_USE_VAR && f->calls[c].dest >= 0 && makes_task(p, returner, &f->calls[c]) &&
            returns_owned(p, f, (int)c))
          returner[fi] = changed = true;
    }
  }
  return returner;
}

/* The choice for a discarded calm_spawn: detach the task, so the loop's error handler
 * sees its failure. Unsafe: nothing waits for the task any more, which may not be what
 * the code meant (awaiting it or adding it to a group may be), so only --unsafe-fixes
 * applies it. */
static void offer_detach(const ir_call *call, diag *d) {
  if (strcmp(call->callee_name, "calm_spawn") != 0) return;
  char *text = source_range_text(call->loc);
  bool ok = text && strncmp(text, "calm_spawn", 10) == 0 && text[strlen(text) - 1] == ')';
  free(text);
  if (!ok) return;
  ir_loc start = call->loc, end = call->loc;
  start.end_line = start.line;
  start.end_col = start.col;
  end.line = end.end_line;
  end.col = end.end_col;
  diag_fix *fix = diag_fix_add(d, xstrdup("detach the task with 'calm_detach' (nothing will wait for it)"), false);
  diag_fix_edit(fix, start, "calm_detach(");
  diag_fix_edit(fix, end, ")");
}

static void run(const program *p, diag_list *out) {
  unsigned char *returner = find_returners(p);
  for (unsigned fi = 0; fi < p->nfns; fi++) {
    const ir_function *f = p->fns[fi].fn;
    for (unsigned c = 0; c < f->ncalls; c++) {
      const ir_call *call = &f->calls[c];
      if (!makes_task(p, returner, call)) continue;
      if (call->use == IR_USE_DISCARDED || call->use == IR_USE_VOIDED)
        offer_detach(call, diag_add(out, "unawaited-task", SEV_WARNING, call->loc,
                                    xasprintf("task handle returned by '%s' is %s: the task is never awaited, "
                                              "grouped or detached, so its failure is lost",
                                              call->callee_name,
                                              call->use == IR_USE_VOIDED ? "discarded with a (void) cast"
                                                                         : "discarded")));
      else if (call->use == IR_USE_VAR && call->dest >= 0)
        check_kept(p, f, (int)c, out);
    }
  }
  free(returner);
}

const lint_rule rule_unawaited_task = {
    .id = "unawaited-task",
    .summary = "a task handle discarded, or not awaited, grouped or detached on some path",
    .severity = SEV_WARNING,
    .run = run,
};
