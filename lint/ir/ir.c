/* Construction and destruction of IR summaries, and small IR helpers. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

ir_summary *ir_summary_new(const char *main_file) {
  ir_summary *s = xcalloc(1, sizeof *s);
  s->pool = strpool_new();
  s->main_file = strpool_intern(s->pool, main_file);
  return s;
}

void ir_function_free_arrays(ir_function *f) {
  for (unsigned i = 0; i < f->ncalls; i++) free(f->calls[i].args);
  for (unsigned i = 0; i < f->nblocks; i++) free(f->blocks[i].ops);
  free(f->calls);
  free(f->blocks);
  free(f->vars);
  free(f->stores);
  free(f->refs);
}

void ir_summary_free(ir_summary *s) {
  if (!s) return;
  if (s->arena) {
    free(s->arena); /* every array but the includes */
  } else {
    for (unsigned i = 0; i < s->nfuncs; i++) ir_function_free_arrays(&s->funcs[i]);
    free(s->funcs);
    free(s->errors);
    free(s->stores);
    free(s->refs);
  }
  free(s->includes);
  strpool_free(s->pool);
  free(s);
}

/* Room for element `n` of an array of `n` built by these functions: the capacity is
 * the next power of two, so the array is reallocated at 0, 1, 2, 4, ... elements, not
 * at every one (a unit of h2o adds hundreds of functions, and each copy of the array
 * grew with it). Arrays read back from a summary's binary form are never added to. */
static void *room_for(void *items, unsigned n, size_t size) {
  if (n & (n - 1)) return items; /* not a power of two: there is room */
  return xrealloc(items, (n ? 2 * (size_t)n : 1) * size);
}

ir_function *ir_summary_add_function(ir_summary *s, const ir_function *f) {
  s->funcs = room_for(s->funcs, s->nfuncs, sizeof *s->funcs);
  s->funcs[s->nfuncs] = *f;
  return &s->funcs[s->nfuncs++];
}

void ir_summary_add_error(ir_summary *s, ir_loc loc, const char *message) {
  s->errors = room_for(s->errors, s->nerrors, sizeof *s->errors);
  loc.file = strpool_intern(s->pool, loc.file);
  s->errors[s->nerrors].loc = loc;
  s->errors[s->nerrors].message = strpool_intern(s->pool, message);
  s->nerrors++;
}

void ir_summary_add_store(ir_summary *s, const ir_store *st) {
  s->stores = room_for(s->stores, s->nstores, sizeof *s->stores);
  s->stores[s->nstores++] = *st;
}

void ir_summary_add_include(ir_summary *s, const char *file) {
  s->includes = room_for(s->includes, s->nincludes, sizeof *s->includes);
  s->includes[s->nincludes++] = strpool_intern(s->pool, file);
}

void ir_summary_add_ref(ir_summary *s, const char *from, const char *to) {
  s->refs = room_for(s->refs, s->nrefs, sizeof *s->refs);
  s->refs[s->nrefs++] = (ir_ref){from ? strpool_intern(s->pool, from) : NULL, strpool_intern(s->pool, to)};
}

const char *ir_cmp_spelling(ir_cmp op) {
  static const char *const names[] = {"==", "!=", "<", "<=", ">", ">="};
  return names[op];
}

bool ir_cmp_holds(ir_cmp op, int64_t v, int64_t k) {
  switch (op) {
  case IR_CMP_EQ: return v == k;
  case IR_CMP_NE: return v != k;
  case IR_CMP_LT: return v < k;
  case IR_CMP_LE: return v <= k;
  case IR_CMP_GT: return v > k;
  case IR_CMP_GE: return v >= k;
  }
  return false;
}

bool ir_loc_less(const ir_loc *a, const ir_loc *b) {
  int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
  if (c) return c < 0;
  if (a->line != b->line) return a->line < b->line;
  return a->col < b->col;
}
