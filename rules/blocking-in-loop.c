/* blocking-in-loop: a call that blocks the thread, made in loop context (a loop
 * callback, a task body, a CALM_ASYNC function, or anything they call). */
#include <stdlib.h>
#include <string.h>

#include "../lint/graph/flow.h"
#include "../lint/graph/source.h"
#include "../lint/graph/streams.h"
#include "rule.h"

static bool call_blocks(const program *p, const ir_function *f, const ir_call *call) {
  int callee = program_callee(p, call);
  unsigned attrs = call->callee_attrs | (callee >= 0 ? p->fns[callee].fn->attrs : 0);
  if (attrs & IR_ATTR_NONBLOCKING) return false;
  if (attrs & IR_ATTR_BLOCKING) return true;
  const model_fn *m = program_model(p, call);
  return m && stream_open_blocks(p, f, call, &m->blocking) && !stream_never_blocks(p, f, call);
}

/* Whether call `c` of `f` can happen on the loop: `f` is a root itself, or some call
 * that enters it from loop context (not in a fork child) leaves the call reachable
 * with the constants it passes (a helper called with NULL, or with a mode flag, that
 * takes its harmless branch). */
static bool can_happen_on_loop(const program *p, flow_call_refs *callers, int f, int c, flow_call_ref *via) {
  via->fn = -1;
  if (p->fns[f].loop.root >= 0 || callers[f].len == 0) return true;
  const reach *re = &p->fns[f].loop;
  bool any = false;
  for (size_t i = 0; i < callers[f].len; i++) {
    flow_call_ref r = callers[f].items[i];
    if (program_call_in_child(p, r.fn, r.call)) continue;
    if (!flow_reachable_from_site(p, p->fns[f].fn, c, &p->fns[r.fn].fn->calls[r.call])) continue;
    /* the shortest chain when it is one of them, else the first that is */
    if (r.fn == re->caller && r.call == re->call) {
      via->fn = -1;
      return true;
    }
    if (!any) *via = r;
    any = true;
  }
  return any;
}

/* The fix for `sleep(n);` or `usleep(n);` as a statement of a libcalm task body: the
 * task sleeps with calm_sleep (milliseconds, rounded up) and returns its status, since
 * the sleep is now a suspension point where cancellation arrives. Only in the task
 * body itself, whose int is a status, not in a helper whose int means something else. */
static void offer_calm_sleep(const program *p, int fi, const ir_call *call, diag *d) {
  const prog_fn *pf = &p->fns[fi];
  bool secs = strcmp(call->callee_name, "sleep") == 0;
  if (!secs && strcmp(call->callee_name, "usleep") != 0) return;
  if (call->nargs != 1 || call->use != IR_USE_DISCARDED || pf->fn->returns_void) return;
  if (pf->loop.root < 0 || !rule_runs_in_task(p, fi)) return;
  ir_loc stmt;
  char *text = source_range_text(call->loc);
  size_t n = text ? strlen(text) : 0, name = strlen(call->callee_name);
  if (!text || n < name + 2 || strncmp(text, call->callee_name, name) != 0 || text[name] != '(' ||
      text[n - 1] != ')' || strstr(text, "status") || !source_extend_to(call->loc, ';', &stmt)) {
    free(text);
    return;
  }
  char *arg = xstrndup(text + name + 1, n - name - 2);
  const ir_value *v = &call->args[0];
  char *ms = v->kind == IR_VAL_INT && v->ival >= 0
                 ? xasprintf("%lld", (long long)(secs ? v->ival * 1000 : (v->ival + 999) / 1000))
             : secs ? xasprintf("(int64_t)(%s) * 1000", arg)
                    : xasprintf("((int64_t)(%s) + 999) / 1000", arg);
  char *with = xasprintf("{ int status = calm_sleep(%s); if (status != 0) return status; }", ms);
  diag_fix *fix = diag_fix_add(d, xasprintf("sleep with 'calm_sleep(%s)' and return its status", ms), true);
  diag_fix_edit(fix, stmt, with);
  free(with);
  free(ms);
  free(arg);
  free(text);
}

static void run(const program *p, diag_list *out) {
  flow_call_refs *callers = NULL;
  for (unsigned f = 0; f < p->nfns; f++) {
    const prog_fn *pf = &p->fns[f];
    if (!(pf->contexts & CTX_LOOP) || (pf->fn->attrs & IR_ATTR_NONBLOCKING)) continue;
    for (unsigned c = 0; c < pf->fn->ncalls; c++) {
      const ir_call *call = &pf->fn->calls[c];
      if (!call_blocks(p, pf->fn, call) || program_call_in_child(p, (int)f, (int)c)) continue;
      if (!callers) callers = flow_callers_in(p, CTX_LOOP);
      flow_call_ref via = {-1, -1};
      if (!can_happen_on_loop(p, callers, (int)f, (int)c, &via) ||
          rule_chain_too_guessed(p, via.fn, via.call, (int)f, CTX_LOOP, "blocking-in-loop", call->loc, out))
        continue;
      chain_step *steps;
      int root;
      unsigned n = via.fn >= 0 ? program_chain(p, via.fn, CTX_LOOP, &steps, &root) + 1
                               : program_chain(p, (int)f, CTX_LOOP, &steps, &root);
      const char *root_name = n ? p->fns[steps[0].fn].fn->name : pf->fn->name;
      const char *role = root >= 0 ? rule_root_role(p, &p->roots[root]) : "loop callback";
      free(steps);
      /* reached only from roots that run rarely (a signal, a close, a one-shot timer),
         or only on a way out of the process: a stall there is real but seldom, and
         says so at note severity */
      bool dies = program_call_dies(p, (int)f, (int)c), exiting = !pf->hot && pf->hot_exiting;
      bool cold = !pf->hot || dies;
      char *msg;
      if (dies)
        msg = xasprintf("blocking call '%s' in '%s' delays only the exit: every path after it ends the process",
                        call->callee_name, pf->fn->name);
      else if (exiting)
        msg = xasprintf("blocking call '%s' in '%s', reached from %s '%s' only on paths that end the process, "
                        "delays only the exit",
                        call->callee_name, pf->fn->name, role, root_name);
      else if (cold)
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
      d->rarely = cold;
      offer_calm_sleep(p, (int)f, call, d);
      /* more blocking calls of one function reached the same way are one mistake: the
         function runs on the loop */
      char *group = xasprintf("%u:%d:%d:%d", f, via.fn, via.call, dies ? 3 : exiting ? 2 : cold ? 1 : 0);
      char *what = xasprintf("'%s'", call->callee_name);
      diag_set_group(d, group, what);
      free(what);
      free(group);
      if (via.fn >= 0) rule_add_chain_through(p, d, via.fn, via.call, (int)f, CTX_LOOP);
      else rule_add_chain(p, d, (int)f, CTX_LOOP);
    }
  }
  flow_callers_free(p, callers);
}

const lint_rule rule_blocking_in_loop = {
    .id = "blocking-in-loop",
    .summary = "a blocking call reachable from a loop callback or task body",
    .severity = SEV_WARNING,
    .run = run,
    .quiet_in_tests = true,
};
