/* The intermediate representation calm-lint analyses: per translation unit, every
 * function defined there with its variables, call sites and a control-flow graph of
 * simple operations. It holds no libclang type, so a summary can be written to disk,
 * linked on another machine, and built by hand in tests. */
#ifndef CALM_LINT_IR_H
#define CALM_LINT_IR_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/base.h"

/* A source position: `file` is interned in the owning summary's pool. Lines and
 * columns are 1-based; `end_*` is the position just past the construct. */
typedef struct {
  const char *file;
  unsigned line, col;
  unsigned end_line, end_col;
} ir_loc;

/* Annotations read from `__attribute__((annotate("calm::...")))`. */
enum {
  IR_ATTR_ASYNC = 1u << 0,       /* calm::async: runs in loop context */
  IR_ATTR_BLOCKING = 1u << 1,    /* calm::blocking: blocks its caller */
  IR_ATTR_NONBLOCKING = 1u << 2, /* calm::nonblocking: vouched not to block */
  IR_ATTR_NORETURN = 1u << 3,    /* declared noreturn: control ends at a call */
};

/* What an expression is, as far as the rules care. */
typedef enum {
  IR_VAL_OTHER = 0, /* anything else (an opaque computation) */
  IR_VAL_VAR,       /* a local variable or parameter (`var`); `addr_of`: its address */
  IR_VAL_INT,       /* an integer constant expression (`ival`) */
  IR_VAL_NULL,      /* a null pointer constant */
  IR_VAL_FUNC,      /* a function designator (`func_usr`, `func_name`) */
  IR_VAL_STRING,    /* a string literal */
} ir_val_kind;

/* Where a function pointer is kept, so that a call through it can be resolved when
 * the program is linked: the record type and field (`p->ops->write`, `s.cb`), a global
 * or static variable (its array elements included), or a variable of the function. */
typedef enum {
  IR_SLOT_NONE = 0,
  IR_SLOT_FIELD,  /* `key`: the field's USR, which names its record type ("c:@S@ops@FI@write") */
  IR_SLOT_GLOBAL, /* `key`: the variable's USR */
  IR_SLOT_VAR,    /* `var`: a parameter or local variable of the function */
} ir_slot_kind;

typedef struct {
  ir_slot_kind kind;
  const char *key;  /* IR_SLOT_FIELD, IR_SLOT_GLOBAL */
  const char *name; /* IR_SLOT_FIELD: "record.field"; IR_SLOT_GLOBAL: the variable's name */
  int var;          /* IR_SLOT_VAR */
} ir_slot;

typedef struct {
  ir_val_kind kind;
  bool addr_of;          /* IR_VAL_VAR: `&var` */
  int var;               /* IR_VAL_VAR: index into ir_function.vars */
  int64_t ival;          /* IR_VAL_INT */
  const char *func_usr;  /* IR_VAL_FUNC */
  const char *func_name; /* IR_VAL_FUNC */
  const char *text;      /* source text when short (call arguments only), else NULL */
  ir_slot slot;          /* a function pointer read from this slot (`p->cb`, `handlers[i]`) */
} ir_value;

/* A function pointer put into a field or variable: `p->cb = on_read`, `{ .cb = on_read }`,
 * `handlers[] = { a, b }`, `w->handler = handler` (a parameter: what callers pass). */
typedef struct {
  ir_slot slot;      /* IR_SLOT_FIELD, IR_SLOT_GLOBAL, or IR_SLOT_VAR (a local aggregate) */
  ir_value val;      /* IR_VAL_FUNC, IR_VAL_VAR, or a value read from another slot */
  ir_loc loc;
  const char *owner;     /* file-scope initialisers: the initialised variable; else NULL */
  const char *owner_key; /* its USR when it is static (it counts only if something uses it) */
} ir_store;

/* A static object that a file-scope initialiser refers to (`{ .ops = &disk_ops }`): it
 * is in use whenever the initialised object is. */
typedef struct {
  const char *from; /* USR of the static object initialised, or NULL when it has external linkage */
  const char *to;   /* USR */
} ir_ref;

typedef struct {
  const char *name;
  const char *type;   /* spelling of the declared type */
  bool is_param;
  bool is_temp;       /* a call result the front end named (`name` is "<tmp>") */
  bool is_static;     /* static local: outlives the function like memory does */
  ir_loc loc;
} ir_var;

/* How the value a call returns is used. */
typedef enum {
  IR_USE_DISCARDED = 0, /* expression statement: the result is dropped */
  IR_USE_VOIDED,        /* explicitly dropped with a `(void)` cast */
  IR_USE_VAR,           /* stored in `dest` (a variable, or a temp for any other use) */
  IR_USE_VOID_TYPE,     /* the callee returns void */
} ir_use;

typedef struct {
  const char *callee_usr;  /* NULL for an indirect call */
  const char *callee_name; /* the function's name; for an indirect call, the callee text */
  ir_slot callee_slot;     /* an indirect call: where the called pointer was read from */
  unsigned callee_attrs;   /* IR_ATTR_* of the callee's declaration */
  ir_loc loc;              /* the callee name of the call expression */
  ir_value *args;
  unsigned nargs;
  ir_use use;
  int dest; /* IR_USE_VAR: variable receiving the result; else -1 */
  int block;
} ir_call;

typedef enum {
  IR_OP_CALL,   /* `call` happens; arguments that are variables are read (and may escape) */
  IR_OP_ASSIGN, /* `var` = `val` */
  IR_OP_READ,   /* `var` is read */
  IR_OP_ESCAPE, /* `var` is stored to memory that outlives the function, or its address taken */
  IR_OP_RETURN, /* the function returns `val` (IR_VAL_OTHER with var -1 for `return;`) */
} ir_op_kind;

typedef struct {
  ir_op_kind kind;
  int call;     /* IR_OP_CALL */
  int var;      /* IR_OP_ASSIGN, IR_OP_READ, IR_OP_ESCAPE */
  ir_value val; /* IR_OP_ASSIGN, IR_OP_RETURN */
  ir_loc loc;
} ir_op;

typedef enum {
  IR_CMP_EQ, IR_CMP_NE, IR_CMP_LT, IR_CMP_LE, IR_CMP_GT, IR_CMP_GE,
} ir_cmp;

typedef enum {
  IR_TERM_GOTO,   /* continue at succ[0] */
  IR_TERM_COND,   /* succ[0] if the condition holds, else succ[1] */
  IR_TERM_RETURN, /* to the exit block (the block's last op is an IR_OP_RETURN) */
  IR_TERM_STOP,   /* control never leaves: a noreturn call, or the exit block itself */
} ir_term_kind;

/* A basic block: ops in order, then a terminator. A condition is `var cmp k` when the
 * front end could reduce it to that (`if (rc)` is `rc != 0`, `if (!p)` is `p == 0`);
 * otherwise `cond_var` is -1 and either successor can be taken. */
typedef struct {
  ir_op *ops;
  unsigned nops;
  ir_term_kind term;
  int succ[2];
  bool back[2];   /* the edge to succ[i] closes a loop (continue, end of body) */
  bool loop_head; /* the condition block of a loop */
  int cond_var;
  ir_cmp cond_op;
  int64_t cond_k;
  ir_loc term_loc;
} ir_block;

#define IR_ENTRY 0 /* block index of the entry block */
#define IR_EXIT 1  /* block index of the single exit block */

typedef struct {
  const char *usr;  /* clang's USR: unique across translation units */
  const char *name;
  ir_loc loc;       /* the function's name in its definition */
  ir_loc end;       /* its closing brace */
  unsigned attrs;   /* IR_ATTR_* */
  bool is_static;
  bool returns_void;
  ir_var *vars; /* parameters first, in order */
  unsigned nvars, nparams;
  ir_call *calls;
  unsigned ncalls;
  ir_block *blocks;
  unsigned nblocks;
  ir_store *stores; /* function pointers this function puts into fields and variables */
  unsigned nstores;
  const char **refs; /* USRs of the file-scope and static objects it uses */
  unsigned nrefs;
} ir_function;

/* A problem met while parsing one translation unit. */
typedef struct {
  ir_loc loc; /* file may be NULL for errors without a position */
  const char *message;
} ir_error;

/* Everything calm-lint keeps of one translation unit. */
typedef struct {
  strpool *pool;          /* owns every string below */
  const char *main_file;  /* absolute path */
  ir_function *funcs;
  unsigned nfuncs;
  ir_error *errors;
  unsigned nerrors;
  ir_store *stores; /* from initialisers of file-scope and static objects */
  unsigned nstores;
  ir_ref *refs;     /* static objects those initialisers use */
  unsigned nrefs;
  bool failed; /* the TU did not parse cleanly: `errors` says why */
  const char **includes; /* every file the parse read besides the main file, as clang
                          * names them (the summary cache's dependencies; not serialised) */
  unsigned nincludes;
  void *arena; /* a summary read from its binary form: the one block holding its arrays
                * and strings (freed with it; nothing is added to such a summary but
                * includes), else NULL */
} ir_summary;

ir_summary *ir_summary_new(const char *main_file);
void ir_summary_free(ir_summary *s);

/* Frees the arrays a function owns (its strings belong to a summary's pool). */
void ir_function_free_arrays(ir_function *f);

/* Appends a function (copied shallowly: arrays are taken over) and returns it. */
ir_function *ir_summary_add_function(ir_summary *s, const ir_function *f);
void ir_summary_add_error(ir_summary *s, ir_loc loc, const char *message);
void ir_summary_add_store(ir_summary *s, const ir_store *st);
void ir_summary_add_ref(ir_summary *s, const char *from, const char *to);
void ir_summary_add_include(ir_summary *s, const char *file);

const char *ir_cmp_spelling(ir_cmp op);
/* Whether `value cmp k` holds. */
bool ir_cmp_holds(ir_cmp op, int64_t value, int64_t k);
bool ir_loc_less(const ir_loc *a, const ir_loc *b);

/* The summary as JSON, for people (--dump-ir; cJSON underneath): a malloc'd string.
 * calm-lint itself reads and writes the binary form (summary_bin.h). */
char *ir_summary_to_json(const ir_summary *s);

#endif
