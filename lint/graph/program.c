/* Linking summaries into one program: functions by USR, callback registrations
 * (including wrappers that pass a parameter on to a registering API), and the
 * breadth-first spread of loop and worker context along calls, which keeps for each
 * function the shortest chain from a root for traces. */
#include "program.h"

#include <stdlib.h>
#include <string.h>

int program_find(const program *p, const char *usr) {
  void *v;
  if (!usr || !strmap_get(p->by_usr, usr, &v)) return -1;
  return (int)(intptr_t)v - 1;
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

const model_fn *program_model(const program *p, const ir_call *call) {
  return call->callee_usr ? model_db_lookup(p->models, call->callee_name) : NULL;
}

bool program_call_noreturn(const program *p, const ir_call *call) {
  if (call->callee_attrs & IR_ATTR_NORETURN) return true;
  const model_fn *m = program_model(p, call);
  return m && m->noreturn;
}

/* A parameter a function hands on to a registering API: calls to the function
 * register whatever they pass there. */
typedef struct {
  int param;
  calm_context context;
  int status_param;
  const char *via; /* the API that finally receives it */
} forwarded;

typedef VEC(forwarded) forwarded_list;

static bool forwards(const forwarded_list *l, int param, calm_context ctx) {
  for (size_t i = 0; i < l->len; i++)
    if (l->items[i].param == param && l->items[i].context == ctx) return true;
  return false;
}

/* Calls `fn(spec, ctx)` for each callback argument of `call`: from the model, and
 * from parameters the callee forwards. */
typedef void (*callback_visit)(const ir_call *call, int arg, calm_context ctx, int status_param, const char *via,
                               void *data);

static void each_callback_arg(const program *p, const forwarded_list *fwd, int caller, const ir_call *call,
                              callback_visit visit, void *data) {
  const model_fn *m = program_model(p, call);
  if (m)
    for (unsigned i = 0; i < m->ncallbacks; i++)
      visit(call, m->callbacks[i].arg, m->callbacks[i].context, m->callbacks[i].status_param, call->callee_name, data);
  int defs[8];
  unsigned n = program_resolve(p, caller, call->callee_usr, defs, 8);
  for (unsigned d = 0; d < n && d < 8; d++)
    for (size_t i = 0; i < fwd[defs[d]].len; i++)
      visit(call, fwd[defs[d]].items[i].param, fwd[defs[d]].items[i].context, fwd[defs[d]].items[i].status_param,
            fwd[defs[d]].items[i].via, data);
}

typedef struct {
  const program *p;
  forwarded_list *fwd;
  int fn;
  bool changed;
} forward_ctx;

static void find_forward(const ir_call *call, int arg, calm_context ctx, int status_param, const char *via, void *data) {
  forward_ctx *fc = data;
  const ir_function *f = fc->p->fns[fc->fn].fn;
  if (arg < 0 || (unsigned)arg >= call->nargs) return;
  const ir_value *v = &call->args[arg];
  if (v->kind != IR_VAL_VAR || v->addr_of || v->var < 0 || (unsigned)v->var >= f->nparams) return;
  if (forwards(&fc->fwd[fc->fn], v->var, ctx)) return;
  forwarded w = {v->var, ctx, status_param, via};
  VEC_PUSH(fc->fwd[fc->fn], w);
  fc->changed = true;
}

typedef struct {
  program *p;
  int caller;
  VEC(root_info) roots;
  VEC(int) root_fn;
} root_ctx;

static void add_root(root_ctx *rc, const ir_call *call, calm_context ctx, int status_param, const char *via, int fn) {
  root_info r = {ROOT_CALLBACK, ctx, via, call->loc, status_param};
  VEC_PUSH(rc->roots, r);
  VEC_PUSH(rc->root_fn, fn);
}

static void find_root(const ir_call *call, int arg, calm_context ctx, int status_param, const char *via, void *data) {
  root_ctx *rc = data;
  if (arg < 0 || (unsigned)arg >= call->nargs) return;
  const ir_value *v = &call->args[arg];
  if (v->kind == IR_VAL_FUNC) {
    int targets[8];
    unsigned n = program_resolve(rc->p, rc->caller, v->func_usr, targets, 8);
    for (unsigned i = 0; i < n && i < 8; i++) add_root(rc, call, ctx, status_param, via, targets[i]);
    return;
  }
  /* a pointer read from a field or variable (`uv_timer_start(t, job->on_tick, ...)`);
     a parameter handed on is found at its callers' sites instead */
  const ir_function *fn = rc->p->fns[rc->caller].fn;
  if (v->kind == IR_VAL_VAR && (v->var < 0 || (unsigned)v->var < fn->nparams)) return;
  const call_target *t;
  unsigned n = indirect_value_targets(rc->p->ind, rc->caller, v, &t);
  for (unsigned i = 0; i < n; i++) add_root(rc, call, ctx, status_param, via, t[i].fn);
}

static int cmp_root_order(const root_info *a, const root_info *b) {
  if (ir_loc_less(&a->site, &b->site)) return -1;
  if (ir_loc_less(&b->site, &a->site)) return 1;
  return 0;
}

/* Roots sorted by site, so chains and reports do not depend on link order. */
static void sort_roots(root_info *roots, int *fns, unsigned n) {
  for (unsigned i = 1; i < n; i++) {
    root_info r = roots[i];
    int f = fns[i];
    unsigned j = i;
    while (j > 0 && cmp_root_order(&roots[j - 1], &r) > 0) {
      roots[j] = roots[j - 1];
      fns[j] = fns[j - 1];
      j--;
    }
    roots[j] = r;
    fns[j] = f;
  }
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

/* Marks `callee` reached in `ctx` by call `c` of `caller`, if it was not yet, and
 * queues it. */
static void reach_callee(program *p, int *queue, unsigned *tail, int callee, int caller, int c, calm_context ctx) {
  reach *re = reach_of(&p->fns[callee], ctx);
  if (re->reached) return;
  *re = (reach){true, -1, caller, c, reach_of(&p->fns[caller], ctx)->depth + 1};
  p->fns[callee].contexts |= ctx;
  queue[(*tail)++] = callee;
}

static void spread(program *p, const int *root_fn, calm_context ctx) {
  int *queue = xmalloc((p->nfns + 1) * sizeof *queue);
  unsigned head = 0, tail = 0;
  for (unsigned r = 0; r < p->nroots; r++) {
    if (p->roots[r].context != ctx) continue;
    prog_fn *f = &p->fns[root_fn[r]];
    reach *re = reach_of(f, ctx);
    if (re->reached) continue;
    *re = (reach){true, (int)r, -1, -1, 0};
    f->contexts |= ctx;
    queue[tail++] = root_fn[r];
  }
  while (head < tail) {
    int fi = queue[head++];
    const ir_function *fn = p->fns[fi].fn;
    for (unsigned c = 0; c < fn->ncalls; c++) {
      const ir_call *call = &fn->calls[c];
      int targets[16];
      bool invoked[16];
      const call_target *through;
      unsigned nthrough = call->callee_usr ? 0 : indirect_call_targets(p->ind, fi, (int)c, &through);
      unsigned nt = program_resolve(p, fi, call->callee_usr, targets, 8);
      if (nt > 8) nt = 8;
      for (unsigned t = 0; t < nt; t++) invoked[t] = false;
      for (unsigned t = 0; t < nthrough; t++)
        if (descends_into(p, call, through[t].fn, true)) reach_callee(p, queue, &tail, through[t].fn, fi, (int)c, ctx);
      const model_fn *m = program_model(p, call);
      for (unsigned i = 0; m && i < m->ninvokes; i++) {
        int a = m->invokes[i];
        if (a < 0 || (unsigned)a >= call->nargs || call->args[a].kind != IR_VAL_FUNC) continue;
        int defs[4];
        unsigned nd = program_resolve(p, fi, call->args[a].func_usr, defs, 4);
        for (unsigned d = 0; d < nd && d < 4 && nt < 16; d++) {
          invoked[nt] = true;
          targets[nt++] = defs[d];
        }
      }
      for (unsigned t = 0; t < nt; t++)
        if (targets[t] >= 0 && descends_into(p, call, targets[t], invoked[t]))
          reach_callee(p, queue, &tail, targets[t], fi, (int)c, ctx);
    }
  }
  free(queue);
}

program *program_link(ir_summary **tus, unsigned ntus, model_db *models) {
  program *p = xcalloc(1, sizeof *p);
  p->tus = tus;
  p->ntus = ntus;
  p->models = models;
  p->by_usr = strmap_new();
  VEC(prog_fn) fns = {0};
  for (unsigned t = 0; t < ntus; t++) {
    for (unsigned i = 0; i < tus[t]->nfuncs; i++) {
      const ir_function *f = &tus[t]->funcs[i];
      prog_fn pf;
      memset(&pf, 0, sizeof pf);
      pf.fn = f;
      pf.tu = tus[t];
      pf.loop.root = pf.worker.root = -1;
      pf.next_same_usr = -1;
      VEC_PUSH(fns, pf);
      void *first;
      if (!strmap_get(p->by_usr, f->usr, &first)) {
        strmap_put(p->by_usr, f->usr, (void *)(intptr_t)fns.len);
      } else {
        int d = (int)(intptr_t)first - 1;
        while (fns.items[d].next_same_usr >= 0) d = fns.items[d].next_same_usr;
        fns.items[d].next_same_usr = (int)fns.len - 1;
      }
    }
  }
  p->fns = fns.items;
  p->nfns = (unsigned)fns.len;
  p->ind = indirect_resolve(p);

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

  root_ctx rc = {p, -1, {0}, {0}};
  for (unsigned f = 0; f < p->nfns; f++) {
    const ir_function *fn = p->fns[f].fn;
    if (fn->attrs & IR_ATTR_ASYNC) {
      root_info r = {ROOT_ANNOTATED, CTX_LOOP, NULL, fn->loc, -1};
      VEC_PUSH(rc.roots, r);
      VEC_PUSH(rc.root_fn, (int)f);
    }
    rc.caller = (int)f;
    for (unsigned c = 0; c < fn->ncalls; c++) each_callback_arg(p, fwd, (int)f, &fn->calls[c], find_root, &rc);
  }
  for (unsigned f = 0; f < p->nfns; f++) VEC_FREE(fwd[f]);
  free(fwd);

  p->roots = rc.roots.items;
  p->nroots = (unsigned)rc.roots.len;
  sort_roots(p->roots, rc.root_fn.items, p->nroots);
  spread(p, rc.root_fn.items, CTX_LOOP);
  spread(p, rc.root_fn.items, CTX_WORKER);
  VEC_FREE(rc.root_fn);
  return p;
}

void program_free(program *p) {
  if (!p) return;
  free(p->fns);
  free(p->roots);
  indirect_free(p->ind);
  strmap_free(p->by_usr);
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
