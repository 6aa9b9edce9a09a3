/* streams.c -- the origin of the FILE * a stdio call works on, and of the path a file
 * is opened by (see streams.h). */
#include "streams.h"

#include <stdlib.h>
#include <string.h>

#include "source.h"

/* A program's formatting wrappers rarely nest deeper (`xasprintf` calls `xvasprintf`,
   which calls `vasprintf`) */
#define FORMATTER_DEPTH 4

static bool param_unchanged(const ir_function *f, int var) {
  if (var < 0 || (unsigned)var >= f->nparams) return false;
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++) {
      const ir_op *op = &f->blocks[b].ops[i];
      if ((op->kind == IR_OP_ASSIGN || op->kind == IR_OP_ESCAPE) && op->var == var) return false;
    }
  return true;
}

/* Whether `call` formats text from its argument `*fmt` into its argument `*dest`: a
 * model's formatter (`snprintf`), or a program function that passes two of its own
 * parameters on to one in those roles. */
static bool formatter(const program *p, const ir_call *call, int *dest, int *fmt, int depth) {
  const model_fn *m = program_model(p, call);
  if (m && m->format_dest >= 0 && m->format_arg >= 0) {
    *dest = m->format_dest;
    *fmt = m->format_arg;
    return true;
  }
  int callee = program_callee(p, call);
  if (callee < 0 || depth >= FORMATTER_DEPTH) return false;
  const ir_function *g = p->fns[callee].fn;
  for (unsigned c = 0; c < g->ncalls; c++) {
    const ir_call *inner = &g->calls[c];
    int d, k;
    if (!formatter(p, inner, &d, &k, depth + 1) || (unsigned)d >= inner->nargs || (unsigned)k >= inner->nargs) continue;
    const ir_value *dv = &inner->args[d], *kv = &inner->args[k];
    if (dv->kind != IR_VAL_VAR || kv->kind != IR_VAL_VAR || dv->addr_of || kv->addr_of) continue;
    if (!param_unchanged(g, dv->var) || !param_unchanged(g, kv->var)) continue;
    *dest = dv->var;
    *fmt = kv->var;
    return true;
  }
  return false;
}

/* Whether `call` only reads the path in its argument `arg`: it frees it, or opens what
 * it names (its model tests the argument's text). */
static bool reads_path(const program *p, const ir_call *call, unsigned arg) {
  if (call->callee_name && strcmp(call->callee_name, "free") == 0) return true;
  const model_fn *m = program_model(p, call);
  if (!m) return false;
  for (unsigned t = 0; t < m->blocking.ntests; t++)
    if (m->blocking.tests[t].kind == TEST_PREFIX && m->blocking.tests[t].arg == (int)arg) return true;
  return false;
}

/* The format literals a local path variable `var` of `f` is made from: every call that
 * sees the variable formats into it from a literal, frees it or opens it, and nothing
 * assigns it but NULL. Returns how many literals went to `out` (at most `max`), or 0
 * when the variable's text is not known that way. */
static unsigned path_literals(const program *p, const ir_function *f, int var, const ir_value **out, unsigned max) {
  if (var < 0 || (unsigned)var >= f->nvars || f->vars[var].is_param || f->vars[var].is_static) return 0;
  /* an array is assigned only where it is declared: its initialiser, a string its
     text, or its bound */
  bool array = f->vars[var].type && strchr(f->vars[var].type, '[');
  unsigned n = 0;
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++) {
      const ir_op *op = &f->blocks[b].ops[i];
      if (op->var != var || (op->kind != IR_OP_ESCAPE && op->kind != IR_OP_ASSIGN)) continue;
      if (op->kind == IR_OP_ASSIGN && op->val.kind == IR_VAL_NULL) continue;
      if (op->kind == IR_OP_ASSIGN && array && op->val.kind == IR_VAL_INT) continue;
      if (op->kind == IR_OP_ASSIGN && array && op->val.kind == IR_VAL_STRING && op->val.text && n < max) {
        out[n++] = &op->val;
        continue;
      }
      return 0;
    }
  for (unsigned c = 0; c < f->ncalls; c++) {
    const ir_call *call = &f->calls[c];
    if (call->use == IR_USE_VAR && call->dest == var) return 0;
    int dest = -1, fmt = -1;
    bool formats = formatter(p, call, &dest, &fmt, 0);
    for (unsigned a = 0; a < call->nargs; a++) {
      const ir_value *v = &call->args[a];
      if (v->kind != IR_VAL_VAR || v->var != var) continue;
      if (formats && (int)a == dest && (unsigned)fmt < call->nargs && call->args[fmt].kind == IR_VAL_STRING) {
        if (n == max) return 0;
        out[n++] = &call->args[fmt];
      } else if (v->addr_of || !reads_path(p, call, a)) {
        return 0;
      }
    }
  }
  return n;
}

bool stream_open_blocks(const program *p, const ir_function *f, const ir_call *call, const model_cond *cond) {
  if (!model_cond_holds(cond, call)) return false;
  /* a path in a local made by formatting a literal is judged by that literal: a prefix
     test looks only at how the text begins, which the format fixes */
  if (cond->ntests != 1 || cond->tests[0].kind != TEST_PREFIX) return true;
  int arg = cond->tests[0].arg;
  if (arg < 0 || (unsigned)arg >= call->nargs || call->nargs > 16) return true;
  const ir_value *v = &call->args[arg];
  if (v->kind != IR_VAL_VAR || v->addr_of) return true;
  const ir_value *lits[4];
  unsigned n = path_literals(p, f, v->var, lits, 4);
  ir_value args[16];
  for (unsigned i = 0; i < n; i++) {
    memcpy(args, call->args, call->nargs * sizeof *args);
    args[arg] = *lits[i];
    ir_call as_formatted = *call;
    as_formatted.args = args;
    if (model_cond_holds(cond, &as_formatted)) return true;
  }
  return n == 0;
}

/* Whether the program puts a libuv stream in blocking mode anywhere: then a handle's
   descriptor may be either */
static bool program_sets_blocking(const program *p) {
  for (unsigned g = 0; g < p->nfns; g++)
    for (unsigned c = 0; c < p->fns[g].fn->ncalls; c++) {
      const char *name = p->fns[g].fn->calls[c].callee_name;
      if (name && strcmp(name, "uv_stream_set_blocking") == 0) return true;
    }
  return false;
}

/* Whether `v` (in `f`) is a descriptor in non-blocking mode: a local that only calls
 * giving one (`uv_fileno(handle, &fd)`, or `dup` of one) set, apart from constants
 * (`int fd = -1`, which opens nothing). */
static bool fd_nonblocking(const program *p, const ir_function *f, const ir_value *v, int depth) {
  if (depth > 3 || v->kind != IR_VAL_VAR || v->addr_of || v->var < 0 || (unsigned)v->var >= f->nvars) return false;
  int var = v->var;
  if (f->vars[var].is_param || f->vars[var].is_static) return false;
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++) {
      const ir_op *op = &f->blocks[b].ops[i];
      if (op->var != var) continue;
      if (op->kind == IR_OP_ESCAPE || (op->kind == IR_OP_ASSIGN && op->val.kind != IR_VAL_INT)) return false;
    }
  bool given = false;
  for (unsigned c = 0; c < f->ncalls; c++) {
    const ir_call *call = &f->calls[c];
    const model_fn *m = program_model(p, call);
    if (call->use == IR_USE_VAR && call->dest == var) {
      if (!m || m->shares_fd < 0 || (unsigned)m->shares_fd >= call->nargs ||
          !fd_nonblocking(p, f, &call->args[m->shares_fd], depth + 1))
        return false;
      given = true;
    }
    for (unsigned a = 0; a < call->nargs; a++) {
      const ir_value *arg = &call->args[a];
      if (arg->kind != IR_VAL_VAR || arg->var != var || !arg->addr_of) continue;
      if (!m || m->nonblocking_fd_out != (int)a) return false;
      given = true;
    }
  }
  return given && !program_sets_blocking(p);
}

/* Whether assignment `op` gives its variable the standard output or error stream,
 * whose writes are the program's log (the catalogue leaves logging out). */
static bool assigns_std_stream(const ir_op *op) {
  char *text = source_range_text(op->loc);
  const char *eq = text ? strchr(text, '=') : NULL;
  bool std = false;
  if (eq && eq[1] != '=') {
    const char *v = eq + 1;
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == ';')) n--;
    std = (n == 6 && (strncmp(v, "stdout", 6) == 0 || strncmp(v, "stderr", 6) == 0));
  }
  free(text);
  return std;
}

bool stream_never_blocks(const program *p, const ir_function *f, const ir_call *call) {
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
    if (!dm || !dm->opens_stream) return false;
    /* a stream over a descriptor blocks as the descriptor does; one over a file as the
       open's condition says */
    bool blocks = dm->fd_arg >= 0 ? (unsigned)dm->fd_arg >= def->nargs || !fd_nonblocking(p, f, &def->args[dm->fd_arg], 0)
                                  : stream_open_blocks(p, f, def, &dm->blocking);
    if (blocks) return false;
    opened = true;
  }
  for (unsigned b = 0; b < f->nblocks; b++)
    for (unsigned i = 0; i < f->blocks[b].nops; i++) {
      const ir_op *op = &f->blocks[b].ops[i];
      if (op->var != v->var || (op->kind != IR_OP_ASSIGN && op->kind != IR_OP_ESCAPE)) continue;
      if (op->kind == IR_OP_ASSIGN && (op->val.kind == IR_VAL_NULL || assigns_std_stream(op))) continue;
      return false;
    }
  return opened;
}
