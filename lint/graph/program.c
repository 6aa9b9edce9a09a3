/* Linking summaries into one program: functions by USR, callback registrations
 * (including wrappers that pass a parameter on to a registering API), and the
 * breadth-first spread of loop and worker context along calls, which keeps for each
 * function the shortest chain from a root for traces. */
#include "program.h"

#include <stdlib.h>
#include <string.h>

/* Lookups by USR and by callee name are memoised by the string's address: the IR's
 * strings are interned and live as long as the program, and the same few are asked
 * for from every call of every rule. */
int program_find(const program *p, const char *usr) {
  void *v;
  if (!usr) return -1;
  if (ptrmap_get(p->find_memo, usr, &v)) return (int)(intptr_t)v - 1;
  int f = strmap_get(p->by_usr, usr, &v) ? (int)(intptr_t)v - 1 : -1;
  ptrmap_put(p->find_memo, usr, (void *)(intptr_t)(f + 1));
  return f;
}

int program_callee(const program *p, const ir_call *call) { return program_find(p, call->callee_usr); }

unsigned program_resolve(const program *p, int caller, const char *usr, int *out, unsigned max) {
  return program_resolve_in(p, caller >= 0 ? p->fns[caller].tu : NULL, usr, out, max);
}

unsigned program_resolve_in(const program *p, const ir_summary *tu, const char *usr, int *out, unsigned max) {
  int first = program_find(p, usr);
  if (first < 0) return 0;
  for (int d = first; d >= 0; d = p->fns[d].next_same_usr)
    if (p->fns[d].tu == tu) {
      if (max) out[0] = d;
      return 1;
    }
  unsigned n = 0;
  for (int d = first; d >= 0; d = p->fns[d].next_same_usr) {
    if (n < max) out[n] = d;
    n++;
  }
  return n;
}

unsigned program_call_targets(const program *p, int f, int call, int *out, unsigned max) {
  const ir_call *c = &p->fns[f].fn->calls[call];
  if (c->callee_usr) return program_resolve(p, f, c->callee_usr, out, max);
  const call_target *t;
  unsigned n = p->ind ? indirect_call_targets(p->ind, f, call, &t) : 0;
  for (unsigned i = 0; i < n && i < max; i++) out[i] = t[i].fn;
  return n;
}

const call_target *program_indirect_target(const program *p, int f, int call, int target) {
  const call_target *t;
  unsigned n = p->ind ? indirect_call_targets(p->ind, f, call, &t) : 0;
  for (unsigned i = 0; i < n; i++)
    if (t[i].fn == target) return &t[i];
  return NULL;
}

/* The key of the callbacks bound to one call site: "@function:call". */
static char *site_key(int f, int call) { return xasprintf("@%d:%d", f, call); }

unsigned program_runs_later(const program *p, int f, int call, int *out, unsigned max) {
  const ir_call *c = &p->fns[f].fn->calls[call];
  if (!c->callee_usr) return 0;
  unsigned n = 0;
  char *site = site_key(f, call);
  const char *keys[2] = {c->callee_name, site};
  for (int k = 0; k < 2; k++) {
    void *list;
    if (!strmap_get(p->later, keys[k], &list)) continue;
    const later_list *l = list;
    for (size_t i = 0; i < l->len; i++)
      if (n < max) out[n++] = l->items[i];
  }
  free(site);
  return n;
}

const model_fn *program_model(const program *p, const ir_call *call) {
  if (!call->callee_usr || !call->callee_name) return NULL;
  void *m;
  if (ptrmap_get(p->model_memo, call->callee_name, &m)) return m;
  const model_fn *found = model_db_lookup(p->models, call->callee_name);
  ptrmap_put(p->model_memo, call->callee_name, (void *)found);
  return found;
}

bool program_call_noreturn(const program *p, const ir_call *call) {
  if (call->callee_attrs & IR_ATTR_NORETURN) return true;
  const model_fn *m = program_model(p, call);
  return m && m->noreturn;
}

/* What a registering call says of one of its arguments: a function the API calls
 * later, in `context`. */
typedef struct {
  int arg;
  calm_context context;
  int status_param;
  const char *via; /* the API that finally receives it */
  bool cold;       /* the API calls it rarely (a signal, a close, a one-shot timer) */
  const model_callback *later; /* it runs inside later calls (`runs_in`), not as a root */
} callback_spec;

/* A parameter a function hands on to a registering API (`arg` is the parameter):
 * calls to the function register whatever they pass there. */
typedef VEC(callback_spec) forwarded_list;

static bool forwards(const forwarded_list *l, int param, calm_context ctx) {
  for (size_t i = 0; i < l->len; i++)
    if (l->items[i].arg == param && l->items[i].context == ctx) return true;
  return false;
}

/* Calls `visit` for each callback argument of `call`: from the model, and from
 * parameters the callee forwards. */
typedef void (*callback_visit)(const ir_call *call, const callback_spec *spec, void *data);

static void each_callback_arg(const program *p, const forwarded_list *fwd, int caller, const ir_call *call,
                              callback_visit visit, void *data) {
  const model_fn *m = program_model(p, call);
  for (unsigned i = 0; m && i < m->ncallbacks; i++) {
    const model_callback *cb = &m->callbacks[i];
    if (cb->when.set && !model_cond_holds(&cb->when, call)) continue; /* a setter's other option */
    callback_spec spec = {cb->arg, cb->context, cb->status_param, call->callee_name, model_cond_holds(&cb->cold, call),
                          cb->nruns_in ? cb : NULL};
    visit(call, &spec, data);
  }
  int defs[8];
  unsigned n = program_resolve(p, caller, call->callee_usr, defs, 8);
  for (unsigned d = 0; d < n && d < 8; d++)
    for (size_t i = 0; i < fwd[defs[d]].len; i++) visit(call, &fwd[defs[d]].items[i], data);
}

typedef struct {
  const program *p;
  forwarded_list *fwd;
  int fn;
  bool changed;
} forward_ctx;

static void find_forward(const ir_call *call, const callback_spec *spec, void *data) {
  forward_ctx *fc = data;
  const ir_function *f = fc->p->fns[fc->fn].fn;
  if (spec->later || spec->arg < 0 || (unsigned)spec->arg >= call->nargs) return;
  const ir_value *v = &call->args[spec->arg];
  if (v->kind != IR_VAL_VAR || v->addr_of || v->var < 0 || (unsigned)v->var >= f->nparams) return;
  if (forwards(&fc->fwd[fc->fn], v->var, spec->context)) return;
  callback_spec w = *spec;
  w.arg = v->var;
  VEC_PUSH(fc->fwd[fc->fn], w);
  fc->changed = true;
}

typedef struct {
  program *p;
  int caller;
  VEC(root_info) roots;
  VEC(int) root_fn;
} root_ctx;

static void add_root(root_ctx *rc, const ir_call *call, const callback_spec *spec, int fn) {
  const char *wrapper = spec->via && strcmp(spec->via, call->callee_name) != 0 ? call->callee_name : NULL;
  root_info r = {ROOT_CALLBACK, spec->context, spec->via, call->loc, spec->status_param, spec->cold, wrapper};
  VEC_PUSH(rc->roots, r);
  VEC_PUSH(rc->root_fn, fn);
}

/* A callback that runs inside later calls of other functions (`curl_easy_setopt(h,
 * CURLOPT_WRITEFUNCTION, on_data)`: `on_data` runs inside `curl_multi_perform`): each
 * call of those functions runs it, in its caller's context. */
static void later_add(program *p, const char *key, const int *defs, unsigned n) {
  void *list;
  if (!strmap_get(p->later, key, &list)) {
    list = xcalloc(1, sizeof(later_list));
    strmap_put(p->later, key, list);
  }
  later_list *l = list;
  for (unsigned d = 0; d < n; d++) {
    bool dup = false;
    for (size_t k = 0; k < l->len && !dup; k++) dup = l->items[k] == defs[d];
    if (!dup) VEC_PUSH(*l, defs[d]);
  }
}

/* Whether two arguments name the same object: one variable, or the same text. */
static bool same_object(const ir_value *a, const ir_value *b) {
  if (a->kind == IR_VAL_VAR || b->kind == IR_VAL_VAR)
    return a->kind == b->kind && a->var == b->var && a->addr_of == b->addr_of;
  return a->text && b->text && strcmp(a->text, b->text) == 0;
}

/* The setter's handle is its first argument. When the function that sets the callback
 * also drives that very handle (`curl_easy_setopt(h, ...)` then `curl_easy_perform(h)`),
 * the callback runs inside those calls only; else (the handle goes to a multi handle
 * driven elsewhere) inside every call of the driving functions. */
static void add_later(root_ctx *rc, const ir_call *call, const callback_spec *spec) {
  const ir_value *v = &call->args[spec->arg];
  if (v->kind != IR_VAL_FUNC || call->nargs == 0) return;
  int defs[8];
  unsigned n = program_resolve(rc->p, rc->caller, v->func_usr, defs, 8);
  if (n > 8) n = 8;
  const ir_function *f = rc->p->fns[rc->caller].fn;
  bool local = false;
  for (unsigned c = 0; c < f->ncalls; c++)
    for (unsigned r = 0; r < spec->later->nruns_in; r++)
      if (f->calls[c].nargs > 0 && strcmp(f->calls[c].callee_name, spec->later->runs_in[r]) == 0 &&
          same_object(&f->calls[c].args[0], &call->args[0])) {
        char *key = site_key(rc->caller, (int)c);
        later_add(rc->p, key, defs, n);
        free(key);
        local = true;
      }
  for (unsigned r = 0; r < spec->later->nruns_in && !local; r++) later_add(rc->p, spec->later->runs_in[r], defs, n);
}

static void find_root(const ir_call *call, const callback_spec *spec, void *data) {
  root_ctx *rc = data;
  if (spec->arg < 0 || (unsigned)spec->arg >= call->nargs) return;
  if (spec->later) {
    add_later(rc, call, spec);
    return;
  }
  const ir_value *v = &call->args[spec->arg];
  if (v->kind == IR_VAL_FUNC) {
    int targets[8];
    unsigned n = program_resolve(rc->p, rc->caller, v->func_usr, targets, 8);
    for (unsigned i = 0; i < n && i < 8; i++) add_root(rc, call, spec, targets[i]);
    return;
  }
  /* a pointer read from a field or variable (`uv_timer_start(t, job->on_tick, ...)`);
     a parameter handed on is found at its callers' sites instead */
  const ir_function *fn = rc->p->fns[rc->caller].fn;
  if (v->kind == IR_VAL_VAR && (v->var < 0 || (unsigned)v->var < fn->nparams)) return;
  const call_target *t;
  unsigned n = indirect_value_targets(rc->p->ind, rc->caller, v, &t);
  for (unsigned i = 0; i < n; i++) add_root(rc, call, spec, t[i].fn);
}

/* Functions the program stores into a field that a model names as a library's
 * callback slot (`struct lws_protocols`'s `callback`, GLib's `GSourceFuncs`): the
 * library calls them in the slot's context. `f` is the storing function, or -1 for
 * a file-scope initialiser in `tu`. */
static void slot_roots(root_ctx *rc, int f, const ir_summary *tu, const ir_store *st) {
  if (st->slot.kind != IR_SLOT_FIELD) return;
  const model_slot *ms = model_db_slot(rc->p->models, st->slot.name);
  if (!ms) return;
  root_info r = {ROOT_SLOT, ms->context, st->slot.name, st->loc, -1, ms->cold, NULL};
  if (st->val.kind == IR_VAL_FUNC && st->val.func_usr) {
    int defs[8];
    unsigned n = program_resolve_in(rc->p, tu, st->val.func_usr, defs, 8);
    for (unsigned i = 0; i < n && i < 8; i++) {
      VEC_PUSH(rc->roots, r);
      VEC_PUSH(rc->root_fn, defs[i]);
    }
    return;
  }
  if (f < 0) return;
  const call_target *t;
  unsigned n = indirect_value_targets(rc->p->ind, f, &st->val, &t);
  for (unsigned i = 0; i < n; i++) {
    VEC_PUSH(rc->roots, r);
    VEC_PUSH(rc->root_fn, t[i].fn);
  }
}

static int cmp_root_order(const root_info *a, const root_info *b) {
  if (ir_loc_less(&a->site, &b->site)) return -1;
  if (ir_loc_less(&b->site, &a->site)) return 1;
  return 0;
}

/* Roots sorted by site, so chains and reports do not depend on link order: a stable
 * merge sort (equal sites keep their order), not an insertion sort, which is quadratic
 * when a program's roots come far from their order. */
static void sort_roots(root_info *roots, int *fns, unsigned n) {
  if (n < 2) return;
  root_info *tr = xmalloc(n * sizeof *tr);
  int *tf = xmalloc(n * sizeof *tf);
  for (unsigned width = 1; width < n; width *= 2) {
    for (unsigned lo = 0; lo < n; lo += 2 * width) {
      unsigned mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      unsigned i = lo, j = mid, k = lo;
      while (i < mid || j < hi) {
        unsigned take = j >= hi || (i < mid && cmp_root_order(&roots[j], &roots[i]) >= 0) ? i++ : j++;
        tr[k] = roots[take];
        tf[k++] = fns[take];
      }
    }
    memcpy(roots, tr, n * sizeof *tr);
    memcpy(fns, tf, n * sizeof *tf);
  }
  free(tr);
  free(tf);
}

static reach *reach_of(prog_fn *f, calm_context ctx) { return ctx == CTX_LOOP ? &f->loop : &f->worker; }

/* Whether context spreads from a caller into this callee. Not into a function a
 * model describes: the model says what it does (libcalm's calm_sleep suspends, it
 * does not run its implementation's waitpid on the caller's behalf), nor into one
 * annotated as blocking or vouched non-blocking. */
static bool descends_into(const program *p, const ir_call *call, int callee, bool invoked) {
  unsigned attrs = (invoked ? 0 : call->callee_attrs) | p->fns[callee].fn->attrs;
  if (attrs & (IR_ATTR_NONBLOCKING | IR_ATTR_BLOCKING)) return false;
  return invoked || program_model(p, call) == NULL;
}

/* The program functions that call `c` of `fi` runs in its caller's context: the
 * definitions of a direct callee, functions a model says the call invokes on the
 * spot (`sqlite3_exec`'s row callback), the resolved targets of an indirect call.
 * None for a call on the child's branch of a fork. Writes up to 32 to `out`. */
static unsigned context_callees(const program *p, int fi, unsigned c, int *out) {
  const ir_call *call = &p->fns[fi].fn->calls[c];
  if (program_call_in_child(p, fi, (int)c)) return 0;
  unsigned n = 0;
  const call_target *through;
  unsigned nthrough = call->callee_usr ? 0 : indirect_call_targets(p->ind, fi, (int)c, &through);
  for (unsigned t = 0; t < nthrough && n < 32; t++)
    if (descends_into(p, call, through[t].fn, true)) out[n++] = through[t].fn;
  int defs[8];
  unsigned nd = program_resolve(p, fi, call->callee_usr, defs, 8);
  for (unsigned d = 0; d < nd && d < 8 && n < 32; d++)
    if (descends_into(p, call, defs[d], false)) out[n++] = defs[d];
  const model_fn *m = program_model(p, call);
  for (unsigned i = 0; m && i < m->ninvokes; i++) {
    int a = m->invokes[i];
    if (a < 0 || (unsigned)a >= call->nargs || call->args[a].kind != IR_VAL_FUNC) continue;
    nd = program_resolve(p, fi, call->args[a].func_usr, defs, 4);
    for (unsigned d = 0; d < nd && d < 4 && n < 32; d++)
      if (descends_into(p, call, defs[d], true)) out[n++] = defs[d];
  }
  int later[16];
  unsigned nl = m ? program_runs_later(p, fi, (int)c, later, 16) : 0;
  for (unsigned i = 0; i < nl && i < 16 && n < 32; i++)
    if (descends_into(p, call, later[i], true)) out[n++] = later[i];
  return n;
}

/* ---- run here or hand it over ---- */

/* Marks the blocks of `f` reachable from block `start` by edges `keep` lets through
 * (NULL: every edge); `start` itself only when a path comes back to it. */
static void mark_from(const ir_function *f, int start, bool (*keep)(const ir_block *b, int e, const void *ctx),
                      const void *ctx, unsigned char *mark) {
  int *stack = xmalloc((f->nblocks + 1) * sizeof *stack);
  int top = 0;
  stack[top++] = start;
  while (top) {
    const ir_block *b = &f->blocks[stack[--top]];
    int nsucc = b->term == IR_TERM_COND ? 2 : b->term == IR_TERM_GOTO || b->term == IR_TERM_RETURN ? 1 : 0;
    for (int e = 0; e < nsucc; e++) {
      int s = b->succ[e];
      if (s < 0 || mark[s] || (keep && !keep(b, e, ctx))) continue;
      mark[s] = 1;
      stack[top++] = s;
    }
  }
  free(stack);
}

/* Whether block `to` can be reached from block `from` of `f`. */
static bool block_reaches(const ir_function *f, int from, int to) {
  if (from == to) return true;
  unsigned char *mark = xcalloc(f->nblocks, 1);
  mark_from(f, from, NULL, NULL, mark);
  bool hit = mark[to];
  free(mark);
  return hit;
}

/* Whether direct call `c` of `f` is one side of a choice the function makes itself:
 * on another path, which cannot follow it nor lead to it, `f` hands the same callee
 * to another call (`if (obj->loop == NULL) shutdown(obj); else async_run(obj->loop,
 * shutdown, obj);`, or "on the loop's thread already: call it, else post it"). The
 * program then runs the callee directly only where it may: with no loop to race, or
 * on the loop's own thread. */
static bool call_has_handover(const ir_function *f, unsigned c) {
  const ir_call *call = &f->calls[c];
  if (!call->callee_usr || call->block < 0) return false;
  for (unsigned k = 0; k < f->ncalls; k++) {
    const ir_call *other = &f->calls[k];
    if (k == c || other->block < 0 || other->block == call->block) continue;
    bool hands = false;
    for (unsigned a = 0; a < other->nargs && !hands; a++)
      hands = other->args[a].kind == IR_VAL_FUNC && other->args[a].func_usr &&
              strcmp(other->args[a].func_usr, call->callee_usr) == 0;
    if (hands && !block_reaches(f, call->block, other->block) && !block_reaches(f, other->block, call->block))
      return true;
  }
  return false;
}

/* ---- calls on the way out ---- */

/* Whether a noreturn call is among ops [from, nops) of block `b`. */
static bool ends_in_block(const program *p, const ir_function *f, const ir_block *b, unsigned from) {
  for (unsigned i = from; i < b->nops; i++)
    if (b->ops[i].kind == IR_OP_CALL && program_call_noreturn(p, &f->calls[b->ops[i].call])) return true;
  return false;
}

/* Whether leaving block `b` by its terminator leads only to blocks marked in `dead`:
 * no return, no loop (a back edge may come round to a way out), no opaque jump. */
static bool leads_to_death(const ir_block *b, const unsigned char *dead) {
  if (b->term != IR_TERM_GOTO && b->term != IR_TERM_COND) return false;
  int n = b->term == IR_TERM_COND ? 2 : 1;
  for (int e = 0; e < n; e++)
    if (b->succ[e] < 0 || b->back[e] || !dead[b->succ[e]]) return false;
  return true;
}

/* Per call of `f`, whether the process ends after it; NULL when no call of `f` is
 * followed only by an end. A block "dies" when it holds a noreturn call or every way
 * out of it leads to blocks that die, found by sweeping to a fixed point (the edges
 * followed have no back edge, so each sweep settles at least the blocks whose
 * successors settled, in any order). */
static unsigned char *dying_calls(const program *p, const ir_function *f) {
  if (!f->ncalls || !f->nblocks) return NULL;
  unsigned char *dead = xcalloc(f->nblocks, 1);
  bool any = false;
  for (unsigned b = 0; b < f->nblocks; b++)
    if (b != IR_EXIT && ends_in_block(p, f, &f->blocks[b], 0)) dead[b] = 1, any = true;
  if (!any) {
    free(dead);
    return NULL;
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (unsigned b = f->nblocks; b-- > 0;)
      if (!dead[b] && b != IR_EXIT && leads_to_death(&f->blocks[b], dead)) dead[b] = 1, changed = true;
  }
  unsigned char *dies = NULL;
  for (unsigned b = 0; b < f->nblocks; b++) {
    const ir_block *blk = &f->blocks[b];
    if (!dead[b]) continue;
    for (unsigned i = 0; i < blk->nops; i++) {
      if (blk->ops[i].kind != IR_OP_CALL) continue;
      if (program_call_noreturn(p, &f->calls[blk->ops[i].call])) break; /* it is the end, not before it */
      if (ends_in_block(p, f, blk, i + 1) || leads_to_death(blk, dead)) {
        if (!dies) dies = xcalloc(f->ncalls, 1);
        dies[blk->ops[i].call] = 1;
      }
    }
  }
  free(dead);
  return dies;
}

bool program_call_dies(const program *p, int f, int call) {
  return p->fns[f].dies && p->fns[f].dies[call];
}

/* The passes over the call graph: every root of a context, keeping each function's
 * shortest chain; the roots that run per event, marking `hot` and keeping a chain
 * from them; and the same through calls after which the process ends, marking
 * `hot_exiting` where the hot pass did not reach. */
typedef enum { PASS_REACH, PASS_HOT, PASS_EXITING } spread_pass;

/* Marks `f` reached by root `root` or by call `call` of `caller`, as `pass` does (the
 * hot passes in `seen`). False when it already was. */
static bool mark_reached(program *p, unsigned char *seen, spread_pass pass, calm_context ctx, int f, int root,
                         int caller, int call) {
  if (pass != PASS_REACH) {
    if (seen[f]) return false;
    seen[f] = 1;
    if (pass == PASS_EXITING) {
      p->fns[f].hot_exiting = !p->fns[f].hot;
      return true;
    }
    p->fns[f].hot = true;
    /* a function that runs per event shows a chain that does: one from a per-event
       root, not through a call after which the process ends */
    p->fns[f].loop = (reach){true, root, caller, call, caller >= 0 ? p->fns[caller].loop.depth + 1 : 0};
    return true;
  }
  reach *re = reach_of(&p->fns[f], ctx);
  if (re->reached) return false;
  *re = (reach){true, root, caller, call, caller >= 0 ? reach_of(&p->fns[caller], ctx)->depth + 1 : 0};
  p->fns[f].contexts |= ctx;
  return true;
}

/* Breadth-first from the roots of `ctx` (the per-event ones only in the hot passes). */
static void spread(program *p, const int *root_fn, calm_context ctx, spread_pass pass) {
  int *queue = xmalloc((p->nfns + 1) * sizeof *queue);
  unsigned char *seen = pass != PASS_REACH ? xcalloc(p->nfns + 1, 1) : NULL;
  unsigned head = 0, tail = 0;
  /* per-event roots first, so that a function they reach gets its chain from one of
     them and not from a cold root with an earlier site; cold roots are no roots of
     the hot passes */
  for (int phase = 0; phase < (pass == PASS_REACH ? 2 : 1); phase++) {
    for (unsigned r = 0; r < p->nroots; r++)
      if (p->roots[r].context == ctx && p->roots[r].cold == (phase == 1) &&
          mark_reached(p, seen, pass, ctx, root_fn[r], (int)r, -1, -1))
        queue[tail++] = root_fn[r];
    while (head < tail) {
      int fi = queue[head++];
      for (unsigned c = 0; c < p->fns[fi].fn->ncalls; c++) {
        /* an error path that ends the process delays its exit, not the loop's next event */
        if (pass == PASS_HOT && program_call_dies(p, fi, (int)c)) continue;
        /* a worker runs directly only what the code would otherwise hand to a loop */
        if (ctx == CTX_WORKER && call_has_handover(p->fns[fi].fn, c)) continue;
        int callees[32];
        unsigned n = context_callees(p, fi, c, callees);
        for (unsigned t = 0; t < n; t++)
          if (mark_reached(p, seen, pass, ctx, callees[t], -1, fi, (int)c)) queue[tail++] = callees[t];
      }
    }
  }
  free(seen);
  free(queue);
}

/* ---- fork ---- */

/* Whether edge `e` of `b` (a test of the fork's result) can be taken by the child
 * (result 0) or, with `child` false, by the parent or a failed fork (any other). */
static bool edge_admits_result(const ir_block *b, int e, bool child) {
  int64_t k = b->cond_k;
  if (child) return ir_cmp_holds(b->cond_op, 0, k) == (e == 0);
  const int64_t others[] = {-1, 1, k - 1, k, k + 1};
  for (unsigned i = 0; i < sizeof others / sizeof others[0]; i++)
    if (others[i] != 0 && ir_cmp_holds(b->cond_op, others[i], k) == (e == 0)) return true;
  return false;
}

/* The fork's result and which side is asked about, for fork_edge. */
typedef struct {
  int var;
  bool child;
} fork_side;

static bool fork_edge(const ir_block *b, int e, const void *ctx) {
  const fork_side *side = ctx;
  return b->term != IR_TERM_COND || b->cond_var != side->var || edge_admits_result(b, e, side->child);
}

/* Marks the blocks reachable from just after call `c` (in block `start`) of `f` on
 * which the fork's result `var` can be 0 (`child`) or not, never walking through the
 * fork again. */
static void fork_reach(const ir_function *f, int start, int var, bool child, unsigned char *mark) {
  fork_side side = {var, child};
  mark_from(f, start, fork_edge, &side, mark);
}

/* The blocks only the child of a `fork` runs: reached from the fork where its result
 * can be 0 and not where it cannot. NULL when the function does not fork. */
static unsigned char *child_blocks(const program *p, const ir_function *f) {
  unsigned char *only = NULL;
  for (unsigned c = 0; c < f->ncalls; c++) {
    const ir_call *call = &f->calls[c];
    const model_fn *m = program_model(p, call);
    if (!m || !m->forks || call->use != IR_USE_VAR || call->dest < 0) continue;
    unsigned char *zero = xcalloc(f->nblocks, 1), *other = xcalloc(f->nblocks, 1);
    fork_reach(f, call->block, call->dest, true, zero);
    fork_reach(f, call->block, call->dest, false, other);
    for (unsigned b = 0; b < f->nblocks; b++)
      if (zero[b] && !other[b] && (int)b != call->block) {
        if (!only) only = xcalloc(f->nblocks, 1);
        only[b] = 1;
      }
    free(zero);
    free(other);
  }
  return only;
}

bool program_call_in_child(const program *p, int f, int call) {
  const prog_fn *pf = &p->fns[f];
  return pf->child && pf->child[pf->fn->calls[call].block];
}

/* ---- identical copies ----
 * A function defined in a header is in the summary of every unit that includes it. Its
 * copies are one function when they are identical and so is everything they refer to
 * by USR: then a reference resolves to the same definitions from any unit, and the link
 * keeps only the first copy (in unit order), so each finding is reported once and the
 * graph does not grow with the number of includers. */

/* A summary's strings are interned, so one pointer is one text: each string's hash is
 * remembered by address (a header's path is in every location of its functions, in
 * every copy), and a digest mixes words, not bytes. */
#define STR_MEMO 4096

typedef struct {
  const char *s;
  uint64_t h;
} str_memo;

typedef struct {
  uint64_t h;
  str_memo *memo; /* STR_MEMO entries, direct-mapped by address */
} hasher;

static void h_int(hasher *h, int64_t v) {
  uint64_t x = (h->h ^ (uint64_t)v) * 0x9e3779b97f4a7c15ULL;
  h->h = (x ^ (x >> 32)) + 0x632be59bd9b4e019ULL;
}

static void h_str(hasher *h, const char *s) {
  if (!s) {
    h_int(h, -1);
    return;
  }
  str_memo *m = &h->memo[((uintptr_t)s >> 3) & (STR_MEMO - 1)];
  if (m->s != s) {
    m->s = s;
    m->h = hash_fast(s, strlen(s), 0);
  }
  h_int(h, (int64_t)m->h);
}

static void h_loc(hasher *h, const ir_loc *l) {
  h_str(h, l->file);
  h_int(h, ((int64_t)l->line << 32) | l->col);
  h_int(h, ((int64_t)l->end_line << 32) | l->end_col);
}

static void h_slot(hasher *h, const ir_slot *s) {
  h_int(h, s->kind);
  if (s->kind == IR_SLOT_NONE) return;
  h_str(h, s->key);
  h_str(h, s->name);
  h_int(h, s->var);
}

static void h_value(hasher *h, const ir_value *v) {
  h_int(h, v->kind);
  h_int(h, v->addr_of);
  h_int(h, v->var);
  h_int(h, v->ival);
  h_str(h, v->func_usr);
  h_str(h, v->func_name);
  h_str(h, v->text);
  h_slot(h, &v->slot);
}

/* A digest of everything the rules can read of `f`. */
static uint64_t function_digest(const ir_function *f, str_memo *memo) {
  hasher h = {0, memo};
  h_str(&h, f->usr);
  h_str(&h, f->name);
  h_loc(&h, &f->loc);
  h_loc(&h, &f->end);
  h_int(&h, f->attrs);
  h_int(&h, f->is_static);
  h_int(&h, f->returns_void);
  h_int(&h, f->nparams);
  h_int(&h, f->nvars);
  for (unsigned i = 0; i < f->nvars; i++) {
    const ir_var *v = &f->vars[i];
    h_str(&h, v->name);
    h_str(&h, v->type);
    h_int(&h, v->is_param | v->is_temp << 1 | v->is_static << 2);
    h_loc(&h, &v->loc);
  }
  h_int(&h, f->ncalls);
  for (unsigned i = 0; i < f->ncalls; i++) {
    const ir_call *c = &f->calls[i];
    h_str(&h, c->callee_usr);
    h_str(&h, c->callee_name);
    h_slot(&h, &c->callee_slot);
    h_int(&h, c->callee_attrs);
    h_loc(&h, &c->loc);
    h_int(&h, c->use);
    h_int(&h, c->dest);
    h_int(&h, c->block);
    h_int(&h, c->nargs);
    for (unsigned a = 0; a < c->nargs; a++) h_value(&h, &c->args[a]);
  }
  h_int(&h, f->nblocks);
  for (unsigned i = 0; i < f->nblocks; i++) {
    const ir_block *b = &f->blocks[i];
    h_int(&h, b->term);
    h_int(&h, b->succ[0]);
    h_int(&h, b->succ[1]);
    h_int(&h, b->back[0] | b->back[1] << 1 | b->loop_head << 2);
    h_int(&h, b->cond_var);
    h_int(&h, b->cond_op);
    h_int(&h, b->cond_k);
    h_loc(&h, &b->term_loc);
    h_int(&h, b->nops);
    for (unsigned k = 0; k < b->nops; k++) {
      const ir_op *op = &b->ops[k];
      h_int(&h, op->kind);
      h_int(&h, op->call);
      h_int(&h, op->var);
      h_value(&h, &op->val);
      h_loc(&h, &op->loc);
    }
  }
  h_int(&h, f->nstores);
  for (unsigned i = 0; i < f->nstores; i++) {
    const ir_store *st = &f->stores[i];
    h_slot(&h, &st->slot);
    h_value(&h, &st->val);
    h_loc(&h, &st->loc);
    h_str(&h, st->owner);
    h_str(&h, st->owner_key);
  }
  h_int(&h, f->nrefs);
  for (unsigned i = 0; i < f->nrefs; i++) h_str(&h, f->refs[i]);
  return h.h;
}

typedef struct {
  const ir_function *fn;
  ir_summary *tu;
  int next; /* the next definition with this USR, or -1 */
} definition;

/* The function USRs `f` refers to: what its calls, arguments, operations and stores
 * name, each resolved from f's unit. */
static void each_function_ref(const ir_function *f, void (*visit)(const char *usr, void *data), void *data) {
  for (unsigned i = 0; i < f->ncalls; i++) {
    if (f->calls[i].callee_usr) visit(f->calls[i].callee_usr, data);
    for (unsigned a = 0; a < f->calls[i].nargs; a++)
      if (f->calls[i].args[a].func_usr) visit(f->calls[i].args[a].func_usr, data);
  }
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned k = 0; k < f->blocks[b].nops; k++)
      if (f->blocks[b].ops[k].val.func_usr) visit(f->blocks[b].ops[k].val.func_usr, data);
  for (unsigned i = 0; i < f->nstores; i++)
    if (f->stores[i].val.func_usr) visit(f->stores[i].val.func_usr, data);
}

/* State of a USR defined more than once. */
typedef struct {
  int first;       /* its first definition */
  bool merged;     /* its copies are one function */
  VEC(int) users;  /* other such USRs whose first definition refers to it */
} multi_def;

typedef struct {
  strmap *multi; /* usr -> 1 + index into defs */
  multi_def *defs;
  int self;
} refs_ctx;

static void note_user(const char *usr, void *data) {
  refs_ctx *rc = data;
  void *v;
  if (!strmap_get(rc->multi, usr, &v)) return;
  multi_def *m = &rc->defs[(intptr_t)v - 1];
  if (m->users.len && m->users.items[m->users.len - 1] == rc->self) return;
  VEC_PUSH(m->users, rc->self);
}

/* Marks in `drop` every definition that is an identical copy of an earlier one whose
 * references resolve alike from every unit (see above). */
static void find_copies(const definition *all, unsigned n, bool *drop) {
  strmap *multi = strmap_new();
  VEC(multi_def) defs = {0};
  /* the first definition of each USR is the one no other definition leads to */
  bool *later = xcalloc(n + 1, sizeof *later);
  for (unsigned i = 0; i < n; i++)
    if (all[i].next >= 0) later[all[i].next] = true;
  /* digests in definition order, which is unit order: a unit's strings are hashed once
     for all of its functions while they are in the memo */
  uint64_t *digest = xcalloc(n + 1, sizeof *digest);
  str_memo *memo = xcalloc(STR_MEMO, sizeof *memo);
  for (unsigned i = 0; i < n; i++)
    if (all[i].next >= 0 || later[i]) digest[i] = function_digest(all[i].fn, memo);
  free(memo);
  for (unsigned i = 0; i < n; i++) {
    if (all[i].next < 0 || later[i]) continue;
    multi_def m = {(int)i, true, {0}};
    for (int k = all[i].next; k >= 0 && m.merged; k = all[k].next) m.merged = digest[k] == digest[i];
    VEC_PUSH(defs, m);
    strmap_put(multi, all[i].fn->usr, (void *)(intptr_t)defs.len);
  }
  free(digest);
  free(later);
  refs_ctx rc = {multi, defs.items, 0};
  for (size_t m = 0; m < defs.len; m++) {
    rc.self = (int)m;
    each_function_ref(all[defs.items[m].first].fn, note_user, &rc);
  }
  /* a USR whose copies differ resolves by unit: so do the copies of its users */
  VEC(int) work = {0};
  for (size_t m = 0; m < defs.len; m++)
    if (!defs.items[m].merged) VEC_PUSH(work, (int)m);
  while (work.len) {
    multi_def *m = &defs.items[work.items[--work.len]];
    for (size_t u = 0; u < m->users.len; u++) {
      multi_def *user = &defs.items[m->users.items[u]];
      if (user->merged) {
        user->merged = false;
        VEC_PUSH(work, m->users.items[u]);
      }
    }
  }
  for (size_t m = 0; m < defs.len; m++) {
    if (defs.items[m].merged)
      for (int k = all[defs.items[m].first].next; k >= 0; k = all[k].next) drop[k] = true;
    VEC_FREE(defs.items[m].users);
  }
  VEC_FREE(work);
  VEC_FREE(defs);
  strmap_free(multi);
}

program *program_link(ir_summary **tus, unsigned ntus, model_db *models) {
  program *p = xcalloc(1, sizeof *p);
  p->tus = tus;
  p->ntus = ntus;
  p->models = models;
  p->by_usr = strmap_new();
  p->find_memo = ptrmap_new();
  p->model_memo = ptrmap_new();
  VEC(definition) all = {0};
  /* per first definition of a USR, its last one: a header's function has a copy in
     every unit, and walking the chain to append would be quadratic in the units */
  VEC(int) last = {0};
  for (unsigned t = 0; t < ntus; t++) {
    for (unsigned i = 0; i < tus[t]->nfuncs; i++) {
      definition d = {&tus[t]->funcs[i], tus[t], -1};
      VEC_PUSH(all, d);
      VEC_PUSH(last, (int)all.len - 1);
      void *first;
      if (!strmap_get(p->by_usr, d.fn->usr, &first)) {
        strmap_put(p->by_usr, d.fn->usr, (void *)(intptr_t)all.len);
      } else {
        int k = (int)(intptr_t)first - 1;
        all.items[last.items[k]].next = (int)all.len - 1;
        last.items[k] = (int)all.len - 1;
      }
    }
  }
  bool *drop = xcalloc(all.len + 1, sizeof *drop);
  find_copies(all.items, (unsigned)all.len, drop);
  strmap_free(p->by_usr);
  p->by_usr = strmap_new();
  VEC(prog_fn) fns = {0};
  last.len = 0;
  for (size_t a = 0; a < all.len; a++) {
    if (drop[a]) continue;
    const ir_function *f = all.items[a].fn;
    prog_fn pf;
    memset(&pf, 0, sizeof pf);
    pf.fn = f;
    pf.tu = all.items[a].tu;
    pf.loop.root = pf.worker.root = -1;
    pf.next_same_usr = -1;
    VEC_PUSH(fns, pf);
    VEC_PUSH(last, (int)fns.len - 1);
    void *first;
    if (!strmap_get(p->by_usr, f->usr, &first)) {
      strmap_put(p->by_usr, f->usr, (void *)(intptr_t)fns.len);
    } else {
      int d = (int)(intptr_t)first - 1;
      fns.items[last.items[d]].next_same_usr = (int)fns.len - 1;
      last.items[d] = (int)fns.len - 1;
    }
  }
  VEC_FREE(last);
  free(drop);
  VEC_FREE(all);
  p->fns = fns.items;
  p->nfns = (unsigned)fns.len;
  p->ind = indirect_resolve(p);
  for (unsigned f = 0; f < p->nfns; f++) p->fns[f].child = child_blocks(p, p->fns[f].fn);

  /* parameters forwarded to registering APIs, to a fixed point */
  forwarded_list *fwd = xcalloc(p->nfns + 1, sizeof *fwd);
  for (int round = 0; round < 16; round++) {
    forward_ctx fc = {p, fwd, 0, false};
    for (unsigned f = 0; f < p->nfns; f++) {
      fc.fn = (int)f;
      for (unsigned c = 0; c < p->fns[f].fn->ncalls; c++)
        each_callback_arg(p, fwd, (int)f, &p->fns[f].fn->calls[c], find_forward, &fc);
    }
    if (!fc.changed) break;
  }

  p->later = strmap_new();
  root_ctx rc = {p, -1, {0}, {0}};
  for (unsigned f = 0; f < p->nfns; f++) {
    const ir_function *fn = p->fns[f].fn;
    if (fn->attrs & IR_ATTR_ASYNC) {
      root_info r = {ROOT_ANNOTATED, CTX_LOOP, NULL, fn->loc, -1, false, NULL};
      VEC_PUSH(rc.roots, r);
      VEC_PUSH(rc.root_fn, (int)f);
    }
    rc.caller = (int)f;
    for (unsigned c = 0; c < fn->ncalls; c++) each_callback_arg(p, fwd, (int)f, &fn->calls[c], find_root, &rc);
    for (unsigned s = 0; s < fn->nstores; s++) slot_roots(&rc, (int)f, p->fns[f].tu, &fn->stores[s]);
  }
  for (unsigned t = 0; t < p->ntus; t++)
    for (unsigned s = 0; s < p->tus[t]->nstores; s++) slot_roots(&rc, -1, p->tus[t], &p->tus[t]->stores[s]);
  for (unsigned f = 0; f < p->nfns; f++) VEC_FREE(fwd[f]);
  free(fwd);

  p->roots = rc.roots.items;
  p->nroots = (unsigned)rc.roots.len;
  sort_roots(p->roots, rc.root_fn.items, p->nroots);
  spread(p, rc.root_fn.items, CTX_LOOP, PASS_REACH);
  for (unsigned f = 0; f < p->nfns; f++)
    if (p->fns[f].contexts & CTX_LOOP) p->fns[f].dies = dying_calls(p, p->fns[f].fn);
  spread(p, rc.root_fn.items, CTX_LOOP, PASS_HOT);
  spread(p, rc.root_fn.items, CTX_LOOP, PASS_EXITING);
  spread(p, rc.root_fn.items, CTX_WORKER, PASS_REACH);
  VEC_FREE(rc.root_fn);
  return p;
}

static bool free_later(const char *key, void *value, void *ctx) {
  (void)key;
  (void)ctx;
  VEC_FREE(*(later_list *)value);
  free(value);
  return true;
}

void program_free(program *p) {
  if (!p) return;
  for (unsigned f = 0; f < p->nfns; f++) {
    free(p->fns[f].child);
    free(p->fns[f].dies);
  }
  free(p->fns);
  free(p->roots);
  indirect_free(p->ind);
  strmap_each(p->later, free_later, NULL);
  strmap_free(p->later);
  strmap_free(p->by_usr);
  ptrmap_free(p->find_memo);
  ptrmap_free(p->model_memo);
  free(p);
}

unsigned program_chain(const program *p, int f, calm_context ctx, chain_step **steps, int *root) {
  unsigned n = 0;
  for (int cur = f; cur >= 0;) {
    const reach *re = ctx == CTX_LOOP ? &p->fns[cur].loop : &p->fns[cur].worker;
    if (!re->reached) break;
    n++;
    if (re->caller < 0) break;
    cur = re->caller;
  }
  *steps = xcalloc(n ? n : 1, sizeof **steps);
  *root = -1;
  unsigned i = n;
  int next_call = -1;
  for (int cur = f; cur >= 0 && i > 0;) {
    const reach *re = ctx == CTX_LOOP ? &p->fns[cur].loop : &p->fns[cur].worker;
    (*steps)[--i] = (chain_step){cur, next_call};
    if (re->caller < 0) {
      *root = re->root;
      break;
    }
    next_call = re->call;
    cur = re->caller;
  }
  return n;
}

unsigned program_chain_guesses(const program *p, const chain_step *steps, unsigned n) {
  unsigned guesses = 0;
  for (unsigned i = 0; i + 1 < n; i++) {
    const ir_function *fn = p->fns[steps[i].fn].fn;
    if (steps[i].call < 0 || (unsigned)steps[i].call >= fn->ncalls || fn->calls[steps[i].call].callee_usr) continue;
    const call_target *through;
    if (indirect_call_targets(p->ind, steps[i].fn, steps[i].call, &through) > 1) guesses++;
  }
  return guesses;
}

/* ---- path maps ---- */

typedef struct {
  strpool *pool;
  const path_map *maps;
  size_t n;
  ptrmap *done; /* path (by address) -> its mapped form */
} path_mapper;

static const char *mapped(path_mapper *m, const char *path) {
  void *v;
  if (!path) return NULL;
  if (ptrmap_get(m->done, path, &v)) return v;
  const char *out = path;
  for (size_t i = m->n; i-- > 0;) {
    const path_map *pm = &m->maps[i];
    size_t k = strcmp(pm->from, "/") == 0 ? 0 : strlen(pm->from); /* the root: every path */
    if (strncmp(path, pm->from, k) != 0 || (path[k] != '/' && path[k] != 0)) continue;
    char *joined = xasprintf("%s%s", pm->to, path + k + (path[k] == '/' && pm->to[strlen(pm->to) - 1] == '/'));
    out = strpool_intern(m->pool, joined);
    free(joined);
    break;
  }
  ptrmap_put(m->done, path, (void *)out);
  return out;
}

static void map_loc(path_mapper *m, ir_loc *l) { l->file = mapped(m, l->file); }

void program_map_paths(ir_summary *s, const path_map *maps, size_t n) {
  if (!n) return;
  path_mapper m = {s->pool, maps, n, ptrmap_new()};
  s->main_file = mapped(&m, s->main_file);
  for (unsigned i = 0; i < s->nfuncs; i++) {
    ir_function *f = &s->funcs[i];
    map_loc(&m, &f->loc);
    map_loc(&m, &f->end);
    for (unsigned k = 0; k < f->nvars; k++) map_loc(&m, &f->vars[k].loc);
    for (unsigned k = 0; k < f->ncalls; k++) map_loc(&m, &f->calls[k].loc);
    for (unsigned b = 0; b < f->nblocks; b++) {
      map_loc(&m, &f->blocks[b].term_loc);
      for (unsigned k = 0; k < f->blocks[b].nops; k++) map_loc(&m, &f->blocks[b].ops[k].loc);
    }
    for (unsigned k = 0; k < f->nstores; k++) map_loc(&m, &f->stores[k].loc);
  }
  for (unsigned i = 0; i < s->nstores; i++) map_loc(&m, &s->stores[i].loc);
  for (unsigned i = 0; i < s->nerrors; i++) map_loc(&m, &s->errors[i].loc);
  ptrmap_free(m.done);
}
