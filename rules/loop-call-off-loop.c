/* loop-call-off-loop: a loop API that is not thread-safe (model `loop_only`, not
 * `thread_safe`) called in worker context: an offloaded function, a thread's start
 * routine, or anything they call. A thread that runs a loop of its own (a call whose
 * model says `runs_loop`) owns that loop and may call its APIs. */
#include <stdlib.h>

#include "rule.h"

static bool call_is_loop_only(const program *p, const ir_call *call) {
  /* a static function is the program's own, whatever its name: models describe APIs */
  int callee = program_callee(p, call);
  if (callee >= 0 && p->fns[callee].fn->is_static) return false;
  const model_fn *m = program_model(p, call);
  return m && m->loop_only && !m->thread_safe;
}

/* Whether function `f`, or a function it calls, runs a loop on the calling thread.
 * `state`: 0 unknown, 1 visiting or no, 2 yes. */
static bool runs_loop(const program *p, int f, unsigned char *state) {
  if (state[f]) return state[f] == 2;
  state[f] = 1;
  const ir_function *fn = p->fns[f].fn;
  for (unsigned c = 0; c < fn->ncalls; c++) {
    const model_fn *m = program_model(p, &fn->calls[c]);
    int callee = program_callee(p, &fn->calls[c]);
    if ((m && m->runs_loop) || (callee >= 0 && runs_loop(p, callee, state))) {
      state[f] = 2;
      return true;
    }
  }
  return false;
}

/* Whether a function on the chain is itself a modelled API: then the call is the
 * library's own implementation (linting libuv itself), which the model speaks for. */
static bool chain_in_library(const program *p, const chain_step *steps, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    if (model_db_lookup(p->models, p->fns[steps[i].fn].fn->name)) return true;
  return false;
}

static void report(const program *p, diag_list *out, int f, const ir_call *call, const chain_step *steps,
                   unsigned n) {
  const char *fname = p->fns[f].fn->name;
  const char *root_name = n ? p->fns[steps[0].fn].fn->name : fname;
  char *msg = n <= 1 ? xasprintf("loop API '%s' called in worker function '%s', off the loop thread: it races with "
                                 "the event loop and can corrupt its state",
                                 call->callee_name, root_name)
                     : xasprintf("loop API '%s' called in '%s', reached from worker function '%s', off the loop "
                                 "thread: it races with the event loop and can corrupt its state",
                                 call->callee_name, fname, root_name);
  diag *d = diag_add(out, "loop-call-off-loop", SEV_WARNING, call->loc, msg);
  rule_add_chain(p, d, f, CTX_WORKER);
  /* the loop calls of one function, all on the one chain shown, are one mistake: the
     function runs off the loop */
  char *group = xasprintf("%d", f), *what = xasprintf("'%s'", call->callee_name);
  diag_set_group(d, group, what);
  free(what);
  free(group);
}

static void run(const program *p, diag_list *out) {
  unsigned char *loop_state = xcalloc(p->nfns ? p->nfns : 1, 1);
  for (unsigned f = 0; f < p->nfns; f++) {
    const prog_fn *pf = &p->fns[f];
    if (!(pf->contexts & CTX_WORKER)) continue;
    chain_step *steps = NULL;
    int root = -1;
    unsigned n = 0, guesses = 0;
    bool checked = false, skip = false;
    for (unsigned c = 0; c < pf->fn->ncalls && !skip; c++) {
      const ir_call *call = &pf->fn->calls[c];
      if (!call_is_loop_only(p, call)) continue;
      if (!checked) {
        checked = true;
        n = program_chain(p, (int)f, CTX_WORKER, &steps, &root);
        /* the thread owns a loop when its root, or any function on the way (a thread
           body reached through a function pointer, as loop managers start theirs),
           runs one */
        skip = chain_in_library(p, steps, n) || runs_loop(p, (int)f, loop_state);
        for (unsigned i = 0; i < n && !skip; i++) skip = runs_loop(p, steps[i].fn, loop_state);
        if (skip) break;
        guesses = program_chain_guesses(p, steps, n);
      }
      if (!rule_withhold("loop-call-off-loop", guesses, call->loc, out)) report(p, out, (int)f, call, steps, n);
    }
    free(steps);
  }
  free(loop_state);
}

const lint_rule rule_loop_call_off_loop = {
    .id = "loop-call-off-loop",
    .summary = "a loop API that is not thread-safe called from a worker function",
    .severity = SEV_WARNING,
    .run = run,
};
