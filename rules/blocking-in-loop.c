/* blocking-in-loop: a call that blocks the thread, made in loop context (a loop
 * callback, a task body, a CALM_ASYNC function, or anything they call). */
#include <stdlib.h>

#include "rule.h"

static bool call_blocks(const program *p, const ir_call *call) {
  int callee = program_callee(p, call);
  unsigned attrs = call->callee_attrs | (callee >= 0 ? p->fns[callee].fn->attrs : 0);
  if (attrs & IR_ATTR_NONBLOCKING) return false;
  if (attrs & IR_ATTR_BLOCKING) return true;
  const model_fn *m = program_model(p, call);
  return m && model_cond_holds(&m->blocking, call);
}

static void run(const program *p, diag_list *out) {
  for (unsigned f = 0; f < p->nfns; f++) {
    const prog_fn *pf = &p->fns[f];
    if (!(pf->contexts & CTX_LOOP) || (pf->fn->attrs & IR_ATTR_NONBLOCKING)) continue;
    for (unsigned c = 0; c < pf->fn->ncalls; c++) {
      const ir_call *call = &pf->fn->calls[c];
      if (!call_blocks(p, call) || program_call_in_child(p, (int)f, (int)c)) continue;
      chain_step *steps;
      int root;
      unsigned n = program_chain(p, (int)f, CTX_LOOP, &steps, &root);
      const char *root_name = n ? p->fns[steps[0].fn].fn->name : pf->fn->name;
      const char *role = root >= 0 ? rule_root_role(p, &p->roots[root]) : "loop callback";
      free(steps);
      /* reached only from roots that run rarely (a signal, a close, a one-shot timer):
         a stall there is real but seldom, and says so at note severity */
      bool cold = !pf->hot;
      char *msg;
      if (cold)
        msg = n <= 1 ? xasprintf("blocking call '%s' in %s '%s' stalls the event loop each time it runs, which is "
                                 "rarely",
                                 call->callee_name, role, root_name)
                     : xasprintf("blocking call '%s' in '%s', reached only from %s '%s', stalls the event loop each "
                                 "time it runs, which is rarely",
                                 call->callee_name, pf->fn->name, role, root_name);
      else
        msg = n <= 1 ? xasprintf("blocking call '%s' in %s '%s' stalls the event loop and every other task on it",
                                 call->callee_name, role, root_name)
                     : xasprintf("blocking call '%s' in '%s', reached from %s '%s', stalls the event loop and "
                                 "every other task on it",
                                 call->callee_name, pf->fn->name, role, root_name);
      diag *d = diag_add(out, "blocking-in-loop", cold ? SEV_NOTE : SEV_WARNING, call->loc, msg);
      rule_add_chain(p, d, (int)f, CTX_LOOP);
    }
  }
}

const lint_rule rule_blocking_in_loop = {
    .id = "blocking-in-loop",
    .summary = "a blocking call reachable from a loop callback or task body",
    .severity = SEV_WARNING,
    .run = run,
};
