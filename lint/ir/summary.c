/* Writing and reading IR summaries as JSON, so a translation unit's analysis can be
 * cached on disk or produced on another machine and linked later. Locations refer
 * to a file table to keep summaries small. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

#define SUMMARY_FORMAT 2

/* ---- writing ---- */

typedef struct {
  strmap *index; /* file -> 1 + position in `files` */
  cJSON *files;
} file_table;

static int file_id(file_table *t, const char *file) {
  if (!file) return -1;
  void *v;
  if (strmap_get(t->index, file, &v)) return (int)(intptr_t)v - 1;
  int id = cJSON_GetArraySize(t->files);
  cJSON_AddItemToArray(t->files, cJSON_CreateString(file));
  strmap_put(t->index, file, (void *)(intptr_t)(id + 1));
  return id;
}

/* Integers go in as raw text, written here: cJSON prints each number with sprintf and
 * reads it back to check, which was most of the cost of writing a summary (a worker
 * sends every unit's summary to the driver). The text is the one cJSON would print. */
static char *put_int(char *p, int v) {
  char digits[12];
  int n = 0;
  unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
  do digits[n++] = (char)('0' + u % 10); while (u /= 10);
  if (v < 0) *p++ = '-';
  while (n) *p++ = digits[--n];
  return p;
}

static cJSON *int_json(int v) {
  char buf[16];
  *put_int(buf, v) = '\0';
  return cJSON_CreateRaw(buf);
}

static cJSON *ints_json(const int *v, int n) {
  char buf[64], *p = buf;
  *p++ = '[';
  for (int i = 0; i < n && i < 5; i++) {
    if (i) *p++ = ',';
    p = put_int(p, v[i]);
  }
  *p++ = ']';
  *p = '\0';
  return cJSON_CreateRaw(buf);
}

static void add_int(cJSON *o, const char *key, int v) { cJSON_AddItemToObject(o, key, int_json(v)); }

static cJSON *loc_to_json(file_table *t, const ir_loc *l) {
  int v[5] = {file_id(t, l->file), (int)l->line, (int)l->col, (int)l->end_line, (int)l->end_col};
  return ints_json(v, 5);
}

static const char *const val_kinds[] = {"other", "var", "int", "null", "func", "string"};
static const char *const uses[] = {"discarded", "voided", "var", "void"};
static const char *const op_kinds[] = {"call", "assign", "read", "escape", "return"};
static const char *const terms[] = {"goto", "cond", "return", "stop"};

static const char *const slot_kinds[] = {"none", "field", "global", "var"};

/* A slot as `{"s": kind, "key": ..., "name": ..., "var": n}`, or NULL for none. */
static cJSON *slot_to_json(const ir_slot *sl) {
  if (sl->kind == IR_SLOT_NONE) return NULL;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "s", slot_kinds[sl->kind]);
  if (sl->key) cJSON_AddStringToObject(o, "key", sl->key);
  if (sl->name) cJSON_AddStringToObject(o, "name", sl->name);
  if (sl->kind == IR_SLOT_VAR) add_int(o, "var", (int)sl->var);
  return o;
}

static cJSON *value_to_json(const ir_value *v);

static cJSON *stores_to_json(file_table *t, const ir_store *st, unsigned n) {
  cJSON *a = cJSON_CreateArray();
  for (unsigned i = 0; i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "slot", slot_to_json(&st[i].slot));
    cJSON_AddItemToObject(o, "val", value_to_json(&st[i].val));
    cJSON_AddItemToObject(o, "loc", loc_to_json(t, &st[i].loc));
    if (st[i].owner) cJSON_AddStringToObject(o, "owner", st[i].owner);
    if (st[i].owner_key) cJSON_AddStringToObject(o, "owner_key", st[i].owner_key);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

static cJSON *value_to_json(const ir_value *v) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "k", val_kinds[v->kind]);
  switch (v->kind) {
  case IR_VAL_VAR:
    add_int(o, "var", (int)v->var);
    if (v->addr_of) cJSON_AddBoolToObject(o, "addr", 1);
    break;
  case IR_VAL_INT: {
    /* as a string: JSON numbers lose int64 precision */
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v->ival);
    cJSON_AddStringToObject(o, "int", buf);
    break;
  }
  case IR_VAL_FUNC:
    cJSON_AddStringToObject(o, "usr", v->func_usr ? v->func_usr : "");
    cJSON_AddStringToObject(o, "name", v->func_name ? v->func_name : "");
    break;
  default: break;
  }
  if (v->text) cJSON_AddStringToObject(o, "text", v->text);
  cJSON *sl = slot_to_json(&v->slot);
  if (sl) cJSON_AddItemToObject(o, "slot", sl);
  return o;
}

static cJSON *function_to_json(file_table *t, const ir_function *f) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "usr", f->usr);
  cJSON_AddStringToObject(o, "name", f->name);
  cJSON_AddItemToObject(o, "loc", loc_to_json(t, &f->loc));
  cJSON_AddItemToObject(o, "end", loc_to_json(t, &f->end));
  add_int(o, "attrs", (int)f->attrs);
  cJSON_AddBoolToObject(o, "static", f->is_static);
  cJSON_AddBoolToObject(o, "void", f->returns_void);
  add_int(o, "nparams", (int)f->nparams);
  cJSON *vars = cJSON_AddArrayToObject(o, "vars");
  for (unsigned i = 0; i < f->nvars; i++) {
    const ir_var *v = &f->vars[i];
    cJSON *jv = cJSON_CreateObject();
    cJSON_AddStringToObject(jv, "name", v->name);
    cJSON_AddStringToObject(jv, "type", v->type ? v->type : "");
    unsigned flags = (v->is_param ? 1u : 0) | (v->is_temp ? 2u : 0) | (v->is_static ? 4u : 0);
    add_int(jv, "flags", (int)flags);
    cJSON_AddItemToObject(jv, "loc", loc_to_json(t, &v->loc));
    cJSON_AddItemToArray(vars, jv);
  }
  cJSON *calls = cJSON_AddArrayToObject(o, "calls");
  for (unsigned i = 0; i < f->ncalls; i++) {
    const ir_call *c = &f->calls[i];
    cJSON *jc = cJSON_CreateObject();
    if (c->callee_usr) cJSON_AddStringToObject(jc, "usr", c->callee_usr);
    cJSON_AddStringToObject(jc, "name", c->callee_name ? c->callee_name : "");
    if (c->callee_attrs) add_int(jc, "attrs", (int)c->callee_attrs);
    cJSON *cs = slot_to_json(&c->callee_slot);
    if (cs) cJSON_AddItemToObject(jc, "slot", cs);
    cJSON_AddItemToObject(jc, "loc", loc_to_json(t, &c->loc));
    cJSON *args = cJSON_AddArrayToObject(jc, "args");
    for (unsigned a = 0; a < c->nargs; a++) cJSON_AddItemToArray(args, value_to_json(&c->args[a]));
    cJSON_AddStringToObject(jc, "use", uses[c->use]);
    add_int(jc, "dest", (int)c->dest);
    add_int(jc, "block", (int)c->block);
    cJSON_AddItemToArray(calls, jc);
  }
  cJSON *blocks = cJSON_AddArrayToObject(o, "blocks");
  for (unsigned i = 0; i < f->nblocks; i++) {
    const ir_block *b = &f->blocks[i];
    cJSON *jb = cJSON_CreateObject();
    cJSON *ops = cJSON_AddArrayToObject(jb, "ops");
    for (unsigned k = 0; k < b->nops; k++) {
      const ir_op *op = &b->ops[k];
      cJSON *jo = cJSON_CreateObject();
      cJSON_AddStringToObject(jo, "op", op_kinds[op->kind]);
      if (op->kind == IR_OP_CALL) add_int(jo, "call", (int)op->call);
      if (op->kind == IR_OP_ASSIGN || op->kind == IR_OP_READ || op->kind == IR_OP_ESCAPE)
        add_int(jo, "var", (int)op->var);
      if (op->kind == IR_OP_ASSIGN || op->kind == IR_OP_RETURN)
        cJSON_AddItemToObject(jo, "val", value_to_json(&op->val));
      cJSON_AddItemToObject(jo, "loc", loc_to_json(t, &op->loc));
      cJSON_AddItemToArray(ops, jo);
    }
    cJSON_AddStringToObject(jb, "term", terms[b->term]);
    int succ[2] = {b->succ[0], b->succ[1]};
    cJSON_AddItemToObject(jb, "succ", ints_json(succ, 2));
    int back[2] = {b->back[0], b->back[1]};
    if (back[0] || back[1]) cJSON_AddItemToObject(jb, "back", ints_json(back, 2));
    if (b->loop_head) cJSON_AddBoolToObject(jb, "loop_head", 1);
    if (b->term == IR_TERM_COND) {
      add_int(jb, "cvar", (int)b->cond_var);
      cJSON_AddStringToObject(jb, "cop", ir_cmp_spelling(b->cond_op));
      char buf[32];
      snprintf(buf, sizeof buf, "%lld", (long long)b->cond_k);
      cJSON_AddStringToObject(jb, "ck", buf);
    }
    cJSON_AddItemToObject(jb, "loc", loc_to_json(t, &b->term_loc));
    cJSON_AddItemToArray(blocks, jb);
  }
  if (f->nstores) cJSON_AddItemToObject(o, "stores", stores_to_json(t, f->stores, f->nstores));
  if (f->nrefs) {
    cJSON *refs = cJSON_AddArrayToObject(o, "refs");
    for (unsigned i = 0; i < f->nrefs; i++) cJSON_AddItemToArray(refs, cJSON_CreateString(f->refs[i]));
  }
  return o;
}

char *ir_summary_to_json(const ir_summary *s) {
  file_table t = {strmap_new(), cJSON_CreateArray()};
  cJSON *root = cJSON_CreateObject();
  add_int(root, "format", (int)SUMMARY_FORMAT);
  cJSON_AddStringToObject(root, "main_file", s->main_file);
  cJSON_AddBoolToObject(root, "failed", s->failed);
  cJSON *funcs = cJSON_CreateArray();
  for (unsigned i = 0; i < s->nfuncs; i++) cJSON_AddItemToArray(funcs, function_to_json(&t, &s->funcs[i]));
  cJSON *errors = cJSON_CreateArray();
  for (unsigned i = 0; i < s->nerrors; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToObject(e, "loc", loc_to_json(&t, &s->errors[i].loc));
    cJSON_AddStringToObject(e, "message", s->errors[i].message);
    cJSON_AddItemToArray(errors, e);
  }
  cJSON_AddItemToObject(root, "files", t.files);
  cJSON_AddItemToObject(root, "functions", funcs);
  cJSON_AddItemToObject(root, "errors", errors);
  if (s->nstores) cJSON_AddItemToObject(root, "stores", stores_to_json(&t, s->stores, s->nstores));
  if (s->nrefs) {
    cJSON *refs = cJSON_AddArrayToObject(root, "refs");
    for (unsigned i = 0; i < s->nrefs; i++) {
      cJSON *pair = cJSON_CreateArray();
      cJSON_AddItemToArray(pair, s->refs[i].from ? cJSON_CreateString(s->refs[i].from) : cJSON_CreateNull());
      cJSON_AddItemToArray(pair, cJSON_CreateString(s->refs[i].to));
      cJSON_AddItemToArray(refs, pair);
    }
  }
  char *out = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  strmap_free(t.index);
  char *copy = xstrdup(out);
  cJSON_free(out);
  return copy;
}

/* ---- reading ---- */

typedef struct {
  ir_summary *s;
  const char **files;
  int nfiles;
  char *error;
} reader;

static bool fail(reader *r, const char *what) {
  if (!r->error) r->error = xasprintf("invalid summary: %s", what);
  return false;
}

static const char *get_str(reader *r, const cJSON *o, const char *key, bool required) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (cJSON_IsString(v)) return strpool_intern(r->s->pool, v->valuestring);
  if (required) fail(r, key);
  return NULL;
}

static double get_num(reader *r, const cJSON *o, const char *key, double dflt, bool required) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (cJSON_IsNumber(v)) return v->valuedouble;
  if (required) fail(r, key);
  return dflt;
}

static bool get_bool(const cJSON *o, const char *key) {
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int64_t get_int64(reader *r, const cJSON *o, const char *key) {
  const char *s = get_str(r, o, key, true);
  return s ? strtoll(s, NULL, 10) : 0;
}

static int name_index(const char *const *names, int n, const char *s) {
  for (int i = 0; s && i < n; i++)
    if (strcmp(names[i], s) == 0) return i;
  return -1;
}

static ir_loc loc_from_json(reader *r, const cJSON *o, const char *key) {
  ir_loc l = {0};
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 5) {
    fail(r, "location");
    return l;
  }
  int f = cJSON_GetArrayItem(a, 0)->valueint;
  if (f >= r->nfiles) fail(r, "file index");
  l.file = f >= 0 && f < r->nfiles ? r->files[f] : NULL;
  l.line = (unsigned)cJSON_GetArrayItem(a, 1)->valueint;
  l.col = (unsigned)cJSON_GetArrayItem(a, 2)->valueint;
  l.end_line = (unsigned)cJSON_GetArrayItem(a, 3)->valueint;
  l.end_col = (unsigned)cJSON_GetArrayItem(a, 4)->valueint;
  return l;
}

/* A slot, or none when `o` is absent. `nvars` bounds a variable slot (0: no variables,
 * at file scope). */
static ir_slot slot_from_json(reader *r, const cJSON *o, unsigned nvars) {
  ir_slot sl = {IR_SLOT_NONE, NULL, NULL, -1};
  if (!o) return sl;
  int k = name_index(slot_kinds, 4, get_str(r, o, "s", true));
  if (k <= 0) {
    fail(r, "slot kind");
    return sl;
  }
  sl.kind = (ir_slot_kind)k;
  sl.key = get_str(r, o, "key", sl.kind != IR_SLOT_VAR);
  sl.name = get_str(r, o, "name", false);
  if (sl.kind == IR_SLOT_VAR) {
    double var = get_num(r, o, "var", -1, true);
    if (!(var >= 0 && var < nvars)) fail(r, "slot variable");
    else sl.var = (int)var;
  }
  return sl;
}

static ir_value value_from_json(reader *r, const cJSON *o, unsigned nvars) {
  ir_value v = {0};
  v.var = -1;
  int k = name_index(val_kinds, 6, get_str(r, o, "k", true));
  if (k < 0) {
    fail(r, "value kind");
    return v;
  }
  v.kind = (ir_val_kind)k;
  if (v.kind == IR_VAL_VAR) {
    v.var = (int)get_num(r, o, "var", -1, true);
    v.addr_of = get_bool(o, "addr");
  } else if (v.kind == IR_VAL_INT) {
    v.ival = get_int64(r, o, "int");
  } else if (v.kind == IR_VAL_FUNC) {
    v.func_usr = get_str(r, o, "usr", true);
    v.func_name = get_str(r, o, "name", true);
  }
  v.text = get_str(r, o, "text", false);
  v.slot = slot_from_json(r, cJSON_GetObjectItemCaseSensitive(o, "slot"), nvars);
  return v;
}

static ir_store *stores_from_json(reader *r, const cJSON *a, unsigned nvars, unsigned *n) {
  *n = 0;
  if (!a) return NULL;
  if (!cJSON_IsArray(a)) {
    fail(r, "stores");
    return NULL;
  }
  ir_store *st = xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof *st);
  const cJSON *it;
  cJSON_ArrayForEach(it, a) {
    ir_store *s = &st[(*n)++];
    s->slot = slot_from_json(r, cJSON_GetObjectItemCaseSensitive(it, "slot"), nvars);
    if (s->slot.kind == IR_SLOT_NONE) fail(r, "store slot");
    const cJSON *jv = cJSON_GetObjectItemCaseSensitive(it, "val");
    if (!jv) fail(r, "store value");
    else s->val = value_from_json(r, jv, nvars);
    if (s->val.kind == IR_VAL_VAR && !(s->val.var >= 0 && (unsigned)s->val.var < nvars)) fail(r, "store variable");
    s->loc = loc_from_json(r, it, "loc");
    s->owner = get_str(r, it, "owner", false);
    s->owner_key = get_str(r, it, "owner_key", false);
  }
  return st;
}

static bool var_ok(const ir_function *f, int var) { return var >= 0 && (unsigned)var < f->nvars; }

static bool function_from_json(reader *r, const cJSON *o, ir_function *f) {
  memset(f, 0, sizeof *f);
  f->usr = get_str(r, o, "usr", true);
  f->name = get_str(r, o, "name", true);
  f->loc = loc_from_json(r, o, "loc");
  f->end = loc_from_json(r, o, "end");
  f->attrs = (unsigned)get_num(r, o, "attrs", 0, false);
  f->is_static = get_bool(o, "static");
  f->returns_void = get_bool(o, "void");
  f->nparams = (unsigned)get_num(r, o, "nparams", 0, true);

  const cJSON *vars = cJSON_GetObjectItemCaseSensitive(o, "vars");
  const cJSON *calls = cJSON_GetObjectItemCaseSensitive(o, "calls");
  const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(o, "blocks");
  if (!cJSON_IsArray(vars) || !cJSON_IsArray(calls) || !cJSON_IsArray(blocks)) return fail(r, "function");

  f->nvars = (unsigned)cJSON_GetArraySize(vars);
  f->vars = xcalloc(f->nvars, sizeof *f->vars);
  unsigned i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, vars) {
    ir_var *v = &f->vars[i++];
    v->name = get_str(r, it, "name", true);
    v->type = get_str(r, it, "type", false);
    unsigned flags = (unsigned)get_num(r, it, "flags", 0, false);
    v->is_param = flags & 1;
    v->is_temp = flags & 2;
    v->is_static = flags & 4;
    v->loc = loc_from_json(r, it, "loc");
  }
  if (f->nparams > f->nvars) return fail(r, "parameter count");

  /* f->nblocks is set only once f->blocks exists, so a failure before that frees cleanly */
  unsigned nblocks = (unsigned)cJSON_GetArraySize(blocks);
  if (nblocks < 2) return fail(r, "block count");

  f->ncalls = (unsigned)cJSON_GetArraySize(calls);
  f->calls = xcalloc(f->ncalls, sizeof *f->calls);
  i = 0;
  cJSON_ArrayForEach(it, calls) {
    ir_call *c = &f->calls[i++];
    c->callee_usr = get_str(r, it, "usr", false);
    c->callee_name = get_str(r, it, "name", true);
    c->callee_attrs = (unsigned)get_num(r, it, "attrs", 0, false);
    c->callee_slot = slot_from_json(r, cJSON_GetObjectItemCaseSensitive(it, "slot"), f->nvars);
    c->loc = loc_from_json(r, it, "loc");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(it, "args");
    if (!cJSON_IsArray(args)) return fail(r, "call arguments");
    c->nargs = (unsigned)cJSON_GetArraySize(args);
    c->args = xcalloc(c->nargs, sizeof *c->args);
    unsigned a = 0;
    const cJSON *ja;
    cJSON_ArrayForEach(ja, args) {
      c->args[a] = value_from_json(r, ja, f->nvars);
      if (c->args[a].kind == IR_VAL_VAR && !var_ok(f, c->args[a].var)) return fail(r, "argument variable");
      a++;
    }
    int use = name_index(uses, 4, get_str(r, it, "use", true));
    if (use < 0) return fail(r, "call use");
    c->use = (ir_use)use;
    c->dest = (int)get_num(r, it, "dest", -1, true);
    if (c->use == IR_USE_VAR && !var_ok(f, c->dest)) return fail(r, "call destination");
    c->block = (int)get_num(r, it, "block", 0, true);
    if (c->block < 0 || (unsigned)c->block >= nblocks) return fail(r, "call block");
  }

  f->blocks = xcalloc(nblocks, sizeof *f->blocks);
  f->nblocks = nblocks;
  i = 0;
  cJSON_ArrayForEach(it, blocks) {
    ir_block *b = &f->blocks[i++];
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(it, "ops");
    if (!cJSON_IsArray(ops)) return fail(r, "block operations");
    b->nops = (unsigned)cJSON_GetArraySize(ops);
    b->ops = xcalloc(b->nops, sizeof *b->ops);
    unsigned k = 0;
    const cJSON *jo;
    cJSON_ArrayForEach(jo, ops) {
      ir_op *op = &b->ops[k++];
      int kind = name_index(op_kinds, 5, get_str(r, jo, "op", true));
      if (kind < 0) return fail(r, "operation kind");
      op->kind = (ir_op_kind)kind;
      op->call = (int)get_num(r, jo, "call", -1, op->kind == IR_OP_CALL);
      op->var = (int)get_num(r, jo, "var", -1, false);
      if (op->kind == IR_OP_CALL && (op->call < 0 || (unsigned)op->call >= f->ncalls)) return fail(r, "call index");
      if ((op->kind == IR_OP_ASSIGN || op->kind == IR_OP_READ || op->kind == IR_OP_ESCAPE) && !var_ok(f, op->var))
        return fail(r, "operation variable");
      if (op->kind == IR_OP_ASSIGN || op->kind == IR_OP_RETURN) {
        const cJSON *jv = cJSON_GetObjectItemCaseSensitive(jo, "val");
        if (!jv) return fail(r, "operation value");
        op->val = value_from_json(r, jv, f->nvars);
        if (op->val.kind == IR_VAL_VAR && !var_ok(f, op->val.var)) return fail(r, "value variable");
      }
      op->loc = loc_from_json(r, jo, "loc");
    }
    int term = name_index(terms, 4, get_str(r, it, "term", true));
    if (term < 0) return fail(r, "terminator");
    b->term = (ir_term_kind)term;
    const cJSON *succ = cJSON_GetObjectItemCaseSensitive(it, "succ");
    if (!cJSON_IsArray(succ) || cJSON_GetArraySize(succ) != 2) return fail(r, "successors");
    for (int s = 0; s < 2; s++) {
      b->succ[s] = cJSON_GetArrayItem(succ, s)->valueint;
      if (b->succ[s] < -1 || b->succ[s] >= (int)f->nblocks) return fail(r, "successor index");
    }
    const cJSON *back = cJSON_GetObjectItemCaseSensitive(it, "back");
    if (cJSON_IsArray(back) && cJSON_GetArraySize(back) == 2)
      for (int s = 0; s < 2; s++) b->back[s] = cJSON_GetArrayItem(back, s)->valueint != 0;
    b->loop_head = get_bool(it, "loop_head");
    b->cond_var = -1;
    if (b->term == IR_TERM_COND) {
      b->cond_var = (int)get_num(r, it, "cvar", -1, true);
      if (b->cond_var != -1 && !var_ok(f, b->cond_var)) return fail(r, "condition variable");
      static const char *const cmps[] = {"==", "!=", "<", "<=", ">", ">="};
      int c = name_index(cmps, 6, get_str(r, it, "cop", true));
      if (c < 0) return fail(r, "comparison");
      b->cond_op = (ir_cmp)c;
      b->cond_k = get_int64(r, it, "ck");
    }
    b->term_loc = loc_from_json(r, it, "loc");
  }
  f->stores = stores_from_json(r, cJSON_GetObjectItemCaseSensitive(o, "stores"), f->nvars, &f->nstores);
  const cJSON *refs = cJSON_GetObjectItemCaseSensitive(o, "refs");
  if (refs && !cJSON_IsArray(refs)) return fail(r, "references");
  if (refs) {
    f->refs = xcalloc((size_t)cJSON_GetArraySize(refs) + 1, sizeof *f->refs);
    cJSON_ArrayForEach(it, refs) {
      if (!cJSON_IsString(it)) return fail(r, "reference");
      f->refs[f->nrefs++] = strpool_intern(r->s->pool, it->valuestring);
    }
  }
  return r->error == NULL;
}

ir_summary *ir_summary_from_json(const char *json, char **error) {
  *error = NULL;
  cJSON *root = cJSON_Parse(json);
  if (!root) {
    *error = xstrdup("invalid summary: not JSON");
    return NULL;
  }
  reader r = {0};
  const cJSON *main_file = cJSON_GetObjectItemCaseSensitive(root, "main_file");
  if ((int)get_num(&r, root, "format", 0, false) != SUMMARY_FORMAT || !cJSON_IsString(main_file)) {
    cJSON_Delete(root);
    *error = xstrdup("invalid summary: unknown format");
    return NULL;
  }
  r.s = ir_summary_new(main_file->valuestring);
  r.s->failed = get_bool(root, "failed");
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
  const cJSON *funcs = cJSON_GetObjectItemCaseSensitive(root, "functions");
  const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
  if (!cJSON_IsArray(files) || !cJSON_IsArray(funcs) || !cJSON_IsArray(errors)) {
    fail(&r, "sections");
    goto done;
  }
  r.nfiles = cJSON_GetArraySize(files);
  r.files = xcalloc((size_t)r.nfiles, sizeof *r.files);
  int i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, files) {
    if (!cJSON_IsString(it)) {
      fail(&r, "file table");
      goto done;
    }
    r.files[i++] = strpool_intern(r.s->pool, it->valuestring);
  }
  cJSON_ArrayForEach(it, funcs) {
    ir_function f;
    bool ok = function_from_json(&r, it, &f);
    ir_summary_add_function(r.s, &f); /* added even when broken, so it is freed */
    if (!ok) goto done;
  }
  cJSON_ArrayForEach(it, errors) {
    ir_loc l = loc_from_json(&r, it, "loc");
    const char *msg = get_str(&r, it, "message", true);
    if (r.error) goto done;
    ir_summary_add_error(r.s, l, msg);
  }
  r.s->stores = stores_from_json(&r, cJSON_GetObjectItemCaseSensitive(root, "stores"), 0, &r.s->nstores);
  const cJSON *refs = cJSON_GetObjectItemCaseSensitive(root, "refs");
  if (refs && !cJSON_IsArray(refs)) fail(&r, "references");
  else if (refs)
    cJSON_ArrayForEach(it, refs) {
      const cJSON *from = cJSON_GetArrayItem(it, 0), *to = cJSON_GetArrayItem(it, 1);
      if (!cJSON_IsArray(it) || !(cJSON_IsString(from) || cJSON_IsNull(from)) || !cJSON_IsString(to)) {
        fail(&r, "reference");
        break;
      }
      ir_summary_add_ref(r.s, cJSON_IsString(from) ? from->valuestring : NULL, to->valuestring);
    }
done:
  free(r.files);
  cJSON_Delete(root);
  if (r.error) {
    ir_summary_free(r.s);
    *error = r.error;
    return NULL;
  }
  return r.s;
}
