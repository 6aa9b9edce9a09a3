/* Depth-first path search over a function's blocks. */
#include "flow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

flow_pos flow_after_call(const ir_function *f, int call) {
  flow_pos pos = {-1, 0};
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++)
      if (f->blocks[b].ops[i].kind == IR_OP_CALL && f->blocks[b].ops[i].call == call) {
        pos.block = (int)b;
        pos.op = (int)i + 1;
        return pos;
      }
  return pos;
}

bool flow_edge_admits(const ir_block *b, int which, int var, int64_t value) {
  if (b->term != IR_TERM_COND || b->cond_var != var || var < 0) return true;
  bool holds = ir_cmp_holds(b->cond_op, value, b->cond_k);
  return which == 0 ? holds : !holds;
}

/* Bit 47: a constant is known; bits 32-46: its variable; bits 0-31: the value. */
#define CONST_KNOWN (1ull << 47)

uint64_t flow_const_op(const ir_function *f, const ir_op *op, uint64_t state) {
  uint64_t mine = state & FLOW_CONST_BITS, rest = state & ~FLOW_CONST_BITS;
  bool known = (mine & CONST_KNOWN) != 0;
  int var = (int)((mine >> 32) & 0x7fff);
  bool about = known && var == op->var;
  if (op->kind == IR_OP_ASSIGN && op->var >= 0 && op->var < 0x7fff) {
    if (op->val.kind == IR_VAL_INT && op->val.ival >= INT32_MIN && op->val.ival <= INT32_MAX)
      return rest | CONST_KNOWN | ((uint64_t)op->var << 32) | (uint32_t)(int32_t)op->val.ival;
    return about ? rest : state;
  }
  /* a call's result put into it, or its address escaping, changes it behind the path */
  if (op->kind == IR_OP_CALL && known) {
    const ir_call *call = &f->calls[op->call];
    if (call->use == IR_USE_VAR && call->dest == var) return rest;
    for (unsigned i = 0; i < call->nargs; i++)
      if (call->args[i].kind == IR_VAL_VAR && call->args[i].addr_of && call->args[i].var == var) return rest;
  }
  if (op->kind == IR_OP_ESCAPE && about) return rest;
  return state;
}

bool flow_const_edge(const ir_block *b, int which, uint64_t state) {
  if (!(state & CONST_KNOWN) || b->term != IR_TERM_COND) return true;
  int var = (int)((state >> 32) & 0x7fff);
  return flow_edge_admits(b, which, var, (int64_t)(int32_t)(uint32_t)(state & 0xffffffffu));
}

bool flow_edge_admits_other(const ir_block *b, int which, int var, int64_t value) {
  if (b->term != IR_TERM_COND || b->cond_var != var || var < 0) return true;
  /* a comparison with one constant admits some other value on both edges, except
     equality: `v == k` true admits only k, `v != k` false admits only k */
  if (b->cond_op == IR_CMP_EQ && which == 0) return b->cond_k != value;
  if (b->cond_op == IR_CMP_NE && which == 1) return b->cond_k != value;
  return true;
}

bool flow_call_uses_var(const ir_call *call, int var) {
  for (unsigned i = 0; i < call->nargs; i++)
    if (call->args[i].kind == IR_VAL_VAR && call->args[i].var == var) return true;
  return false;
}

typedef struct {
  flow_pos *items;
  size_t len, cap;
} pos_stack;

static void push(pos_stack *s, flow_pos p) {
  if (s->len == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 32;
    s->items = xrealloc(s->items, s->cap * sizeof *s->items);
  }
  s->items[s->len++] = p;
}

bool flow_search(const program *p, const ir_function *f, flow_pos start, const flow_visitor *v, void *ctx,
                 flow_pos *found) {
  if (start.block < 0 || (unsigned)start.block >= f->nblocks) return false;
  unsigned char *seen = xcalloc(f->nblocks, 1);
  pos_stack stack = {0};
  push(&stack, start);
  bool hit = false;
  while (stack.len && !hit) {
    flow_pos at = stack.items[--stack.len];
    const ir_block *b = &f->blocks[at.block];
    flow_action action = FLOW_CONTINUE;
    for (unsigned i = (unsigned)at.op; i < b->nops && action == FLOW_CONTINUE; i++) {
      const ir_op *op = &b->ops[i];
      flow_pos here = {at.block, (int)i};
      if (v->op) action = v->op(f, op, here, ctx);
      if (action == FLOW_FOUND) {
        hit = true;
        if (found) *found = here;
      }
      if (action == FLOW_CONTINUE && op->kind == IR_OP_CALL && program_call_noreturn(p, &f->calls[op->call]))
        action = FLOW_STOP;
    }
    if (action != FLOW_CONTINUE) continue;
    if (at.block == IR_EXIT || b->term == IR_TERM_RETURN) {
      action = v->exit ? v->exit(f, ctx) : FLOW_STOP;
      if (action == FLOW_FOUND) {
        hit = true;
        if (found) *found = (flow_pos){at.block, (int)b->nops};
      }
      continue;
    }
    if (b->term == IR_TERM_STOP) continue;
    int nsucc = b->term == IR_TERM_COND ? 2 : 1;
    for (int s = nsucc - 1; s >= 0; s--) {
      int next = b->succ[s];
      if (next < 0) continue;
      if (b->term == IR_TERM_COND && v->edge && !v->edge(f, b, s, ctx)) continue;
      if (b->back[s] && v->back) {
        flow_action ba = v->back(f, b, ctx);
        if (ba == FLOW_FOUND) {
          hit = true;
          if (found) *found = (flow_pos){at.block, (int)b->nops};
          break;
        }
        if (ba == FLOW_STOP) continue;
      }
      if (seen[next]) continue;
      seen[next] = 1;
      push(&stack, (flow_pos){next, 0});
    }
  }
  free(stack.items);
  free(seen);
  return hit;
}

/* Block visits one state search may make. Per-path state can multiply the paths of a
 * large function; past this the search ends without a finding, so a rule stays
 * silent there instead of taking the heavy tail path-sensitive engines are known for. */
#define FLOW_STATE_BUDGET 200000ul

typedef struct {
  flow_pos pos;
  uint64_t state;
} state_item;

typedef struct {
  uint64_t *states;
  unsigned len, cap;
} state_set;

/* Adds `state` to the block's set; false when it was there already. */
static bool state_set_add(state_set *s, uint64_t state) {
  for (unsigned i = 0; i < s->len; i++)
    if (s->states[i] == state) return false;
  if (s->len == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 4;
    s->states = xrealloc(s->states, s->cap * sizeof *s->states);
  }
  s->states[s->len++] = state;
  return true;
}

bool flow_search_state(const program *p, const ir_function *f, flow_pos start, uint64_t state,
                       const flow_state_visitor *v, void *ctx, flow_pos *found, uint64_t *found_state) {
  if (start.block < 0 || (unsigned)start.block >= f->nblocks) return false;
  state_set *seen = xcalloc(f->nblocks, sizeof *seen);
  state_item *stack = NULL;
  size_t len = 0, cap = 0;
#define PUSH_ITEM(p_, s_)                                   \
  do {                                                      \
    if (len == cap) {                                       \
      cap = cap ? cap * 2 : 32;                             \
      stack = xrealloc(stack, cap * sizeof *stack);         \
    }                                                       \
    stack[len++] = (state_item){(p_), (s_)};                \
  } while (0)
  PUSH_ITEM(start, state);
  bool hit = false;
  unsigned long visits = 0;
  while (len && !hit) {
    if (++visits > FLOW_STATE_BUDGET) break; /* give up: report nothing rather than stall */
    state_item it = stack[--len];
    flow_pos at = it.pos;
    uint64_t st = it.state;
    const ir_block *b = &f->blocks[at.block];
    flow_action action = FLOW_CONTINUE;
    for (unsigned i = (unsigned)at.op; i < b->nops && action == FLOW_CONTINUE; i++) {
      const ir_op *op = &b->ops[i];
      flow_pos here = {at.block, (int)i};
      if (v->op) action = v->op(f, op, here, &st, ctx);
      if (action == FLOW_FOUND) {
        hit = true;
        if (found) *found = here;
        if (found_state) *found_state = st;
      }
      if (action == FLOW_CONTINUE && op->kind == IR_OP_CALL && program_call_noreturn(p, &f->calls[op->call]))
        action = FLOW_STOP;
    }
    if (action != FLOW_CONTINUE) continue;
    if (at.block == IR_EXIT || b->term == IR_TERM_RETURN) {
      action = v->exit ? v->exit(f, st, ctx) : FLOW_STOP;
      if (action == FLOW_FOUND) {
        hit = true;
        if (found) *found = (flow_pos){at.block, (int)b->nops};
        if (found_state) *found_state = st;
      }
      continue;
    }
    if (b->term == IR_TERM_STOP) continue;
    int nsucc = b->term == IR_TERM_COND ? 2 : 1;
    for (int s = nsucc - 1; s >= 0; s--) {
      int next = b->succ[s];
      if (next < 0) continue;
      uint64_t est = st;
      if (b->term == IR_TERM_COND && v->edge && !v->edge(f, b, s, &est, ctx)) continue;
      if (b->back[s] && v->back) {
        flow_action ba = v->back(f, b, &est, ctx);
        if (ba == FLOW_FOUND) {
          hit = true;
          if (found) *found = (flow_pos){at.block, (int)b->nops};
          if (found_state) *found_state = est;
          break;
        }
        if (ba == FLOW_STOP) continue;
      }
      if (!state_set_add(&seen[next], est)) continue;
      PUSH_ITEM(((flow_pos){next, 0}), est);
    }
  }
#undef PUSH_ITEM
  for (unsigned i = 0; i < f->nblocks; i++) free(seen[i].states);
  free(seen);
  free(stack);
  return hit;
}

#define REGION_TOP 1024 /* "not reached yet" in the depth analysis below */

/* Walks block b from depth `d`, returning the depth at its end; records each
 * call's depth in `inside` when it is not NULL. */
static int region_walk(const program *p, const ir_function *f, const ir_block *b, int d,
                       int (*mark)(const program *, const ir_call *, void *), void *ctx, bool *inside) {
  for (unsigned i = 0; i < b->nops; i++) {
    if (b->ops[i].kind != IR_OP_CALL) continue;
    const ir_call *call = &f->calls[b->ops[i].call];
    if (inside) inside[b->ops[i].call] = d > 0;
    int m = mark(p, call, ctx);
    if (m > 0 && d < REGION_TOP) d++;
    if (m < 0 && d > 0 && d < REGION_TOP) d--;
  }
  return d;
}

bool *flow_calls_inside(const program *p, const ir_function *f,
                        int (*mark)(const program *p, const ir_call *call, void *ctx), void *ctx) {
  bool *inside = xcalloc(f->ncalls ? f->ncalls : 1, sizeof *inside);
  int *in = xcalloc(f->nblocks ? f->nblocks : 1, sizeof *in);
  for (unsigned b = 0; b < f->nblocks; b++) in[b] = REGION_TOP;
  if (f->nblocks) in[IR_ENTRY] = 0;
  /* must-analysis: a block's depth is the least over its predecessors; depths only
     fall, so this ends */
  for (bool changed = true; changed;) {
    changed = false;
    for (unsigned b = 0; b < f->nblocks; b++) {
      const ir_block *blk = &f->blocks[b];
      if (in[b] == REGION_TOP || blk->term == IR_TERM_RETURN || blk->term == IR_TERM_STOP) continue;
      int out = region_walk(p, f, blk, in[b], mark, ctx, NULL);
      int nsucc = blk->term == IR_TERM_COND ? 2 : 1;
      for (int s = 0; s < nsucc; s++) {
        int next = blk->succ[s];
        if (next >= 0 && out < in[next]) {
          in[next] = out;
          changed = true;
        }
      }
    }
  }
  for (unsigned b = 0; b < f->nblocks; b++)
    region_walk(p, f, &f->blocks[b], in[b], mark, ctx, inside);
  free(in);
  return inside;
}

unsigned char *flow_loop_body(const ir_function *f, int head) {
  unsigned char *in = xcalloc(f->nblocks ? f->nblocks : 1, 1);
  if (head < 0 || (unsigned)head >= f->nblocks) return in;
  in[head] = 1;
  /* backwards from the back edges into the head: a block belongs when one of its
     successors (other than through the head) does */
  for (bool changed = true; changed;) {
    changed = false;
    for (unsigned b = 0; b < f->nblocks; b++) {
      const ir_block *blk = &f->blocks[b];
      if (in[b] || blk->term == IR_TERM_RETURN || blk->term == IR_TERM_STOP) continue;
      int nsucc = blk->term == IR_TERM_COND ? 2 : 1;
      for (int s = 0; s < nsucc; s++) {
        int next = blk->succ[s];
        if (next < 0) continue;
        if (next == head ? blk->back[s] : in[next] && next != head) {
          in[b] = 1;
          changed = true;
          break;
        }
      }
    }
  }
  return in;
}

char *flow_object_key(const ir_value *v) {
  if (v->kind == IR_VAL_VAR) return xasprintf("%sv%d", v->addr_of ? "&" : "", v->var);
  if (!v->text) return NULL;
  char *key = xstrdup(v->text), *out = key;
  for (const char *c = v->text; *c; c++)
    if (!strchr(" \t\n()", *c)) *out++ = *c;
  *out = 0;
  return key;
}

typedef struct {
  int fn, call;
} call_ref;

typedef VEC(call_ref) call_refs;

/* For each function, the calls that can enter it: direct and resolved indirect calls,
 * and with `through_fn_args` calls that pass it as an argument. */
static call_refs *callers_of(const program *p, bool through_fn_args) {
  call_refs *in = xcalloc(p->nfns + 1, sizeof *in);
  for (unsigned f = 0; f < p->nfns; f++) {
    const ir_function *fn = p->fns[f].fn;
    for (unsigned c = 0; c < fn->ncalls; c++) {
      call_ref r = {(int)f, (int)c};
      int t[16];
      unsigned n = program_call_targets(p, (int)f, (int)c, t, 16);
      for (unsigned i = 0; i < n && i < 16; i++) VEC_PUSH(in[t[i]], r);
      if (!through_fn_args) continue;
      for (unsigned a = 0; a < fn->calls[c].nargs; a++) {
        const ir_value *v = &fn->calls[c].args[a];
        if (v->kind != IR_VAL_FUNC || !v->func_usr) continue;
        n = program_resolve(p, (int)f, v->func_usr, t, 16);
        for (unsigned i = 0; i < n && i < 16; i++) VEC_PUSH(in[t[i]], r);
      }
    }
  }
  return in;
}

int *flow_fns_calling(const program *p,
                      bool (*pred)(const program *p, const ir_function *f, const ir_call *call, void *ctx), void *ctx,
                      bool through_fn_args) {
  int *witness = xcalloc(p->nfns ? p->nfns : 1, sizeof *witness);
  int *queue = xmalloc((p->nfns + 1) * sizeof *queue);
  unsigned head = 0, tail = 0;
  for (unsigned f = 0; f < p->nfns; f++) {
    witness[f] = -1;
    const ir_function *fn = p->fns[f].fn;
    for (unsigned c = 0; c < fn->ncalls && witness[f] < 0; c++)
      if (pred(p, fn, &fn->calls[c], ctx)) witness[f] = (int)c;
    if (witness[f] >= 0) queue[tail++] = (int)f;
  }
  /* a worklist over the reversed call graph: each function is settled once */
  call_refs *in = callers_of(p, through_fn_args);
  while (head < tail) {
    int t = queue[head++];
    for (size_t i = 0; i < in[t].len; i++) {
      call_ref r = in[t].items[i];
      if (witness[r.fn] >= 0) continue;
      witness[r.fn] = r.call;
      queue[tail++] = r.fn;
    }
  }
  for (unsigned f = 0; f < p->nfns; f++) VEC_FREE(in[f]);
  free(in);
  free(queue);
  return witness;
}

typedef struct {
  int call;
  const int64_t *value; /* per parameter: the constant passed */
  const bool *known;
} site_walk;

static flow_action site_op(const ir_function *f, const ir_op *op, flow_pos at, void *ctx) {
  (void)f;
  (void)at;
  const site_walk *w = ctx;
  return op->kind == IR_OP_CALL && op->call == w->call ? FLOW_FOUND : FLOW_CONTINUE;
}

static bool site_edge(const ir_function *f, const ir_block *b, int which, void *ctx) {
  const site_walk *w = ctx;
  if (b->cond_var < 0 || (unsigned)b->cond_var >= f->nparams || !w->known[b->cond_var]) return true;
  return flow_edge_admits(b, which, b->cond_var, w->value[b->cond_var]);
}

/* Whether `f` ever changes parameter `param` (assigns it, receives a call result in it,
 * or lets its address out). */
static bool param_changed(const ir_function *f, unsigned param) {
  for (unsigned c = 0; c < f->ncalls; c++)
    if (f->calls[c].use == IR_USE_VAR && f->calls[c].dest == (int)param) return true;
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++) {
      const ir_op *op = &f->blocks[b].ops[i];
      if ((op->kind == IR_OP_ASSIGN || op->kind == IR_OP_ESCAPE) && op->var == (int)param) return true;
    }
  return false;
}

bool flow_reachable_from_site(const program *p, const ir_function *f, int call, const ir_call *site) {
  unsigned n = f->nparams < site->nargs ? f->nparams : site->nargs;
  int64_t *value = xcalloc(n + 1, sizeof *value);
  bool *known = xcalloc(n + 1, sizeof *known), any = false;
  for (unsigned i = 0; i < n; i++) {
    const ir_value *a = &site->args[i];
    if (a->kind != IR_VAL_INT && a->kind != IR_VAL_NULL) continue;
    if (param_changed(f, i)) continue;
    value[i] = a->kind == IR_VAL_INT ? a->ival : 0;
    known[i] = any = true;
  }
  bool reached = true;
  if (any) {
    site_walk w = {call, value, known};
    static const flow_visitor v = {site_op, site_edge, NULL, NULL};
    reached = flow_search(p, f, (flow_pos){IR_ENTRY, 0}, &v, &w, NULL);
  }
  free(value);
  free(known);
  return reached;
}

flow_call_refs *flow_callers_in(const program *p, calm_context ctx) {
  flow_call_refs *in = xcalloc(p->nfns + 1, sizeof *in);
  for (unsigned f = 0; f < p->nfns; f++) {
    if (!(p->fns[f].contexts & ctx)) continue;
    for (unsigned c = 0; c < p->fns[f].fn->ncalls; c++) {
      int t[16];
      unsigned n = program_call_targets(p, (int)f, (int)c, t, 16);
      flow_call_ref r = {(int)f, (int)c};
      for (unsigned i = 0; i < n && i < 16; i++) VEC_PUSH(in[t[i]], r);
    }
  }
  return in;
}

void flow_callers_free(const program *p, flow_call_refs *refs) {
  if (!refs) return;
  for (unsigned f = 0; f < p->nfns; f++) VEC_FREE(refs[f]);
  free(refs);
}

int flow_witness_target(const program *p, int f, int call, const int *witness) {
  int t[16];
  unsigned n = program_call_targets(p, f, call, t, 16);
  for (unsigned i = 0; i < n && i < 16; i++)
    if (witness[t[i]] >= 0) return t[i];
  return -1;
}

const model_resource_arg *flow_resource(const program *p, const ir_call *call, model_resource kind, bool acquires) {
  const model_fn *m = program_model(p, call);
  if (!m) return NULL;
  const model_resource_arg *r = acquires ? &m->acquires : &m->releases;
  return r->kind == kind && r->arg >= 0 && (unsigned)r->arg < call->nargs ? r : NULL;
}

/* The object key of what `call` acquires or releases (kind of `r`), or NULL. */
static char *resource_key(const ir_call *call, const model_resource_arg *r) {
  return r ? flow_object_key(&call->args[r->arg]) : NULL;
}

bool flow_releases_same(const program *p, const ir_function *f, int acquire, const ir_call *call) {
  const ir_call *acq = &f->calls[acquire];
  const model_resource_arg *ra = flow_resource(p, acq, RESOURCE_SEMAPHORE, true);
  if (!ra) ra = flow_resource(p, acq, RESOURCE_MUTEX, true);
  if (!ra) return false;
  const model_resource_arg *rr = flow_resource(p, call, ra->kind, false);
  if (!rr) return false;
  char *ka = resource_key(acq, ra), *kr = resource_key(call, rr);
  bool same = !ka || !kr || strcmp(ka, kr) == 0;
  if (!same) {
    same = true; /* unless an acquire of `f` names it: then it is another object */
    for (unsigned c = 0; c < f->ncalls && same; c++) {
      char *k = resource_key(&f->calls[c], flow_resource(p, &f->calls[c], ra->kind, true));
      same = !k || strcmp(k, kr) != 0;
      free(k);
    }
  }
  free(ka);
  free(kr);
  return same;
}

/* Whether parameter `param` of `fn` is stored somewhere or has its address taken. */
static bool param_escapes(const ir_function *fn, unsigned param) {
  for (unsigned b = 0; b < fn->nblocks; b++)
    for (unsigned i = 0; i < fn->blocks[b].nops; i++)
      if (fn->blocks[b].ops[i].kind == IR_OP_ESCAPE && fn->blocks[b].ops[i].var == (int)param) return true;
  return false;
}

bool flow_hands_over(const program *p, const ir_function *f, int acquire, const ir_call *call, const int *releasers) {
  int callee = program_callee(p, call);
  if (callee >= 0 && releasers[callee] >= 0) return true;
  const ir_call *acq = &f->calls[acquire];
  const model_resource_arg *ra = flow_resource(p, acq, RESOURCE_SEMAPHORE, true);
  if (!ra) ra = flow_resource(p, acq, RESOURCE_MUTEX, true);
  char *key = resource_key(acq, ra);
  bool over = false;
  for (unsigned i = 0; i < call->nargs && !over; i++) {
    const ir_value *a = &call->args[i];
    if (a->kind == IR_VAL_FUNC && a->func_usr) {
      /* a mutex belongs to the thread that locked it: a callback cannot unlock it */
      int fn = ra && ra->kind == RESOURCE_SEMAPHORE ? program_find(p, a->func_usr) : -1;
      over = fn >= 0 && releasers[fn] >= 0;
      continue;
    }
    char *k = key ? flow_object_key(a) : NULL;
    if (k && strcmp(k, key) == 0)
      over = callee >= 0 ? i < p->fns[callee].fn->nparams && param_escapes(p->fns[callee].fn, i)
                         : !program_model(p, call);
    free(k);
  }
  free(key);
  return over;
}

void flow_copies(const ir_function *f, unsigned char *vars) {
  for (bool changed = true; changed;) {
    changed = false;
    for (unsigned b = 0; b < f->nblocks; b++)
      for (unsigned i = 0; i < f->blocks[b].nops; i++) {
        const ir_op *op = &f->blocks[b].ops[i];
        if (op->kind == IR_OP_ASSIGN && op->val.kind == IR_VAL_VAR && !op->val.addr_of && op->val.var >= 0 &&
            vars[op->val.var] && !vars[op->var]) {
          vars[op->var] = 1;
          changed = true;
        }
      }
  }
}

static bool edge_to(const ir_block *b, int to) {
  if (b->term == IR_TERM_RETURN || b->term == IR_TERM_STOP) return false;
  return b->succ[0] == to || (b->term == IR_TERM_COND && b->succ[1] == to);
}

/* Whether `var` holds a constant whenever control enters the loop at `head` from
 * outside: walking back from each entry edge, the nearest assignment is a constant. */
static bool constant_on_entry(const ir_function *f, int head, const unsigned char *body, int var) {
  unsigned char *seen = xcalloc(f->nblocks, 1);
  int *work = xmalloc(f->nblocks * sizeof *work);
  unsigned n = 0;
  bool ok = true;
  for (unsigned b = 0; b < f->nblocks; b++)
    if (!body[b] && edge_to(&f->blocks[b], head)) seen[b] = 1, work[n++] = (int)b;
  if (n == 0) ok = false;
  while (n && ok) {
    int b = work[--n];
    const ir_block *blk = &f->blocks[b];
    bool defined = false;
    for (unsigned k = blk->nops; k-- > 0 && !defined;) {
      const ir_op *op = &blk->ops[k];
      if (op->kind == IR_OP_ASSIGN && op->var == var) {
        defined = true;
        ok = op->val.kind == IR_VAL_INT;
      } else if (op->kind == IR_OP_CALL && f->calls[op->call].use == IR_USE_VAR && f->calls[op->call].dest == var) {
        defined = true;
        ok = false;
      }
    }
    if (defined) continue;
    if (b == IR_ENTRY) ok = false; /* a parameter, or never set */
    for (unsigned p = 0; p < f->nblocks && ok; p++)
      if (!seen[p] && edge_to(&f->blocks[p], b)) seen[p] = 1, work[n++] = (int)p;
  }
  free(seen);
  free(work);
  return ok;
}

/* Whether a call in the loop may change `var` through its address. */
static bool address_passed(const ir_call *call, int var) {
  for (unsigned a = 0; a < call->nargs; a++)
    if (call->args[a].kind == IR_VAL_VAR && call->args[a].addr_of && call->args[a].var == var) return true;
  return false;
}

/* A counter: enters the loop holding a constant and is only stepped inside
 * (`i++`, `i += k`). */
static bool is_counter(const ir_function *f, int head, const unsigned char *body, int i) {
  if (f->vars[i].is_temp || f->vars[i].is_static) return false;
  bool stepped = false;
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned k = 0; k < f->blocks[b].nops; k++) {
      const ir_op *op = &f->blocks[b].ops[k];
      if (op->kind == IR_OP_CALL) {
        const ir_call *call = &f->calls[op->call];
        if (address_passed(call, i)) return false;
        if (body[b] && call->use == IR_USE_VAR && call->dest == i) return false;
      }
      if (!body[b] || op->kind != IR_OP_ASSIGN || op->var != i) continue;
      if (op->val.kind != IR_VAL_OTHER) return false; /* reset inside the loop */
      stepped = true;
    }
  return stepped && constant_on_entry(f, head, body, i);
}

/* Nothing in the loop changes `var`. */
static bool invariant(const ir_function *f, const unsigned char *body, int var) {
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned k = 0; k < f->blocks[b].nops; k++) {
      const ir_op *op = &f->blocks[b].ops[k];
      if (!body[b]) continue;
      if (op->kind == IR_OP_ASSIGN && op->var == var) return false;
      if (op->kind == IR_OP_CALL && (address_passed(&f->calls[op->call], var) ||
                                     (f->calls[op->call].use == IR_USE_VAR && f->calls[op->call].dest == var)))
        return false;
    }
  return true;
}

bool flow_loop_counted(const ir_function *f, int head, const unsigned char *body) {
  const ir_block *h = &f->blocks[head];
  if (h->term != IR_TERM_COND) return false;
  if (h->cond_var >= 0) return h->cond_op != IR_CMP_EQ && is_counter(f, head, body, h->cond_var);
  int counter = -1;
  for (unsigned k = 0; k < h->nops; k++) {
    const ir_op *op = &h->ops[k];
    if (op->kind != IR_OP_READ) return false;
    if (counter < 0 && is_counter(f, head, body, op->var)) counter = op->var;
    else if (!invariant(f, body, op->var)) return false;
  }
  return counter >= 0;
}

typedef struct {
  const program *p;
  model_resource kind;
  const char *key;
  const ir_call *release;
} foreign_search;

static flow_action foreign_op(const ir_function *f, const ir_op *op, flow_pos at, void *ctx) {
  foreign_search *c = ctx;
  (void)at;
  if (op->kind != IR_OP_CALL) return FLOW_CONTINUE;
  const ir_call *call = &f->calls[op->call];
  if (call == c->release) return FLOW_FOUND;
  char *k = resource_key(call, flow_resource(c->p, call, c->kind, true));
  bool same = k && strcmp(k, c->key) == 0;
  free(k);
  return same ? FLOW_STOP : FLOW_CONTINUE;
}

/* A release in `f` that some path from the entry reaches without taking the same
 * object first: it gives back what the caller took (`unlock(m); wait; lock(m);`). */
static bool releases_foreign(const program *p, const ir_function *f, const ir_call *call, void *ctx) {
  model_resource kind = *(const model_resource *)ctx;
  const model_resource_arg *r = flow_resource(p, call, kind, false);
  if (!r) return false;
  char *key = resource_key(call, r);
  if (!key) return true;
  foreign_search c = {p, kind, key, call};
  const flow_visitor v = {foreign_op, NULL, NULL, NULL};
  bool foreign = flow_search(p, f, (flow_pos){IR_ENTRY, 0}, &v, &c, NULL);
  free(key);
  return foreign;
}

int *flow_fns_releasing(const program *p, model_resource kind, bool through_fn_args) {
  return flow_fns_calling(p, releases_foreign, &kind, through_fn_args);
}
