/* The binary summary codec. Layout (integers LEB128 unless said otherwise; a signed
 * one zigzag-encoded; a string is 0 for none or 1 + its index in the table):
 *
 *   header  "CLMS", format (u32 little-endian), build id length (u8) and bytes,
 *           body length (u64 little-endian)
 *   body    string count, string bytes, each string (length, bytes)
 *           element counts of the whole summary (functions, variables, calls,
 *           arguments, blocks, operations, stores, references, errors, object
 *           references): the reader sizes one block for all of them
 *           main file, failed, functions, errors, stores, object references,
 *           includes (present or not, then the list)
 *
 * The writer normalises as the JSON form did (absent fields read back as -1 or ""),
 * so a summary means the same whichever form carried it. */
#include "summary_bin.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "CLMS"
#define HEADER_FIXED (4 + 4 + 1 + 8) /* magic, format, id length, body length */

enum { C_FUNCS, C_VARS, C_CALLS, C_ARGS, C_BLOCKS, C_OPS, C_STORES, C_FREFS, C_ERRORS, C_SREFS, C_N };

/* The reader puts arrays of these one after another in one block: each size must keep
 * the next array aligned. */
#define ALIGNED(T) (sizeof(T) % _Alignof(void *) == 0 && _Alignof(T) <= _Alignof(void *))
_Static_assert(ALIGNED(ir_function) && ALIGNED(ir_var) && ALIGNED(ir_call) && ALIGNED(ir_value) &&
                   ALIGNED(ir_block) && ALIGNED(ir_op) && ALIGNED(ir_store) && ALIGNED(ir_error) && ALIGNED(ir_ref),
               "an IR array would misalign the next one in a read summary's block");

/* ---- writing ---- */

typedef struct {
  unsigned char *p;
  size_t len, cap;
} bytes;

static void reserve(bytes *b, size_t n) {
  if (b->len + n <= b->cap) return;
  size_t cap = b->cap ? b->cap * 2 : 4096;
  while (cap < b->len + n) cap *= 2;
  b->p = xrealloc(b->p, cap);
  b->cap = cap;
}

static void put_raw(bytes *b, const void *data, size_t n) {
  reserve(b, n);
  if (n) memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void put_u(bytes *b, uint64_t v) {
  reserve(b, 10);
  unsigned char *q = b->p + b->len;
  while (v >= 0x80) {
    *q++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *q++ = (unsigned char)v;
  b->len = (size_t)(q - b->p);
}

static void put_s(bytes *b, int64_t v) { put_u(b, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0)); }

static void put_le(bytes *b, uint64_t v, int n) {
  unsigned char q[8];
  for (int i = 0; i < n; i++) q[i] = (unsigned char)(v >> (8 * i));
  put_raw(b, q, (size_t)n);
}

/* The string table: strings by address (a summary's strings are interned, so equal
 * text is one address), open addressing. */
typedef struct {
  const char **keys;
  uint32_t *ids; /* 1 + position in the table */
  size_t cap, n;
  bytes table;
  uint64_t nbytes;
} strtab;

static size_t slot_of(const strtab *t, const char *s) {
  uint64_t h = (uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15u;
  size_t i = (size_t)(h >> 32) & (t->cap - 1);
  while (t->keys[i] && t->keys[i] != s) i = (i + 1) & (t->cap - 1);
  return i;
}

static void grow(strtab *t) {
  strtab old = *t;
  t->cap = old.cap ? old.cap * 2 : 1024;
  t->keys = xcalloc(t->cap, sizeof *t->keys);
  t->ids = xcalloc(t->cap, sizeof *t->ids);
  for (size_t i = 0; i < old.cap; i++)
    if (old.keys[i]) {
      size_t k = slot_of(t, old.keys[i]);
      t->keys[k] = old.keys[i];
      t->ids[k] = old.ids[i];
    }
  free(old.keys);
  free(old.ids);
}

typedef struct {
  strtab st;
  bytes out;
  uint64_t count[C_N];
} writer;

static void put_str(writer *w, const char *s) {
  if (!s) {
    put_u(&w->out, 0);
    return;
  }
  strtab *t = &w->st;
  if ((t->n + 1) * 2 > t->cap) grow(t);
  size_t k = slot_of(t, s);
  if (!t->keys[k]) {
    size_t n = strlen(s);
    t->keys[k] = s;
    t->ids[k] = (uint32_t)++t->n;
    put_u(&t->table, n);
    put_raw(&t->table, s, n);
    t->nbytes += n;
  }
  put_u(&w->out, t->ids[k]);
}

static void put_loc(writer *w, const ir_loc *l) {
  put_str(w, l->file);
  put_u(&w->out, l->line);
  put_u(&w->out, l->col);
  put_u(&w->out, l->end_line);
  put_u(&w->out, l->end_col);
}

static void put_slot(writer *w, const ir_slot *sl) {
  put_u(&w->out, (uint64_t)sl->kind);
  if (sl->kind == IR_SLOT_NONE) return;
  put_str(w, sl->key);
  put_str(w, sl->name);
  if (sl->kind == IR_SLOT_VAR) put_s(&w->out, sl->var);
}

static void put_value(writer *w, const ir_value *v) {
  put_u(&w->out, (uint64_t)v->kind);
  switch (v->kind) {
  case IR_VAL_VAR:
    put_s(&w->out, v->var);
    put_u(&w->out, v->addr_of);
    break;
  case IR_VAL_INT: put_s(&w->out, v->ival); break;
  case IR_VAL_FUNC:
    put_str(w, v->func_usr ? v->func_usr : "");
    put_str(w, v->func_name ? v->func_name : "");
    break;
  default: break;
  }
  put_str(w, v->text);
  put_slot(w, &v->slot);
}

static void put_stores(writer *w, const ir_store *st, unsigned n) {
  put_u(&w->out, n);
  w->count[C_STORES] += n;
  for (unsigned i = 0; i < n; i++) {
    put_slot(w, &st[i].slot);
    put_value(w, &st[i].val);
    put_loc(w, &st[i].loc);
    put_str(w, st[i].owner);
    put_str(w, st[i].owner_key);
  }
}

static void put_function(writer *w, const ir_function *f) {
  bytes *o = &w->out;
  put_str(w, f->usr);
  put_str(w, f->name);
  put_loc(w, &f->loc);
  put_loc(w, &f->end);
  put_u(o, f->attrs);
  put_u(o, (f->is_static ? 1u : 0) | (f->returns_void ? 2u : 0));
  put_u(o, f->nparams);
  put_u(o, f->nvars);
  w->count[C_VARS] += f->nvars;
  for (unsigned i = 0; i < f->nvars; i++) {
    const ir_var *v = &f->vars[i];
    put_str(w, v->name);
    put_str(w, v->type ? v->type : "");
    put_u(o, (v->is_param ? 1u : 0) | (v->is_temp ? 2u : 0) | (v->is_static ? 4u : 0));
    put_loc(w, &v->loc);
  }
  put_u(o, f->nblocks); /* before the calls, which name blocks */
  put_u(o, f->ncalls);
  w->count[C_CALLS] += f->ncalls;
  for (unsigned i = 0; i < f->ncalls; i++) {
    const ir_call *c = &f->calls[i];
    put_str(w, c->callee_usr);
    put_str(w, c->callee_name ? c->callee_name : "");
    put_u(o, c->callee_attrs);
    put_slot(w, &c->callee_slot);
    put_loc(w, &c->loc);
    put_u(o, c->nargs);
    w->count[C_ARGS] += c->nargs;
    for (unsigned a = 0; a < c->nargs; a++) put_value(w, &c->args[a]);
    put_u(o, (uint64_t)c->use);
    put_s(o, c->dest);
    put_s(o, c->block);
  }
  w->count[C_BLOCKS] += f->nblocks;
  for (unsigned i = 0; i < f->nblocks; i++) {
    const ir_block *b = &f->blocks[i];
    put_u(o, b->nops);
    w->count[C_OPS] += b->nops;
    for (unsigned k = 0; k < b->nops; k++) {
      const ir_op *op = &b->ops[k];
      put_u(o, (uint64_t)op->kind);
      if (op->kind == IR_OP_CALL) put_s(o, op->call);
      if (op->kind == IR_OP_ASSIGN || op->kind == IR_OP_READ || op->kind == IR_OP_ESCAPE) put_s(o, op->var);
      if (op->kind == IR_OP_ASSIGN || op->kind == IR_OP_RETURN) put_value(w, &op->val);
      put_loc(w, &op->loc);
    }
    put_u(o, (uint64_t)b->term);
    put_s(o, b->succ[0]);
    put_s(o, b->succ[1]);
    put_u(o, (b->back[0] ? 1u : 0) | (b->back[1] ? 2u : 0) | (b->loop_head ? 4u : 0));
    if (b->term == IR_TERM_COND) {
      put_s(o, b->cond_var);
      put_u(o, (uint64_t)b->cond_op);
      put_s(o, b->cond_k);
    }
    put_loc(w, &b->term_loc);
  }
  put_stores(w, f->stores, f->nstores);
  put_u(o, f->nrefs);
  w->count[C_FREFS] += f->nrefs;
  for (unsigned i = 0; i < f->nrefs; i++) put_str(w, f->refs[i]);
}

void *ir_summary_to_bin(const ir_summary *s, const char *build_id, bool with_includes, size_t *len) {
  writer w = {0};
  put_str(&w, s->main_file);
  put_u(&w.out, s->failed);
  put_u(&w.out, s->nfuncs);
  w.count[C_FUNCS] = s->nfuncs;
  for (unsigned i = 0; i < s->nfuncs; i++) put_function(&w, &s->funcs[i]);
  put_u(&w.out, s->nerrors);
  w.count[C_ERRORS] = s->nerrors;
  for (unsigned i = 0; i < s->nerrors; i++) {
    put_loc(&w, &s->errors[i].loc);
    put_str(&w, s->errors[i].message);
  }
  put_stores(&w, s->stores, s->nstores);
  put_u(&w.out, s->nrefs);
  w.count[C_SREFS] = s->nrefs;
  for (unsigned i = 0; i < s->nrefs; i++) {
    put_str(&w, s->refs[i].from);
    put_str(&w, s->refs[i].to);
  }
  put_u(&w.out, with_includes);
  if (with_includes) {
    put_u(&w.out, s->nincludes);
    for (unsigned i = 0; i < s->nincludes; i++) put_str(&w, s->includes[i]);
  }

  bytes head = {0};
  put_u(&head, w.st.n);
  put_u(&head, w.st.nbytes);
  bytes counts = {0};
  for (int i = 0; i < C_N; i++) put_u(&counts, w.count[i]);
  size_t idlen = build_id ? strlen(build_id) : 0;
  if (idlen > IR_BIN_BUILD_ID_MAX) idlen = IR_BIN_BUILD_ID_MAX;
  size_t body = head.len + w.st.table.len + counts.len + w.out.len;
  bytes all = {0};
  reserve(&all, HEADER_FIXED + idlen + body);
  put_raw(&all, MAGIC, 4);
  put_le(&all, IR_SUMMARY_FORMAT, 4);
  put_le(&all, idlen, 1);
  put_raw(&all, build_id, idlen);
  put_le(&all, body, 8);
  put_raw(&all, head.p, head.len);
  put_raw(&all, w.st.table.p, w.st.table.len);
  put_raw(&all, counts.p, counts.len);
  put_raw(&all, w.out.p, w.out.len);
  free(head.p);
  free(counts.p);
  free(w.st.table.p);
  free(w.st.keys);
  free(w.st.ids);
  free(w.out.p);
  *len = all.len;
  return all.p;
}

/* ---- reading ---- */

typedef struct {
  const unsigned char *p, *end;
  const char **strs;
  uint64_t nstrs;
  char *next;             /* the arena's unused part */
  uint64_t budget[C_N];   /* elements of each kind the arena still has room for */
  const char *error;      /* what was wrong, first problem only */
} reader;

static bool bad(reader *r, const char *what) {
  if (!r->error) r->error = what;
  r->p = r->end; /* every later read fails at once */
  return false;
}

static uint64_t get_u(reader *r) {
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (r->p >= r->end) return bad(r, "truncated"), 0;
    unsigned c = *r->p++;
    if (shift == 63 && c > 1) return bad(r, "integer too large"), 0;
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) return v;
  }
}

static unsigned get_uint(reader *r, uint64_t max, const char *what) {
  uint64_t v = get_u(r);
  if (v > max) return bad(r, what), 0;
  return (unsigned)v;
}

static int64_t get_s(reader *r) {
  uint64_t u = get_u(r);
  return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* A signed integer in [lo, hi). */
static int get_index(reader *r, int64_t lo, int64_t hi, const char *what) {
  int64_t v = get_s(r);
  if (v < lo || v >= hi) return bad(r, what), (int)lo;
  return (int)v;
}

static const char *get_str(reader *r) {
  uint64_t i = get_u(r);
  if (i > r->nstrs) return bad(r, "string index"), NULL;
  return i ? r->strs[i - 1] : NULL;
}

static const char *need_str(reader *r, const char *what) {
  const char *s = get_str(r);
  if (!s) bad(r, what);
  return s;
}

/* `count` elements of kind `c` from the arena (NULL for none). */
static void *take(reader *r, int c, uint64_t count, size_t size) {
  if (count > r->budget[c]) return bad(r, "element count"), NULL;
  r->budget[c] -= count;
  if (!count) return NULL;
  void *p = r->next;
  r->next += count * size;
  return p;
}

static ir_loc get_loc(reader *r) {
  ir_loc l;
  l.file = get_str(r);
  l.line = get_uint(r, UINT32_MAX, "line");
  l.col = get_uint(r, UINT32_MAX, "column");
  l.end_line = get_uint(r, UINT32_MAX, "line");
  l.end_col = get_uint(r, UINT32_MAX, "column");
  return l;
}

/* `nvars` bounds a variable slot (0: none, at file scope). */
static ir_slot get_slot(reader *r, unsigned nvars) {
  ir_slot sl = {IR_SLOT_NONE, NULL, NULL, -1};
  sl.kind = (ir_slot_kind)get_uint(r, IR_SLOT_VAR, "slot kind");
  if (sl.kind == IR_SLOT_NONE) return sl;
  sl.key = get_str(r);
  if (!sl.key && sl.kind != IR_SLOT_VAR) bad(r, "slot key");
  sl.name = get_str(r);
  if (sl.kind == IR_SLOT_VAR) sl.var = get_index(r, 0, nvars, "slot variable");
  return sl;
}

static void get_value(reader *r, ir_value *v, unsigned nvars) {
  memset(v, 0, sizeof *v);
  v->var = -1;
  v->kind = (ir_val_kind)get_uint(r, IR_VAL_STRING, "value kind");
  switch (v->kind) {
  case IR_VAL_VAR:
    v->var = get_index(r, 0, nvars, "value variable");
    v->addr_of = get_uint(r, 1, "flags") != 0;
    break;
  case IR_VAL_INT: v->ival = get_s(r); break;
  case IR_VAL_FUNC:
    v->func_usr = need_str(r, "function value");
    v->func_name = need_str(r, "function value");
    break;
  default: break;
  }
  v->text = get_str(r);
  v->slot = get_slot(r, nvars);
}

static ir_store *get_stores(reader *r, unsigned nvars, unsigned *n) {
  *n = get_uint(r, UINT32_MAX, "count");
  ir_store *st = take(r, C_STORES, *n, sizeof *st);
  for (unsigned i = 0; i < *n && !r->error; i++) {
    st[i].slot = get_slot(r, nvars);
    if (st[i].slot.kind == IR_SLOT_NONE) bad(r, "store slot");
    get_value(r, &st[i].val, nvars);
    st[i].loc = get_loc(r);
    st[i].owner = get_str(r);
    st[i].owner_key = get_str(r);
  }
  return st;
}

static void get_function(reader *r, ir_function *f) {
  f->usr = need_str(r, "function usr");
  f->name = need_str(r, "function name");
  f->loc = get_loc(r);
  f->end = get_loc(r);
  f->attrs = get_uint(r, UINT32_MAX, "attributes");
  unsigned flags = get_uint(r, 3, "flags");
  f->is_static = flags & 1;
  f->returns_void = flags & 2;
  f->nparams = get_uint(r, UINT32_MAX, "count");
  unsigned nvars = get_uint(r, INT32_MAX, "count");
  f->vars = take(r, C_VARS, nvars, sizeof *f->vars);
  f->nvars = r->error ? 0 : nvars;
  for (unsigned i = 0; i < f->nvars && !r->error; i++) {
    ir_var *v = &f->vars[i];
    v->name = need_str(r, "variable name");
    v->type = get_str(r);
    unsigned vf = get_uint(r, 7, "flags");
    v->is_param = vf & 1;
    v->is_temp = vf & 2;
    v->is_static = vf & 4;
    v->loc = get_loc(r);
  }
  if (f->nparams > f->nvars) bad(r, "parameter count");
  unsigned nblocks = get_uint(r, INT32_MAX, "count");
  if (nblocks < 2) bad(r, "block count");
  unsigned ncalls = get_uint(r, INT32_MAX, "count");
  f->calls = take(r, C_CALLS, ncalls, sizeof *f->calls);
  f->ncalls = r->error ? 0 : ncalls;
  for (unsigned i = 0; i < f->ncalls && !r->error; i++) {
    ir_call *c = &f->calls[i];
    c->callee_usr = get_str(r);
    c->callee_name = need_str(r, "callee name");
    c->callee_attrs = get_uint(r, UINT32_MAX, "attributes");
    c->callee_slot = get_slot(r, f->nvars);
    c->loc = get_loc(r);
    unsigned nargs = get_uint(r, UINT32_MAX, "count");
    c->args = take(r, C_ARGS, nargs, sizeof *c->args);
    c->nargs = r->error ? 0 : nargs;
    for (unsigned a = 0; a < c->nargs && !r->error; a++) get_value(r, &c->args[a], f->nvars);
    c->use = (ir_use)get_uint(r, IR_USE_VOID_TYPE, "call use");
    c->dest = (int)get_index(r, INT32_MIN, INT32_MAX, "call destination");
    if (c->use == IR_USE_VAR && !(c->dest >= 0 && (unsigned)c->dest < f->nvars)) bad(r, "call destination");
    c->block = get_index(r, 0, nblocks, "call block");
  }
  f->blocks = take(r, C_BLOCKS, nblocks, sizeof *f->blocks);
  f->nblocks = r->error ? 0 : nblocks;
  for (unsigned i = 0; i < f->nblocks && !r->error; i++) {
    ir_block *b = &f->blocks[i];
    unsigned nops = get_uint(r, UINT32_MAX, "count");
    b->ops = take(r, C_OPS, nops, sizeof *b->ops);
    b->nops = r->error ? 0 : nops;
    for (unsigned k = 0; k < b->nops && !r->error; k++) {
      ir_op *op = &b->ops[k];
      op->kind = (ir_op_kind)get_uint(r, IR_OP_RETURN, "operation kind");
      op->call = op->kind == IR_OP_CALL ? get_index(r, 0, f->ncalls, "call index") : -1;
      bool has_var = op->kind == IR_OP_ASSIGN || op->kind == IR_OP_READ || op->kind == IR_OP_ESCAPE;
      op->var = has_var ? get_index(r, 0, f->nvars, "operation variable") : -1;
      if (op->kind == IR_OP_ASSIGN || op->kind == IR_OP_RETURN) get_value(r, &op->val, f->nvars);
      else op->val.var = -1;
      op->loc = get_loc(r);
    }
    b->term = (ir_term_kind)get_uint(r, IR_TERM_STOP, "terminator");
    b->succ[0] = get_index(r, -1, nblocks, "successor index");
    b->succ[1] = get_index(r, -1, nblocks, "successor index");
    unsigned bits = get_uint(r, 7, "flags");
    b->back[0] = bits & 1;
    b->back[1] = bits & 2;
    b->loop_head = bits & 4;
    b->cond_var = -1;
    if (b->term == IR_TERM_COND) {
      b->cond_var = get_index(r, -1, f->nvars, "condition variable");
      b->cond_op = (ir_cmp)get_uint(r, IR_CMP_GE, "comparison");
      b->cond_k = get_s(r);
    }
    b->term_loc = get_loc(r);
  }
  f->stores = get_stores(r, f->nvars, &f->nstores);
  unsigned nrefs = get_uint(r, UINT32_MAX, "count");
  f->refs = take(r, C_FREFS, nrefs, sizeof *f->refs);
  f->nrefs = r->error ? 0 : nrefs;
  for (unsigned i = 0; i < f->nrefs && !r->error; i++) f->refs[i] = need_str(r, "reference");
}

static uint64_t get_le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* The header: NULL if it is good and the body is [*body, *body + *body_len). */
static char *check_header(const unsigned char *p, size_t len, const char *build_id, size_t *body_len) {
  if (len < HEADER_FIXED || memcmp(p, MAGIC, 4) != 0) return xstrdup("not a calm-lint summary");
  uint64_t format = get_le(p + 4, 4);
  if (format != IR_SUMMARY_FORMAT)
    return xasprintf("summary format %llu, but this calm-lint reads format %d", (unsigned long long)format,
                     IR_SUMMARY_FORMAT);
  size_t idlen = p[8];
  if (len < HEADER_FIXED + idlen) return xstrdup("invalid summary: truncated");
  if (build_id && (strlen(build_id) != idlen || memcmp(p + 9, build_id, idlen) != 0))
    return xstrdup("summary written by another calm-lint build");
  uint64_t body = get_le(p + 9 + idlen, 8);
  if (body != len - HEADER_FIXED - idlen) return xstrdup("invalid summary: truncated");
  *body_len = (size_t)body;
  return NULL;
}

/* Reads the string table into the arena's tail: `dst` has room for `nbytes` + one NUL
 * a string. */
static void get_strings(reader *r, char *dst, uint64_t nbytes) {
  for (uint64_t i = 0; i < r->nstrs && !r->error; i++) {
    uint64_t n = get_u(r);
    if (n > nbytes || n > (uint64_t)(r->end - r->p)) {
      bad(r, "string length");
      break;
    }
    if (memchr(r->p, '\0', (size_t)n)) {
      bad(r, "string");
      break;
    }
    memcpy(dst, r->p, (size_t)n);
    dst[n] = '\0';
    r->strs[i] = dst;
    dst += n + 1;
    r->p += n;
    nbytes -= n;
  }
}

ir_summary *ir_summary_from_bin(const void *data, size_t len, const char *build_id, char **error) {
  *error = NULL;
  size_t body_len = 0;
  char *why = check_header(data, len, build_id, &body_len);
  if (why) {
    *error = why;
    return NULL;
  }
  reader r = {0};
  r.end = (const unsigned char *)data + len;
  r.p = r.end - body_len;
  r.nstrs = get_u(&r);
  uint64_t nbytes = get_u(&r);
  /* the block below is sized by the counts, so they are held to the bytes left: each
   * element takes at least its fewest bytes of its own, and a corrupt count cannot
   * make the block more than a small multiple of the input */
  uint64_t left = (uint64_t)(r.end - r.p);
  if (r.nstrs > left || nbytes > left) bad(&r, "string table");
  static const size_t sizes[C_N] = {sizeof(ir_function), sizeof(ir_var), sizeof(ir_call), sizeof(ir_value),
                                    sizeof(ir_block), sizeof(ir_op), sizeof(ir_store), sizeof(const char *),
                                    sizeof(ir_error), sizeof(ir_ref)};
  /* the counts follow the string table: skip over it once to read them */
  const unsigned char *table = r.p;
  for (uint64_t i = 0; i < r.nstrs && !r.error; i++) {
    uint64_t n = get_u(&r);
    if (n > (uint64_t)(r.end - r.p)) bad(&r, "string length");
    else r.p += n;
  }
  /* a function: names, two locations, eight small integers; a variable: two names, flags,
   * a location; ... (the writer's fields that are always there) */
  static const uint64_t fewest[C_N] = {20, 8, 13, 3, 10, 6, 11, 1, 6, 2};
  uint64_t typed = 0, least = 0;
  for (int i = 0; i < C_N && !r.error; i++) {
    r.budget[i] = get_u(&r);
    least += r.budget[i] > left ? left + 1 : r.budget[i] * fewest[i];
    if (least > left) bad(&r, "element count");
    else typed += r.budget[i] * sizes[i];
  }
  if (r.error) {
    *error = xasprintf("invalid summary: %s", r.error);
    return NULL;
  }
  /* one block: the typed arrays (each size a multiple of the pointer alignment, so
   * any order of them stays aligned), the string pointers, then the text */
  const unsigned char *rest = r.p;
  char *arena = xcalloc(1, (size_t)(typed + r.nstrs * sizeof(char *) + nbytes + r.nstrs) + 1);
  r.next = arena;
  r.strs = (const char **)(void *)(arena + typed);
  r.p = table;
  get_strings(&r, arena + typed + r.nstrs * sizeof(char *), nbytes);
  if (!r.error) r.p = rest;

  ir_summary *s = xcalloc(1, sizeof *s);
  s->pool = strpool_new();
  s->arena = arena;
  s->main_file = need_str(&r, "main file");
  s->failed = get_uint(&r, 1, "flags") != 0;
  unsigned n = get_uint(&r, UINT32_MAX, "count");
  s->funcs = take(&r, C_FUNCS, n, sizeof *s->funcs);
  s->nfuncs = r.error ? 0 : n;
  for (unsigned i = 0; i < s->nfuncs && !r.error; i++) get_function(&r, &s->funcs[i]);
  n = get_uint(&r, UINT32_MAX, "count");
  s->errors = take(&r, C_ERRORS, n, sizeof *s->errors);
  s->nerrors = r.error ? 0 : n;
  for (unsigned i = 0; i < s->nerrors && !r.error; i++) {
    s->errors[i].loc = get_loc(&r);
    s->errors[i].message = need_str(&r, "error message");
  }
  s->stores = get_stores(&r, 0, &s->nstores);
  n = get_uint(&r, UINT32_MAX, "count");
  s->refs = take(&r, C_SREFS, n, sizeof *s->refs);
  s->nrefs = r.error ? 0 : n;
  for (unsigned i = 0; i < s->nrefs && !r.error; i++) {
    s->refs[i].from = get_str(&r);
    s->refs[i].to = need_str(&r, "reference");
  }
  if (get_uint(&r, 1, "flags")) {
    n = get_uint(&r, UINT32_MAX, "count");
    if (n > (uint64_t)(r.end - r.p)) bad(&r, "count");
    else {
      s->includes = xcalloc((size_t)n + 1, sizeof *s->includes);
      for (unsigned i = 0; i < n && !r.error; i++) s->includes[s->nincludes++] = need_str(&r, "include");
    }
  }
  if (!r.error && r.p != r.end) bad(&r, "trailing bytes");
  if (r.error) {
    *error = xasprintf("invalid summary: %s", r.error);
    ir_summary_free(s);
    return NULL;
  }
  return s;
}
