/* streams.c -- the origin of the FILE * a stdio call works on (see streams.h). */
#include "streams.h"

bool stream_in_memory(const program *p, const ir_function *f, const ir_call *call) {
  const model_fn *m = program_model(p, call);
  if (!m || m->stream_arg < 0 || (unsigned)m->stream_arg >= call->nargs) return false;
  const ir_value *v = &call->args[m->stream_arg];
  if (v->kind != IR_VAL_VAR || v->addr_of || v->var < 0 || (unsigned)v->var >= f->nvars) return false;
  const ir_var *var = &f->vars[v->var];
  if (var->is_param || var->is_static) return false;
  /* flow-insensitive: every value the variable is ever given must be a stream that
     does not block, wherever the call is */
  bool opened = false;
  for (unsigned c = 0; c < f->ncalls; c++) {
    const ir_call *def = &f->calls[c];
    if (def->use != IR_USE_VAR || def->dest != v->var) continue;
    const model_fn *dm = program_model(p, def);
    if (!dm || !dm->opens_stream || model_cond_holds(&dm->blocking, def)) return false;
    opened = true;
  }
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++) {
      const ir_op *op = &f->blocks[b].ops[i];
      if ((op->kind == IR_OP_ASSIGN || op->kind == IR_OP_ESCAPE) && op->var == v->var) return false;
    }
  return opened;
}
