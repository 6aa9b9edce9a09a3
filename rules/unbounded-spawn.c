/* unbounded-spawn: a call that starts concurrent work (model `spawns: true`, or a
 * function of the program that makes one) inside a loop driven by input (the loop
 * takes in a connection, a message, a row or a queue item on its way round: a model
 * `input` call, directly or through a function it calls) that nothing bounds: an
 * iteration can go round without acquiring a semaphore, waiting for a bounded group
 * or queue, awaiting a task or joining the work it started, or passing a test that
 * can leave the loop (`if (n >= max) break;`), and the loop is not a counting loop
 * whose trip count is fixed before it starts. A loop over a list the program built,
 * or a fixed count, is not input. A wrapper that starts work only behind a test of
 * its own state (a counter against a limit, a one-in-flight slot) is not a spawner. */
#include <stdlib.h>
#include <string.h>

#include "../lint/graph/flow.h"
#include "rule.h"

/* Per function of the program: whether it makes an unbounded spawn (directly or
 * through calls) and whether it waits on a bound (acquires a semaphore, spawns into
 * a bounded group, puts into a bounded queue, awaits a task) anywhere. */
typedef struct {
  unsigned char *spawner, *bounder;
  int *reader; /* per function: a witness that it takes in input (flow_fns_calling) */
} summary;

static bool is_input(const program *p, const ir_function *f, const ir_call *call, void *ctx) {
  (void)f;
  (void)ctx;
  const model_fn *m = program_model(p, call);
  return m && m->input;
}

/* A call that holds an iteration back until earlier work makes room. */
static bool bounds_call(const program *p, const summary *s, const ir_call *call) {
  const model_fn *m = program_model(p, call);
  if (m) return m->spawns == SPAWNS_BOUNDED || m->acquires.kind == RESOURCE_SEMAPHORE || (m->ntakes_task && m->suspends);
  int callee = program_callee(p, call);
  return callee >= 0 && s->bounder[callee];
}

/* The spawn call `call` (or a call to a spawner), when it is not itself bounded. */
static bool spawns_call(const program *p, const summary *s, const ir_call *call) {
  const model_fn *m = program_model(p, call);
  if (m) return m->spawns == SPAWNS_UNBOUNDED;
  int callee = program_callee(p, call);
  return callee >= 0 && s->spawner[callee];
}

/* The variables that name the started work: the result, anything whose address the
 * call takes (a thread id), and their plain copies. */
static unsigned char *handle_vars(const ir_function *f, const ir_call *call) {
  unsigned char *h = xcalloc(f->nvars ? f->nvars : 1, 1);
  if (call->use == IR_USE_VAR && call->dest >= 0) h[call->dest] = 1;
  for (unsigned i = 0; i < call->nargs; i++)
    if (call->args[i].kind == IR_VAL_VAR && call->args[i].addr_of && call->args[i].var >= 0) h[call->args[i].var] = 1;
  flow_copies(f, h);
  return h;
}

static bool takes_task_arg(const model_fn *m, unsigned arg) {
  for (unsigned k = 0; k < m->ntakes_task; k++)
    if (m->takes_task[k] == (int)arg) return true;
  return false;
}

/* A wait for the work named by the `handle` variables: a suspending call that takes
 * the task over (`calm_await`), or a blocking call given the thread (`pthread_join`). */
static bool waits_on(const program *p, const ir_call *call, const unsigned char *handle) {
  const model_fn *m = program_model(p, call);
  if (!m) return false;
  bool blocks = model_cond_holds(&m->blocking, call);
  for (unsigned i = 0; i < call->nargs; i++)
    if (call->args[i].kind == IR_VAL_VAR && call->args[i].var >= 0 && handle[call->args[i].var] &&
        (blocks || (m->suspends && takes_task_arg(m, i))))
      return true;
  return false;
}

/* Whether `f` waits for the work that `spawn` starts before it returns (on some path):
 * then a call to `f` does not leave work running. */
static bool joined(const program *p, const ir_function *f, const ir_call *spawn) {
  unsigned char *handle = handle_vars(f, spawn);
  bool found = false;
  for (unsigned c = 0; c < f->ncalls && !found; c++) found = waits_on(p, &f->calls[c], handle);
  free(handle);
  return found;
}

/* A test of something the function does not hold in a variable (`pool->n >= pool->max`,
 * `uv->work.data != NULL`): the state a limit is kept in. */
static bool tests_state(const ir_block *b) { return b->term == IR_TERM_COND && b->cond_var < 0; }

static flow_action guard_op(const ir_function *f, const ir_op *op, flow_pos at, void *ctx) {
  (void)f;
  (void)at;
  return op->kind == IR_OP_CALL && op->call == *(const int *)ctx ? FLOW_FOUND : FLOW_CONTINUE;
}

static bool guard_edge(const ir_function *f, const ir_block *b, int which, void *ctx) {
  (void)f;
  (void)which;
  (void)ctx;
  return !tests_state(b);
}

/* Whether every path from the entry to call `c` of `f` passes a test of state: the
 * work starts only when a limit (or an empty slot) allows it. */
static bool guarded(const program *p, const ir_function *f, int c) {
  static const flow_visitor v = {guard_op, guard_edge, NULL, NULL};
  return !flow_search(p, f, (flow_pos){IR_ENTRY, 0}, &v, &c, NULL);
}

static summary summarise(const program *p) {
  summary s = {xcalloc(p->nfns + 1, 1), xcalloc(p->nfns + 1, 1), flow_fns_calling(p, is_input, NULL, false)};
  /* bounders first: a wrapper that waits for room is not a spawner */
  for (int pass = 0; pass < 2; pass++)
    for (bool changed = true; changed;) {
      changed = false;
      for (unsigned fi = 0; fi < p->nfns; fi++) {
        const ir_function *f = p->fns[fi].fn;
        unsigned char *mine = pass == 0 ? s.bounder : s.spawner;
        if (mine[fi] || (pass == 1 && s.bounder[fi])) continue;
        for (unsigned c = 0; c < f->ncalls && !mine[fi]; c++)
          mine[fi] = pass == 0 ? bounds_call(p, &s, &f->calls[c])
                               : spawns_call(p, &s, &f->calls[c]) && !joined(p, f, &f->calls[c]) &&
                                     !guarded(p, f, (int)c);
        changed |= mine[fi];
      }
    }
  return s;
}

/* One spawn call and one loop around it. */
typedef struct {
  const program *p;
  const summary *s;
  int fi;
  const ir_function *f;
  int call;
  int head;
  const unsigned char *body;
  unsigned char *handle; /* per variable: holds what the spawn started (its handle, thread id, request) */
  bool pointer;          /* the spawn returns a pointer: NULL is failure; else a status: non-zero is */
} loop_walk;

/* A bound, or a wait for the very work this spawn started (await, join). */
static bool stops_iteration(const loop_walk *w, const ir_call *call) {
  return bounds_call(w->p, w->s, call) || waits_on(w->p, call, w->handle);
}

static bool back_to_head(const ir_block *b, int head) {
  for (int s = 0; s < (b->term == IR_TERM_COND ? 2 : 1); s++)
    if (b->back[s] && b->succ[s] == head) return true;
  return false;
}

/* From just after the spawn round to the loop's head with no bound on the way,
 * knowing what a status was just set to (`rc = CONTINUE;` ... `if (rc == CONTINUE)
 * return;` leaves the loop on that path). */
static flow_action after_op(const ir_function *f, const ir_op *op, flow_pos at, uint64_t *state, void *ctx) {
  const loop_walk *w = ctx;
  *state = flow_const_op(f, op, *state);
  if (!w->body[at.block]) return FLOW_STOP; /* left the loop */
  if (op->kind != IR_OP_CALL) return FLOW_CONTINUE;
  if (op->call == w->call) return FLOW_STOP; /* round an inner loop: that loop's own question */
  return stops_iteration(w, &f->calls[op->call]) ? FLOW_STOP : FLOW_CONTINUE;
}

static bool before_edge(const ir_function *f, const ir_block *b, int which, void *ctx);

/* Paths on which the spawn failed start nothing, nor do those held at a limit. */
static bool after_edge(const ir_function *f, const ir_block *b, int which, uint64_t *state, void *ctx) {
  const loop_walk *w = ctx;
  if (!flow_const_edge(b, which, *state) || !before_edge(f, b, which, ctx)) return false;
  if (b->cond_var < 0 || !w->handle[b->cond_var]) return true;
  return w->pointer ? flow_edge_admits_other(b, which, b->cond_var, 0) : flow_edge_admits(b, which, b->cond_var, 0);
}

static flow_action after_back(const ir_function *f, const ir_block *from, uint64_t *state, void *ctx) {
  (void)f;
  (void)state;
  const loop_walk *w = ctx;
  return back_to_head(from, w->head) ? FLOW_FOUND : FLOW_CONTINUE;
}

/* A test of state with a way out of the loop (`if (n >= max) break;`) holds the
 * iteration at a limit: the way on past it does not count as unbounded. */
static bool before_edge(const ir_function *f, const ir_block *b, int which, void *ctx) {
  (void)f;
  const loop_walk *w = ctx;
  if (!tests_state(b)) return true;
  int other = b->succ[1 - which];
  return other < 0 || w->body[other];
}

/* From the loop's head to the spawn with no bound on the way. */
static flow_action before_op(const ir_function *f, const ir_op *op, flow_pos at, void *ctx) {
  const loop_walk *w = ctx;
  if (!w->body[at.block]) return FLOW_STOP;
  if (op->kind != IR_OP_CALL) return FLOW_CONTINUE;
  if (op->call == w->call) return FLOW_FOUND;
  return stops_iteration(w, &f->calls[op->call]) ? FLOW_STOP : FLOW_CONTINUE;
}

static flow_action before_back(const ir_function *f, const ir_block *from, void *ctx) {
  (void)f;
  (void)from;
  (void)ctx;
  return FLOW_STOP;
}

/* Where to point at the loop: its condition (a `for (;;)` has none to point at). */
static ir_loc loop_loc(const ir_function *f, int head) {
  ir_loc none = {0};
  return f->blocks[head].term == IR_TERM_COND ? f->blocks[head].term_loc : none;
}

/* Whether some iteration of the loop at `head` goes round through the spawn with no
 * bound. A bound anywhere in the loop counts (an await in a second inner loop that
 * the graph lets run zero times, a permit taken on most paths): precision first. */
/* Whether the loop takes in input on its way round: a call in it (its condition
 * included) that reads, accepts, steps a result or gets a queue item, directly or
 * through a function it calls. */
static int input_call(const loop_walk *w) {
  for (unsigned c = 0; c < w->f->ncalls; c++) {
    if (!w->body[w->f->calls[c].block]) continue;
    if (is_input(w->p, w->f, &w->f->calls[c], NULL) || flow_witness_target(w->p, w->fi, (int)c, w->s->reader) >= 0)
      return (int)c;
  }
  return -1;
}

static bool unbounded_in(loop_walk *w) {
  if (flow_loop_counted(w->f, w->head, w->body) || input_call(w) < 0) return false;
  for (unsigned c = 0; c < w->f->ncalls; c++)
    if (w->body[w->f->calls[c].block] && stops_iteration(w, &w->f->calls[c])) return false;
  static const flow_state_visitor after = {after_op, after_edge, NULL, after_back};
  static const flow_visitor before = {before_op, before_edge, NULL, before_back};
  if (!flow_search_state(w->p, w->f, flow_after_call(w->f, w->call), 0, &after, w, NULL, NULL)) return false;
  return flow_search(w->p, w->f, (flow_pos){w->head, 0}, &before, w, NULL);
}

static void report(const program *p, const summary *s, const ir_function *f, int c, int head, int input,
                   diag_list *out) {
  const ir_call *call = &f->calls[c];
  const model_fn *m = program_model(p, call);
  const char *what = m && m->returns == RETURNS_TASK ? "a task" : "concurrent work";
  diag *d = diag_add(out, "unbounded-spawn", SEV_WARNING, call->loc,
                     xasprintf("'%s' starts %s for every input this loop takes in, with nothing bounding how many "
                               "run at once: a burst of input exhausts memory",
                               call->callee_name, what));
  ir_loc at = loop_loc(f, head);
  if (at.file)
    diag_note_add(d, at,
                  xstrdup("no semaphore, bounded group or queue, await, limit test or fixed count limits this loop"));
  diag_note_add(d, f->calls[input].loc, xasprintf("the loop takes in input here: '%s'", f->calls[input].callee_name));
  int callee = m ? -1 : program_callee(p, call);
  if (callee >= 0) {
    /* name the spawn inside the wrapper */
    const ir_function *g = p->fns[callee].fn;
    for (unsigned k = 0; k < g->ncalls; k++)
      if (spawns_call(p, s, &g->calls[k])) {
        diag_note_add(d, g->calls[k].loc, xasprintf("'%s' starts the work here", g->name));
        break;
      }
  }
}

static void run(const program *p, diag_list *out) {
  summary s = summarise(p);
  for (unsigned fi = 0; fi < p->nfns; fi++) {
    const ir_function *f = p->fns[fi].fn;
    unsigned char **bodies = NULL;
    for (unsigned c = 0; c < f->ncalls; c++) {
      const ir_call *call = &f->calls[c];
      if (!spawns_call(p, &s, call)) continue;
      if (!bodies) {
        bodies = xcalloc(f->nblocks, sizeof *bodies);
        for (unsigned b = 0; b < f->nblocks; b++)
          if (f->blocks[b].loop_head) bodies[b] = flow_loop_body(f, (int)b);
      }
      const model_fn *m = program_model(p, call);
      bool pointer = (m && m->returns == RETURNS_TASK) ||
                     (call->use == IR_USE_VAR && call->dest >= 0 && f->vars[call->dest].type &&
                      strchr(f->vars[call->dest].type, '*'));
      loop_walk w = {p, &s, (int)fi, f, (int)c, -1, NULL, handle_vars(f, call), pointer};
      /* the innermost unbounded loop around the call: the smallest body */
      int best = -1, best_input = -1;
      unsigned best_size = 0;
      for (unsigned h = 0; h < f->nblocks; h++) {
        if (!bodies[h] || !bodies[h][call->block]) continue;
        w.head = (int)h;
        w.body = bodies[h];
        if (!unbounded_in(&w)) continue;
        unsigned size = 0;
        for (unsigned b = 0; b < f->nblocks; b++) size += bodies[h][b];
        if (best < 0 || size < best_size) best = (int)h, best_size = size, best_input = input_call(&w);
      }
      if (best >= 0) report(p, &s, f, (int)c, best, best_input, out);
      free(w.handle);
    }
    if (bodies)
      for (unsigned b = 0; b < f->nblocks; b++) free(bodies[b]);
    free(bodies);
  }
  free(s.spawner);
  free(s.bounder);
  free(s.reader);
}

const lint_rule rule_unbounded_spawn = {
    .id = "unbounded-spawn",
    .summary = "spawning inside a loop with no bound on concurrency",
    .severity = SEV_WARNING,
    .run = run,
    .quiet_in_tests = true,
};
