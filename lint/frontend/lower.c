/* AST to IR for one function body. Statements become basic blocks; conditions are
 * split at `&&`, `||` and `!` so that every branch tests one thing; every call result
 * that is used lands in a variable (a named temp if the source did not name one), so
 * the rules can follow statuses and handles as plain dataflow over variables.
 *
 * libclang 14 does not expose operator kinds, so operators are read from the source
 * text between operands. Where that text is hidden in a macro body the construct is
 * lowered conservatively (an opaque value or a branch either way). */
#include "lower.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- source text ---- */

typedef struct {
  CXFile file;
  const char *text;
  size_t len;
  uint64_t digest; /* of the text, once memo_key needs it; 0: not yet */
  unsigned *lines; /* offset at which each line starts, once a position needs them */
  unsigned nlines;
  unsigned last;          /* the line found last (positions come mostly in order) */
  strpool *name_pool;     /* `name` is the file's name interned there */
  const char *name;
} file_text;

/* Files by identity: clang_File_isEqual compares device and inode, so those key the
 * tables of a unit's files (a linear search with clang_File_isEqual was called half a
 * million times on eight units of h2o). */
typedef struct {
  unsigned long long dev, ino;
  size_t index; /* + 1; 0: an empty slot */
} file_slot;

typedef struct {
  file_slot *slots;
  size_t cap, len;
} file_index;

static bool file_id(CXFile file, unsigned long long id[2]) {
  CXFileUniqueID u;
  if (!file || clang_getFileUniqueID(file, &u) != 0) return false;
  id[0] = u.data[0];
  id[1] = u.data[1];
  return true;
}

static file_slot *index_slot(const file_index *x, const unsigned long long id[2]) {
  size_t i = (size_t)hash_mix(id[0] * 0x9e3779b97f4a7c15ULL ^ id[1]) & (x->cap - 1);
  while (x->slots[i].index && (x->slots[i].dev != id[0] || x->slots[i].ino != id[1])) i = (i + 1) & (x->cap - 1);
  return &x->slots[i];
}

/* The index stored for the file with `id`, or -1. */
static long index_get(const file_index *x, const unsigned long long id[2]) {
  if (!x->cap) return -1;
  const file_slot *sl = index_slot(x, id);
  return sl->index ? (long)(sl->index - 1) : -1;
}

/* Stores `index` for `id` unless the file has one already (the first one counts). */
static void index_put(file_index *x, const unsigned long long id[2], size_t index) {
  if (2 * (x->len + 1) > x->cap) {
    file_index bigger = {xcalloc(x->cap ? 2 * x->cap : 64, sizeof *bigger.slots), x->cap ? 2 * x->cap : 64, 0};
    for (size_t i = 0; i < x->cap; i++)
      if (x->slots[i].index) {
        unsigned long long old[2] = {x->slots[i].dev, x->slots[i].ino};
        *index_slot(&bigger, old) = x->slots[i];
        bigger.len++;
      }
    free(x->slots);
    *x = bigger;
  }
  file_slot *sl = index_slot(x, id);
  if (sl->index) return;
  *sl = (file_slot){id[0], id[1], index + 1};
  x->len++;
}

/* One file the parse entered (clang_getInclusions), as lower_files_note_inclusion saw it. */
struct entered {
  CXFile file;
  unsigned depth;
  CXSourceLocation from; /* the outermost #include, in the main file (depth > 0) */
  uint64_t context;      /* what the preprocessor had seen, once memo_key needs it */
};

/* One entry of the unit's source manager that is a file, as a location's raw encoding
 * (CXSourceLocation.int_data) shows it: clang numbers every file, macro expansion and
 * buffer of a unit into one offset space, and a location in a file (the top bit clear;
 * set, it is in a macro expansion) is the file's base plus the offset in it. Its end is
 * the base plus the file's size, the position after its last byte. */
struct file_range {
  unsigned base, size;
  CXFile file;
};

struct lower_files {
  CXTranslationUnit tu;
  VEC(file_text) files;
  file_index files_index; /* file -> index in files */
  CXFile last_file;       /* the file file_of found last, at files.items[last_file_at] */
  size_t last_file_at;
  CXFile main;         /* the unit's main file: its functions are always its own */
  uint64_t flags_hash; /* of the front-end flags (lower_files_set_flags) */
  bool share;          /* header functions go through the memo (lower_files_share) */
  VEC(struct entered) entered; /* every file entered, in the parse's order */
  file_index entered_index;    /* file -> its first entry */
  bool have_contexts;          /* entered[].context is computed */
  /* each type's spelling, asked once per unit (clang_getTypeSpelling prints the type
   * anew at every call: 1 700 instructions, for every variable and temporary) */
  struct type_name { CXType type; char *name; } *types;
  size_t types_cap, types_len;
  /* what calls need of each callee, read once per unit: lower_function_attrs visits the
   * declaration's children and prints its type (3 000 instructions), a USR costs 1 400,
   * and most calls name a callee called before */
  struct decl_info {
    const void *decl;
    bool have_attrs;
    unsigned attrs;
    char *name;         /* its spelling, once asked */
    strpool *pool;      /* usr and name interned there, once asked */
    const char *usr_in, *name_in;
  } *decls;
  size_t decls_cap, decls_len;
  /* where each file seen so far lies in the unit's source-location space, by base */
  VEC(struct file_range) ranges;
  size_t last_range; /* + 1; 0: none */
  /* the spans asked last (operators, operands and their ops ask for the same ones) */
  struct span_memo { CXCursor c; struct span_value { CXFile file; unsigned begin, end; bool ok; } s; } spans[8];
  unsigned next_span;
};

lower_files *lower_files_new(CXTranslationUnit tu) {
  lower_files *f = xcalloc(1, sizeof *f);
  f->tu = tu;
  CXString spelling = clang_getTranslationUnitSpelling(tu);
  f->main = clang_getFile(tu, clang_getCString(spelling));
  clang_disposeString(spelling);
  return f;
}

void lower_files_free(lower_files *f) {
  if (!f) return;
  for (size_t i = 0; i < f->files.len; i++) free(f->files.items[i].lines);
  VEC_FREE(f->entered);
  free(f->entered_index.slots);
  VEC_FREE(f->files);
  free(f->files_index.slots);
  for (size_t i = 0; i < f->types_cap; i++) free(f->types[i].name);
  free(f->types);
  for (size_t i = 0; i < f->decls_cap; i++) free(f->decls[i].name);
  free(f->decls);
  VEC_FREE(f->ranges);
  free(f);
}

static size_t type_slot(struct type_name *slots, size_t cap, CXType t) {
  uint64_t h = (uint64_t)(uintptr_t)t.data[0] * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)t.data[1] ^ (uint64_t)t.kind;
  size_t i = (size_t)hash_mix(h) & (cap - 1);
  while (slots[i].name && (slots[i].type.kind != t.kind || slots[i].type.data[0] != t.data[0] ||
                           slots[i].type.data[1] != t.data[1]))
    i = (i + 1) & (cap - 1);
  return i;
}

/* The spelling of `t`, owned by `f`. */
static const char *type_name(lower_files *f, CXType t) {
  if (2 * (f->types_len + 1) > f->types_cap) {
    size_t cap = f->types_cap ? 2 * f->types_cap : 256;
    struct type_name *slots = xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < f->types_cap; i++)
      if (f->types[i].name) slots[type_slot(slots, cap, f->types[i].type)] = f->types[i];
    free(f->types);
    f->types = slots;
    f->types_cap = cap;
  }
  size_t i = type_slot(f->types, f->types_cap, t);
  if (!f->types[i].name) {
    CXString s = clang_getTypeSpelling(t);
    f->types[i].type = t;
    f->types[i].name = xstrdup(clang_getCString(s));
    f->types_len++;
    clang_disposeString(s);
  }
  return f->types[i].name;
}

static file_text *file_lookup(lower_files *f, CXFile file);

void lower_files_note_inclusion(lower_files *f, CXFile file, const CXSourceLocation *stack, unsigned depth) {
  struct entered e;
  memset(&e, 0, sizeof e);
  e.file = file;
  e.depth = depth;
  if (depth > 0) e.from = stack[depth - 1];
  unsigned long long id[2];
  if (file_id(file, id)) index_put(&f->entered_index, id, f->entered.len);
  VEC_PUSH(f->entered, e);
}

static file_text *file_of(lower_files *f, CXFile file) {
  if (file && file == f->last_file) return &f->files.items[f->last_file_at];
  file_text *ft = file_lookup(f, file);
  f->last_file = file;
  f->last_file_at = (size_t)(ft - f->files.items);
  return ft;
}

static file_text *file_lookup(lower_files *f, CXFile file) {
  unsigned long long id[2];
  bool have_id = file_id(file, id);
  long at = have_id ? index_get(&f->files_index, id) : -1;
  if (at >= 0) return &f->files.items[at];
  if (!have_id)
    for (size_t i = 0; i < f->files.len; i++)
      if (clang_File_isEqual(f->files.items[i].file, file)) return &f->files.items[i];
  size_t n = 0;
  const char *t = clang_getFileContents(f->tu, file, &n);
  file_text ft;
  memset(&ft, 0, sizeof ft);
  ft.file = file;
  ft.text = t;
  ft.len = t ? n : 0;
  if (have_id) index_put(&f->files_index, id, f->files.len);
  VEC_PUSH(f->files, ft);
  return &f->files.items[f->files.len - 1];
}

/* Line and column (1-based, in bytes) of `offset`, counted as clang's source manager
 * counts them: "\n", "\r", "\r\n" and "\n\r" each end a line. Asking libclang for
 * them instead costs a line search per position, which was most of lowering. */
static void line_col(file_text *ft, unsigned offset, unsigned *line, unsigned *col) {
  if (!ft->lines) {
    VEC(unsigned) starts = {0};
    VEC_PUSH(starts, 0u);
    const char *p = ft->text, *end = ft->text + ft->len;
    if (!memchr(p, '\r', ft->len)) { /* the usual file: memchr finds each line end */
      for (const char *nl; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1)
        VEC_PUSH(starts, (unsigned)(nl + 1 - ft->text));
      p = end;
    }
    while (p < end) {
      char c = *p++;
      if (c != '\n' && c != '\r') continue;
      if (p < end && (*p == '\n' || *p == '\r') && *p != c) p++;
      VEC_PUSH(starts, (unsigned)(p - ft->text));
    }
    ft->lines = starts.items;
    ft->nlines = (unsigned)starts.len;
    ft->last = 0;
  }
  unsigned i = ft->last;
  if (!(ft->lines[i] <= offset && (i + 1 == ft->nlines || offset < ft->lines[i + 1]))) {
    unsigned lo = 0, hi = ft->nlines; /* the last start <= offset */
    while (hi - lo > 1) {
      unsigned mid = lo + (hi - lo) / 2;
      if (ft->lines[mid] <= offset) lo = mid;
      else hi = mid;
    }
    i = ft->last = lo;
  }
  *line = i + 1;
  *col = offset - ft->lines[i] + 1;
}

static const char *text_of(lower_files *f, CXFile file, size_t *len) {
  file_text *ft = file_of(f, file);
  *len = ft->len;
  return ft->text;
}

/* A digest of a file's text, eight bytes a step (a header is hashed once per unit
 * that defines a function from it, so this must cost little next to the parse). */
static uint64_t text_digest(const char *text, size_t len) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, text + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  uint64_t w = 0;
  memcpy(&w, text + i, len - i);
  h = (h ^ w) * 0x94d049bb133111ebULL;
  return (h ^ (h >> 29)) | 1;
}

/* ---- header functions, lowered once per process ----
 * A `static inline` function of a project header is defined again in every unit that
 * includes it. Units with the same flags that read the same header (path and text) in
 * the same preprocessing context (entered_context) see the same definition, so the first unit to reach it lowers it
 * and the others take a copy of that IR, which is much cheaper than walking the AST
 * again. Every summary stays complete (it is cached and linked on its own); the link
 * keeps one of the identical copies (program.c). */

/* An IR function with the strings it points to, kept for copying. */
typedef struct {
  ir_function fn;
  strpool *pool;
} memo_fn;

#define MEMO_MAX 65536 /* entries kept before the memo starts over (a long-lived server) */

static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static strmap *memo; /* key -> memo_fn * */

void lower_files_share(lower_files *f, const char *const *argv, int argc) {
  uint64_t h = 0;
  for (int i = 0; i < argc; i++) h = hash_bytes(argv[i], strlen(argv[i]) + 1, h);
  f->flags_hash = h;
  f->share = true;
}

#define DUP_ARRAY(dst, src, n) ((n) ? memcpy(xcalloc((n), sizeof *(src)), (src), (n) * sizeof *(src)) : NULL)

static const char *re_intern(strpool *pool, const char *s) { return s ? strpool_intern(pool, s) : NULL; }

/* The file of the locations copied last, and its copy, for one copy: a function's
 * locations are nearly all in one file, and interning its name again for every op was
 * most of what a copy from the memo cost. Strings of one pool are one pointer each. */
typedef struct {
  strpool *pool;
  const char *from, *to;
} loc_copier;

static void copy_loc(loc_copier *c, ir_loc *l) {
  if (!l->file) return;
  if (c->from != l->file) {
    c->from = l->file;
    c->to = strpool_intern(c->pool, l->file);
  }
  l->file = c->to;
}

static void copy_slot(strpool *pool, ir_slot *s) {
  s->key = re_intern(pool, s->key);
  s->name = re_intern(pool, s->name);
}

static void copy_value(strpool *pool, ir_value *v) {
  v->func_usr = re_intern(pool, v->func_usr);
  v->func_name = re_intern(pool, v->func_name);
  v->text = re_intern(pool, v->text);
  copy_slot(pool, &v->slot);
}

/* A deep copy of `src` whose strings live in `pool`. */
static ir_function copy_function(const ir_function *src, strpool *pool) {
  loc_copier lc = {pool, NULL, NULL};
  ir_function f = *src;
  f.usr = re_intern(pool, f.usr);
  f.name = re_intern(pool, f.name);
  copy_loc(&lc, &f.loc);
  copy_loc(&lc, &f.end);
  f.vars = DUP_ARRAY(f.vars, src->vars, src->nvars);
  for (unsigned i = 0; i < f.nvars; i++) {
    f.vars[i].name = re_intern(pool, f.vars[i].name);
    f.vars[i].type = re_intern(pool, f.vars[i].type);
    copy_loc(&lc, &f.vars[i].loc);
  }
  f.calls = DUP_ARRAY(f.calls, src->calls, src->ncalls);
  for (unsigned i = 0; i < f.ncalls; i++) {
    ir_call *c = &f.calls[i];
    c->callee_usr = re_intern(pool, c->callee_usr);
    c->callee_name = re_intern(pool, c->callee_name);
    copy_slot(pool, &c->callee_slot);
    copy_loc(&lc, &c->loc);
    c->args = DUP_ARRAY(c->args, src->calls[i].args, c->nargs);
    for (unsigned k = 0; k < c->nargs; k++) copy_value(pool, &c->args[k]);
  }
  f.blocks = DUP_ARRAY(f.blocks, src->blocks, src->nblocks);
  for (unsigned i = 0; i < f.nblocks; i++) {
    ir_block *b = &f.blocks[i];
    copy_loc(&lc, &b->term_loc);
    b->ops = DUP_ARRAY(b->ops, src->blocks[i].ops, b->nops);
    for (unsigned k = 0; k < b->nops; k++) {
      copy_value(pool, &b->ops[k].val);
      copy_loc(&lc, &b->ops[k].loc);
    }
  }
  f.stores = DUP_ARRAY(f.stores, src->stores, src->nstores);
  for (unsigned i = 0; i < f.nstores; i++) {
    ir_store *st = &f.stores[i];
    copy_slot(pool, &st->slot);
    copy_value(pool, &st->val);
    copy_loc(&lc, &st->loc);
    st->owner = re_intern(pool, st->owner);
    st->owner_key = re_intern(pool, st->owner_key);
  }
  f.refs = DUP_ARRAY(f.refs, src->refs, src->nrefs);
  for (unsigned i = 0; i < f.nrefs; i++) f.refs[i] = re_intern(pool, f.refs[i]);
  return f;
}

void lower_copy_summary(ir_summary *dst, const ir_summary *src) {
  loc_copier lc = {dst->pool, NULL, NULL};
  for (unsigned i = 0; i < src->nfuncs; i++) {
    ir_function copy = copy_function(&src->funcs[i], dst->pool);
    ir_summary_add_function(dst, &copy);
  }
  for (unsigned i = 0; i < src->nstores; i++) {
    ir_store st = src->stores[i];
    copy_slot(dst->pool, &st.slot);
    copy_value(dst->pool, &st.val);
    copy_loc(&lc, &st.loc);
    st.owner = re_intern(dst->pool, st.owner);
    st.owner_key = re_intern(dst->pool, st.owner_key);
    ir_summary_add_store(dst, &st);
  }
  for (unsigned i = 0; i < src->nrefs; i++) ir_summary_add_ref(dst, src->refs[i].from, src->refs[i].to);
}

static bool free_memo_fn(const char *key, void *value, void *ctx) {
  (void)key, (void)ctx;
  memo_fn *m = value;
  ir_function_free_arrays(&m->fn);
  strpool_free(m->pool);
  free(m);
  return true;
}

/* What the preprocessor had seen when a file was entered: every file entered before it
 * (name, size, modification time, in order) and the directives of the main file above
 * the #include that led to it. A header's function can read differently under another
 * context (raft's byte.h tests __BYTE_ORDER, which only some earlier system headers
 * define), so two units share its IR only when the context is the same too. */
typedef struct {
  const char *main_text;
  size_t main_len;
  size_t scanned;      /* the main file's directives are digested up to here */
  uint64_t directives; /* their digest */
} directive_scan;

/* Extends the digest of the main file's directive lines to the line holding `end`.
 * Inclusions come in order, so the main file is read once per unit. */
static uint64_t directives_to(directive_scan *ds, size_t end) {
  if (end > ds->main_len) end = ds->main_len;
  const char *p = ds->main_text + ds->scanned, *stop = ds->main_text + end;
  while (p < stop) {
    const char *nl = memchr(p, '\n', (size_t)(ds->main_text + ds->main_len - p));
    const char *eol = nl ? nl : ds->main_text + ds->main_len;
    const char *q = p;
    while (q < eol && (*q == ' ' || *q == '\t')) q++;
    if (q < eol && *q == '#' && eol < stop) ds->directives = hash_bytes(q, (size_t)(eol - q), ds->directives);
    if (eol >= stop) break; /* the line of the #include itself: not its own context */
    p = eol + 1;
  }
  ds->scanned = (size_t)(p - ds->main_text);
  return ds->directives;
}

/* The size of entered file `file` as the parse read it. clang_getFileContents tells,
 * but it finds the file by a linear search of every source location entry of the unit
 * (each macro expansion has one: 40 000 instructions a call on h2o), and a unit enters
 * hundreds of headers. The file's own status says the same while it is the same file
 * (device and inode) with the modification time the parse saw. */
static size_t entered_size(lower_files *f, CXFile file) {
  CXString real = clang_File_tryGetRealPathName(file);
  const char *path = clang_getCString(real);
  struct stat st;
  unsigned long long id[2];
  bool same = path && path[0] && stat(path, &st) == 0 && S_ISREG(st.st_mode) && file_id(file, id) &&
              (unsigned long long)st.st_dev == id[0] && (unsigned long long)st.st_ino == id[1] &&
              st.st_mtime == clang_getFileTime(file);
  clang_disposeString(real);
  if (same) return (size_t)st.st_size;
  size_t len = 0;
  clang_getFileContents(f->tu, file, &len);
  return len;
}

static void compute_contexts(lower_files *f) {
  directive_scan ds = {NULL, 0, 0, 0};
  if (f->main) ds.main_text = clang_getFileContents(f->tu, f->main, &ds.main_len);
  uint64_t running = 0; /* over the files entered so far */
  for (size_t i = 0; i < f->entered.len; i++) {
    struct entered *e = &f->entered.items[i];
    uint64_t context = running;
    if (e->depth > 0 && ds.main_text) { /* the outermost #include is in the main file */
      unsigned at = 0;
      clang_getFileLocation(e->from, NULL, NULL, NULL, &at);
      context = hash_bytes(&context, sizeof context, directives_to(&ds, at));
    }
    e->context = context;
    if (e->depth == 0) continue; /* the main file: its directives count, above */
    CXString name = clang_getFileName(e->file);
    const char *n = clang_getCString(name);
    uint64_t stamp[2] = {(uint64_t)clang_getFileTime(e->file), (uint64_t)entered_size(f, e->file)};
    running = hash_bytes(stamp, sizeof stamp, hash_bytes(n ? n : "", n ? strlen(n) : 0, running));
    clang_disposeString(name);
  }
  f->have_contexts = true;
}

static uint64_t entered_context(lower_files *f, CXFile file) {
  if (!f->have_contexts) compute_contexts(f);
  unsigned long long id[2];
  if (file_id(file, id)) {
    long at = index_get(&f->entered_index, id);
    return at >= 0 ? f->entered.items[at].context : 0;
  }
  for (size_t i = 0; i < f->entered.len; i++)
    if (clang_File_isEqual(f->entered.items[i].file, file)) return f->entered.items[i].context;
  return 0;
}

static void put_hex(strbuf *sb, unsigned long long v) {
  char buf[17];
  int n = 0;
  do {
    buf[16 - n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  sb_appendn(sb, buf + 17 - n, (size_t)n);
}

/* The memo's key of header function `fn` (USR `usr`) in this unit, or NULL when the
 * unit lowers it itself: a function of its main file, or a unit that does not share.
 * Written digit by digit: xasprintf was a tenth of what the memo cost. */
static char *memo_key(lower_files *f, CXCursor fn, const char *usr) {
  if (!f->share) return NULL;
  CXFile file;
  clang_getFileLocation(clang_getCursorLocation(fn), &file, NULL, NULL, NULL);
  if (!file || clang_File_isEqual(file, f->main)) return NULL;
  file_text *ft = file_of(f, file);
  if (!ft->text) return NULL;
  if (!ft->digest) ft->digest = text_digest(ft->text, ft->len);
  CXString name = clang_getFileName(file);
  uint64_t context = entered_context(f, file);
  strbuf key = {0};
  put_hex(&key, ft->digest);
  sb_appendc(&key, ':');
  put_hex(&key, ft->len);
  sb_appendc(&key, ':');
  put_hex(&key, f->flags_hash);
  sb_appendc(&key, ':');
  put_hex(&key, context);
  sb_appendc(&key, ':');
  sb_append(&key, clang_getCString(name));
  sb_appendc(&key, ':');
  sb_append(&key, usr);
  clang_disposeString(name);
  return sb_take(&key);
}

/* Adds to `sum` a copy of the function lowered under `key`; false when there is none. */
static bool memo_take(const char *key, ir_summary *sum) {
  void *v = NULL;
  pthread_mutex_lock(&memo_lock);
  bool found = memo && strmap_get(memo, key, &v);
  if (found) {
    ir_function copy = copy_function(&((memo_fn *)v)->fn, sum->pool);
    ir_summary_add_function(sum, &copy);
  }
  pthread_mutex_unlock(&memo_lock);
  return found;
}

static void memo_put(const char *key, const ir_function *fn) {
  memo_fn *m = xcalloc(1, sizeof *m);
  m->pool = strpool_new();
  m->fn = copy_function(fn, m->pool);
  pthread_mutex_lock(&memo_lock);
  if (memo && strmap_len(memo) >= MEMO_MAX) {
    strmap_each(memo, free_memo_fn, NULL);
    strmap_free(memo);
    memo = NULL;
  }
  if (!memo) memo = strmap_new();
  void *old = NULL;
  if (strmap_get(memo, key, &old)) free_memo_fn(key, old, NULL); /* another thread lowered it too */
  strmap_put(memo, key, m);
  pthread_mutex_unlock(&memo_lock);
}

void lower_memo_free(void) {
  pthread_mutex_lock(&memo_lock);
  if (memo) {
    strmap_each(memo, free_memo_fn, NULL);
    strmap_free(memo);
    memo = NULL;
  }
  pthread_mutex_unlock(&memo_lock);
}

/* The file offsets a cursor spans, when both ends are in the same file. */
typedef struct {
  CXFile file;
  unsigned begin, end;
} span;

#define LOC_MACRO_BIT 0x80000000u /* of a raw location: in a macro expansion */

/* The file range holding raw file location `raw`, or NULL when none is known yet. */
static const struct file_range *range_of(lower_files *f, unsigned raw) {
  if (f->last_range) {
    const struct file_range *r = &f->ranges.items[f->last_range - 1];
    if (raw - r->base <= r->size) return r;
  }
  size_t lo = 0, hi = f->ranges.len; /* the first range with a base above raw */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (f->ranges.items[mid].base <= raw) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return NULL;
  const struct file_range *r = &f->ranges.items[lo - 1];
  if (raw - r->base > r->size) return NULL;
  f->last_range = lo;
  return r;
}

static void add_range(lower_files *f, unsigned base, unsigned size, CXFile file) {
  size_t at = 0;
  while (at < f->ranges.len && f->ranges.items[at].base < base) at++;
  if (at < f->ranges.len && f->ranges.items[at].base == base) return;
  struct file_range r = {base, size, file};
  VEC_PUSH(f->ranges, r);
  memmove(&f->ranges.items[at + 1], &f->ranges.items[at], (f->ranges.len - 1 - at) * sizeof r);
  f->ranges.items[at] = r;
  f->last_range = 0;
}

/* The file and offset of `loc`, as clang_getFileLocation tells them. A location in a
 * file it has seen before is read from the location itself (two of these per op were a
 * fifth of lowering); the others, and those in macro expansions, are asked. */
static void file_offset(lower_files *f, CXSourceLocation loc, CXFile *file, unsigned *offset) {
  unsigned raw = loc.int_data;
  bool in_file = raw && !(raw & LOC_MACRO_BIT);
  if (in_file) {
    const struct file_range *r = range_of(f, raw);
    if (r) {
      *file = r->file;
      *offset = raw - r->base;
      return;
    }
  }
  clang_getFileLocation(loc, file, NULL, NULL, offset);
  if (in_file && *file && *offset <= raw) {
    file_text *ft = file_of(f, *file);
    if (ft->text) add_range(f, raw - *offset, (unsigned)ft->len, *file);
  }
}

static bool same_file(CXFile a, CXFile b) { return a == b || clang_File_isEqual(a, b); }

static bool cursor_span(lower_files *f, CXCursor c, span *s) {
  for (unsigned i = 0; i < sizeof f->spans / sizeof f->spans[0]; i++) {
    const struct span_memo *m = &f->spans[i];
    if (m->c.kind == c.kind && m->c.data[1] == c.data[1] && m->c.data[0] == c.data[0] &&
        m->c.data[2] == c.data[2] && m->c.xdata == c.xdata && m->s.file) {
      s->file = m->s.file;
      s->begin = m->s.begin;
      s->end = m->s.end;
      return m->s.ok;
    }
  }
  CXSourceRange r = clang_getCursorExtent(c);
  CXFile f1, f2;
  /* offsets only: a line and column cost libclang a search each */
  file_offset(f, clang_getRangeStart(r), &f1, &s->begin);
  file_offset(f, clang_getRangeEnd(r), &f2, &s->end);
  s->file = f1;
  bool ok = f1 != NULL;
  if (ok && (!f2 || !same_file(f1, f2) || s->end < s->begin)) s->end = s->begin;
  if (ok) {
    struct span_memo *m = &f->spans[f->next_span++ % (sizeof f->spans / sizeof f->spans[0])];
    m->c = c;
    m->s = (struct span_value){s->file, s->begin, s->end, ok};
  }
  return ok;
}

/* The position of `offset` in `file` as an ir_loc's file, line and column. */
static void position(lower_files *files, strpool *pool, CXFile file, unsigned offset, ir_loc *out) {
  file_text *ft = file_of(files, file);
  if (ft->name_pool != pool) {
    CXString name = clang_getFileName(file);
    ft->name = strpool_intern(pool, clang_getCString(name));
    ft->name_pool = pool;
    clang_disposeString(name);
  }
  out->file = ft->name;
  if (ft->text && offset <= ft->len) {
    line_col(ft, offset, &out->line, &out->col);
  } else { /* no text to count in: ask libclang */
    CXSourceLocation at = clang_getLocationForOffset(files->tu, file, offset);
    clang_getFileLocation(at, NULL, &out->line, &out->col, NULL);
  }
}

bool lower_cursor_loc(lower_files *files, strpool *pool, CXCursor c, ir_loc *out) {
  span s;
  memset(out, 0, sizeof *out);
  if (!cursor_span(files, c, &s)) return false;
  position(files, pool, s.file, s.begin, out);
  if (s.end == s.begin) {
    out->end_line = out->line;
    out->end_col = out->col;
  } else {
    ir_loc e;
    position(files, pool, s.file, s.end, &e);
    out->end_line = e.line;
    out->end_col = e.col;
  }
  return true;
}

/* Skips blanks and comments from `p` up to `end`. */
static const char *skip_space(const char *p, const char *end) {
  for (;;) {
    while (p < end && isspace((unsigned char)*p)) p++;
    if (p + 1 < end && p[0] == '/' && p[1] == '*') {
      const char *q = p + 2;
      while (q + 1 < end && !(q[0] == '*' && q[1] == '/')) q++;
      p = q + 2 <= end ? q + 2 : end;
    } else if (p + 1 < end && p[0] == '/' && p[1] == '/') {
      while (p < end && *p != '\n') p++;
    } else if (p < end && *p == '\\' && p + 1 < end && p[1] == '\n') {
      p += 2;
    } else {
      return p;
    }
  }
}

typedef enum {
  OP_UNKNOWN, OP_ASSIGN, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_LAND, OP_LOR,
  OP_COMMA, OP_ARITH, OP_NOT, OP_ADDR, OP_DEREF, OP_INC, OP_NEG,
} op_kind;

/* Reads the operator spelled at the start of [p, end). */
static op_kind read_operator(const char *p, const char *end, bool binary) {
  p = skip_space(p, end);
  if (p >= end) return OP_UNKNOWN;
  char c0 = p[0], c1 = p + 1 < end ? p[1] : '\0';
  switch (c0) {
  case '=': return c1 == '=' ? OP_EQ : OP_ASSIGN;
  case '!': return c1 == '=' ? OP_NE : OP_NOT;
  case '<': return c1 == '=' ? OP_LE : c1 == '<' ? OP_ARITH : OP_LT;
  case '>': return c1 == '=' ? OP_GE : c1 == '>' ? OP_ARITH : OP_GT;
  case '&': return c1 == '&' ? OP_LAND : binary ? OP_ARITH : OP_ADDR;
  case '|': return c1 == '|' ? OP_LOR : OP_ARITH;
  case ',': return OP_COMMA;
  case '*': return binary ? OP_ARITH : OP_DEREF;
  case '+': return c1 == '+' ? OP_INC : binary ? OP_ARITH : OP_NEG;
  case '-': return c1 == '-' ? OP_INC : binary ? OP_ARITH : OP_NEG;
  case '~': return OP_NEG;
  case '/': case '%': case '^': return OP_ARITH;
  default: return OP_UNKNOWN;
  }
}

/* ---- the function being lowered ---- */

typedef struct {
  VEC(ir_op) ops;
  ir_block b;
} block_builder;

typedef struct {
  CXCursor label; /* a CaseStmt or DefaultStmt */
  int block;
} case_block;

typedef VEC(case_block) case_list;

typedef struct {
  lower_files *files;
  ir_summary *sum;
  strpool *pool;
  VEC(ir_var) vars;
  VEC(CXCursor) var_decls; /* declaration of each non-temp variable, same index */
  VEC(ir_call) calls;
  VEC(ir_store) stores;
  VEC(const char *) refs; /* USRs of file-scope objects used */
  VEC(block_builder) blocks;
  int cur;             /* block receiving operations; -1 after a jump */
  int break_to, continue_to;
  case_list *cases; /* labels of the innermost switch */
  strmap *labels;      /* goto label -> 1 + block */
  int depth;           /* of lower_expr, lower_cond and lower_stmt calls: see LOWER_MAX_DEPTH */
  CXCursor not_constant; /* an operand of an operator found not constant: not evaluated again */
  VEC(bool) var_read_fails; /* reading the variable is no constant (see unfoldable), same index */
  /* the expression lower_expr lowered last cannot be evaluated to a constant: it reads
   * a variable that is not const-qualified (clang's evaluator refuses any such read),
   * or an operand of it does whose value it needs (casts other than to void, unary
   * operators, member and subscript bases, arithmetic and comparisons). Wrappers of it
   * (implicit casts, parentheses, casts) are then not given to clang_Cursor_Evaluate,
   * where each failure costs about 1 800 instructions. Never set where the evaluator
   * may skip an operand: `&&`, `||`, `,`, `?:`, calls (`__builtin_constant_p`). */
  bool unfoldable;
#define EVAL_CHAIN_DEPTH 64 /* deeper than any hand-written expression: see lower_binary */
} lowerer;

/* Lowering recurses once per level of the syntax tree. Past this depth (generated
 * code: an expression of thousands of terms) the rest of a subtree is lowered as an
 * opaque value, a branch either way or a statement left out, so that no stack runs
 * out and nothing is reported that the code does not do. */
#define LOWER_MAX_DEPTH 3000

static int new_block(lowerer *l) {
  block_builder bb;
  memset(&bb, 0, sizeof bb);
  bb.b.term = IR_TERM_STOP;
  bb.b.succ[0] = bb.b.succ[1] = -1;
  bb.b.cond_var = -1;
  VEC_PUSH(l->blocks, bb);
  return (int)l->blocks.len - 1;
}

static int current(lowerer *l) {
  if (l->cur < 0) l->cur = new_block(l); /* unreachable code still gets lowered */
  return l->cur;
}

/* current() may add a block and so move l->blocks: the index is taken first */
static void emit(lowerer *l, ir_op op) {
  int b = current(l);
  VEC_PUSH(l->blocks.items[b].ops, op);
}

static void jump(lowerer *l, int target) {
  if (l->cur < 0) return;
  ir_block *b = &l->blocks.items[l->cur].b;
  b->term = IR_TERM_GOTO;
  b->succ[0] = target;
  l->cur = -1;
}

static void branch(lowerer *l, int var, ir_cmp op, int64_t k, int t, int f, const ir_loc *loc) {
  int cur = current(l); /* which may move l->blocks, as in emit */
  ir_block *b = &l->blocks.items[cur].b;
  b->term = IR_TERM_COND;
  b->cond_var = var;
  b->cond_op = op;
  b->cond_k = k;
  b->succ[0] = t;
  b->succ[1] = f;
  if (loc) b->term_loc = *loc;
  l->cur = -1;
}

static ir_loc loc_of(lowerer *l, CXCursor c) {
  ir_loc loc;
  lower_cursor_loc(l->files, l->pool, c, &loc);
  return loc;
}

/* A read of a variable of type `t` fails to evaluate: the type is not const-qualified
 * and not an array (which decays to its address instead of being read). */
static bool read_fails(CXType t) {
  CXType c = clang_getCanonicalType(t);
  return !clang_isConstQualifiedType(c) && c.kind != CXType_ConstantArray && c.kind != CXType_IncompleteArray &&
         c.kind != CXType_VariableArray && c.kind != CXType_DependentSizedArray && c.kind != CXType_Invalid;
}

static int add_var(lowerer *l, CXCursor decl, const char *name, const char *type, bool param, bool temp,
                   const ir_loc *loc, bool reads_fail) {
  ir_var v;
  memset(&v, 0, sizeof v);
  v.name = strpool_intern(l->pool, name);
  v.type = strpool_intern(l->pool, type);
  v.is_param = param;
  v.is_temp = temp;
  if (loc) v.loc = *loc;
  VEC_PUSH(l->vars, v);
  VEC_PUSH(l->var_decls, decl);
  VEC_PUSH(l->var_read_fails, reads_fail);
  return (int)l->vars.len - 1;
}

static int add_decl_var(lowerer *l, CXCursor decl, bool param) {
  CXString name = clang_getCursorSpelling(decl);
  CXType t = clang_getCursorType(decl);
  const char *type = type_name(l->files, t);
  ir_loc loc = loc_of(l, decl);
  int v = add_var(l, decl, clang_getCString(name), type, param, false, &loc, read_fails(t));
  clang_disposeString(name);
  return v;
}

/* clang_equalCursors compares the kind and the three data words, but not the second
 * of a declaration (which only tells whether it came first in its group); the
 * variables are declarations, so that is compared here without a call per variable
 * (find_var runs for every use of a variable, over all of the function's). */
static int find_var(lowerer *l, CXCursor decl) {
  if (!clang_isDeclaration(decl.kind)) {
    for (size_t i = l->var_decls.len; i-- > 0;)
      if (!l->vars.items[i].is_temp && clang_equalCursors(l->var_decls.items[i], decl)) return (int)i;
    return -1;
  }
  for (size_t i = l->var_decls.len; i-- > 0;) {
    const CXCursor *d = &l->var_decls.items[i];
    if (d->kind == decl.kind && d->data[0] == decl.data[0] && d->data[2] == decl.data[2] && !l->vars.items[i].is_temp)
      return (int)i;
  }
  return -1;
}

static int new_temp(lowerer *l, CXCursor expr) {
  const char *type = type_name(l->files, clang_getCursorType(expr));
  ir_loc loc = loc_of(l, expr);
  return add_var(l, clang_getNullCursor(), "<tmp>", type, false, true, &loc, false);
}

/* ---- cursor helpers ---- */

typedef VEC(CXCursor) cursor_list;

static enum CXChildVisitResult collect_child(CXCursor c, CXCursor parent, CXClientData data) {
  (void)parent;
  cursor_list *list = data;
  VEC_PUSH(*list, c);
  return CXChildVisit_Continue;
}

/* Child lists live as long as the construct that asked for them, one per node visited:
 * their buffers are kept for the next list instead of a malloc and a free each (a
 * tenth of the lowering's own cost), and released after each function. */
#define SPARE_LISTS 32
static _Thread_local struct { CXCursor *items; size_t cap; } spare_lists[SPARE_LISTS];
static _Thread_local unsigned nspare_lists;

static cursor_list children_of(CXCursor c) {
  cursor_list list = {0};
  if (nspare_lists) {
    nspare_lists--;
    list.items = spare_lists[nspare_lists].items;
    list.cap = spare_lists[nspare_lists].cap;
  }
  clang_visitChildren(c, collect_child, &list);
  return list;
}

static void children_free(cursor_list *list) {
  if (list->items && nspare_lists < SPARE_LISTS) {
    spare_lists[nspare_lists].items = list->items;
    spare_lists[nspare_lists].cap = list->cap;
    nspare_lists++;
  } else {
    free(list->items);
  }
  list->items = NULL;
  list->len = list->cap = 0;
}

static void release_spare_lists(void) {
  while (nspare_lists) free(spare_lists[--nspare_lists].items);
}

/* Strips parentheses and implicit conversions (which libclang shows as a
 * single-child UnexposedExpr). */
static CXCursor unwrap(CXCursor c) {
  for (;;) {
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k != CXCursor_ParenExpr && k != CXCursor_UnexposedExpr) return c;
    cursor_list ch = children_of(c);
    if (ch.len != 1 || !clang_isExpression(clang_getCursorKind(ch.items[0]))) {
      children_free(&ch);
      return c;
    }
    c = ch.items[0];
    children_free(&ch);
  }
}

static bool eval_int(CXCursor c, int64_t *out) {
  enum CXCursorKind k = clang_getCursorKind(c);
  if (k == CXCursor_CallExpr || k == CXCursor_StmtExpr) return false;
  CXEvalResult r = clang_Cursor_Evaluate(c);
  if (!r) return false;
  bool ok = clang_EvalResult_getKind(r) == CXEval_Int;
  if (ok) *out = clang_EvalResult_isUnsignedInt(r) ? (int64_t)clang_EvalResult_getAsUnsigned(r)
                                                 : (int64_t)clang_EvalResult_getAsLongLong(r);
  clang_EvalResult_dispose(r);
  return ok;
}

static bool is_pointer_type(CXType t) {
  t = clang_getCanonicalType(t);
  return t.kind == CXType_Pointer || t.kind == CXType_NullPtr;
}

/* A null pointer constant: `0`, `NULL`, `(void *)0`, `nullptr`. */
static bool is_null_constant(CXCursor c) {
  c = unwrap(c);
  enum CXCursorKind k = clang_getCursorKind(c);
  if (k == CXCursor_GNUNullExpr || k == CXCursor_CXXNullPtrLiteralExpr) return true;
  if (k == CXCursor_CStyleCastExpr && is_pointer_type(clang_getCursorType(c))) {
    cursor_list ch = children_of(c);
    bool null = ch.len > 0 && is_null_constant(ch.items[ch.len - 1]);
    children_free(&ch);
    return null;
  }
  int64_t v;
  return k == CXCursor_IntegerLiteral && eval_int(c, &v) && v == 0;
}

static op_kind binary_operator(lowerer *l, CXCursor lhs, CXCursor rhs) {
  span a, b;
  if (!cursor_span(l->files, lhs, &a) || !cursor_span(l->files, rhs, &b) || !same_file(a.file, b.file)) return OP_UNKNOWN;
  if (b.begin <= a.end) return OP_UNKNOWN; /* both sides collapsed into one macro use */
  size_t len;
  const char *text = text_of(l->files, a.file, &len);
  if (!text || b.begin > len) return OP_UNKNOWN;
  return read_operator(text + a.end, text + b.begin, true);
}

static op_kind unary_operator(lowerer *l, CXCursor op, CXCursor operand) {
  span a, b;
  if (!cursor_span(l->files, op, &a) || !cursor_span(l->files, operand, &b) || !same_file(a.file, b.file)) return OP_UNKNOWN;
  size_t len;
  const char *text = text_of(l->files, a.file, &len);
  if (!text || a.end > len) return OP_UNKNOWN;
  if (a.begin < b.begin) return read_operator(text + a.begin, text + b.begin, false);
  if (b.end < a.end) return read_operator(text + b.end, text + a.end, false) == OP_INC ? OP_INC : OP_UNKNOWN;
  return OP_UNKNOWN;
}

static ir_cmp cmp_of(op_kind k) {
  switch (k) {
  case OP_EQ: return IR_CMP_EQ;
  case OP_NE: return IR_CMP_NE;
  case OP_LT: return IR_CMP_LT;
  case OP_LE: return IR_CMP_LE;
  case OP_GT: return IR_CMP_GT;
  default: return IR_CMP_GE;
  }
}

static ir_cmp cmp_flip(ir_cmp c) {
  switch (c) {
  case IR_CMP_LT: return IR_CMP_GT;
  case IR_CMP_LE: return IR_CMP_GE;
  case IR_CMP_GT: return IR_CMP_LT;
  case IR_CMP_GE: return IR_CMP_LE;
  default: return c;
  }
}

static bool is_comparison(op_kind k) { return k >= OP_EQ && k <= OP_GE; }

/* The name of a called function, when the call is direct. */
static bool callee_decl(CXCursor call, CXCursor *decl) {
  CXCursor ref = clang_getCursorReferenced(call);
  if (clang_Cursor_isNull(ref) || clang_getCursorKind(ref) != CXCursor_FunctionDecl) return false;
  *decl = ref;
  return true;
}

static const char *decl_name(lower_files *f, CXCursor decl);

static bool is_builtin_expect(lower_files *f, CXCursor call) {
  CXCursor decl;
  if (clang_getCursorKind(call) != CXCursor_CallExpr || !callee_decl(call, &decl)) return false;
  const char *name = decl_name(f, decl);
  bool yes;
  if (name) {
    yes = strcmp(name, "__builtin_expect") == 0;
  } else {
    CXString n = clang_getCursorSpelling(decl);
    yes = strcmp(clang_getCString(n), "__builtin_expect") == 0;
    clang_disposeString(n);
  }
  return yes && clang_Cursor_getNumArguments(call) == 2;
}

/* ---- function pointers: slots and stores ---- */

/* A function type, or a pointer to one, or an array of them: what a slot holds. */
static bool is_fn_type(CXType t) {
  t = clang_getCanonicalType(t);
  if (t.kind == CXType_ConstantArray || t.kind == CXType_IncompleteArray || t.kind == CXType_VariableArray)
    return is_fn_type(clang_getArrayElementType(t));
  if (t.kind == CXType_Pointer) t = clang_getCanonicalType(clang_getPointeeType(t));
  return t.kind == CXType_FunctionProto || t.kind == CXType_FunctionNoProto;
}

/* Strips what does not change which function a pointer expression denotes: parentheses,
 * implicit conversions, casts, `&f` and `*fp`. */
static CXCursor unwrap_fn(CXCursor c) {
  for (;;) {
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k != CXCursor_ParenExpr && k != CXCursor_UnexposedExpr && k != CXCursor_CStyleCastExpr &&
        k != CXCursor_UnaryOperator)
      return c;
    cursor_list ch = children_of(c);
    CXCursor inner = ch.len ? ch.items[ch.len - 1] : clang_getNullCursor();
    bool ok = !clang_Cursor_isNull(inner) && clang_isExpression(clang_getCursorKind(inner)) &&
              (k == CXCursor_CStyleCastExpr || ch.len == 1);
    children_free(&ch);
    if (ok && k == CXCursor_UnaryOperator)
      ok = is_fn_type(clang_getCursorType(c)) && is_fn_type(clang_getCursorType(inner));
    if (!ok) return c;
    c = inner;
  }
}

static const char *record_field_name(lowerer *l, CXCursor field) {
  CXCursor rec = clang_getCursorSemanticParent(field);
  CXString rn = clang_getCursorSpelling(rec), fname = clang_getCursorSpelling(field);
  const char *r = clang_getCString(rn);
  CXString tn = {0};
  bool typed = !r[0];
  if (typed) { /* an anonymous record: named by its typedef */
    tn = clang_getTypeSpelling(clang_getCursorType(rec));
    r = clang_getCString(tn);
  }
  char *joined = xasprintf("%s.%s", r, clang_getCString(fname));
  const char *out = strpool_intern(l->pool, joined);
  free(joined);
  if (typed) clang_disposeString(tn);
  clang_disposeString(rn);
  clang_disposeString(fname);
  return out;
}

static ir_slot field_slot(lowerer *l, CXCursor field) {
  ir_slot sl = {IR_SLOT_FIELD, NULL, record_field_name(l, field), -1};
  CXString usr = clang_getCursorUSR(field);
  sl.key = strpool_intern(l->pool, clang_getCString(usr));
  clang_disposeString(usr);
  return sl;
}

static ir_slot global_slot(lowerer *l, CXCursor var) {
  ir_slot sl = {IR_SLOT_GLOBAL, NULL, NULL, -1};
  CXString usr = clang_getCursorUSR(var), name = clang_getCursorSpelling(var);
  sl.key = strpool_intern(l->pool, clang_getCString(usr));
  sl.name = strpool_intern(l->pool, clang_getCString(name));
  clang_disposeString(usr);
  clang_disposeString(name);
  return sl;
}

static int find_var(lowerer *l, CXCursor decl);

/* The value that designates function `decl`. */
static ir_value func_value(lowerer *l, CXCursor decl) {
  ir_value v;
  memset(&v, 0, sizeof v);
  v.var = -1;
  CXString usr = clang_getCursorUSR(decl), name = clang_getCursorSpelling(decl);
  v.kind = IR_VAL_FUNC;
  v.func_usr = strpool_intern(l->pool, clang_getCString(usr));
  v.func_name = strpool_intern(l->pool, clang_getCString(name));
  clang_disposeString(usr);
  clang_disposeString(name);
  return v;
}

/* The slot a function-pointer expression reads: `p->ops->write` (the field of its
 * record type), `handlers[i]` (the array), `g_cb`, or a parameter or local. */
static ir_slot slot_of(lowerer *l, CXCursor e) {
  ir_slot none = {IR_SLOT_NONE, NULL, NULL, -1};
  e = unwrap_fn(e);
  enum CXCursorKind k = clang_getCursorKind(e);
  if (k == CXCursor_ArraySubscriptExpr) {
    cursor_list ch = children_of(e);
    ir_slot sl = ch.len == 2 ? slot_of(l, ch.items[0]) : none;
    children_free(&ch);
    return sl;
  }
  CXCursor ref = clang_getCursorReferenced(e);
  if (clang_Cursor_isNull(ref)) return none;
  enum CXCursorKind rk = clang_getCursorKind(ref);
  if (k == CXCursor_MemberRefExpr && rk == CXCursor_FieldDecl) return field_slot(l, ref);
  if (k == CXCursor_DeclRefExpr && (rk == CXCursor_VarDecl || rk == CXCursor_ParmDecl)) {
    int var = l->vars.items ? find_var(l, ref) : -1;
    if (var >= 0) return (ir_slot){IR_SLOT_VAR, NULL, NULL, var};
    if (rk == CXCursor_VarDecl) return global_slot(l, ref);
  }
  return none;
}

/* The function-pointer value of `e`, read without lowering it (for initialisers and
 * stores): a function, a variable of the function, or what a slot holds. */
static ir_value fn_value_of(lowerer *l, CXCursor e) {
  ir_value v;
  memset(&v, 0, sizeof v);
  v.var = -1;
  CXCursor c = unwrap_fn(e);
  if (clang_getCursorKind(c) == CXCursor_DeclRefExpr) {
    CXCursor ref = clang_getCursorReferenced(c);
    if (clang_getCursorKind(ref) == CXCursor_FunctionDecl) return func_value(l, ref);
  }
  if (!is_fn_type(clang_getCursorType(c))) return v;
  ir_slot sl = slot_of(l, c);
  if (sl.kind == IR_SLOT_VAR && clang_getCursorKind(c) == CXCursor_DeclRefExpr) {
    v.kind = IR_VAL_VAR;
    v.var = sl.var;
  } else {
    v.slot = sl;
  }
  return v;
}

static bool fn_value_known(const ir_value *v) {
  return v->kind == IR_VAL_FUNC || v->kind == IR_VAL_VAR || v->slot.kind != IR_SLOT_NONE;
}

static void add_store(lowerer *l, ir_slot slot, ir_value val, CXCursor at, const char *owner) {
  if (slot.kind == IR_SLOT_NONE || !fn_value_known(&val)) return;
  ir_store st = {slot, val, loc_of(l, at), owner, NULL};
  VEC_PUSH(l->stores, st);
}

static enum CXVisitorResult collect_field(CXCursor c, CXClientData data) {
  VEC_PUSH(*(cursor_list *)data, c);
  return CXVisit_Continue;
}

/* The function pointers an initialiser puts into an object: each into the field it
 * initialises (designated or by position, nested records and arrays of records
 * included), and the elements of an array of function pointers into `base`. */
static void record_init(lowerer *l, CXCursor init, ir_slot base, const char *owner) {
  init = unwrap(init);
  if (clang_getCursorKind(init) != CXCursor_InitListExpr) {
    if (is_fn_type(clang_getCursorType(init))) add_store(l, base, fn_value_of(l, init), init, owner);
    return;
  }
  CXType t = clang_getCanonicalType(clang_getCursorType(init));
  bool is_record = t.kind == CXType_Record;
  cursor_list fields = {0};
  if (is_record) clang_Type_visitFields(t, collect_field, &fields);
  cursor_list ch = children_of(init);
  size_t next = 0;
  ir_slot none = {IR_SLOT_NONE, NULL, NULL, -1};
  for (size_t i = 0; i < ch.len; i++) {
    CXCursor item = ch.items[i], value = item, field = clang_getNullCursor();
    /* a designated initialiser shows as `.field = value` (an unexposed expression
       whose children are the designators and then the value) */
    cursor_list parts = children_of(item);
    if (clang_getCursorKind(item) == CXCursor_UnexposedExpr && parts.len >= 2 &&
        (clang_getCursorKind(parts.items[0]) == CXCursor_MemberRef || !clang_isExpression(clang_getCursorKind(parts.items[0])) ||
         clang_getCursorType(item).kind == CXType_Void)) {
      value = parts.items[parts.len - 1];
      for (size_t k = 0; k + 1 < parts.len; k++)
        if (clang_getCursorKind(parts.items[k]) == CXCursor_MemberRef) {
          CXCursor f = clang_getCursorReferenced(parts.items[k]);
          if (k == 0)
            for (size_t j = 0; j < fields.len; j++)
              if (clang_equalCursors(fields.items[j], f)) next = j;
          field = f;
        }
      if (!clang_Cursor_isNull(field)) next++;
    } else if (is_record && next < fields.len) {
      field = fields.items[next++];
    }
    children_free(&parts);
    if (is_record && clang_Cursor_isNull(field)) continue;
    ir_slot target = is_record ? field_slot(l, field) : base;
    CXType vt = clang_getCanonicalType(clang_getCursorType(unwrap(value)));
    if (clang_getCursorKind(unwrap(value)) == CXCursor_InitListExpr)
      record_init(l, value, vt.kind == CXType_Record ? none : target, owner);
    else if (is_fn_type(clang_getCursorType(value)) || clang_getCursorKind(unwrap_fn(value)) == CXCursor_DeclRefExpr)
      add_store(l, target, fn_value_of(l, value), value, owner);
  }
  children_free(&ch);
  children_free(&fields);
}

/* ---- expressions ---- */

typedef enum { WANT_VALUE, WANT_DISCARD, WANT_VOID } want;

static ir_value lower_expr(lowerer *l, CXCursor e, want w);
static void lower_cond(lowerer *l, CXCursor e, int t, int f);
static void lower_stmt(lowerer *l, CXCursor s);

static ir_value other(void) {
  ir_value v;
  memset(&v, 0, sizeof v);
  v.var = -1;
  return v;
}

static ir_value var_value(int var) {
  ir_value v = other();
  v.kind = IR_VAL_VAR;
  v.var = var;
  return v;
}

/* The value is consumed by an operation the IR does not model: its variable is read,
 * or escapes if it was its address. */
static void use_value(lowerer *l, ir_value v, CXCursor at) {
  if (v.kind != IR_VAL_VAR) return;
  ir_op op;
  memset(&op, 0, sizeof op);
  op.kind = v.addr_of ? IR_OP_ESCAPE : IR_OP_READ;
  op.var = v.var;
  op.call = -1;
  op.loc = loc_of(l, at);
  emit(l, op);
}

static void emit_assign(lowerer *l, int var, ir_value val, CXCursor at) {
  ir_op op;
  memset(&op, 0, sizeof op);
  op.kind = IR_OP_ASSIGN;
  op.var = var;
  op.call = -1;
  op.val = val;
  op.loc = loc_of(l, at);
  emit(l, op);
}

/* Returns whether an expression child is unfoldable. */
static bool lower_children_as_values(lowerer *l, CXCursor e) {
  cursor_list ch = children_of(e);
  bool unfoldable = false;
  for (size_t i = 0; i < ch.len; i++)
    if (clang_isExpression(clang_getCursorKind(ch.items[i]))) {
      use_value(l, lower_expr(l, ch.items[i], WANT_VALUE), ch.items[i]);
      unfoldable |= l->unfoldable;
    } else if (clang_isStatement(clang_getCursorKind(ch.items[i]))) {
      lower_stmt(l, ch.items[i]);
    }
  children_free(&ch);
  return unfoldable;
}

static const char *short_text(lowerer *l, CXCursor c) {
  span s;
  if (!cursor_span(l->files, c, &s) || s.end <= s.begin || s.end - s.begin > 96) return NULL;
  size_t len;
  const char *text = text_of(l->files, s.file, &len);
  if (!text || s.end > len) return NULL;
  return strpool_internn(l->pool, text + s.begin, s.end - s.begin);
}

static unsigned decl_attrs(lower_files *f, CXCursor decl);
static void decl_names(lower_files *f, strpool *pool, CXCursor decl, const char **usr, const char **name);

/* Lowers a call; `dest` >= 0 stores the result there directly. */
static ir_value lower_call(lowerer *l, CXCursor e, want w, int dest) {
  if (is_builtin_expect(l->files, e)) return lower_expr(l, clang_Cursor_getArgument(e, 0), w);

  ir_call call;
  memset(&call, 0, sizeof call);
  call.dest = -1;
  CXCursor decl;
  if (callee_decl(e, &decl)) {
    decl_names(l->files, l->pool, decl, &call.callee_usr, &call.callee_name);
    call.callee_attrs = decl_attrs(l->files, decl);
  } else {
    /* an indirect call: the callee expression is evaluated like any operand */
    cursor_list ch = children_of(e);
    if (ch.len > 0) use_value(l, lower_expr(l, ch.items[0], WANT_VALUE), ch.items[0]);
    const char *text = ch.len > 0 ? short_text(l, ch.items[0]) : NULL;
    call.callee_name = text ? text : strpool_intern(l->pool, "<indirect>");
    if (ch.len > 0) call.callee_slot = slot_of(l, ch.items[0]);
    children_free(&ch);
  }
  call.loc = loc_of(l, e);

  int nargs = clang_Cursor_getNumArguments(e);
  if (nargs > 0) {
    call.nargs = (unsigned)nargs;
    call.args = xcalloc((size_t)nargs, sizeof *call.args);
    for (int i = 0; i < nargs; i++) {
      CXCursor a = clang_Cursor_getArgument(e, (unsigned)i);
      ir_value v = lower_expr(l, a, WANT_VALUE);
      /* the text lets models test for macros (`WNOHANG`), also inside `c ? 0 : WNOHANG` */
      if (v.kind != IR_VAL_FUNC) v.text = short_text(l, a);
      call.args[i] = v;
    }
  }

  ir_value result = other();
  CXType rt = clang_getCursorType(e);
  if (rt.kind == CXType_Void) {
    call.use = IR_USE_VOID_TYPE;
  } else if (dest >= 0) {
    call.use = IR_USE_VAR;
    call.dest = dest;
    result = var_value(dest);
  } else if (w == WANT_DISCARD) {
    call.use = IR_USE_DISCARDED;
  } else if (w == WANT_VOID) {
    call.use = IR_USE_VOIDED;
  } else {
    call.use = IR_USE_VAR;
    call.dest = new_temp(l, e);
    result = var_value(call.dest);
  }
  call.block = current(l);
  VEC_PUSH(l->calls, call);

  ir_op op;
  memset(&op, 0, sizeof op);
  op.kind = IR_OP_CALL;
  op.call = (int)l->calls.len - 1;
  op.var = -1;
  op.loc = call.loc;
  emit(l, op);
  if (call.callee_attrs & IR_ATTR_NORETURN) {
    l->blocks.items[l->cur].b.term = IR_TERM_STOP;
    l->cur = -1;
  }
  return result;
}

/* `lhs = rhs`; returns the value of the assignment expression. */
static ir_value lower_assign(lowerer *l, CXCursor e, CXCursor lhs, CXCursor rhs) {
  CXCursor target = unwrap(lhs);
  int var = -1;
  if (clang_getCursorKind(target) == CXCursor_DeclRefExpr) var = find_var(l, clang_getCursorReferenced(target));
  CXCursor value = unwrap(rhs);
  if (var >= 0) {
    if (clang_getCursorKind(value) == CXCursor_CallExpr && !is_builtin_expect(l->files, value) &&
        clang_getCursorType(value).kind != CXType_Void)
      return lower_call(l, value, WANT_VALUE, var);
    ir_value v = lower_expr(l, rhs, WANT_VALUE);
    if (v.kind == IR_VAL_VAR && v.addr_of) use_value(l, v, rhs); /* p = &x: x escapes */
    emit_assign(l, var, v, e);
    return var_value(var);
  }
  /* a store to memory: the stored variable escapes the function's control */
  if (clang_getCursorKind(target) != CXCursor_DeclRefExpr) lower_children_as_values(l, target);
  if (is_fn_type(clang_getCursorType(target))) add_store(l, slot_of(l, target), fn_value_of(l, rhs), e, NULL);
  ir_value v = lower_expr(l, rhs, WANT_VALUE);
  if (v.kind == IR_VAL_VAR) {
    ir_op op;
    memset(&op, 0, sizeof op);
    op.kind = IR_OP_ESCAPE;
    op.var = v.var;
    op.call = -1;
    op.loc = loc_of(l, e);
    emit(l, op);
  }
  return other();
}

static ir_value lower_binary(lowerer *l, CXCursor e, want w, bool *unfoldable) {
  cursor_list ch = children_of(e);
  ir_value result = other();
  if (ch.len != 2) {
    children_free(&ch);
    lower_children_as_values(l, e);
    return result;
  }
  CXCursor lhs = ch.items[0], rhs = ch.items[1];
  children_free(&ch);
  op_kind op = binary_operator(l, lhs, rhs);
  switch (op) {
  case OP_ASSIGN:
    return lower_assign(l, e, lhs, rhs);
  case OP_COMMA:
    lower_expr(l, lhs, WANT_DISCARD);
    return lower_expr(l, rhs, w);
  case OP_LAND:
  case OP_LOR: {
    int t = new_block(l), f = new_block(l), join = new_block(l);
    lower_cond(l, e, t, f);
    l->cur = t;
    jump(l, join);
    l->cur = f;
    jump(l, join);
    l->cur = join;
    return result;
  }
  default: {
    /* a constant expression (`sizeof a / sizeof a[0]`, `N * 2`) is its value. Each
     * evaluation walks the whole operand, so in a chain of n operators (`x + 1 + 1 ...`,
     * generated code) evaluating every level costs n * n: below EVAL_CHAIN_DEPTH an
     * operand of an operator found not constant is lowered without trying again (its
     * value would only be used; reads inside a constant operand are then kept) */
    int64_t ival;
    if (!clang_equalCursors(e, l->not_constant) && eval_int(e, &ival)) {
      result.kind = IR_VAL_INT;
      result.ival = ival;
      return result;
    }
    bool deep = l->depth >= EVAL_CHAIN_DEPTH;
    l->not_constant = deep ? unwrap(lhs) : clang_getNullCursor();
    use_value(l, lower_expr(l, lhs, WANT_VALUE), lhs);
    bool operand_fails = l->unfoldable;
    l->not_constant = deep ? unwrap(rhs) : clang_getNullCursor();
    use_value(l, lower_expr(l, rhs, WANT_VALUE), rhs);
    operand_fails |= l->unfoldable;
    l->not_constant = clang_getNullCursor();
    /* an operator read from the text as arithmetic or a comparison needs both values */
    *unfoldable = operand_fails && (op == OP_ARITH || is_comparison(op));
    return result;
  }
  }
}

static ir_value lower_unary(lowerer *l, CXCursor e, bool *unfoldable) {
  cursor_list ch = children_of(e);
  if (ch.len != 1) {
    children_free(&ch);
    lower_children_as_values(l, e);
    return other();
  }
  CXCursor operand = ch.items[0];
  children_free(&ch);
  op_kind op = unary_operator(l, e, operand);
  ir_value v = lower_expr(l, operand, WANT_VALUE);
  *unfoldable = l->unfoldable; /* every unary operator evaluates its operand (sizeof is no UnaryOperator) */
  if (op == OP_ADDR && v.kind == IR_VAL_VAR && !v.addr_of) {
    v.addr_of = true;
    return v;
  }
  if (op == OP_ADDR && v.kind == IR_VAL_FUNC) return v;
  if (op == OP_NEG && v.kind == IR_VAL_INT) {
    int64_t k;
    if (eval_int(e, &k)) v.ival = k;
    return v;
  }
  use_value(l, v, operand);
  if (op == OP_INC && v.kind == IR_VAL_VAR && !v.addr_of) emit_assign(l, v.var, other(), e);
  return other();
}

/* Notes that the function uses file-scope object `decl`. */
static void add_ref(lowerer *l, CXCursor decl) {
  if (clang_getCursorKind(clang_getCursorSemanticParent(decl)) != CXCursor_TranslationUnit) return;
  CXString usr = clang_getCursorUSR(decl);
  const char *u = strpool_intern(l->pool, clang_getCString(usr));
  clang_disposeString(usr);
  for (size_t i = 0; i < l->refs.len; i++)
    if (l->refs.items[i] == u) return; /* interned: one pointer per string */
  VEC_PUSH(l->refs, u);
}

static ir_value lower_decl_ref(lowerer *l, CXCursor e) {
  CXCursor decl = clang_getCursorReferenced(e);
  enum CXCursorKind k = clang_getCursorKind(decl);
  if (k == CXCursor_FunctionDecl) return func_value(l, decl);
  if (k == CXCursor_VarDecl || k == CXCursor_ParmDecl) {
    int var = find_var(l, decl);
    if (var >= 0) return var_value(var);
    ir_value v = other(); /* a global or static: memory */
    if (is_fn_type(clang_getCursorType(e))) v.slot = slot_of(l, e);
    add_ref(l, decl);
    return v;
  }
  int64_t ival;
  if (k == CXCursor_EnumConstantDecl && eval_int(e, &ival)) {
    ir_value v = other();
    v.kind = IR_VAL_INT;
    v.ival = ival;
    return v;
  }
  return other();
}

static ir_value lower_conditional(lowerer *l, CXCursor e, want w) {
  cursor_list ch = children_of(e);
  if (ch.len != 3) {
    children_free(&ch);
    lower_children_as_values(l, e);
    return other();
  }
  int t = new_block(l), f = new_block(l), join = new_block(l);
  int tmp = w == WANT_VALUE ? new_temp(l, e) : -1;
  lower_cond(l, ch.items[0], t, f);
  for (int i = 0; i < 2; i++) {
    l->cur = i == 0 ? t : f;
    ir_value v = lower_expr(l, ch.items[1 + i], w);
    if (tmp >= 0) emit_assign(l, tmp, v, ch.items[1 + i]);
    jump(l, join);
  }
  children_free(&ch);
  l->cur = join;
  return tmp >= 0 ? var_value(tmp) : other();
}

/* Whether the implicit conversion `e` of the DeclRefExpr `ref`, lowered to `v`, reads a
 * variable whose read is no constant: the only implicit conversion of a variable that
 * is not an array or a function is the read of its value. */
static bool reads_unfoldable(lowerer *l, CXCursor e, CXCursor ref, ir_value v) {
  if (clang_getCursorKind(e) != CXCursor_UnexposedExpr || clang_getCursorKind(ref) != CXCursor_DeclRefExpr) return false;
  if (v.kind == IR_VAL_VAR) return !v.addr_of && l->var_read_fails.items[v.var];
  if (v.kind != IR_VAL_OTHER) return false;
  CXCursor decl = clang_getCursorReferenced(ref);
  enum CXCursorKind dk = clang_getCursorKind(decl);
  return (dk == CXCursor_VarDecl || dk == CXCursor_ParmDecl) && read_fails(clang_getCursorType(decl));
}

static ir_value lower_expr_node(lowerer *l, CXCursor e, want w, bool *unfoldable) {
  enum CXCursorKind k = clang_getCursorKind(e);
  ir_value v = other();
  int64_t ival;
  switch (k) {
  case CXCursor_ParenExpr:
  case CXCursor_UnexposedExpr: {
    cursor_list ch = children_of(e);
    if (ch.len == 1 && clang_isExpression(clang_getCursorKind(ch.items[0]))) {
      v = lower_expr(l, ch.items[0], w);
      *unfoldable = l->unfoldable || reads_unfoldable(l, e, ch.items[0], v);
      if (v.kind == IR_VAL_OTHER && !*unfoldable && eval_int(e, &ival)) {
        v.kind = IR_VAL_INT;
        v.ival = ival;
      }
    } else {
      for (size_t i = 0; i < ch.len; i++)
        if (clang_isExpression(clang_getCursorKind(ch.items[i]))) use_value(l, lower_expr(l, ch.items[i], WANT_VALUE), ch.items[i]);
        else if (clang_isStatement(clang_getCursorKind(ch.items[i]))) lower_stmt(l, ch.items[i]);
    }
    children_free(&ch);
    return v;
  }
  case CXCursor_CStyleCastExpr: {
    if (is_null_constant(e)) {
      v.kind = IR_VAL_NULL;
      return v;
    }
    cursor_list ch = children_of(e);
    CXCursor inner = ch.len ? ch.items[ch.len - 1] : clang_getNullCursor();
    children_free(&ch);
    if (clang_Cursor_isNull(inner)) return v;
    bool to_void = clang_getCursorType(e).kind == CXType_Void;
    v = lower_expr(l, inner, to_void ? WANT_VOID : w);
    if (to_void) return other(); /* (void)x evaluates, to no value: not unfoldable */
    *unfoldable = l->unfoldable;
    if (v.kind == IR_VAL_OTHER && !*unfoldable && eval_int(e, &ival)) {
      v.kind = IR_VAL_INT;
      v.ival = ival;
    }
    return v;
  }
  case CXCursor_IntegerLiteral:
  case CXCursor_CharacterLiteral:
    if (eval_int(e, &ival)) {
      v.kind = IR_VAL_INT;
      v.ival = ival;
    }
    return v;
  case CXCursor_StringLiteral:
    v.kind = IR_VAL_STRING;
    return v;
  case CXCursor_GNUNullExpr:
  case CXCursor_CXXNullPtrLiteralExpr:
    v.kind = IR_VAL_NULL;
    return v;
  case CXCursor_DeclRefExpr:
    return lower_decl_ref(l, e);
  case CXCursor_CallExpr:
    return lower_call(l, e, w, -1);
  case CXCursor_BinaryOperator:
    return lower_binary(l, e, w, unfoldable);
  case CXCursor_CompoundAssignOperator: {
    cursor_list ch = children_of(e);
    if (ch.len == 2) {
      ir_value target = lower_expr(l, ch.items[0], WANT_VALUE);
      use_value(l, lower_expr(l, ch.items[1], WANT_VALUE), ch.items[1]);
      use_value(l, target, ch.items[0]);
      if (target.kind == IR_VAL_VAR && !target.addr_of) emit_assign(l, target.var, other(), e);
    } else {
      lower_children_as_values(l, e);
    }
    children_free(&ch);
    return v;
  }
  case CXCursor_UnaryOperator:
    return lower_unary(l, e, unfoldable);
  case CXCursor_ConditionalOperator:
    return lower_conditional(l, e, w);
  case CXCursor_UnaryExpr: /* sizeof, _Alignof: operands are not evaluated */
    if (eval_int(e, &ival)) {
      v.kind = IR_VAL_INT;
      v.ival = ival;
    }
    return v;
  case CXCursor_InitListExpr: {
    /* values placed in an aggregate escape into it */
    cursor_list ch = children_of(e);
    for (size_t i = 0; i < ch.len; i++) {
      ir_value iv = lower_expr(l, ch.items[i], WANT_VALUE);
      if (iv.kind == IR_VAL_VAR) iv.addr_of = true;
      use_value(l, iv, ch.items[i]);
    }
    children_free(&ch);
    return v;
  }
  case CXCursor_StmtExpr:
    lower_children_as_values(l, e);
    return v;
  case CXCursor_MemberRefExpr:
  case CXCursor_ArraySubscriptExpr:
    *unfoldable = lower_children_as_values(l, e); /* the base and the index are needed */
    if (is_fn_type(clang_getCursorType(e))) v.slot = slot_of(l, e);
    return v;
  case CXCursor_CompoundLiteralExpr: {
    cursor_list ch = children_of(e);
    ir_slot none = {IR_SLOT_NONE, NULL, NULL, -1};
    for (size_t i = 0; i < ch.len; i++)
      if (clang_getCursorKind(ch.items[i]) == CXCursor_InitListExpr) record_init(l, ch.items[i], none, NULL);
    children_free(&ch);
    lower_children_as_values(l, e);
    return v;
  }
  default:
    if (eval_int(e, &ival)) {
      v.kind = IR_VAL_INT;
      v.ival = ival;
      return v;
    }
    lower_children_as_values(l, e);
    return v;
  }
}

static ir_value lower_expr(lowerer *l, CXCursor e, want w) {
  bool unfoldable = false;
  if (l->depth >= LOWER_MAX_DEPTH) {
    l->unfoldable = false;
    return other();
  }
  l->depth++;
  ir_value v = lower_expr_node(l, e, w, &unfoldable);
  l->depth--;
  l->unfoldable = unfoldable;
  return v;
}

/* ---- conditions ---- */

static void lower_cond_node(lowerer *l, CXCursor e, int t, int f) {
  CXCursor c = unwrap(e);
  ir_loc loc = loc_of(l, c);
  enum CXCursorKind k = clang_getCursorKind(c);
  int64_t ival;

  if (is_builtin_expect(l->files, c)) {
    lower_cond(l, clang_Cursor_getArgument(c, 0), t, f);
    return;
  }
  if (k != CXCursor_CallExpr && eval_int(c, &ival)) {
    jump(l, ival ? t : f);
    return;
  }
  if (k == CXCursor_UnaryOperator) {
    cursor_list ch = children_of(c);
    if (ch.len == 1 && unary_operator(l, c, ch.items[0]) == OP_NOT) {
      CXCursor inner = ch.items[0];
      children_free(&ch);
      lower_cond(l, inner, f, t);
      return;
    }
    children_free(&ch);
  }
  if (k == CXCursor_BinaryOperator) {
    cursor_list ch = children_of(c);
    if (ch.len == 2) {
      CXCursor lhs = ch.items[0], rhs = ch.items[1];
      children_free(&ch);
      op_kind op = binary_operator(l, lhs, rhs);
      if (op == OP_LAND || op == OP_LOR) {
        int mid = new_block(l);
        if (op == OP_LAND) lower_cond(l, lhs, mid, f);
        else lower_cond(l, lhs, t, mid);
        l->cur = mid;
        lower_cond(l, rhs, t, f);
        return;
      }
      if (op == OP_COMMA) {
        lower_expr(l, lhs, WANT_DISCARD);
        lower_cond(l, rhs, t, f);
        return;
      }
      if (is_comparison(op)) {
        ir_value a = lower_expr(l, lhs, WANT_VALUE);
        ir_value b = lower_expr(l, rhs, WANT_VALUE);
        ir_cmp cmp = cmp_of(op);
        bool a_var = a.kind == IR_VAL_VAR && !a.addr_of, b_var = b.kind == IR_VAL_VAR && !b.addr_of;
        bool a_const = a.kind == IR_VAL_INT || a.kind == IR_VAL_NULL;
        bool b_const = b.kind == IR_VAL_INT || b.kind == IR_VAL_NULL;
        if (a_var && b_const) {
          branch(l, a.var, cmp, b.kind == IR_VAL_INT ? b.ival : 0, t, f, &loc);
          return;
        }
        if (b_var && a_const) {
          branch(l, b.var, cmp_flip(cmp), a.kind == IR_VAL_INT ? a.ival : 0, t, f, &loc);
          return;
        }
        use_value(l, a, lhs);
        use_value(l, b, rhs);
        branch(l, -1, IR_CMP_NE, 0, t, f, &loc);
        return;
      }
      if (op == OP_ASSIGN) {
        ir_value v = lower_assign(l, c, lhs, rhs);
        if (v.kind == IR_VAL_VAR) branch(l, v.var, IR_CMP_NE, 0, t, f, &loc);
        else branch(l, -1, IR_CMP_NE, 0, t, f, &loc);
        return;
      }
    } else {
      children_free(&ch);
    }
  }
  ir_value v = lower_expr(l, c, WANT_VALUE);
  if (v.kind == IR_VAL_VAR && !v.addr_of) {
    branch(l, v.var, IR_CMP_NE, 0, t, f, &loc);
    return;
  }
  if (v.kind == IR_VAL_INT || v.kind == IR_VAL_NULL) {
    jump(l, v.kind == IR_VAL_INT && v.ival ? t : f);
    return;
  }
  use_value(l, v, c);
  branch(l, -1, IR_CMP_NE, 0, t, f, &loc);
}

static void lower_cond(lowerer *l, CXCursor e, int t, int f) {
  if (l->depth >= LOWER_MAX_DEPTH) {
    ir_loc loc = loc_of(l, e);
    branch(l, -1, IR_CMP_NE, 0, t, f, &loc);
    return;
  }
  l->depth++;
  lower_cond_node(l, e, t, f);
  l->depth--;
}

/* ---- statements ---- */

static CXCursor var_init(CXCursor d) {
  cursor_list ch = children_of(d);
  CXCursor init = clang_getNullCursor();
  for (size_t i = 0; i < ch.len; i++)
    if (clang_isExpression(clang_getCursorKind(ch.items[i]))) init = ch.items[i];
  children_free(&ch);
  return init;
}

static void lower_var_decl(lowerer *l, CXCursor d) {
  enum CX_StorageClass sc = clang_Cursor_getStorageClass(d);
  CXCursor init = var_init(d);
  if (sc == CX_SC_Static || sc == CX_SC_Extern) { /* memory, not a local */
    if (!clang_Cursor_isNull(init)) record_init(l, init, global_slot(l, d), NULL);
    return;
  }
  int var = add_decl_var(l, d, false);
  if (clang_Cursor_isNull(init)) return;
  if (clang_getCursorKind(unwrap(init)) == CXCursor_InitListExpr)
    record_init(l, init, (ir_slot){IR_SLOT_VAR, NULL, NULL, var}, NULL);
  CXCursor value = unwrap(init);
  if (clang_getCursorKind(value) == CXCursor_CallExpr && !is_builtin_expect(l->files, value) &&
      clang_getCursorType(value).kind != CXType_Void) {
    lower_call(l, value, WANT_VALUE, var);
    return;
  }
  ir_value v = lower_expr(l, init, WANT_VALUE);
  if (v.kind == IR_VAL_VAR && v.addr_of) use_value(l, v, init);
  emit_assign(l, var, v, d);
}


static enum CXChildVisitResult case_visitor(CXCursor c, CXCursor parent, CXClientData data) {
  (void)parent;
  void **args = data;
  enum CXCursorKind k = clang_getCursorKind(c);
  if (k == CXCursor_SwitchStmt) return CXChildVisit_Continue; /* its cases are its own */
  if (k == CXCursor_CaseStmt || k == CXCursor_DefaultStmt) {
    case_block cb = {c, new_block(args[1])};
    case_list *out = args[0];
    VEC_PUSH(*out, cb);
  }
  if (clang_isStatement(k) || k == CXCursor_CaseStmt || k == CXCursor_DefaultStmt) return CXChildVisit_Recurse;
  return CXChildVisit_Continue;
}

static void collect_cases(CXCursor s, case_list *out, lowerer *l) {
  void *args[2] = {out, l};
  clang_visitChildren(s, case_visitor, args);
}

static int case_target(lowerer *l, CXCursor label) {
  if (!l->cases) return -1;
  for (size_t i = 0; i < l->cases->len; i++)
    if (clang_equalCursors(l->cases->items[i].label, label)) return l->cases->items[i].block;
  return -1;
}

static void lower_switch(lowerer *l, CXCursor s) {
  cursor_list ch = children_of(s);
  if (ch.len < 2) {
    children_free(&ch);
    return;
  }
  CXCursor cond = ch.items[ch.len - 2], body = ch.items[ch.len - 1];
  children_free(&ch);
  ir_value v = lower_expr(l, cond, WANT_VALUE);
  if (v.kind == IR_VAL_VAR && v.addr_of) {
    use_value(l, v, cond);
    v = other();
  }
  ir_loc loc = loc_of(l, cond);
  int after = new_block(l);
  case_list cases = {0};
  collect_cases(body, &cases, l);

  int deflt = after;
  for (size_t i = 0; i < cases.len; i++) {
    CXCursor label = cases.items[i].label;
    if (clang_getCursorKind(label) == CXCursor_DefaultStmt) {
      deflt = cases.items[i].block;
      continue;
    }
    int next = new_block(l);
    cursor_list lc = children_of(label);
    int64_t k;
    bool known = lc.len > 0 && v.kind == IR_VAL_VAR && eval_int(lc.items[0], &k);
    children_free(&lc);
    if (known) branch(l, v.var, IR_CMP_EQ, k, cases.items[i].block, next, &loc);
    else branch(l, -1, IR_CMP_NE, 0, cases.items[i].block, next, &loc);
    l->cur = next;
  }
  jump(l, deflt);

  case_list *saved_cases = l->cases;
  int saved_break = l->break_to;
  l->cases = &cases;
  l->break_to = after;
  lower_stmt(l, body);
  jump(l, after);
  l->cases = saved_cases;
  l->break_to = saved_break;
  VEC_FREE(cases);
  l->cur = after;
}

static void lower_loop_body(lowerer *l, CXCursor body, int brk, int cont) {
  int saved_break = l->break_to, saved_continue = l->continue_to;
  l->break_to = brk;
  l->continue_to = cont;
  lower_stmt(l, body);
  l->break_to = saved_break;
  l->continue_to = saved_continue;
}

/* A `for` header's parts are told apart by where its two semicolons are; libclang
 * leaves absent parts out of the children. */
static void lower_for(lowerer *l, CXCursor s) {
  cursor_list ch = children_of(s);
  if (ch.len == 0) {
    children_free(&ch);
    return;
  }
  CXCursor body = ch.items[ch.len - 1];
  CXCursor init = clang_getNullCursor(), cond = clang_getNullCursor(), inc = clang_getNullCursor();
  size_t nparts = ch.len - 1;
  span ss;
  size_t len = 0;
  const char *text = cursor_span(l->files, s, &ss) ? text_of(l->files, ss.file, &len) : NULL;
  unsigned semi[2] = {0, 0};
  bool found = false;
  if (text && ss.end <= len && ss.end > ss.begin && strncmp(text + ss.begin, "for", 3) == 0) {
    int depth = 0, n = 0;
    for (unsigned i = ss.begin + 3; i < ss.end && n < 2; i++) {
      char c = text[i];
      if (c == '(') depth++;
      else if (c == ')') {
        if (--depth == 0) break;
      } else if (c == ';' && depth == 1) semi[n++] = i;
    }
    found = n == 2;
  }
  if (found) {
    for (size_t i = 0; i < nparts; i++) {
      span ps;
      if (!cursor_span(l->files, ch.items[i], &ps)) continue;
      if (ps.begin < semi[0]) init = ch.items[i];
      else if (ps.begin < semi[1]) cond = ch.items[i];
      else inc = ch.items[i];
    }
  } else if (nparts == 3) {
    init = ch.items[0];
    cond = ch.items[1];
    inc = ch.items[2];
  } else {
    /* a header we cannot read (macro): evaluate its parts up front and loop either way */
    for (size_t i = 0; i < nparts; i++) lower_expr(l, ch.items[i], WANT_DISCARD);
  }
  children_free(&ch);

  if (!clang_Cursor_isNull(init)) {
    if (clang_getCursorKind(init) == CXCursor_DeclStmt) lower_stmt(l, init);
    else lower_expr(l, init, WANT_DISCARD);
  }
  int head = new_block(l), body_b = new_block(l), step = new_block(l), after = new_block(l);
  jump(l, head);
  l->cur = head;
  if (!clang_Cursor_isNull(cond)) lower_cond(l, cond, body_b, after);
  else if (found) jump(l, body_b);
  else branch(l, -1, IR_CMP_NE, 0, body_b, after, NULL);
  l->cur = body_b;
  lower_loop_body(l, body, after, step);
  jump(l, step);
  l->cur = step;
  if (!clang_Cursor_isNull(inc)) lower_expr(l, inc, WANT_DISCARD);
  jump(l, head);
  l->cur = after;
}

static int label_block(lowerer *l, const char *name) {
  void *v;
  if (strmap_get(l->labels, name, &v)) return (int)(intptr_t)v - 1;
  int b = new_block(l);
  strmap_put(l->labels, name, (void *)(intptr_t)(b + 1));
  return b;
}

static void emit_return(lowerer *l, CXCursor s, ir_value v) {
  ir_op op;
  memset(&op, 0, sizeof op);
  op.kind = IR_OP_RETURN;
  op.call = -1;
  op.var = -1;
  op.val = v;
  op.loc = loc_of(l, s);
  emit(l, op);
  ir_block *b = &l->blocks.items[l->cur].b;
  b->term = IR_TERM_RETURN;
  b->succ[0] = IR_EXIT;
  b->term_loc = op.loc;
  l->cur = -1;
}

static void lower_stmt_node(lowerer *l, CXCursor s) {
  enum CXCursorKind k = clang_getCursorKind(s);
  switch (k) {
  case CXCursor_CompoundStmt: {
    cursor_list ch = children_of(s);
    for (size_t i = 0; i < ch.len; i++) lower_stmt(l, ch.items[i]);
    children_free(&ch);
    return;
  }
  case CXCursor_DeclStmt: {
    cursor_list ch = children_of(s);
    for (size_t i = 0; i < ch.len; i++)
      if (clang_getCursorKind(ch.items[i]) == CXCursor_VarDecl) lower_var_decl(l, ch.items[i]);
    children_free(&ch);
    return;
  }
  case CXCursor_IfStmt: {
    cursor_list ch = children_of(s);
    if (ch.len < 2) {
      children_free(&ch);
      return;
    }
    int t = new_block(l), join = new_block(l);
    int f = ch.len > 2 ? new_block(l) : join;
    lower_cond(l, ch.items[0], t, f);
    l->cur = t;
    lower_stmt(l, ch.items[1]);
    jump(l, join);
    if (ch.len > 2) {
      l->cur = f;
      lower_stmt(l, ch.items[2]);
      jump(l, join);
    }
    children_free(&ch);
    l->cur = join;
    return;
  }
  case CXCursor_WhileStmt: {
    cursor_list ch = children_of(s);
    if (ch.len < 2) {
      children_free(&ch);
      return;
    }
    int head = new_block(l), body = new_block(l), after = new_block(l);
    jump(l, head);
    l->cur = head;
    lower_cond(l, ch.items[0], body, after);
    l->cur = body;
    lower_loop_body(l, ch.items[1], after, head);
    jump(l, head);
    children_free(&ch);
    l->cur = after;
    return;
  }
  case CXCursor_DoStmt: {
    cursor_list ch = children_of(s);
    if (ch.len < 2) {
      children_free(&ch);
      return;
    }
    int body = new_block(l), cond = new_block(l), after = new_block(l);
    jump(l, body);
    l->cur = body;
    lower_loop_body(l, ch.items[0], after, cond);
    jump(l, cond);
    l->cur = cond;
    lower_cond(l, ch.items[1], body, after);
    children_free(&ch);
    l->cur = after;
    return;
  }
  case CXCursor_ForStmt:
    lower_for(l, s);
    return;
  case CXCursor_SwitchStmt:
    lower_switch(l, s);
    return;
  case CXCursor_CaseStmt:
  case CXCursor_DefaultStmt: {
    int target = case_target(l, s);
    if (target >= 0) {
      jump(l, target); /* fall through from the previous case */
      l->cur = target;
    }
    cursor_list ch = children_of(s);
    if (ch.len > 0) lower_stmt(l, ch.items[ch.len - 1]);
    children_free(&ch);
    return;
  }
  case CXCursor_BreakStmt:
    if (l->break_to >= 0) jump(l, l->break_to);
    l->cur = -1;
    return;
  case CXCursor_ContinueStmt:
    if (l->continue_to >= 0) jump(l, l->continue_to);
    l->cur = -1;
    return;
  case CXCursor_ReturnStmt: {
    cursor_list ch = children_of(s);
    ir_value v = other();
    if (ch.len > 0) {
      v = lower_expr(l, ch.items[0], WANT_VALUE);
      if (v.kind == IR_VAL_VAR && v.addr_of) use_value(l, v, ch.items[0]);
    }
    children_free(&ch);
    current(l);
    emit_return(l, s, v);
    return;
  }
  case CXCursor_GotoStmt: {
    cursor_list ch = children_of(s);
    if (ch.len > 0) {
      CXString name = clang_getCursorSpelling(ch.items[0]);
      jump(l, label_block(l, clang_getCString(name)));
      clang_disposeString(name);
    }
    children_free(&ch);
    l->cur = -1;
    return;
  }
  case CXCursor_LabelStmt: {
    CXString name = clang_getCursorSpelling(s);
    int b = label_block(l, clang_getCString(name));
    clang_disposeString(name);
    jump(l, b);
    l->cur = b;
    cursor_list ch = children_of(s);
    if (ch.len > 0) lower_stmt(l, ch.items[ch.len - 1]);
    children_free(&ch);
    return;
  }
  case CXCursor_IndirectGotoStmt:
    lower_children_as_values(l, s);
    l->cur = -1;
    return;
  case CXCursor_NullStmt:
  case CXCursor_AsmStmt:
  case CXCursor_MSAsmStmt:
    return;
  default:
    if (clang_isExpression(k)) lower_expr(l, s, WANT_DISCARD);
    return;
  }
}

static void lower_stmt(lowerer *l, CXCursor s) {
  if (l->depth >= LOWER_MAX_DEPTH) return;
  l->depth++;
  lower_stmt_node(l, s);
  l->depth--;
}

/* ---- CFG post-processing ---- */

/* Marks edges that close a cycle (found by depth-first search from the entry) and the
 * blocks they return to. */
static void mark_loops(ir_block *blocks, unsigned n) {
  unsigned char *state = xcalloc(n, 1); /* 0 new, 1 on stack, 2 done */
  int *stack = xmalloc(n * sizeof *stack), *edge = xmalloc(n * sizeof *edge);
  int top = 0;
  stack[top] = IR_ENTRY;
  edge[top] = 0;
  state[IR_ENTRY] = 1;
  while (top >= 0) {
    int b = stack[top];
    int e = edge[top]++;
    if (e >= 2) {
      state[b] = 2;
      top--;
      continue;
    }
    int s = blocks[b].succ[e];
    if (s < 0 || (blocks[b].term != IR_TERM_COND && e == 1)) continue;
    if (blocks[b].term == IR_TERM_STOP) continue;
    if (state[s] == 1) {
      blocks[b].back[e] = true;
      blocks[s].loop_head = true;
    } else if (state[s] == 0) {
      state[s] = 1;
      stack[++top] = s;
      edge[top] = 0;
    }
  }
  free(state);
  free(stack);
  free(edge);
}

/* ---- functions ---- */

unsigned lower_function_attrs(CXCursor decl) {
  unsigned attrs = 0;
  cursor_list ch = children_of(decl);
  for (size_t i = 0; i < ch.len; i++) {
    if (clang_getCursorKind(ch.items[i]) != CXCursor_AnnotateAttr) continue;
    CXString a = clang_getCursorSpelling(ch.items[i]);
    const char *s = clang_getCString(a);
    if (strcmp(s, "calm::async") == 0) attrs |= IR_ATTR_ASYNC;
    else if (strcmp(s, "calm::blocking") == 0) attrs |= IR_ATTR_BLOCKING;
    else if (strcmp(s, "calm::nonblocking") == 0) attrs |= IR_ATTR_NONBLOCKING;
    clang_disposeString(a);
  }
  children_free(&ch);
  CXString t = clang_getTypeSpelling(clang_getCursorType(decl));
  if (strstr(clang_getCString(t), "__attribute__((noreturn))")) attrs |= IR_ATTR_NORETURN;
  clang_disposeString(t);
  return attrs;
}

static size_t decl_slot(struct decl_info *slots, size_t cap, const void *decl) {
  size_t i = (size_t)hash_mix((uint64_t)(uintptr_t)decl) & (cap - 1);
  while (slots[i].decl && slots[i].decl != decl) i = (i + 1) & (cap - 1);
  return i;
}

/* The unit's entry for declaration `decl` (valid until the next call), or NULL for a
 * cursor with no Decl. A declaration cursor is its Decl (data[0]); another
 * redeclaration of the same function is another Decl and may carry other attributes,
 * so it is asked on its own. */
static struct decl_info *decl_entry(lower_files *f, CXCursor decl) {
  const void *key = decl.data[0];
  if (!key || !clang_isDeclaration(decl.kind)) return NULL;
  if (2 * (f->decls_len + 1) > f->decls_cap) {
    size_t cap = f->decls_cap ? 2 * f->decls_cap : 256;
    struct decl_info *slots = xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < f->decls_cap; i++)
      if (f->decls[i].decl) slots[decl_slot(slots, cap, f->decls[i].decl)] = f->decls[i];
    free(f->decls);
    f->decls = slots;
    f->decls_cap = cap;
  }
  struct decl_info *e = &f->decls[decl_slot(f->decls, f->decls_cap, key)];
  if (!e->decl) {
    e->decl = key;
    f->decls_len++;
  }
  return e;
}

static unsigned decl_attrs(lower_files *f, CXCursor decl) {
  struct decl_info *e = decl_entry(f, decl);
  if (!e) return lower_function_attrs(decl);
  if (!e->have_attrs) {
    unsigned attrs = lower_function_attrs(decl);
    e = decl_entry(f, decl);
    e->attrs = attrs;
    e->have_attrs = true;
  }
  return e->attrs;
}

/* The spelling of `decl`, owned by `f`; NULL for a cursor with no Decl. */
static const char *decl_name(lower_files *f, CXCursor decl) {
  struct decl_info *e = decl_entry(f, decl);
  if (!e) return NULL;
  if (!e->name) {
    CXString n = clang_getCursorSpelling(decl);
    e->name = xstrdup(clang_getCString(n));
    clang_disposeString(n);
  }
  return e->name;
}

/* The USR and the spelling of `decl`, interned in `pool`. */
static void decl_names(lower_files *f, strpool *pool, CXCursor decl, const char **usr, const char **name) {
  struct decl_info *e = decl_entry(f, decl);
  if (e && e->pool == pool) {
    *usr = e->usr_in;
    *name = e->name_in;
    return;
  }
  CXString u = clang_getCursorUSR(decl), n = clang_getCursorSpelling(decl);
  *usr = strpool_intern(pool, clang_getCString(u));
  *name = strpool_intern(pool, clang_getCString(n));
  clang_disposeString(u);
  clang_disposeString(n);
  if (e) {
    e->pool = pool;
    e->usr_in = *usr;
    e->name_in = *name;
  }
}

void lower_function(lower_files *files, ir_summary *sum, CXCursor fn) {
  CXString usr = clang_getCursorUSR(fn);
  char *key = memo_key(files, fn, clang_getCString(usr));
  if (key && memo_take(key, sum)) {
    clang_disposeString(usr);
    free(key);
    return;
  }
  lowerer l;
  memset(&l, 0, sizeof l);
  l.not_constant = clang_getNullCursor();
  l.files = files;
  l.sum = sum;
  l.pool = sum->pool;
  l.break_to = l.continue_to = -1;
  l.labels = strmap_new();
  new_block(&l); /* IR_ENTRY */
  new_block(&l); /* IR_EXIT */
  l.cur = IR_ENTRY;

  ir_function f;
  memset(&f, 0, sizeof f);
  CXString name = clang_getCursorSpelling(fn);
  f.usr = strpool_intern(l.pool, clang_getCString(usr));
  f.name = strpool_intern(l.pool, clang_getCString(name));
  clang_disposeString(usr);
  clang_disposeString(name);
  ir_loc full = loc_of(&l, fn);
  CXFile nf;
  unsigned at;
  clang_getFileLocation(clang_getCursorLocation(fn), &nf, NULL, NULL, &at);
  f.loc = full;
  if (nf) {
    ir_loc name_at;
    position(l.files, l.pool, nf, at, &name_at);
    f.loc.line = name_at.line;
    f.loc.col = name_at.col;
  } else {
    f.loc.line = f.loc.col = 0;
  }
  f.end = full;
  f.end.line = full.end_line;
  f.end.col = full.end_col > 1 ? full.end_col - 1 : full.end_col;
  f.attrs = decl_attrs(l.files, fn);
  f.is_static = clang_Cursor_getStorageClass(fn) == CX_SC_Static;
  f.returns_void = clang_getResultType(clang_getCursorType(fn)).kind == CXType_Void;

  int nargs = clang_Cursor_getNumArguments(fn);
  for (int i = 0; i < nargs; i++) add_decl_var(&l, clang_Cursor_getArgument(fn, (unsigned)i), true);
  f.nparams = nargs > 0 ? (unsigned)nargs : 0;

  cursor_list ch = children_of(fn);
  for (size_t i = 0; i < ch.len; i++)
    if (clang_getCursorKind(ch.items[i]) == CXCursor_CompoundStmt) lower_stmt(&l, ch.items[i]);
  children_free(&ch);
  if (l.cur >= 0) { /* falling off the end */
    ir_block *b = &l.blocks.items[l.cur].b;
    b->term = IR_TERM_RETURN;
    b->succ[0] = IR_EXIT;
    b->term_loc = f.end;
    ir_op op;
    memset(&op, 0, sizeof op);
    op.kind = IR_OP_RETURN;
    op.call = op.var = -1;
    op.val = other();
    op.loc = f.end;
    VEC_PUSH(l.blocks.items[l.cur].ops, op);
  }
  l.blocks.items[IR_EXIT].b.term = IR_TERM_STOP;

  f.nblocks = (unsigned)l.blocks.len;
  f.blocks = xcalloc(f.nblocks, sizeof *f.blocks);
  for (unsigned i = 0; i < f.nblocks; i++) {
    f.blocks[i] = l.blocks.items[i].b;
    f.blocks[i].ops = l.blocks.items[i].ops.items;
    f.blocks[i].nops = (unsigned)l.blocks.items[i].ops.len;
  }
  mark_loops(f.blocks, f.nblocks);
  f.vars = l.vars.items;
  f.nvars = (unsigned)l.vars.len;
  f.calls = l.calls.items;
  f.ncalls = (unsigned)l.calls.len;
  f.stores = l.stores.items;
  f.nstores = (unsigned)l.stores.len;
  f.refs = l.refs.items;
  f.nrefs = (unsigned)l.refs.len;
  VEC_FREE(l.blocks);
  VEC_FREE(l.var_decls);
  VEC_FREE(l.var_read_fails);
  strmap_free(l.labels);
  ir_function *added = ir_summary_add_function(sum, &f);
  if (key) memo_put(key, added);
  free(key);
  release_spare_lists();
}

static enum CXChildVisitResult collect_refs(CXCursor c, CXCursor parent, CXClientData data) {
  (void)parent;
  if (clang_getCursorKind(c) == CXCursor_DeclRefExpr) {
    CXCursor ref = clang_getCursorReferenced(c);
    if (clang_getCursorKind(ref) == CXCursor_VarDecl) add_ref(data, ref);
  }
  return CXChildVisit_Recurse;
}

void lower_global(lower_files *files, ir_summary *sum, CXCursor var) {
  CXCursor init = var_init(var);
  if (clang_Cursor_isNull(init)) {
    release_spare_lists();
    return;
  }
  lowerer l;
  memset(&l, 0, sizeof l);
  l.not_constant = clang_getNullCursor();
  l.files = files;
  l.sum = sum;
  l.pool = sum->pool;
  ir_slot slot = global_slot(&l, var);
  record_init(&l, init, slot, slot.name);
  bool is_static = clang_Cursor_getStorageClass(var) == CX_SC_Static;
  for (size_t i = 0; i < l.stores.len; i++) {
    l.stores.items[i].owner_key = is_static ? slot.key : NULL;
    ir_summary_add_store(sum, &l.stores.items[i]);
  }
  clang_visitChildren(init, collect_refs, &l);
  /* the uses of an object with external linkage count from the start: `from` is NULL */
  for (size_t i = 0; i < l.refs.len; i++) ir_summary_add_ref(sum, is_static ? slot.key : NULL, l.refs.items[i]);
  VEC_FREE(l.stores);
  VEC_FREE(l.refs);
  release_spare_lists();
}
