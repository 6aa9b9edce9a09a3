/* Writing an IR summary as JSON, for people: --dump-ir and the tests' comparisons.
 * calm-lint moves and stores summaries in the binary form (summary_bin.c), which is
 * smaller and reads without a parse tree; nothing reads this one back. Locations refer
 * to a file table to keep the text short. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summary_bin.h"


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
  add_int(root, "format", (int)IR_SUMMARY_FORMAT);
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
