/* Indirect-call resolution: a flow-insensitive propagation of function values over a
 * graph whose nodes are the places a pointer can live (every variable and the return
 * value of each function, every field and global slot) and whose edges are copies
 * (assignments, stores, arguments to parameters, returns to call results). A call
 * through a node reaches every function that flows into it; each new target of an
 * indirect call adds the edges of that call (its arguments into the target's
 * parameters, its return into the call's result), so chains of callbacks that are
 * handed callbacks resolve too. */
#include "indirect.h"

#include <stdlib.h>
#include <string.h>

#include "program.h"

/* A node holds at most this many functions: past it, a slot is a generic dispatcher
 * whose callers cannot be told apart, and the first ones found are kept. */
#define MAX_TARGETS 128

typedef struct {
  VEC(call_target) set;
  VEC(int) succ;  /* nodes that receive what this one holds */
  VEC(int) sites; /* indirect calls through this node: index into `sites` */
} node;

typedef struct {
  int fn, call;
} site;

typedef struct {
  int node;
  unsigned target;
} work;

struct indirect {
  const program *p;
  VEC(node) nodes;
  unsigned *base; /* per function: its first slot in `ids` (variables, then the return value) */
  int *ids;       /* node of each variable and return value, or -1: nodes exist only where a
                     function pointer may pass, which keeps the graph small */
  strmap *slots;  /* field or global USR -> 1 + node */
  VEC(site) sites;
  VEC(work) queue;
};

static int new_node(indirect *ind) {
  node n;
  memset(&n, 0, sizeof n);
  VEC_PUSH(ind->nodes, n);
  return (int)ind->nodes.len - 1;
}

/* The node of a variable (or, with var == nvars, the return value), made on first use. */
static int var_node(indirect *ind, int f, int var) {
  int *id = &ind->ids[ind->base[f] + (unsigned)var];
  if (*id < 0) *id = new_node(ind);
  return *id;
}
static int ret_node(indirect *ind, int f) { return var_node(ind, f, (int)ind->p->fns[f].fn->nvars); }
static int find_var_node(const indirect *ind, int f, int var) { return ind->ids[ind->base[f] + (unsigned)var]; }
static int find_ret_node(const indirect *ind, int f) {
  return find_var_node(ind, f, (int)ind->p->fns[f].fn->nvars);
}

/* Whether a value can carry a function: a designator, a variable, or a slot read. */
static bool carrier(const ir_value *v) {
  return (v->kind == IR_VAL_FUNC && v->func_usr) || (v->kind == IR_VAL_VAR && !v->addr_of) ||
         v->slot.kind != IR_SLOT_NONE;
}

static int slot_node(indirect *ind, const char *key) {
  void *v;
  if (strmap_get(ind->slots, key, &v)) return (int)(intptr_t)v - 1;
  int n = new_node(ind);
  strmap_put(ind->slots, key, (void *)(intptr_t)(n + 1));
  return n;
}

static int find_slot_node(const indirect *ind, const char *key) {
  void *v;
  return key && strmap_get(ind->slots, key, &v) ? (int)(intptr_t)v - 1 : -1;
}

/* The node slot `sl` of function `f` names (f < 0: file scope), or -1. */
static int node_of_slot(indirect *ind, int f, const ir_slot *sl) {
  if (sl->kind == IR_SLOT_FIELD || sl->kind == IR_SLOT_GLOBAL) return sl->key ? slot_node(ind, sl->key) : -1;
  if (sl->kind == IR_SLOT_VAR && f >= 0 && sl->var >= 0 && (unsigned)sl->var < ind->p->fns[f].fn->nvars)
    return var_node(ind, f, sl->var);
  return -1;
}

static void add_target(indirect *ind, int n, call_target t) {
  node *nd = &ind->nodes.items[n];
  if (nd->set.len >= MAX_TARGETS) return;
  for (size_t i = 0; i < nd->set.len; i++)
    if (nd->set.items[i].fn == t.fn) return;
  VEC_PUSH(nd->set, t);
  work w = {n, (unsigned)nd->set.len - 1};
  VEC_PUSH(ind->queue, w);
}

static void add_edge(indirect *ind, int from, int to) {
  if (from < 0 || to < 0) return;
  node *a = &ind->nodes.items[from];
  if (a->succ.len && a->succ.items[a->succ.len - 1] == to) return;
  VEC_PUSH(a->succ, to);
  size_t n = a->set.len;
  for (size_t i = 0; i < n; i++) add_target(ind, to, ind->nodes.items[from].set.items[i]);
}

/* Function designator `usr` as seen from translation unit `tu`. */
static void add_function(indirect *ind, const ir_summary *tu, const char *usr, int to, ir_loc at, const char *in) {
  int defs[8];
  unsigned n = program_resolve_in(ind->p, tu, usr, defs, 8);
  for (unsigned d = 0; d < n && d < 8; d++) add_target(ind, to, (call_target){defs[d], at, in});
}

/* What value `v` of function `f` (or of file scope in `tu`, f < 0) holds flows into
 * node `to`. */
static void flow_value(indirect *ind, int f, const ir_summary *tu, const ir_value *v, int to, ir_loc at,
                       const char *in) {
  if (to < 0) return;
  if (v->kind == IR_VAL_FUNC && v->func_usr) {
    add_function(ind, tu, v->func_usr, to, at, in);
  } else if (v->kind == IR_VAL_VAR && !v->addr_of && f >= 0 && v->var >= 0 &&
             (unsigned)v->var < ind->p->fns[f].fn->nvars) {
    add_edge(ind, var_node(ind, f, v->var), to);
  } else if (v->slot.kind != IR_SLOT_NONE) {
    add_edge(ind, node_of_slot(ind, f, &v->slot), to);
  }
}

/* The edges of call `c` of `f` into callee `t`: arguments into its parameters, its
 * return value into the call's result. */
static void call_edges(indirect *ind, int f, const ir_call *c, int t) {
  const ir_function *callee = ind->p->fns[t].fn;
  const prog_fn *caller = &ind->p->fns[f];
  for (unsigned i = 0; i < c->nargs && i < callee->nparams; i++)
    if (carrier(&c->args[i]))
      flow_value(ind, f, caller->tu, &c->args[i], var_node(ind, t, (int)i), c->loc, caller->fn->name);
  /* a return node exists only for a function that returns something that can carry one */
  int ret = find_ret_node(ind, t);
  if (ret >= 0 && c->use == IR_USE_VAR && c->dest >= 0 && (unsigned)c->dest < caller->fn->nvars)
    add_edge(ind, ret, var_node(ind, f, c->dest));
}

static void setup_function(indirect *ind, int f) {
  const prog_fn *pf = &ind->p->fns[f];
  const ir_function *fn = pf->fn;
  for (unsigned b = 0; b < fn->nblocks; b++)
    for (unsigned i = 0; i < fn->blocks[b].nops; i++) {
      const ir_op *op = &fn->blocks[b].ops[i];
      if (!carrier(&op->val)) continue;
      if (op->kind == IR_OP_ASSIGN && op->var >= 0 && (unsigned)op->var < fn->nvars)
        flow_value(ind, f, pf->tu, &op->val, var_node(ind, f, op->var), op->loc, fn->name);
      else if (op->kind == IR_OP_RETURN)
        flow_value(ind, f, pf->tu, &op->val, ret_node(ind, f), op->loc, fn->name);
    }
  for (unsigned s = 0; s < fn->nstores; s++) {
    const ir_store *st = &fn->stores[s];
    if (carrier(&st->val)) flow_value(ind, f, pf->tu, &st->val, node_of_slot(ind, f, &st->slot), st->loc, fn->name);
  }
  for (unsigned c = 0; c < fn->ncalls; c++) {
    const ir_call *call = &fn->calls[c];
    if (call->callee_usr) {
      int defs[8];
      unsigned n = program_resolve(ind->p, f, call->callee_usr, defs, 8);
      for (unsigned d = 0; d < n && d < 8; d++) call_edges(ind, f, call, defs[d]);
      continue;
    }
    int n = node_of_slot(ind, f, &call->callee_slot);
    if (n < 0) continue;
    site st = {f, (int)c};
    VEC_PUSH(ind->sites, st);
    VEC_PUSH(ind->nodes.items[n].sites, (int)ind->sites.len - 1);
  }
}

static void propagate(indirect *ind) {
  while (ind->queue.len) {
    work w = ind->queue.items[--ind->queue.len];
    call_target t = ind->nodes.items[w.node].set.items[w.target];
    for (size_t i = 0; i < ind->nodes.items[w.node].succ.len; i++)
      add_target(ind, ind->nodes.items[w.node].succ.items[i], t);
    for (size_t i = 0; i < ind->nodes.items[w.node].sites.len; i++) {
      site s = ind->sites.items[ind->nodes.items[w.node].sites.items[i]];
      call_edges(ind, s.fn, &ind->p->fns[s.fn].fn->calls[s.call], t.fn);
    }
  }
}

/* ---- which code is in use ---- */

/* Functions and static objects in use: everything with external linkage, and the
 * static functions and objects that code in use calls, names or initialises with,
 * transitively. A backend table that nothing installs, or the installer that nothing
 * calls, puts nothing into a slot. */
typedef VEC(const ir_store *) store_refs;
typedef VEC(const char *) usr_list;

typedef struct {
  const program *p;
  unsigned char *fn;  /* per function */
  strmap *objects;    /* USR of a static object in use -> 1 */
  strmap *inits;      /* USR of a static object -> 1 + index into init_stores */
  VEC(store_refs) init_stores; /* per initialised static object: its stores */
  VEC(usr_list) init_refs;     /* and the static objects it names */
  VEC(const ir_summary *) init_tu;
  VEC(int) fn_queue;
  VEC(const char *) obj_queue;
} in_use;

static void use_fn(in_use *u, int f) {
  if (f < 0 || u->fn[f]) return;
  u->fn[f] = 1;
  VEC_PUSH(u->fn_queue, f);
}

static void use_value_fn(in_use *u, const ir_summary *tu, const ir_value *v) {
  if (v->kind != IR_VAL_FUNC || !v->func_usr) return;
  int defs[8];
  unsigned n = program_resolve_in(u->p, tu, v->func_usr, defs, 8);
  for (unsigned i = 0; i < n && i < 8; i++) use_fn(u, defs[i]);
}

static void use_object(in_use *u, const char *usr) {
  void *v;
  if (!usr || strmap_get(u->objects, usr, &v)) return;
  strmap_put(u->objects, usr, (void *)1);
  VEC_PUSH(u->obj_queue, usr);
}

static int init_index(in_use *u, const char *usr, const ir_summary *tu) {
  void *v;
  if (strmap_get(u->inits, usr, &v)) return (int)(intptr_t)v - 1;
  store_refs none = {0};
  usr_list no_refs = {0};
  VEC_PUSH(u->init_stores, none);
  VEC_PUSH(u->init_refs, no_refs);
  VEC_PUSH(u->init_tu, tu);
  strmap_put(u->inits, usr, (void *)(intptr_t)u->init_stores.len);
  return (int)u->init_stores.len - 1;
}

static void visit_fn(in_use *u, int f) {
  const prog_fn *pf = &u->p->fns[f];
  const ir_function *fn = pf->fn;
  for (unsigned i = 0; i < fn->nrefs; i++) use_object(u, fn->refs[i]);
  for (unsigned c = 0; c < fn->ncalls; c++) {
    const ir_call *call = &fn->calls[c];
    if (call->callee_usr) {
      int defs[8];
      unsigned n = program_resolve(u->p, f, call->callee_usr, defs, 8);
      for (unsigned d = 0; d < n && d < 8; d++) use_fn(u, defs[d]);
    }
    for (unsigned a = 0; a < call->nargs; a++) use_value_fn(u, pf->tu, &call->args[a]);
  }
  for (unsigned b = 0; b < fn->nblocks; b++)
    for (unsigned i = 0; i < fn->blocks[b].nops; i++) use_value_fn(u, pf->tu, &fn->blocks[b].ops[i].val);
  for (unsigned s = 0; s < fn->nstores; s++) use_value_fn(u, pf->tu, &fn->stores[s].val);
}

static void visit_object(in_use *u, const char *usr) {
  void *v;
  if (!strmap_get(u->inits, usr, &v)) return;
  int i = (int)(intptr_t)v - 1;
  for (size_t k = 0; k < u->init_stores.items[i].len; k++)
    use_value_fn(u, u->init_tu.items[i], &u->init_stores.items[i].items[k]->val);
  for (size_t k = 0; k < u->init_refs.items[i].len; k++) use_object(u, u->init_refs.items[i].items[k]);
}

static in_use find_in_use(const program *p) {
  in_use u;
  memset(&u, 0, sizeof u);
  u.p = p;
  u.fn = xcalloc(p->nfns + 1, 1);
  u.objects = strmap_new();
  u.inits = strmap_new();
  for (unsigned t = 0; t < p->ntus; t++) {
    const ir_summary *tu = p->tus[t];
    for (unsigned s = 0; s < tu->nstores; s++) {
      const ir_store *st = &tu->stores[s];
      if (!st->owner_key) {
        use_value_fn(&u, tu, &st->val);
        continue;
      }
      int i = init_index(&u, st->owner_key, tu);
      VEC_PUSH(u.init_stores.items[i], st);
    }
    for (unsigned r = 0; r < tu->nrefs; r++) {
      if (!tu->refs[r].from) {
        use_object(&u, tu->refs[r].to);
        continue;
      }
      int i = init_index(&u, tu->refs[r].from, tu);
      VEC_PUSH(u.init_refs.items[i], tu->refs[r].to);
    }
  }
  for (unsigned f = 0; f < p->nfns; f++)
    if (!p->fns[f].fn->is_static) use_fn(&u, (int)f);
  while (u.fn_queue.len || u.obj_queue.len) {
    if (u.fn_queue.len) visit_fn(&u, u.fn_queue.items[--u.fn_queue.len]);
    else visit_object(&u, u.obj_queue.items[--u.obj_queue.len]);
  }
  return u;
}

static void in_use_free(in_use *u) {
  for (size_t i = 0; i < u->init_stores.len; i++) {
    VEC_FREE(u->init_stores.items[i]);
    VEC_FREE(u->init_refs.items[i]);
  }
  VEC_FREE(u->init_stores);
  VEC_FREE(u->init_refs);
  VEC_FREE(u->init_tu);
  VEC_FREE(u->fn_queue);
  VEC_FREE(u->obj_queue);
  strmap_free(u->objects);
  strmap_free(u->inits);
  free(u->fn);
}

/* ---- resolution ---- */

static bool store_in_use(const in_use *u, const ir_store *st) {
  void *v;
  return !st->owner_key || strmap_get(u->objects, st->owner_key, &v);
}

indirect *indirect_resolve(const program *p) {
  indirect *ind = xcalloc(1, sizeof *ind);
  ind->p = p;
  ind->slots = strmap_new();
  ind->base = xcalloc(p->nfns + 1, sizeof *ind->base);
  unsigned total = 0;
  for (unsigned f = 0; f < p->nfns; f++) {
    ind->base[f] = total;
    total += p->fns[f].fn->nvars + 1;
  }
  ind->ids = xmalloc((total + 1) * sizeof *ind->ids);
  for (unsigned i = 0; i <= total; i++) ind->ids[i] = -1;
  /* return nodes first, for every function that returns something that can carry a
     function: calls made before the callee's turn in setup find them */
  for (unsigned f = 0; f < p->nfns; f++) {
    const ir_function *fn = p->fns[f].fn;
    for (unsigned b = 0; b < fn->nblocks; b++)
      for (unsigned i = 0; i < fn->blocks[b].nops; i++)
        if (fn->blocks[b].ops[i].kind == IR_OP_RETURN && carrier(&fn->blocks[b].ops[i].val)) ret_node(ind, (int)f);
  }
  in_use u = find_in_use(p);
  for (unsigned t = 0; t < p->ntus; t++)
    for (unsigned s = 0; s < p->tus[t]->nstores; s++) {
      const ir_store *st = &p->tus[t]->stores[s];
      if (store_in_use(&u, st))
        flow_value(ind, -1, p->tus[t], &st->val, node_of_slot(ind, -1, &st->slot), st->loc, st->owner);
    }
  for (unsigned f = 0; f < p->nfns; f++)
    if (u.fn[f]) setup_function(ind, (int)f);
  in_use_free(&u);
  propagate(ind);
  VEC_FREE(ind->queue);
  return ind;
}

void indirect_free(indirect *ind) {
  if (!ind) return;
  for (size_t i = 0; i < ind->nodes.len; i++) {
    VEC_FREE(ind->nodes.items[i].set);
    VEC_FREE(ind->nodes.items[i].succ);
    VEC_FREE(ind->nodes.items[i].sites);
  }
  VEC_FREE(ind->nodes);
  VEC_FREE(ind->sites);
  free(ind->base);
  free(ind->ids);
  strmap_free(ind->slots);
  free(ind);
}

static unsigned node_targets(const indirect *ind, int n, const call_target **out) {
  if (n < 0) {
    *out = NULL;
    return 0;
  }
  *out = ind->nodes.items[n].set.items;
  return (unsigned)ind->nodes.items[n].set.len;
}

/* node_of_slot without creating: the query side never adds nodes. */
static int lookup_slot(const indirect *ind, int f, const ir_slot *sl) {
  if (sl->kind == IR_SLOT_FIELD || sl->kind == IR_SLOT_GLOBAL) return find_slot_node(ind, sl->key);
  if (sl->kind == IR_SLOT_VAR && f >= 0 && sl->var >= 0 && (unsigned)sl->var < ind->p->fns[f].fn->nvars)
    return find_var_node(ind, f, sl->var);
  return -1;
}

unsigned indirect_call_targets(const indirect *ind, int f, int call, const call_target **out) {
  const ir_call *c = &ind->p->fns[f].fn->calls[call];
  return node_targets(ind, c->callee_usr ? -1 : lookup_slot(ind, f, &c->callee_slot), out);
}

unsigned indirect_value_targets(const indirect *ind, int f, const ir_value *v, const call_target **out) {
  int n = -1;
  if (v->kind == IR_VAL_VAR && !v->addr_of && v->var >= 0 && (unsigned)v->var < ind->p->fns[f].fn->nvars)
    n = find_var_node(ind, f, v->var);
  else if (v->kind != IR_VAL_FUNC && v->slot.kind != IR_SLOT_NONE)
    n = lookup_slot(ind, f, &v->slot);
  return node_targets(ind, n, out);
}

indirect_stats indirect_get_stats(const indirect *ind) {
  indirect_stats st = {0, 0, 0};
  for (unsigned f = 0; f < ind->p->nfns; f++) {
    const ir_function *fn = ind->p->fns[f].fn;
    for (unsigned c = 0; c < fn->ncalls; c++) {
      if (fn->calls[c].callee_usr) continue;
      st.calls++;
      const call_target *t;
      unsigned n = indirect_call_targets(ind, (int)f, (int)c, &t);
      if (n) {
        st.resolved++;
        st.targets += n;
      }
    }
  }
  return st;
}
