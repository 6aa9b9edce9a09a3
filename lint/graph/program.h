/* The linked program: every function of every summary by USR, the call graph
 * between them, and the context each function can run in (DESIGN "Contexts"), with
 * the chain that puts it there. Rules read only this and the IR. */
#ifndef CALM_LINT_PROGRAM_H
#define CALM_LINT_PROGRAM_H

#include "../ir/ir.h"
#include "indirect.h"
#include "models.h"

/* Why a function is a root of a context. */
typedef enum {
  ROOT_CALLBACK,  /* passed to a registering API (`via` names it) */
  ROOT_ANNOTATED, /* annotated CALM_ASYNC */
  ROOT_SLOT,      /* stored in a library struct's callback field (`via` names it) */
} root_kind;

typedef struct {
  root_kind kind;
  calm_context context;
  const char *via;   /* the API it was passed to (ROOT_CALLBACK) */
  ir_loc site;       /* where it was passed, or the annotated definition */
  int status_param;  /* from the model's callback, or -1 */
  bool cold;         /* runs rarely: a signal, a close, a timer that fires once */
  const char *wrapper; /* the program's function called at `site`, which hands it on to `via`; else NULL */
} root_info;

/* How a function was reached in one context: from a root, or by a call. */
typedef struct {
  bool reached;
  int root;        /* index into program.roots when this function is a root; else -1 */
  int caller;      /* function index of the caller on the shortest chain; -1 for a root */
  int call;        /* call index in the caller */
  unsigned depth;  /* calls from the root */
} reach;

typedef struct {
  const ir_function *fn;
  const ir_summary *tu;
  unsigned contexts; /* calm_context bits */
  reach loop, worker;
  bool hot;             /* in loop context from a root that runs per event (not only cold roots),
                           through calls after which the process goes on */
  bool hot_exiting;     /* from a per-event root, but only through calls after which the
                           process ends (an error path that exits): not `hot` */
  unsigned char *dies;  /* per call: 1 when every path after it ends the process; NULL: none does
                           (computed for the functions in loop context) */
  unsigned char *child; /* per block: only the child of a fork runs it; NULL when it does not fork */
  int next_same_usr; /* another definition with this USR (another program in the
                        database, a static inline in a header), or -1 */
} prog_fn;

typedef VEC(int) later_list;

typedef struct program {
  ir_summary **tus;
  unsigned ntus;
  prog_fn *fns;
  unsigned nfns;
  strmap *by_usr; /* usr -> 1 + index into fns */
  ptrmap *find_memo;  /* usr (by address) -> 1 + index into fns, or 0: none */
  ptrmap *model_memo; /* callee name (by address) -> its model_fn, or NULL */
  model_db *models;
  root_info *roots;
  unsigned nroots;
  indirect *ind; /* what each indirect call can reach */
  strmap *later;  /* function name -> later_list*: callbacks that run inside its calls */
} program;

/* Links `tus` (borrowed: they must outlive the program) with `models` (borrowed).
 * Every definition is kept, also when several share a USR: a compile database often
 * holds several programs, each with its own `main` and helpers of the same name. A
 * call resolves to the definition in the caller's translation unit when there is
 * one, else to every definition of that USR. */
program *program_link(ir_summary **tus, unsigned ntus, model_db *models);
void program_free(program *p);

/* Index of the (first) function with this USR, or -1. `usr` is a string of the IR
 * (memoised by address: it must live as long as the program). */
int program_find(const program *p, const char *usr);

/* The called function's (first) definition in the program, or -1. */
int program_callee(const program *p, const ir_call *call);

/* The definitions a call in function `caller` can reach (see program_link). Writes
 * up to `max` indices to `out` and returns how many there are. */
unsigned program_resolve(const program *p, int caller, const char *usr, int *out, unsigned max);

/* As program_resolve, for a call made in translation unit `tu` (NULL: any). */
unsigned program_resolve_in(const program *p, const ir_summary *tu, const char *usr, int *out, unsigned max);

/* Every program function that call `call` of function `f` can enter: the definitions
 * of a direct callee (as program_resolve), or the resolved targets of an indirect
 * call. Writes up to `max` to `out`; returns how many there are. */
unsigned program_call_targets(const program *p, int f, int call, int *out, unsigned max);

/* How indirect call `call` of `f` reaches function `target`: where the pointer was
 * set; NULL for a direct call or a function it does not reach. */
const call_target *program_indirect_target(const program *p, int f, int call, int target);

/* The callbacks that call `call` of `f`, to a modelled function, runs inside it,
 * registered earlier with a setter (`curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fn)` and
 * then `curl_multi_perform`). Writes up to `max` function indices to `out`; returns how
 * many it wrote. */
unsigned program_runs_later(const program *p, int f, int call, int *out, unsigned max);

/* Whether call `call` of `f` is made only in the child of a `fork()` (the branch on
 * which fork returned 0): such code is not loop context. */
bool program_call_in_child(const program *p, int f, int call);

/* Whether every path from just after call `call` of `f` ends in a call that never
 * returns (exit, abort, a noreturn fatal-error helper), with no return and no loop on
 * the way: the process ends right after it. Known for functions in loop context. */
bool program_call_dies(const program *p, int f, int call);

/* Model knowledge of the callee of `call`, or NULL. */
const model_fn *program_model(const program *p, const ir_call *call);

/* Whether control never returns from `call` (noreturn declaration or model). */
bool program_call_noreturn(const program *p, const ir_call *call);

/* The chain that puts function `f` in context `ctx`, root first: a list of
 * (function, call) steps, each step the call in that function that leads on.
 * Returns the number of steps; *steps is malloc'd. The root is p->fns[f] reached
 * through p->roots[(*root)]. */
typedef struct {
  int fn;
  int call;
} chain_step;
unsigned program_chain(const program *p, int f, calm_context ctx, chain_step **steps, int *root);

/* How many steps of a chain are guesses: calls through a function pointer that can
 * hold several functions, where the chain takes one of them on the strength of the
 * record type and field (or variable) alone. */
unsigned program_chain_guesses(const program *p, const chain_step *steps, unsigned n);

/* A directory of one checkout and where it is in another: absolute and normalised. */
typedef struct {
  const char *from, *to;
} path_map;

/* Rewrites the paths of `s` (its main file and every location; not `includes`, which
 * name the files this machine read) that are a map's `from` or lie under it, by the
 * last map that matches, as clang's -fdebug-prefix-map does: summaries emitted in a
 * checkout at /a link as if emitted at /b. Called before linking. */
void program_map_paths(ir_summary *s, const path_map *maps, size_t n);

#endif
