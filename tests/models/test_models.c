/* Checks the built-in API models (rules/models/<name>.json): every file parses, uses only
 * the keys rules/models/README.md documents, and agrees with its library's real
 * headers (names, argument indices, callback and parameter types); the calm model and
 * runtime/include/calm.h list the same functions.
 * usage: test_models MODELS_DIR [-M<model>=<compiler flag>]... */
#define _GNU_SOURCE
#include <CUnit/Basic.h>
#include <clang-c/Index.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------ */

typedef struct {
  char **items;
  size_t len, cap;
} strlist;

static void strlist_push(strlist *l, char *s) {
  if (l->len == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 16;
    l->items = realloc(l->items, l->cap * sizeof *l->items);
    if (!l->items) abort();
  }
  l->items[l->len++] = s;
}

static void strlist_addf(strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void strlist_addf(strlist *l, const char *fmt, ...) {
  va_list ap;
  char *s = NULL;
  va_start(ap, fmt);
  if (vasprintf(&s, fmt, ap) < 0) abort();
  va_end(ap);
  strlist_push(l, s);
}

static bool strlist_has(const strlist *l, const char *s) {
  for (size_t i = 0; i < l->len; i++)
    if (strcmp(l->items[i], s) == 0) return true;
  return false;
}

static void strlist_clear(strlist *l) {
  for (size_t i = 0; i < l->len; i++) free(l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}

/* Prints every error and returns how many there were (for CU_ASSERT_EQUAL). */
static size_t report(const strlist *errors) {
  for (size_t i = 0; i < errors->len; i++) fprintf(stderr, "  %s\n", errors->items[i]);
  return errors->len;
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t len = 0, cap = 0, n;
  char chunk[4096];
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      buf = realloc(buf, cap);
      if (!buf) abort();
    }
    memcpy(buf + len, chunk, n);
    len += n;
  }
  fclose(f);
  if (!buf) buf = calloc(1, 1);
  else buf[len] = '\0';
  return buf;
}

static void line_col(const char *text, const char *at, unsigned *line, unsigned *col) {
  *line = 1;
  *col = 1;
  for (const char *p = text; p < at && *p; p++) {
    if (*p == '\n') (*line)++, *col = 1;
    else (*col)++;
  }
}

/* Parses JSON text; on failure adds "file:line:col: invalid JSON" to errors. */
static cJSON *parse_json(const char *text, const char *file, strlist *errors) {
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
  if (!root) {
    unsigned line, col;
    const char *at = end && end >= text ? end : cJSON_GetErrorPtr();
    line_col(text, at && at >= text ? at : text, &line, &col);
    strlist_addf(errors, "%s:%u:%u: invalid JSON", file, line, col);
  }
  return root;
}

/* ---- the schema, read from the README's tables --------------------------- */

/* The callback and condition-test keys sit inside value cells of the README rather
 * than in a first column, so they are spelled out here. */
static const char *const callback_keys[] = {"arg",  "context", "status_param", "cancelled_by", "status_checked_by",
                                            "cold", "when",    "runs_in",      "description",  NULL};
static const char *const contexts[] = {"loop", "worker", NULL};

static bool in_list(const char *const *list, const char *s) {
  for (; *list; list++)
    if (strcmp(*list, s) == 0) return true;
  return false;
}

/* Collects the backticked identifiers of the first column of the table that follows
 * the line starting with `heading`. Returns false if there is no such table. */
static bool readme_table_keys(const char *text, const char *heading, strlist *out) {
  const char *p = text;
  while (p && strncmp(p, heading, strlen(heading)) != 0) {
    p = strchr(p, '\n');
    if (p) p++;
  }
  if (!p) return false;
  bool in_table = false;
  for (p = strchr(p, '\n'); p && *++p;) {
    const char *eol = strchr(p, '\n');
    if (!eol) eol = p + strlen(p);
    if (*p != '|') {
      if (in_table) break;
      if (p != eol) return false; /* prose before any table: not the heading we want */
      p = eol;
      continue;
    }
    in_table = true;
    const char *cell_end = memchr(p + 1, '|', (size_t)(eol - p - 1));
    if (!cell_end) cell_end = eol;
    for (const char *q = p + 1; q < cell_end; q++) {
      if (*q != '`') continue;
      const char *close = memchr(q + 1, '`', (size_t)(cell_end - q - 1));
      if (!close) break;
      size_t n = (size_t)(close - q - 1);
      bool ident = n > 0;
      for (size_t i = 0; i < n; i++)
        if (!(q[1 + i] == '_' || (q[1 + i] >= 'a' && q[1 + i] <= 'z'))) ident = false;
      if (ident) strlist_push(out, strndup(q + 1, n));
      q = close;
    }
    p = eol;
    if (!*p) break;
  }
  return out->len > 0;
}

typedef struct {
  strlist top;   /* top-level keys */
  strlist props; /* function property keys */
} schema;

static bool is_index(const cJSON *v) {
  return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 64 && v->valuedouble == (int)v->valuedouble;
}

static bool is_integer(const cJSON *v) { return cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble; }

static bool is_identifier(const char *s) {
  if (!s || !*s || (*s >= '0' && *s <= '9')) return false;
  for (; *s; s++)
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9'))) return false;
  return true;
}

/* An object's keys, each at most once. */
static void check_unique_keys(const cJSON *o, const char *where, strlist *errors) {
  for (const cJSON *a = o ? o->child : NULL; a; a = a->next)
    for (const cJSON *b = a->next; b; b = b->next)
      if (a->string && b->string && strcmp(a->string, b->string) == 0)
        strlist_addf(errors, "%s: key '%s' given twice (the later one silently wins)", where, a->string);
}

static void check_test(const cJSON *t, const char *where, strlist *errors) {
  if (!cJSON_IsObject(t)) {
    strlist_addf(errors, "%s: a condition test must be an object", where);
    return;
  }
  if (!is_index(cJSON_GetObjectItemCaseSensitive(t, "arg")))
    strlist_addf(errors, "%s: a condition test needs an argument index 'arg'", where);
  int kinds = 0;
  for (const cJSON *k = t->child; k; k = k->next) {
    if (strcmp(k->string, "arg") == 0) continue;
    kinds++;
    if (strcmp(k->string, "is") == 0) {
      if (!cJSON_IsString(k) || (strcmp(k->valuestring, "null") != 0 && strcmp(k->valuestring, "nonnull") != 0))
        strlist_addf(errors, "%s: 'is' must be \"null\" or \"nonnull\"", where);
    } else if (strcmp(k->string, "equals") == 0) {
      if (!is_integer(k)) strlist_addf(errors, "%s: 'equals' must be an integer", where);
    } else if (strcmp(k->string, "mentions") == 0) {
      bool ok = cJSON_IsString(k) ? is_identifier(k->valuestring) : cJSON_IsArray(k) && cJSON_GetArraySize(k) > 0;
      for (const cJSON *n = cJSON_IsArray(k) ? k->child : NULL; n; n = n->next)
        ok = ok && cJSON_IsString(n) && is_identifier(n->valuestring);
      if (!ok) strlist_addf(errors, "%s: 'mentions' must be an identifier or a list of identifiers", where);
    } else if (strcmp(k->string, "has_bits") == 0) {
      if (!is_integer(k) || k->valuedouble <= 0) strlist_addf(errors, "%s: 'has_bits' must be a positive integer", where);
    } else if (strcmp(k->string, "prefix") == 0) {
      bool ok = cJSON_IsString(k) ? k->valuestring[0] != '\0' : cJSON_IsArray(k) && cJSON_GetArraySize(k) > 0;
      for (const cJSON *n = cJSON_IsArray(k) ? k->child : NULL; n; n = n->next)
        ok = ok && cJSON_IsString(n) && n->valuestring[0];
      if (!ok) strlist_addf(errors, "%s: 'prefix' must be a string or a list of strings", where);
    } else {
      strlist_addf(errors, "%s: unknown condition key '%s'", where, k->string);
    }
  }
  if (kinds != 1)
    strlist_addf(errors, "%s: a condition test needs exactly one of 'is', 'equals', 'mentions', 'has_bits', 'prefix'",
                 where);
}

static void check_cond(const cJSON *v, const char *where, strlist *errors) {
  if (cJSON_IsBool(v)) return;
  const cJSON *when = cJSON_GetObjectItemCaseSensitive(v, "when");
  const cJSON *unless = cJSON_GetObjectItemCaseSensitive(v, "unless");
  if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 1 || (!when && !unless)) {
    strlist_addf(errors, "%s: must be true, false, {\"when\": ...} or {\"unless\": ...}", where);
    return;
  }
  const cJSON *tests = when ? when : unless;
  if (cJSON_IsArray(tests)) {
    if (cJSON_GetArraySize(tests) == 0) strlist_addf(errors, "%s: an empty list of tests", where);
    for (const cJSON *t = tests->child; t; t = t->next) check_test(t, where, errors);
  } else {
    check_test(tests, where, errors);
  }
}

static void check_index_list(const cJSON *v, const char *where, strlist *errors) {
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
    strlist_addf(errors, "%s: must be a non-empty list of argument indices", where);
    return;
  }
  for (const cJSON *i = v->child; i; i = i->next)
    if (!is_index(i)) strlist_addf(errors, "%s: %g is not an argument index", where, i->valuedouble);
}

static bool string_is(const cJSON *v, const char *a, const char *b) {
  return cJSON_IsString(v) && (strcmp(v->valuestring, a) == 0 || (b && strcmp(v->valuestring, b) == 0));
}

/* One function entry or pattern: known keys, each with a value of the right shape. */
static void check_entry(const schema *s, const cJSON *e, const char *where, bool pattern, strlist *errors) {
  if (!cJSON_IsObject(e)) {
    strlist_addf(errors, "%s: properties must be an object", where);
    return;
  }
  check_unique_keys(e, where, errors);
  for (const cJSON *v = e->child; v; v = v->next) {
    char *at = NULL;
    if (asprintf(&at, "%s: '%s'", where, v->string) < 0) abort();
    const char *k = v->string;
    if (pattern && strcmp(k, "match") == 0) {
      if (!cJSON_IsString(v) || !*v->valuestring) strlist_addf(errors, "%s must be a glob", at);
    } else if (!strlist_has(&s->props, k)) {
      strlist_addf(errors, "%s is not a property rules/models/README.md documents", at);
    } else if (strcmp(k, "callbacks") == 0) {
      if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) strlist_addf(errors, "%s must be a non-empty list", at);
      for (const cJSON *c = cJSON_IsArray(v) ? v->child : NULL; c; c = c->next) {
        if (!cJSON_IsObject(c)) {
          strlist_addf(errors, "%s: a callback must be an object", at);
          continue;
        }
        check_unique_keys(c, at, errors);
        for (const cJSON *ck = c->child; ck; ck = ck->next)
          if (!in_list(callback_keys, ck->string)) strlist_addf(errors, "%s: unknown callback key '%s'", at, ck->string);
        if (!is_index(cJSON_GetObjectItemCaseSensitive(c, "arg"))) strlist_addf(errors, "%s: a callback needs an argument index 'arg'", at);
        const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(c, "context");
        const cJSON *runs_in = cJSON_GetObjectItemCaseSensitive(c, "runs_in");
        /* a callback that runs inside later calls takes its context from their callers */
        if (runs_in ? ctx != NULL : !cJSON_IsString(ctx) || !in_list(contexts, ctx->valuestring))
          strlist_addf(errors, "%s: 'context' must be \"loop\" or \"worker\" (and absent with 'runs_in')", at);
        if (runs_in && (!cJSON_IsArray(runs_in) || cJSON_GetArraySize(runs_in) == 0))
          strlist_addf(errors, "%s: 'runs_in' must be a non-empty list of function names", at);
        for (const cJSON *r = cJSON_IsArray(runs_in) ? runs_in->child : NULL; r; r = r->next)
          if (!cJSON_IsString(r) || !is_identifier(r->valuestring))
            strlist_addf(errors, "%s: 'runs_in' must be a non-empty list of function names", at);
        const cJSON *when = cJSON_GetObjectItemCaseSensitive(c, "when");
        if (when) check_test(when, at, errors);
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(c, "status_param");
        if (sp && !is_index(sp)) strlist_addf(errors, "%s: 'status_param' must be a parameter index", at);
        const char *const named[] = {"cancelled_by", "status_checked_by"};
        for (unsigned n = 0; n < 2; n++) {
          const cJSON *by = cJSON_GetObjectItemCaseSensitive(c, named[n]);
          if (by && (!cJSON_IsString(by) || !*by->valuestring))
            strlist_addf(errors, "%s: '%s' must be a function name", at, named[n]);
        }
        const cJSON *cold = cJSON_GetObjectItemCaseSensitive(c, "cold");
        if (cold) check_cond(cold, at, errors);
      }
    } else if (strcmp(k, "invokes") == 0 || strcmp(k, "takes_task") == 0) {
      check_index_list(v, at, errors);
    } else if (strcmp(k, "blocking") == 0 || strcmp(k, "waits_forever") == 0) {
      check_cond(v, at, errors);
    } else if (strcmp(k, "deadline_arg") == 0 || strcmp(k, "stream_arg") == 0 || strcmp(k, "format_dest") == 0 ||
               strcmp(k, "format_arg") == 0 || strcmp(k, "fd_arg") == 0 || strcmp(k, "shares_fd") == 0 ||
               strcmp(k, "nonblocking_fd_out") == 0) {
      if (!is_index(v)) strlist_addf(errors, "%s must be an argument index", at);
    } else if (strcmp(k, "returns") == 0) {
      if (!string_is(v, "status", "task")) strlist_addf(errors, "%s must be \"status\" or \"task\"", at);
    } else if (strcmp(k, "spawns") == 0) {
      if (!cJSON_IsBool(v) && !string_is(v, "bounded", NULL)) strlist_addf(errors, "%s must be true, false or \"bounded\"", at);
    } else if (strcmp(k, "acquires") == 0 || strcmp(k, "releases") == 0) {
      if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 2 || !is_index(cJSON_GetObjectItemCaseSensitive(v, "arg")) ||
          !string_is(cJSON_GetObjectItemCaseSensitive(v, "kind"), "semaphore", "mutex"))
        strlist_addf(errors, "%s must be {\"arg\": N, \"kind\": \"semaphore\"|\"mutex\"}", at);
    } else if (strcmp(k, "scope") == 0 || strcmp(k, "shield") == 0) {
      if (!string_is(v, "enter", "exit")) strlist_addf(errors, "%s must be \"enter\" or \"exit\"", at);
    } else if (strcmp(k, "note") == 0 || strcmp(k, "description") == 0) {
      if (!cJSON_IsString(v) || !*v->valuestring) strlist_addf(errors, "%s must be a non-empty string", at);
    } else if (!cJSON_IsBool(v)) { /* suspends, thread_safe, loop_only, noreturn */
      strlist_addf(errors, "%s must be true or false", at);
    }
    free(at);
  }
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "thread_safe")) &&
      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "loop_only")))
    strlist_addf(errors, "%s: both thread_safe and loop_only", where);
}

/* A whole model file. `stem` is the file name without ".json". */
static void check_model_schema(const schema *s, const cJSON *root, const char *file, const char *stem, strlist *errors) {
  if (!cJSON_IsObject(root)) {
    strlist_addf(errors, "%s: a model must be a JSON object", file);
    return;
  }
  check_unique_keys(root, file, errors);
  for (const cJSON *k = root->child; k; k = k->next)
    if (!strlist_has(&s->top, k->string))
      strlist_addf(errors, "%s: '%s' is not a top-level key rules/models/README.md documents", file, k->string);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "model");
  if (!cJSON_IsString(name)) strlist_addf(errors, "%s: no \"model\" name", file);
  else if (stem && strcmp(name->valuestring, stem) != 0)
    strlist_addf(errors, "%s: model \"%s\" should be named after its file (\"%s\")", file, name->valuestring, stem);
  const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
  if (!cJSON_IsString(desc) || !*desc->valuestring) strlist_addf(errors, "%s: no one-line \"description\"", file);
  const cJSON *cancel = cJSON_GetObjectItemCaseSensitive(root, "cancel_status");
  if (cancel && !is_integer(cancel)) strlist_addf(errors, "%s: 'cancel_status' must be an integer", file);
  const cJSON *fns = cJSON_GetObjectItemCaseSensitive(root, "functions");
  if (!cJSON_IsObject(fns)) {
    strlist_addf(errors, "%s: 'functions' must be an object", file);
  } else {
    check_unique_keys(fns, file, errors);
    for (const cJSON *f = fns->child; f; f = f->next) {
      char *where = NULL;
      if (asprintf(&where, "%s: %s", file, f->string) < 0) abort();
      if (!is_identifier(f->string)) strlist_addf(errors, "%s: not a C identifier", where);
      check_entry(s, f, where, false, errors);
      free(where);
    }
  }
  const cJSON *slots = cJSON_GetObjectItemCaseSensitive(root, "slots");
  if (slots && !cJSON_IsObject(slots)) strlist_addf(errors, "%s: 'slots' must be an object", file);
  for (const cJSON *sl = cJSON_IsObject(slots) ? slots->child : NULL; sl; sl = sl->next) {
    const char *dot = strchr(sl->string, '.');
    if (!dot || dot == sl->string || !is_identifier(dot + 1))
      strlist_addf(errors, "%s: slot '%s' is not \"record.field\"", file, sl->string);
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(sl, "context");
    if (!cJSON_IsString(ctx) || !in_list(contexts, ctx->valuestring))
      strlist_addf(errors, "%s: slot '%s' needs a 'context' of loop or worker", file, sl->string);
    for (const cJSON *k = cJSON_IsObject(sl) ? sl->child : NULL; k; k = k->next)
      if (strcmp(k->string, "context") != 0 && strcmp(k->string, "cold") != 0 && strcmp(k->string, "note") != 0)
        strlist_addf(errors, "%s: slot '%s': unknown key '%s'", file, sl->string, k->string);
  }
  const cJSON *pats = cJSON_GetObjectItemCaseSensitive(root, "patterns");
  if (pats && !cJSON_IsArray(pats)) strlist_addf(errors, "%s: 'patterns' must be a list", file);
  for (const cJSON *p = cJSON_IsArray(pats) ? pats->child : NULL; p; p = p->next) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(p, "match");
    char *where = NULL;
    if (asprintf(&where, "%s: pattern %s", file, cJSON_IsString(m) ? m->valuestring : "?") < 0) abort();
    if (!cJSON_IsString(m)) strlist_addf(errors, "%s: a pattern needs a \"match\" glob", where);
    check_entry(s, p, where, true, errors);
    free(where);
  }
}

/* ---- the headers ---------------------------------------------------------- */

typedef struct {
  char *name;
  CXCursor cursor;
} decl;

typedef struct {
  const char *model;
  bool parsed;  /* false: the headers are not installed (skipped) or broke */
  char *problem; /* why not parsed */
  CXIndex index;
  CXTranslationUnit tu;
  decl *fns;
  size_t nfns, capfns;
  strlist macros;
  strlist slots; /* "record.field" of every function-pointer field the headers declare */
} header_set;

/* Which headers describe each model. Required ones must be installed (CI has
 * them); the others are checked where their -dev package is present. */
typedef struct {
  const char *model;
  bool required;
  const char *headers[12];
} header_spec;

static const header_spec header_specs[] = {
    {"calm", true, {"calm.h"}},
    {"posix", true, {"stdio.h", "stdlib.h", "unistd.h", "pthread.h", "semaphore.h", "sys/wait.h", "netdb.h", "poll.h",
                     "sys/epoll.h", "sys/file.h", "fcntl.h", NULL}},
    {"libuv", true, {"uv.h"}},
    {"sqlite", true, {"sqlite3.h"}},
    {"libpq", false, {"libpq-fe.h"}},
    {"libevent", false, {"event2/event.h", "event2/event_compat.h", "event2/bufferevent.h", "event2/bufferevent_compat.h",
                         "event2/listener.h", "event2/http.h", "event2/dns.h", "event2/util.h", "event2/buffer.h"}},
    {"glib", true, {"glib.h", "glib-unix.h", "glib-object.h", "gio/gio.h"}},
    {"curl", false, {"curl/curl.h"}},
    /* .ci/deps installs these, so a missing header fails rather than skips */
    {"hiredis", true, {"hiredis/hiredis.h", "hiredis/async.h"}},
    {"libwebsockets", true, {"libwebsockets.h"}},
    {"mysql", true, {"mysql.h"}},
    {"mongoc", true, {"mongoc/mongoc.h"}},
    {"systemd", true, {"systemd/sd-journal.h"}},
    {"lmdb", true, {"lmdb.h"}},
    {"libaio", true, {"libaio.h"}},
};
/* The rest of posix's headers (a header_spec holds at most 12). */
static const char *const posix_more[] = {"sys/select.h", "setjmp.h", "err.h", "assert.h", "search.h", "dirent.h",
                                         "ftw.h", "threads.h", "signal.h", "pwd.h", "grp.h", "time.h", "sys/mman.h",
                                         "link.h", "resolv.h", NULL};

static const header_spec *spec_for(const char *model) {
  for (size_t i = 0; i < sizeof header_specs / sizeof *header_specs; i++)
    if (strcmp(header_specs[i].model, model) == 0) return &header_specs[i];
  return NULL;
}

static strlist model_flags; /* "model=flag" from -M arguments */
static char *models_dir;

typedef struct {
  header_set *h;
  const char *record;
} record_walk;

static enum CXChildVisitResult collect_slot(CXCursor c, CXCursor parent, CXClientData data) {
  (void)parent;
  record_walk *w = data;
  if (clang_getCursorKind(c) != CXCursor_FieldDecl) return CXChildVisit_Continue;
  CXType t = clang_getCanonicalType(clang_getCursorType(c));
  if (t.kind != CXType_Pointer) return CXChildVisit_Continue;
  enum CXTypeKind pk = clang_getCanonicalType(clang_getPointeeType(t)).kind;
  if (pk != CXType_FunctionProto && pk != CXType_FunctionNoProto) return CXChildVisit_Continue;
  CXString f = clang_getCursorSpelling(c);
  strlist_addf(&w->h->slots, "%s.%s", w->record, clang_getCString(f));
  clang_disposeString(f);
  return CXChildVisit_Continue;
}

static enum CXChildVisitResult collect(CXCursor c, CXCursor parent, CXClientData data) {
  (void)parent;
  header_set *h = data;
  enum CXCursorKind kind = clang_getCursorKind(c);
  if ((kind == CXCursor_StructDecl || kind == CXCursor_UnionDecl) && clang_isCursorDefinition(c)) {
    /* named as the linter names a field's record: its tag, else its typedef */
    CXString tag = clang_getCursorSpelling(c), type = clang_getTypeSpelling(clang_getCursorType(c));
    record_walk w = {h, clang_getCString(tag)[0] ? clang_getCString(tag) : clang_getCString(type)};
    clang_visitChildren(c, collect_slot, &w);
    clang_disposeString(tag);
    clang_disposeString(type);
    return CXChildVisit_Continue;
  }
  if (kind != CXCursor_FunctionDecl && kind != CXCursor_MacroDefinition) return CXChildVisit_Continue;
  CXString s = clang_getCursorSpelling(c);
  char *name = strdup(clang_getCString(s));
  clang_disposeString(s);
  if (kind == CXCursor_MacroDefinition) {
    strlist_push(&h->macros, name);
    return CXChildVisit_Continue;
  }
  if (h->nfns == h->capfns) {
    h->capfns = h->capfns ? h->capfns * 2 : 256;
    h->fns = realloc(h->fns, h->capfns * sizeof *h->fns);
    if (!h->fns) abort();
  }
  h->fns[h->nfns++] = (decl){name, c};
  return CXChildVisit_Continue;
}

static int decl_cmp(const void *a, const void *b) { return strcmp(((const decl *)a)->name, ((const decl *)b)->name); }

static const decl *find_decl(const header_set *h, const char *name) {
  decl key = {(char *)name, clang_getNullCursor()};
  return bsearch(&key, h->fns, h->nfns, sizeof *h->fns, decl_cmp);
}

static void parse_headers(header_set *h, const header_spec *spec) {
  h->model = spec->model;
  char *src = NULL;
  size_t srclen = 0;
  FILE *out = open_memstream(&src, &srclen);
  for (unsigned i = 0; i < 12 && spec->headers[i]; i++) fprintf(out, "#include <%s>\n", spec->headers[i]);
  if (strcmp(spec->model, "posix") == 0)
    for (const char *const *m = posix_more; *m; m++) fprintf(out, "#include <%s>\n", *m);
  fclose(out);

  const char *args[64];
  int nargs = 0;
  args[nargs++] = "-xc";
  args[nargs++] = "-std=gnu11";
  args[nargs++] = "-D_GNU_SOURCE";
  size_t mlen = strlen(spec->model);
  for (size_t i = 0; i < model_flags.len && nargs < 63; i++)
    if (strncmp(model_flags.items[i], spec->model, mlen) == 0 && model_flags.items[i][mlen] == '=')
      args[nargs++] = model_flags.items[i] + mlen + 1;
  char fname[64];
  snprintf(fname, sizeof fname, "model_check_%s.c", spec->model);
  struct CXUnsavedFile unsaved = {fname, src, (unsigned long)srclen};
  h->index = clang_createIndex(0, 0);
  enum CXErrorCode rc =
      clang_parseTranslationUnit2(h->index, fname, args, nargs, &unsaved, 1,
                                  CXTranslationUnit_DetailedPreprocessingRecord | CXTranslationUnit_SkipFunctionBodies, &h->tu);
  free(src);
  if (rc != CXError_Success || !h->tu) {
    if (asprintf(&h->problem, "libclang could not parse the headers (error %d)", (int)rc) < 0) abort();
    return;
  }
  for (unsigned i = 0; i < clang_getNumDiagnostics(h->tu); i++) {
    CXDiagnostic d = clang_getDiagnostic(h->tu, i);
    if (clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error && !h->problem) {
      CXString text = clang_formatDiagnostic(d, CXDiagnostic_DisplaySourceLocation);
      h->problem = strdup(clang_getCString(text));
      clang_disposeString(text);
    }
    clang_disposeDiagnostic(d);
  }
  if (h->problem) return;
  clang_visitChildren(clang_getTranslationUnitCursor(h->tu), collect, h);
  qsort(h->fns, h->nfns, sizeof *h->fns, decl_cmp);
  h->parsed = true;
}

static void free_headers(header_set *h) {
  for (size_t i = 0; i < h->nfns; i++) free(h->fns[i].name);
  free(h->fns);
  strlist_clear(&h->macros);
  strlist_clear(&h->slots);
  free(h->problem);
  if (h->tu) clang_disposeTranslationUnit(h->tu);
  if (h->index) clang_disposeIndex(h->index);
  memset(h, 0, sizeof *h);
}

/* ---- model against headers --------------------------------------------- */

typedef struct {
  const char *model;
  const char *fn;
  CXCursor cursor;
  CXType type;  /* the function's type */
  int nparams;
  bool variadic;
  strlist *errors;
} fn_ctx;

static CXType param_type(const fn_ctx *f, int i) { return clang_getCanonicalType(clang_getArgType(f->type, (unsigned)i)); }

static bool is_int_kind(enum CXTypeKind k) {
  return (k >= CXType_Bool && k <= CXType_Int128 && k != CXType_Char16 && k != CXType_Char32) || k == CXType_Enum;
}

/* Argument index `i` exists: a named parameter, or (when `variadic_ok`) one of the
 * `...` arguments. Returns true when it is a named parameter. */
static bool check_index(const fn_ctx *f, int i, const char *what, bool variadic_ok) {
  if (i < f->nparams) return true;
  if (!(variadic_ok && f->variadic))
    strlist_addf(f->errors, "%s: %s: %s is argument %d, but it has %d parameter%s", f->model, f->fn, what, i, f->nparams,
                 f->nparams == 1 ? "" : "s");
  return false;
}

static CXType type_of_callback(CXType t) {
  if (t.kind != CXType_Pointer) return (CXType){CXType_Invalid, {0, 0}};
  CXType p = clang_getCanonicalType(clang_getPointeeType(t));
  if (p.kind == CXType_FunctionProto || p.kind == CXType_FunctionNoProto) return p;
  return (CXType){CXType_Invalid, {0, 0}};
}

static char *type_name(CXType t) {
  CXString s = clang_getTypeSpelling(t);
  char *r = strdup(clang_getCString(s));
  clang_disposeString(s);
  return r;
}

static void check_fn_pointer_arg(const fn_ctx *f, int i, const char *what, int status_param) {
  if (!check_index(f, i, what, false)) return;
  CXType t = param_type(f, i);
  CXType cb = type_of_callback(t);
  if (cb.kind == CXType_Invalid) {
    char *n = type_name(clang_getArgType(f->type, (unsigned)i));
    strlist_addf(f->errors, "%s: %s: %s (argument %d) has type '%s', not a function pointer", f->model, f->fn, what, i, n);
    free(n);
    return;
  }
  if (status_param < 0) return;
  int n = clang_getNumArgTypes(cb);
  if (status_param >= n) {
    strlist_addf(f->errors, "%s: %s: status_param %d of the callback in argument %d, which takes %d parameters", f->model,
                 f->fn, status_param, i, n);
    return;
  }
  CXType st = clang_getCanonicalType(clang_getArgType(cb, (unsigned)status_param));
  if (st.kind != CXType_Int) {
    char *tn = type_name(clang_getArgType(cb, (unsigned)status_param));
    strlist_addf(f->errors, "%s: %s: status_param %d of the callback in argument %d is '%s', not int", f->model, f->fn,
                 status_param, i, tn);
    free(tn);
  }
}

static void check_test_types(const fn_ctx *f, const cJSON *t, const char *what) {
  const cJSON *arg = cJSON_GetObjectItemCaseSensitive(t, "arg");
  if (!cJSON_IsNumber(arg)) return;
  int i = arg->valueint;
  if (!check_index(f, i, what, true)) return;
  CXType pt = param_type(f, i);
  if (cJSON_GetObjectItemCaseSensitive(t, "is") && pt.kind != CXType_Pointer)
    strlist_addf(f->errors, "%s: %s: %s tests argument %d for NULL, but it is not a pointer", f->model, f->fn, what, i);
  if (cJSON_GetObjectItemCaseSensitive(t, "equals") && !is_int_kind(pt.kind))
    strlist_addf(f->errors, "%s: %s: %s compares argument %d to an integer, but it is not an integer", f->model, f->fn, what,
                 i);
}

static void check_cond_types(const fn_ctx *f, const cJSON *c, const char *what) {
  if (!cJSON_IsObject(c)) return;
  const cJSON *tests = c->child;
  if (!tests) return;
  if (cJSON_IsArray(tests))
    for (const cJSON *t = tests->child; t; t = t->next) check_test_types(f, t, what);
  else
    check_test_types(f, tests, what);
}

static void check_pointer_arg(const fn_ctx *f, int i, const char *what, const char *spelled) {
  if (!check_index(f, i, what, false)) return;
  CXType t = clang_getArgType(f->type, (unsigned)i);
  char *n = type_name(t);
  if (clang_getCanonicalType(t).kind != CXType_Pointer || (spelled && !strstr(n, spelled)))
    strlist_addf(f->errors, "%s: %s: %s (argument %d) has type '%s', not a %s pointer", f->model, f->fn, what, i, n,
                 spelled ? spelled : "");
  free(n);
}

/* Every index and type the entry states, against the declaration. */
static void check_entry_against_decl(const char *model, const char *name, const cJSON *e, CXCursor c, strlist *errors) {
  fn_ctx f = {model, name, c, clang_getCursorType(c), clang_Cursor_getNumArguments(c), false, errors};
  f.variadic = clang_isFunctionTypeVariadic(f.type) != 0;
  bool calm = strcmp(model, "calm") == 0;
  const cJSON *v;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(e, "callbacks")) {
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(v, "status_param");
    /* a setter's value (`curl_easy_setopt(h, opt, fn)`) is one of its `...` arguments */
    int arg = cJSON_GetObjectItemCaseSensitive(v, "arg")->valueint;
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(v, "when");
    if (when) check_test_types(&f, when, "when");
    if (when && arg >= f.nparams && f.variadic) continue;
    check_fn_pointer_arg(&f, arg, "callback", cJSON_IsNumber(sp) ? sp->valueint : -1);
    /* a cold condition tests the registering call's arguments, as blocking does */
    check_cond_types(&f, cJSON_GetObjectItemCaseSensitive(v, "cold"), "cold");
  }
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(e, "invokes")) check_fn_pointer_arg(&f, v->valueint, "invokes", -1);
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(e, "takes_task"))
      check_pointer_arg(&f, v->valueint, "takes_task", calm ? "calm_task" : NULL);
  check_cond_types(&f, cJSON_GetObjectItemCaseSensitive(e, "blocking"), "blocking");
  check_cond_types(&f, cJSON_GetObjectItemCaseSensitive(e, "waits_forever"), "waits_forever");
  const char *res[] = {"acquires", "releases"};
  for (int k = 0; k < 2; k++) {
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, res[k]);
    if (r) check_pointer_arg(&f, cJSON_GetObjectItemCaseSensitive(r, "arg")->valueint, res[k], NULL);
  }
  const char *fmt[] = {"format_dest", "format_arg"};
  for (int k = 0; k < 2; k++) {
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(e, fmt[k]);
    if (fa) check_pointer_arg(&f, fa->valueint, fmt[k], NULL);
  }
  const cJSON *fo = cJSON_GetObjectItemCaseSensitive(e, "nonblocking_fd_out");
  if (fo) check_pointer_arg(&f, fo->valueint, "nonblocking_fd_out", NULL);
  const char *fds[] = {"fd_arg", "shares_fd"};
  for (int k = 0; k < 2; k++) {
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(e, fds[k]);
    if (fa && check_index(&f, fa->valueint, fds[k], false) &&
        !is_int_kind(param_type(&f, fa->valueint).kind))
      strlist_addf(errors, "%s: %s: %s %d is not an integer descriptor", model, name, fds[k], fa->valueint);
  }
  const cJSON *sa = cJSON_GetObjectItemCaseSensitive(e, "stream_arg");
  if (sa) check_pointer_arg(&f, sa->valueint, "stream_arg", "FILE");
  const cJSON *dl = cJSON_GetObjectItemCaseSensitive(e, "deadline_arg");
  if (dl && check_index(&f, dl->valueint, "deadline_arg", false)) {
    char *n = type_name(clang_getArgType(f.type, (unsigned)dl->valueint));
    if (calm ? strcmp(n, "calm_time") != 0 : !is_int_kind(param_type(&f, dl->valueint).kind))
      strlist_addf(errors, "%s: %s: deadline_arg %d has type '%s', not %s", model, name, dl->valueint, n,
                   calm ? "calm_time" : "an integer");
    free(n);
  }
  const cJSON *ret = cJSON_GetObjectItemCaseSensitive(e, "returns");
  if (cJSON_IsString(ret)) {
    CXType rt = clang_getCanonicalType(clang_getResultType(f.type));
    bool task = strcmp(ret->valuestring, "task") == 0;
    if (task ? rt.kind != CXType_Pointer : rt.kind != CXType_Int)
      strlist_addf(errors, "%s: %s: returns \"%s\", but its result is not %s", model, name, ret->valuestring,
                   task ? "a pointer" : "int");
  }
}

/* Every function the model names is declared by the headers (notes the macros), and
 * every pattern matches something. `notes` gets the names that are only macros. */
static size_t check_model_against_headers(const cJSON *root, const header_set *h, strlist *errors, strlist *notes) {
  const char *model = h->model;
  size_t checked = 0;
  const cJSON *fn;
  cJSON_ArrayForEach(fn, cJSON_GetObjectItemCaseSensitive(root, "functions")) {
    const decl *d = find_decl(h, fn->string);
    if (d) {
      check_entry_against_decl(model, fn->string, fn, d->cursor, errors);
      checked++;
      const cJSON *cb, *r;
      cJSON_ArrayForEach(cb, cJSON_GetObjectItemCaseSensitive(fn, "callbacks"))
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(cb, "runs_in"))
          if (cJSON_IsString(r) && !find_decl(h, r->valuestring))
            strlist_addf(errors, "%s: %s: runs_in names %s, which the %s headers do not declare", model, fn->string,
                         r->valuestring, model);
    } else if (strlist_has(&h->macros, fn->string)) {
      strlist_addf(notes, "%s: %s is a macro, not a function: calls are seen through its expansion", model, fn->string);
    } else {
      strlist_addf(errors, "%s: %s is not declared by the %s headers", model, fn->string, model);
    }
  }
  const cJSON *sl;
  cJSON_ArrayForEach(sl, cJSON_GetObjectItemCaseSensitive(root, "slots")) {
    if (strlist_has(&h->slots, sl->string)) checked++;
    else strlist_addf(errors, "%s: slot %s is not a function-pointer field the %s headers declare", model, sl->string, model);
  }
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(root, "patterns")) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(p, "match");
    if (!cJSON_IsString(m)) continue;
    bool any = false;
    for (size_t i = 0; i < h->nfns && !any; i++) any = fnmatch(m->valuestring, h->fns[i].name, 0) == 0;
    if (!any) strlist_addf(errors, "%s: pattern '%s' matches no function of the headers", model, m->valuestring);
  }
  return checked;
}

/* Public calm_* functions of calm.h that the model may leave out, each with the
 * reason. Empty today: even the pure helpers are listed, as thread_safe. */
static const char *const calm_unmodelled[][2] = {
    {NULL, NULL},
};

static bool calm_exempt(const char *name) {
  for (size_t i = 0; calm_unmodelled[i][0]; i++)
    if (strcmp(calm_unmodelled[i][0], name) == 0) return true;
  return false;
}

static bool declared_in(CXCursor c, const char *basename) {
  CXFile file;
  clang_getSpellingLocation(clang_getCursorLocation(c), &file, NULL, NULL, NULL);
  if (!file) return false;
  CXString s = clang_getFileName(file);
  const char *path = clang_getCString(s);
  size_t n = strlen(path), b = strlen(basename);
  bool yes = n >= b && strcmp(path + n - b, basename) == 0 && (n == b || path[n - b - 1] == '/');
  clang_disposeString(s);
  return yes;
}

/* calm.h and the calm model list the same functions; each entry says where it may be
 * called from (loop_only or thread_safe, exactly one). */
static void check_calm_agreement(const cJSON *root, const header_set *h, strlist *errors) {
  const cJSON *fns = cJSON_GetObjectItemCaseSensitive(root, "functions");
  for (size_t i = 0; i < h->nfns; i++) {
    const char *name = h->fns[i].name;
    if (strncmp(name, "calm_", 5) != 0 || !declared_in(h->fns[i].cursor, "calm.h")) continue;
    if (!cJSON_GetObjectItemCaseSensitive(fns, name) && !calm_exempt(name))
      strlist_addf(errors, "calm: %s is declared in calm.h but missing from the calm model", name);
  }
  const cJSON *fn;
  cJSON_ArrayForEach(fn, fns) {
    const decl *d = find_decl(h, fn->string);
    if (!d || !declared_in(d->cursor, "calm.h"))
      strlist_addf(errors, "calm: %s is in the calm model but not declared in calm.h", fn->string);
    bool lo = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fn, "loop_only"));
    bool ts = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fn, "thread_safe"));
    if (lo == ts) strlist_addf(errors, "calm: %s must say exactly one of loop_only and thread_safe", fn->string);
  }
}

/* ---- fixtures shared by the tests ---------------------------------------- */

#define MAX_MODELS 32
static struct {
  char *file; /* path */
  char *stem;
  char *text;
} model_files[MAX_MODELS];
static size_t nmodel_files;
static schema readme_schema;
static bool readme_ok;
static header_set headers[sizeof header_specs / sizeof *header_specs];

static int suite_init(void) {
  static const char *const names[] = {"calm",  "posix",   "libuv", "libevent", "glib",    "sqlite", "libpq",
                                      "curl",  "hiredis", "mysql", "mongoc",   "systemd", "lmdb",   "libaio",
                                      "libwebsockets"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    model_files[i].stem = strdup(names[i]);
    if (asprintf(&model_files[i].file, "%s/%s.json", models_dir, names[i]) < 0) return -1;
    model_files[i].text = read_text(model_files[i].file);
    nmodel_files++;
  }
  char *readme_path = NULL;
  if (asprintf(&readme_path, "%s/README.md", models_dir) < 0) return -1;
  char *readme = read_text(readme_path);
  free(readme_path);
  readme_ok = readme && readme_table_keys(readme, "Top level", &readme_schema.top) &&
              readme_table_keys(readme, "Function properties", &readme_schema.props);
  free(readme);
  return 0;
}

static int suite_clean(void) {
  for (size_t i = 0; i < nmodel_files; i++) {
    free(model_files[i].file);
    free(model_files[i].stem);
    free(model_files[i].text);
  }
  nmodel_files = 0;
  strlist_clear(&readme_schema.top);
  strlist_clear(&readme_schema.props);
  for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) free_headers(&headers[i]);
  return 0;
}

static header_set *headers_for(const char *model) {
  for (size_t i = 0; i < sizeof header_specs / sizeof *header_specs; i++)
    if (strcmp(header_specs[i].model, model) == 0) {
      if (!headers[i].model) parse_headers(&headers[i], &header_specs[i]);
      return &headers[i];
    }
  return NULL;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_every_model_file_is_there_and_parses(void) {
  strlist errors = {0};
  for (size_t i = 0; i < nmodel_files; i++) {
    if (!model_files[i].text) {
      strlist_addf(&errors, "%s: cannot be read", model_files[i].file);
      continue;
    }
    cJSON_Delete(parse_json(model_files[i].text, model_files[i].file, &errors));
  }
  /* and no model file goes unchecked: the build embeds every *.json it finds */
  DIR *d = opendir(models_dir);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t n = strlen(e->d_name);
    if (n <= 5 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
    bool listed = false;
    for (size_t i = 0; i < nmodel_files && !listed; i++)
      listed = strlen(model_files[i].stem) == n - 5 && strncmp(model_files[i].stem, e->d_name, n - 5) == 0;
    if (!listed) strlist_addf(&errors, "%s/%s: a model file this test does not check", models_dir, e->d_name);
  }
  closedir(d);
  CU_ASSERT_EQUAL(report(&errors), 0);
  strlist_clear(&errors);
}

static void test_readme_tables_are_found(void) {
  CU_ASSERT_TRUE(readme_ok);
  CU_ASSERT_TRUE(strlist_has(&readme_schema.top, "functions"));
  CU_ASSERT_TRUE(strlist_has(&readme_schema.props, "callbacks"));
  CU_ASSERT_TRUE(strlist_has(&readme_schema.props, "releases"));
}

static void test_every_model_follows_the_schema(void) {
  strlist errors = {0};
  for (size_t i = 0; i < nmodel_files; i++) {
    cJSON *root = model_files[i].text ? parse_json(model_files[i].text, model_files[i].file, &errors) : NULL;
    if (root) check_model_schema(&readme_schema, root, model_files[i].file, model_files[i].stem, &errors);
    cJSON_Delete(root);
  }
  CU_ASSERT_EQUAL(report(&errors), 0);
  strlist_clear(&errors);
}

static void test_models_agree_with_headers(void) {
  strlist errors = {0}, notes = {0};
  for (size_t i = 0; i < nmodel_files; i++) {
    const header_spec *spec = spec_for(model_files[i].stem);
    if (!spec || !model_files[i].text) continue;
    header_set *h = headers_for(spec->model);
    if (!h->parsed) {
      if (spec->required)
        strlist_addf(&errors, "%s: the headers do not parse: %s", spec->model, h->problem ? h->problem : "?");
      else
        printf("\n  note: %s headers not installed, its model is checked for schema only (%s)", spec->model,
               h->problem ? h->problem : "?");
      continue;
    }
    cJSON *root = parse_json(model_files[i].text, model_files[i].file, &errors);
    strlist schema_errors = {0};
    if (root) check_model_schema(&readme_schema, root, model_files[i].file, model_files[i].stem, &schema_errors);
    if (root && schema_errors.len == 0)
      printf("\n  %s: %zu functions checked against %zu declarations", spec->model,
             check_model_against_headers(root, h, &errors, &notes), h->nfns);
    strlist_clear(&schema_errors);
    cJSON_Delete(root);
  }
  for (size_t i = 0; i < notes.len; i++) printf("\n  note: %s", notes.items[i]);
  CU_ASSERT_EQUAL(report(&errors), 0);
  strlist_clear(&errors);
  strlist_clear(&notes);
}

static void test_calm_model_and_calm_h_agree(void) {
  strlist errors = {0};
  header_set *h = headers_for("calm");
  CU_ASSERT_FATAL(h && h->parsed);
  for (size_t i = 0; i < nmodel_files; i++) {
    if (strcmp(model_files[i].stem, "calm") != 0 || !model_files[i].text) continue;
    cJSON *root = parse_json(model_files[i].text, model_files[i].file, &errors);
    if (root) check_calm_agreement(root, h, &errors);
    cJSON_Delete(root);
  }
  CU_ASSERT_EQUAL(report(&errors), 0);
  strlist_clear(&errors);
}

/* The checks must be able to fail: a wrong callback index, a status_param of the
 * wrong type, a misspelt function, an unknown key, a bad context, a cold condition
 * of the wrong shape or type and a syntax error are each caught. */
static void test_mistakes_are_caught(void) {
  header_set *uv = headers_for("libuv");
  CU_ASSERT_FATAL(uv && uv->parsed);
  strlist errors = {0}, notes = {0};
  const char *wrong_indices = "{ \"model\": \"libuv\", \"description\": \"x\", \"functions\": {\n"
                              "  \"uv_timer_start\": { \"callbacks\": [ { \"arg\": 2, \"context\": \"loop\" } ] },\n"
                              "  \"uv_write\": { \"callbacks\": [ { \"arg\": 4, \"context\": \"loop\", \"status_param\": 0 } ] },\n"
                              "  \"uv_fs_read\": { \"blocking\": { \"when\": { \"arg\": 7, \"is\": \"null\" } } },\n"
                              "  \"uv_timer_strat\": { \"blocking\": true },\n"
                              "  \"uv_signal_start\": { \"callbacks\": [ { \"arg\": 1, \"context\": \"loop\",\n"
                              "                       \"cold\": { \"when\": { \"arg\": 0, \"equals\": 0 } } } ] } },\n"
                              "  \"patterns\": [ { \"match\": \"uvx_*\", \"loop_only\": true } ] }";
  cJSON *root = parse_json(wrong_indices, "wrong.json", &errors);
  CU_ASSERT_FATAL(root != NULL);
  check_model_against_headers(root, uv, &errors, &notes);
  cJSON_Delete(root);
  report(&errors);
  CU_ASSERT_EQUAL(errors.len, 6);
  strlist_clear(&errors);

  const char *wrong_keys = "{ \"model\": \"x\", \"description\": \"x\", \"colour\": 1, \"functions\": {\n"
                           "  \"f\": { \"blockng\": true, \"callbacks\": [ { \"arg\": 0, \"context\": \"lop\" },\n"
                           "                                  { \"arg\": 1, \"context\": \"loop\", \"cold\": \"often\" } ],\n"
                           "         \"waits_forever\": { \"when\": { \"arg\": 0, \"is\": \"zero\" } } } } }";
  root = parse_json(wrong_keys, "keys.json", &errors);
  CU_ASSERT_FATAL(root != NULL);
  check_model_schema(&readme_schema, root, "keys.json", "keys", &errors);
  cJSON_Delete(root);
  report(&errors);
  CU_ASSERT_EQUAL(errors.len, 6); /* colour, name, blockng, context, cold, is */
  strlist_clear(&errors);

  root = parse_json("{\n  \"model\": \"x\",\n  oops\n}\n", "broken.json", &errors);
  CU_ASSERT_PTR_NULL(root);
  CU_ASSERT_EQUAL_FATAL(errors.len, 1);
  CU_ASSERT_EQUAL(strncmp(errors.items[0], "broken.json:3:", 14), 0); /* the line of "oops" */
  CU_ASSERT_PTR_NOT_NULL(strstr(errors.items[0], ": invalid JSON"));
  strlist_clear(&errors);
  strlist_clear(&notes);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODELS_DIR [-M<model>=<compiler flag>]...\n", argv[0]);
    return 2;
  }
  models_dir = argv[1];
  for (int i = 2; i < argc; i++) {
    if (strncmp(argv[i], "-M", 2) != 0 || !strchr(argv[i], '=')) {
      fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[i]);
      return 2;
    }
    strlist_push(&model_flags, strdup(argv[i] + 2));
  }
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("models", suite_init, suite_clean);
  CU_add_test(s, "every model file is there and parses", test_every_model_file_is_there_and_parses);
  CU_add_test(s, "the README's key tables are found", test_readme_tables_are_found);
  CU_add_test(s, "every model follows the README schema", test_every_model_follows_the_schema);
  CU_add_test(s, "models agree with their headers", test_models_agree_with_headers);
  CU_add_test(s, "the calm model and calm.h agree", test_calm_model_and_calm_h_agree);
  CU_add_test(s, "wrong indices, names and keys are caught", test_mistakes_are_caught);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  strlist_clear(&model_flags);
  return failed ? 1 : 0;
}
