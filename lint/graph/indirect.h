/* Resolution of indirect calls when the program is linked: which functions a call
 * through a struct field, a global, a parameter or a local variable can reach.
 *
 * Function pointers are followed as values through the program: a field is known by
 * its record type and name (a call through `T.f` reaches what was stored into field `f`
 * of `T`, never into a same-named field of another record), a global by its USR, a
 * parameter by what every caller passes (through any number of wrappers), a local by
 * what is assigned to it, a return value by what the function returns. Nothing is
 * guessed from signatures: a call whose pointer never meets a function stays
 * unresolved. Flow-insensitive: a slot holds everything ever stored into it. */
#ifndef CALM_LINT_INDIRECT_H
#define CALM_LINT_INDIRECT_H

#include "../ir/ir.h"

struct program;

/* A function an indirect call can reach, and where the pointer came from. */
typedef struct {
  int fn;             /* index into program.fns */
  ir_loc set_at;      /* where the function was first put on its way to the call */
  const char *set_in; /* the function (or initialised variable) that put it there */
} call_target;

typedef struct indirect indirect;

/* Resolves every indirect call of `p` (whose functions are linked; contexts are not
 * needed). */
indirect *indirect_resolve(const struct program *p);
void indirect_free(indirect *ind);

/* The targets of indirect call `call` of function `f` (none for a direct call). */
unsigned indirect_call_targets(const indirect *ind, int f, int call, const call_target **out);

/* The functions value `v` of function `f` can denote: a variable or a slot read; none
 * for other values (a function designator is its own target). */
unsigned indirect_value_targets(const indirect *ind, int f, const ir_value *v, const call_target **out);

typedef struct {
  unsigned calls;    /* indirect call sites */
  unsigned resolved; /* of which with at least one target */
  unsigned long targets; /* targets over the resolved ones */
} indirect_stats;

indirect_stats indirect_get_stats(const indirect *ind);

#endif
