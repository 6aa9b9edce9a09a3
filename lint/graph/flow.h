/* Path queries over one function's control-flow graph, shared by the rules that
 * need control flow: "is there a path from here on which X happens before Y".
 * A search walks operations in order along every path from a start point, asking
 * a visitor about each operation, each conditional edge and each path end. It
 * visits each block once, so a visitor keeps no per-path state: what matters must
 * be decided by the operation or edge at hand. */
#ifndef CALM_LINT_FLOW_H
#define CALM_LINT_FLOW_H

#include "program.h"

typedef enum {
  FLOW_CONTINUE, /* keep walking this path */
  FLOW_STOP,     /* this path is settled: do not follow it further */
  FLOW_FOUND,    /* the property holds on this path: end the search */
} flow_action;

typedef struct {
  int block;
  int op; /* index of the next operation to look at; nops means the terminator */
} flow_pos;

typedef struct {
  /* Each operation on the way (may be NULL: continue). */
  flow_action (*op)(const ir_function *f, const ir_op *op, flow_pos at, void *ctx);
  /* Whether to follow edge `which` (0: condition true, 1: false) of a conditional
     block (may be NULL: follow every edge). */
  bool (*edge)(const ir_function *f, const ir_block *b, int which, void *ctx);
  /* A path reaches the function's exit (may be NULL: stop). */
  flow_action (*exit)(const ir_function *f, void *ctx);
  /* A path takes a loop's back edge (may be NULL: continue into the loop). */
  flow_action (*back)(const ir_function *f, const ir_block *from, void *ctx);
} flow_visitor;

/* Walks every path from `start`. Calls that never return end their path. Returns
 * true when some path reached FLOW_FOUND; *found (may be NULL) is where. */
bool flow_search(const program *p, const ir_function *f, flow_pos start, const flow_visitor *v, void *ctx,
                 flow_pos *found);

/* The position just after the operation that makes call `call`. */
flow_pos flow_after_call(const ir_function *f, int call);

/* Whether edge `which` of conditional block `b` can be taken when its variable
 * holds `value`. True for conditions on other variables or opaque ones. */
bool flow_edge_admits(const ir_block *b, int which, int var, int64_t value);

/* Whether the edge admits some value other than `value` (e.g. a status that is not
 * 0 on the edge of `if (rc != 0)`). */
bool flow_edge_admits_other(const ir_block *b, int which, int var, int64_t value);

/* Whether `call` passes variable `var` (or its address) as an argument. */
bool flow_call_uses_var(const ir_call *call, int var);

/* A path search that carries a small per-path state (bits the visitor defines, such
 * as "the status was looked at" or "this variable still holds it"). Each (block,
 * state) pair is walked once, so the state must stay small for the search to stay
 * cheap. The callbacks may change *state; an edge or back-edge callback changes it
 * for that edge only. Otherwise it works like flow_search. */
typedef struct {
  flow_action (*op)(const ir_function *f, const ir_op *op, flow_pos at, uint64_t *state, void *ctx);
  bool (*edge)(const ir_function *f, const ir_block *b, int which, uint64_t *state, void *ctx);
  flow_action (*exit)(const ir_function *f, uint64_t state, void *ctx);
  flow_action (*back)(const ir_function *f, const ir_block *from, uint64_t *state, void *ctx);
} flow_state_visitor;

/* A path's most recent constant assignment (`rc = DNS_R_CONTINUE;`), kept in the low
 * 48 bits of a flow_search_state's state (the visitor's own bits above them): after
 * the assignment, a test of that variable takes only the edges its value admits.
 * flow_const_op updates the state at an operation; flow_const_edge says whether the
 * edge can be taken on this path. */
#define FLOW_CONST_BITS 0x0000ffffffffffffull
uint64_t flow_const_op(const ir_function *f, const ir_op *op, uint64_t state);
bool flow_const_edge(const ir_block *b, int which, uint64_t state);

/* (A search that would visit more than 200 000 blocks gives up and returns false.) */
bool flow_search_state(const program *p, const ir_function *f, flow_pos start, uint64_t state,
                       const flow_state_visitor *v, void *ctx, flow_pos *found, uint64_t *found_state);

/* For each call of `f`, whether every path from the entry to it passes an opening
 * call with no matching closing call after it (a region such as a deadline scope or
 * a shield, nesting allowed). `mark` says whether a call opens (+1), closes (-1) or
 * does neither (0). Returns a malloc'd array of f->ncalls flags. */
bool *flow_calls_inside(const program *p, const ir_function *f,
                        int (*mark)(const program *p, const ir_call *call, void *ctx), void *ctx);

/* The blocks of the loop whose head is `head` (a block with `loop_head` set): the head
 * and every block that reaches a back edge into it without passing the head again.
 * Returns a malloc'd array of f->nblocks flags. */
unsigned char *flow_loop_body(const ir_function *f, int head);

/* A name for the object an argument denotes, to tell whether two calls act on the same
 * lock or semaphore: "v<index>" or "&v<index>" for a variable, otherwise the argument's
 * source text without blanks and parentheses ("&job->mu", "slots"); NULL when the text
 * is unknown. malloc'd. */
char *flow_object_key(const ir_value *v);

/* For each function of the program, the index of one of its calls for which `pred`
 * holds (`f` is the function making the call), or that calls (directly, or with
 * `through_fn_args` by passing it as an argument, e.g. a callback or task body) a
 * program function with such a witness; -1 when none. Follow the witnesses with
 * flow_witness_target to build a chain. Returns a malloc'd array of p->nfns entries. */
int *flow_fns_calling(const program *p,
                      bool (*pred)(const program *p, const ir_function *f, const ir_call *call, void *ctx), void *ctx,
                      bool through_fn_args);

/* A program function with a witness (flow_fns_calling) that call `call` of function `f`
 * enters, directly or through a resolved pointer; -1 when none. The next step of a
 * witness chain. */
int flow_witness_target(const program *p, int f, int call, const int *witness);

/* Whether call `call` of `f` can happen when `f` is entered through `site` (a call in
 * a function of the program): a branch that tests a parameter `site` passes a constant
 * for (`NULL`, `0`, a flag such as `CRAWLER_NOWAIT`) is taken as that constant decides,
 * where `f` never changes that parameter. */
bool flow_reachable_from_site(const program *p, const ir_function *f, int call, const ir_call *site);

/* The calls that can enter each function (direct and resolved indirect calls) made in
 * functions of context `ctx`: per function of the program, a list of (function, call)
 * pairs. Free with flow_callers_free. */
typedef struct {
  int fn, call;
} flow_call_ref;
typedef struct {
  flow_call_ref *items;
  size_t len, cap;
} flow_call_refs;
flow_call_refs *flow_callers_in(const program *p, calm_context ctx);
void flow_callers_free(const program *p, flow_call_refs *refs);

/* The resource argument of a call whose model `acquires` (or `releases`) a resource
 * of `kind`, or NULL. */
const model_resource_arg *flow_resource(const program *p, const ir_call *call, model_resource kind, bool acquires);

/* Whether `call` in `f` gives back what call `acquire` of `f` took: a release of the
 * same kind naming the same object (flow_object_key), or an object no acquire of `f`
 * names (an alias: `s = job->sem; acquire(s); ... release(job->sem)`), or one whose
 * text is unknown. */
bool flow_releases_same(const program *p, const ir_function *f, int acquire, const ir_call *call);

/* For each function of the program, a witness (as flow_fns_calling) that it gives
 * back a resource of `kind` it did not take itself: a release that a path from the
 * entry reaches without an acquire of the same object first, directly or in a
 * function it calls (or, with `through_fn_args`, passes as a callback or task body).
 * A helper that locks and unlocks its own mutex is not one; one that unlocks the
 * caller's mutex around a wait and locks it again is. */
int *flow_fns_releasing(const program *p, model_resource kind, bool through_fn_args);

/* Whether `call` in `f` hands what call `acquire` took to other code: it calls, or
 * for a semaphore passes as an argument (a callback, a task body; a mutex stays with
 * the thread that locked it), a program function that releases a resource of that
 * kind it did not take (`releasers`: flow_fns_releasing); or it passes the acquired
 * object to a function the program does not define and no model describes, or to a
 * program function that stores that parameter. */
bool flow_hands_over(const program *p, const ir_function *f, int acquire, const ir_call *call, const int *releasers);

/* Adds to `vars` (one flag per variable of `f`) every variable that a plain copy
 * (`u = t`) from one of them reaches, transitively, anywhere in the function. */
void flow_copies(const ir_function *f, unsigned char *vars);

/* Whether the loop at `head` (with `body` from flow_loop_body) is a counting loop,
 * whose number of iterations is decided before it starts: the head tests a counter
 * against a constant (`for (i = 0; i < 8; i++)`) or against values that nothing in
 * the loop changes (`i < n`); the counter enters the loop holding a constant and is
 * only stepped (`i++`, `i += k`) inside it. */
bool flow_loop_counted(const ir_function *f, int head, const unsigned char *body);

#endif
