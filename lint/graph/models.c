/* Loading API models from JSON and answering "what does this function do". Entries
 * are kept as written; a lookup merges, property by property, every pattern and then
 * every exact entry of the enabled models, later ones winning. */
#include "models.h"

#include <cjson/cJSON.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum {
  P_CALLBACKS = 1u << 0, P_INVOKES = 1u << 1, P_BLOCKING = 1u << 2, P_WAITS = 1u << 3,
  P_DEADLINE = 1u << 4, P_SUSPENDS = 1u << 5, P_RETURNS = 1u << 6, P_TAKES = 1u << 7,
  P_SPAWNS = 1u << 8, P_ACQUIRES = 1u << 9, P_RELEASES = 1u << 10, P_SCOPE = 1u << 11,
  P_SHIELD = 1u << 12, P_THREAD_SAFE = 1u << 13, P_LOOP_ONLY = 1u << 14, P_NORETURN = 1u << 15,
  P_RUNS_LOOP = 1u << 16, P_CLEANUP = 1u << 17, P_INPUT = 1u << 18, P_FORKS = 1u << 19,
  P_OPENS_STREAM = 1u << 20, P_STREAM_ARG = 1u << 21, P_FORMAT_DEST = 1u << 22, P_FORMAT_ARG = 1u << 23,
  P_FD_ARG = 1u << 24, P_SHARES_FD = 1u << 25, P_NONBLOCKING_FD_OUT = 1u << 26,
};

typedef struct {
  model_fn fn;
  unsigned set; /* P_* given in the source */
  char *pattern; /* for pattern entries */
} entry;

typedef struct {
  char *name;
  bool enabled;
  bool has_cancel_status;
  int64_t cancel_status;
  strmap *functions; /* name -> entry* */
  VEC(entry *) patterns;
  strmap *slots;     /* "record.field" -> model_slot* */
} model;

struct model_db {
  VEC(model *) models;
  strpool *pool;
  strmap *cache; /* name -> merged model_fn* (or NULL: nothing known) */
  VEC(model_fn *) merged;
  const char **names;
};

const char *context_name(calm_context c) {
  switch (c) {
  case CTX_LOOP: return "loop";
  case CTX_WORKER: return "worker";
  default: return "unknown";
  }
}

model_db *model_db_new(void) {
  model_db *db = xcalloc(1, sizeof *db);
  db->pool = strpool_new();
  db->cache = strmap_new();
  return db;
}

static void free_entry(entry *e) {
  for (unsigned i = 0; i < e->fn.ncallbacks; i++) {
    free(e->fn.callbacks[i].cold.tests);
    free(e->fn.callbacks[i].when.tests);
    free(e->fn.callbacks[i].runs_in);
  }
  free(e->fn.callbacks);
  free(e->fn.invokes);
  free(e->fn.takes_task);
  free(e->fn.blocking.tests);
  free(e->fn.waits_forever.tests);
  free(e->pattern);
  free(e);
}

static bool free_slot_cb(const char *key, void *value, void *ctx) {
  (void)key;
  (void)ctx;
  free(value);
  return true;
}

static bool free_entry_cb(const char *key, void *value, void *ctx) {
  (void)key;
  (void)ctx;
  free_entry(value);
  return true;
}

static void clear_cache(model_db *db) {
  for (size_t i = 0; i < db->merged.len; i++) free(db->merged.items[i]);
  db->merged.len = 0;
  strmap_free(db->cache);
  db->cache = strmap_new();
  free(db->names);
  db->names = NULL;
}

void model_db_free(model_db *db) {
  if (!db) return;
  clear_cache(db);
  VEC_FREE(db->merged);
  strmap_free(db->cache);
  for (size_t i = 0; i < db->models.len; i++) {
    model *m = db->models.items[i];
    strmap_each(m->functions, free_entry_cb, NULL);
    strmap_free(m->functions);
    if (m->slots) strmap_each(m->slots, free_slot_cb, NULL);
    strmap_free(m->slots);
    for (size_t k = 0; k < m->patterns.len; k++) free_entry(m->patterns.items[k]);
    VEC_FREE(m->patterns);
    free(m->name);
    free(m);
  }
  VEC_FREE(db->models);
  strpool_free(db->pool);
  free(db);
}

/* ---- parsing ---- */

typedef struct {
  const char *origin;
  const char *where; /* function or pattern being read */
  char *error;
  strpool *pool;
} parser;

/* Records the first error. Keys and names come from the file: they are escaped, so
 * the message stays one line of plain text. */
static bool bad(parser *p, const char *fmt, const char *detail) {
  if (!p->error) {
    char *d = text_escape(detail, 64), *where = p->where ? text_escape(p->where, 128) : NULL;
    char *what = xasprintf(fmt, d);
    p->error = xasprintf("%s: %s%s%s", p->origin, what, where ? " in " : "", where ? where : "");
    free(what);
    free(d);
    free(where);
  }
  return false;
}

/* A property given twice would be read twice into one field: refuse the object. */
static bool no_duplicates(parser *p, const cJSON *object, const char *what) {
  VEC(const char *) keys = {0};
  const cJSON *it;
  cJSON_ArrayForEach(it, object) VEC_PUSH(keys, it->string);
  const char *dup = first_duplicate(keys.items, keys.len);
  VEC_FREE(keys);
  if (!dup) return true;
  char *fmt = xasprintf("%s '%%s' is given twice", what);
  bad(p, fmt, dup);
  free(fmt);
  return false;
}

/* JSON numbers are doubles: only integral values in [lo, hi] convert without
 * undefined behaviour (1e300 does not fit any integer type). */
static bool integral_in(const cJSON *v, double lo, double hi) {
  return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi &&
         v->valuedouble == (double)(int64_t)v->valuedouble;
}

static bool read_index(parser *p, const cJSON *v, int *out, const char *key) {
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 64 || v->valuedouble != (int)v->valuedouble)
    return bad(p, "'%s' must be an argument index (0-based integer)", key);
  *out = v->valueint;
  return true;
}

static bool read_index_list(parser *p, const cJSON *v, int **out, unsigned *n, const char *key) {
  if (!cJSON_IsArray(v)) return bad(p, "'%s' must be a list of argument indices", key);
  *n = (unsigned)cJSON_GetArraySize(v);
  *out = xcalloc(*n, sizeof **out);
  unsigned i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, v) if (!read_index(p, it, &(*out)[i++], key)) return false;
  return true;
}

static bool read_test(parser *p, const cJSON *o, model_test *t) {
  if (!cJSON_IsObject(o)) return bad(p, "a condition test must be an object%s", "");
  const cJSON *arg = cJSON_GetObjectItemCaseSensitive(o, "arg");
  if (!read_index(p, arg, &t->arg, "arg")) return false;
  int keys = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, o) {
    if (strcmp(it->string, "arg") == 0) continue;
    keys++;
    if (strcmp(it->string, "is") == 0) {
      if (cJSON_IsString(it) && strcmp(it->valuestring, "null") == 0) t->kind = TEST_NULL;
      else if (cJSON_IsString(it) && strcmp(it->valuestring, "nonnull") == 0) t->kind = TEST_NONNULL;
      else return bad(p, "'is' must be \"null\" or \"nonnull\"%s", "");
    } else if (strcmp(it->string, "equals") == 0) {
      /* 2^63 is the first double past INT64_MAX */
      if (!cJSON_IsNumber(it) || !(it->valuedouble >= -9223372036854775808.0 && it->valuedouble < 9223372036854775808.0) ||
          it->valuedouble != (double)(int64_t)it->valuedouble)
        return bad(p, "'equals' must be a 64-bit integer%s", "");
      t->kind = TEST_EQUALS;
      t->value = (int64_t)it->valuedouble;
    } else if (strcmp(it->string, "has_bits") == 0) {
      /* a flag set in a constant mask, also when a macro hides its spelling */
      if (!cJSON_IsNumber(it) || !(it->valuedouble >= 1 && it->valuedouble < 9223372036854775808.0) ||
          it->valuedouble != (double)(int64_t)it->valuedouble)
        return bad(p, "'has_bits' must be a positive 64-bit integer%s", "");
      t->kind = TEST_BITS;
      t->value = (int64_t)it->valuedouble;
    } else if (strcmp(it->string, "mentions") == 0 || strcmp(it->string, "prefix") == 0) {
      /* one identifier (or string beginning), or a list of them (any one will do), kept as "a|b" */
      bool prefix = strcmp(it->string, "prefix") == 0;
      strbuf names = {0};
      if (cJSON_IsString(it) && it->valuestring[0] && !strchr(it->valuestring, '|')) sb_append(&names, it->valuestring);
      const cJSON *n;
      if (cJSON_IsArray(it)) cJSON_ArrayForEach(n, it) {
          if (!cJSON_IsString(n) || !n->valuestring[0] || strchr(n->valuestring, '|')) {
            names.len = 0;
            break;
          }
          if (names.len) sb_appendc(&names, '|');
          sb_append(&names, n->valuestring);
        }
      char *joined = sb_take(&names);
      bool ok = joined && joined[0];
      if (ok) t->name = strpool_intern(p->pool, joined);
      free(joined);
      if (!ok && prefix) return bad(p, "'prefix' must be a string or a list of strings%s", "");
      if (!ok) return bad(p, "'mentions' must be an identifier or a list of identifiers%s", "");
      t->kind = prefix ? TEST_PREFIX : TEST_MENTIONS;
    } else {
      return bad(p, "unknown condition key '%s'", it->string);
    }
  }
  if (keys != 1)
    return bad(p, "a condition test needs exactly one of 'is', 'equals', 'mentions', 'has_bits', 'prefix'%s", "");
  return true;
}

static bool read_cond(parser *p, const cJSON *v, model_cond *c, const char *key) {
  c->set = true;
  if (cJSON_IsBool(v)) {
    c->always = cJSON_IsTrue(v);
    if (!c->always) c->set = true; /* `false` explicitly clears the property */
    return true;
  }
  if (!cJSON_IsObject(v)) return bad(p, "'%s' must be true, false or {\"when\"|\"unless\": ...}", key);
  const cJSON *when = cJSON_GetObjectItemCaseSensitive(v, "when");
  const cJSON *unless = cJSON_GetObjectItemCaseSensitive(v, "unless");
  if (cJSON_GetArraySize(v) != 1 || (!when && !unless))
    return bad(p, "'%s' needs exactly one of 'when' or 'unless'", key);
  const cJSON *tests = when ? when : unless;
  c->unless = unless != NULL;
  if (cJSON_IsObject(tests)) {
    c->ntests = 1;
    c->tests = xcalloc(1, sizeof *c->tests);
    return read_test(p, tests, &c->tests[0]);
  }
  if (!cJSON_IsArray(tests) || cJSON_GetArraySize(tests) == 0) return bad(p, "'%s' conditions must be a test or a list", key);
  c->ntests = (unsigned)cJSON_GetArraySize(tests);
  c->tests = xcalloc(c->ntests, sizeof *c->tests);
  unsigned i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, tests) if (!read_test(p, it, &c->tests[i++])) return false;
  return true;
}

static bool read_context(parser *p, const cJSON *v, calm_context *out) {
  if (cJSON_IsString(v) && strcmp(v->valuestring, "loop") == 0) *out = CTX_LOOP;
  else if (cJSON_IsString(v) && strcmp(v->valuestring, "worker") == 0) *out = CTX_WORKER;
  else return bad(p, "'context' must be \"loop\" or \"worker\"%s", "");
  return true;
}

static bool read_callbacks(parser *p, const cJSON *v, model_fn *fn) {
  if (!cJSON_IsArray(v)) return bad(p, "'callbacks' must be a list%s", "");
  fn->ncallbacks = (unsigned)cJSON_GetArraySize(v);
  fn->callbacks = xcalloc(fn->ncallbacks, sizeof *fn->callbacks);
  unsigned i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, v) {
    model_callback *cb = &fn->callbacks[i++];
    cb->status_param = -1;
    if (!cJSON_IsObject(it)) return bad(p, "a callback must be an object%s", "");
    const cJSON *k;
    bool has_arg = false, has_ctx = false;
    cJSON_ArrayForEach(k, it) {
      if (strcmp(k->string, "arg") == 0) has_arg = read_index(p, k, &cb->arg, "arg");
      else if (strcmp(k->string, "context") == 0) has_ctx = read_context(p, k, &cb->context);
      else if (strcmp(k->string, "status_param") == 0) {
        if (!read_index(p, k, &cb->status_param, "status_param")) return false;
      } else if (strcmp(k->string, "cancelled_by") == 0) {
        if (!cJSON_IsString(k)) return bad(p, "'cancelled_by' must be a function name%s", "");
        cb->cancelled_by = strpool_intern(p->pool, k->valuestring);
      } else if (strcmp(k->string, "status_checked_by") == 0) {
        if (!cJSON_IsString(k) || !k->valuestring[0]) return bad(p, "'status_checked_by' must be a function name%s", "");
        cb->status_checked_by = strpool_intern(p->pool, k->valuestring);
      } else if (strcmp(k->string, "cold") == 0) {
        if (!read_cond(p, k, &cb->cold, "cold")) return false;
      } else if (strcmp(k->string, "when") == 0) {
        /* the registration's own condition: the `when` of a condition object */
        cJSON *wrap = cJSON_CreateObject();
        cJSON_AddItemToObject(wrap, "when", cJSON_Duplicate(k, 1));
        bool ok = read_cond(p, wrap, &cb->when, "when");
        cJSON_Delete(wrap);
        if (!ok) return false;
      } else if (strcmp(k->string, "runs_in") == 0) {
        if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) == 0)
          return bad(p, "'runs_in' must be a list of function names%s", "");
        cb->runs_in = xcalloc((size_t)cJSON_GetArraySize(k), sizeof *cb->runs_in);
        const cJSON *n;
        cJSON_ArrayForEach(n, k) {
          if (!cJSON_IsString(n) || !n->valuestring[0]) return bad(p, "'runs_in' must be a list of function names%s", "");
          cb->runs_in[cb->nruns_in++] = strpool_intern(p->pool, n->valuestring);
        }
        has_ctx = true; /* it runs in the context of whoever calls those functions */
      } else if (strcmp(k->string, "description") == 0) {
        continue;
      } else return bad(p, "unknown callback key '%s'", k->string);
      if (p->error) return false;
    }
    if (!has_arg || !has_ctx) return bad(p, "a callback needs 'arg' and 'context'%s", "");
  }
  return true;
}

static bool read_resource(parser *p, const cJSON *v, model_resource_arg *r, const char *key) {
  if (!cJSON_IsObject(v)) return bad(p, "'%s' must be {\"arg\": N, \"kind\": \"semaphore\"|\"mutex\"}", key);
  const cJSON *arg = cJSON_GetObjectItemCaseSensitive(v, "arg");
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(v, "kind");
  if (!read_index(p, arg, &r->arg, "arg")) return false;
  if (cJSON_IsString(kind) && strcmp(kind->valuestring, "semaphore") == 0) r->kind = RESOURCE_SEMAPHORE;
  else if (cJSON_IsString(kind) && strcmp(kind->valuestring, "mutex") == 0) r->kind = RESOURCE_MUTEX;
  else return bad(p, "'%s.kind' must be \"semaphore\" or \"mutex\"", key);
  return true;
}

static bool read_enter_exit(parser *p, const cJSON *v, int *out, const char *key) {
  if (cJSON_IsString(v) && strcmp(v->valuestring, "enter") == 0) *out = 1;
  else if (cJSON_IsString(v) && strcmp(v->valuestring, "exit") == 0) *out = -1;
  else return bad(p, "'%s' must be \"enter\" or \"exit\"", key);
  return true;
}

static bool read_flag(parser *p, const cJSON *v, bool *out, const char *key) {
  if (!cJSON_IsBool(v)) return bad(p, "'%s' must be true or false", key);
  *out = cJSON_IsTrue(v);
  return true;
}

static bool read_slots(parser *p, model *m, const cJSON *v) {
  if (!cJSON_IsObject(v)) return bad(p, "'slots' must be an object from \"record.field\" to its callback%s", "");
  if (!no_duplicates(p, v, "slot")) return false;
  const cJSON *s;
  cJSON_ArrayForEach(s, v) {
    const char *dot = strchr(s->string, '.');
    if (!dot || dot == s->string || !dot[1]) return bad(p, "a slot is named \"record.field\"%s", "");
    if (!cJSON_IsObject(s)) return bad(p, "a slot's properties must be an object%s", "");
    model_slot sl = {CTX_NONE, false};
    const cJSON *k;
    cJSON_ArrayForEach(k, s) {
      if (strcmp(k->string, "context") == 0) {
        if (!read_context(p, k, &sl.context)) return false;
      } else if (strcmp(k->string, "cold") == 0) {
        if (!read_flag(p, k, &sl.cold, "cold")) return false;
      } else if (strcmp(k->string, "note") != 0 && strcmp(k->string, "description") != 0) {
        return bad(p, "unknown slot key '%s'", k->string);
      }
    }
    if (sl.context == CTX_NONE) return bad(p, "a slot needs a 'context'%s", "");
    if (!m->slots) m->slots = strmap_new();
    void *old;
    if (strmap_get(m->slots, s->string, &old)) free(old);
    model_slot *copy = xmalloc(sizeof *copy);
    *copy = sl;
    strmap_put(m->slots, s->string, copy);
  }
  return true;
}

const model_slot *model_db_slot(const model_db *db, const char *name) {
  const model_slot *found = NULL;
  for (size_t i = 0; name && i < db->models.len; i++) {
    const model *m = db->models.items[i];
    void *v;
    if (m->enabled && m->slots && strmap_get(m->slots, name, &v)) found = v;
  }
  return found;
}

static entry *read_entry(parser *p, const cJSON *o) {
  entry *e = xcalloc(1, sizeof *e);
  model_fn *fn = &e->fn;
  fn->deadline_arg = -1;
  fn->stream_arg = -1;
  fn->format_dest = -1;
  fn->format_arg = -1;
  fn->fd_arg = fn->shares_fd = fn->nonblocking_fd_out = -1;
  if (!cJSON_IsObject(o)) {
    bad(p, "a function's properties must be an object%s", "");
    return e;
  }
  if (!no_duplicates(p, o, "function property")) return e;
  const cJSON *v;
  cJSON_ArrayForEach(v, o) {
    const char *k = v->string;
    bool ok = true;
    if (strcmp(k, "callbacks") == 0) ok = read_callbacks(p, v, fn), e->set |= P_CALLBACKS;
    else if (strcmp(k, "invokes") == 0) ok = read_index_list(p, v, &fn->invokes, &fn->ninvokes, k), e->set |= P_INVOKES;
    else if (strcmp(k, "blocking") == 0) ok = read_cond(p, v, &fn->blocking, k), e->set |= P_BLOCKING;
    else if (strcmp(k, "waits_forever") == 0) ok = read_cond(p, v, &fn->waits_forever, k), e->set |= P_WAITS;
    else if (strcmp(k, "deadline_arg") == 0) ok = read_index(p, v, &fn->deadline_arg, k), e->set |= P_DEADLINE;
    else if (strcmp(k, "suspends") == 0) ok = read_flag(p, v, &fn->suspends, k), e->set |= P_SUSPENDS;
    else if (strcmp(k, "returns") == 0) {
      e->set |= P_RETURNS;
      if (cJSON_IsString(v) && strcmp(v->valuestring, "status") == 0) fn->returns = RETURNS_STATUS;
      else if (cJSON_IsString(v) && strcmp(v->valuestring, "task") == 0) fn->returns = RETURNS_TASK;
      else ok = bad(p, "'returns' must be \"status\" or \"task\"%s", "");
    } else if (strcmp(k, "takes_task") == 0)
      ok = read_index_list(p, v, &fn->takes_task, &fn->ntakes_task, k), e->set |= P_TAKES;
    else if (strcmp(k, "spawns") == 0) {
      e->set |= P_SPAWNS;
      if (cJSON_IsTrue(v)) fn->spawns = SPAWNS_UNBOUNDED;
      else if (cJSON_IsFalse(v)) fn->spawns = SPAWNS_NO;
      else if (cJSON_IsString(v) && strcmp(v->valuestring, "bounded") == 0) fn->spawns = SPAWNS_BOUNDED;
      else ok = bad(p, "'spawns' must be true, false or \"bounded\"%s", "");
    } else if (strcmp(k, "acquires") == 0) ok = read_resource(p, v, &fn->acquires, k), e->set |= P_ACQUIRES;
    else if (strcmp(k, "releases") == 0) ok = read_resource(p, v, &fn->releases, k), e->set |= P_RELEASES;
    else if (strcmp(k, "scope") == 0) ok = read_enter_exit(p, v, &fn->scope, k), e->set |= P_SCOPE;
    else if (strcmp(k, "shield") == 0) ok = read_enter_exit(p, v, &fn->shield, k), e->set |= P_SHIELD;
    else if (strcmp(k, "thread_safe") == 0) ok = read_flag(p, v, &fn->thread_safe, k), e->set |= P_THREAD_SAFE;
    else if (strcmp(k, "loop_only") == 0) ok = read_flag(p, v, &fn->loop_only, k), e->set |= P_LOOP_ONLY;
    else if (strcmp(k, "noreturn") == 0) ok = read_flag(p, v, &fn->noreturn, k), e->set |= P_NORETURN;
    else if (strcmp(k, "runs_loop") == 0) ok = read_flag(p, v, &fn->runs_loop, k), e->set |= P_RUNS_LOOP;
    else if (strcmp(k, "cleanup") == 0) ok = read_flag(p, v, &fn->cleanup, k), e->set |= P_CLEANUP;
    else if (strcmp(k, "input") == 0) ok = read_flag(p, v, &fn->input, k), e->set |= P_INPUT;
    else if (strcmp(k, "forks") == 0) ok = read_flag(p, v, &fn->forks, k), e->set |= P_FORKS;
    else if (strcmp(k, "opens_stream") == 0) ok = read_flag(p, v, &fn->opens_stream, k), e->set |= P_OPENS_STREAM;
    else if (strcmp(k, "stream_arg") == 0) ok = read_index(p, v, &fn->stream_arg, k), e->set |= P_STREAM_ARG;
    else if (strcmp(k, "format_dest") == 0) ok = read_index(p, v, &fn->format_dest, k), e->set |= P_FORMAT_DEST;
    else if (strcmp(k, "format_arg") == 0) ok = read_index(p, v, &fn->format_arg, k), e->set |= P_FORMAT_ARG;
    else if (strcmp(k, "fd_arg") == 0) ok = read_index(p, v, &fn->fd_arg, k), e->set |= P_FD_ARG;
    else if (strcmp(k, "shares_fd") == 0) ok = read_index(p, v, &fn->shares_fd, k), e->set |= P_SHARES_FD;
    else if (strcmp(k, "nonblocking_fd_out") == 0)
      ok = read_index(p, v, &fn->nonblocking_fd_out, k), e->set |= P_NONBLOCKING_FD_OUT;
    else if (strcmp(k, "description") == 0 || strcmp(k, "note") == 0) continue;
    else ok = bad(p, "unknown function property '%s'", k);
    if (!ok) break;
  }
  return e;
}

static model *find_model(model_db *db, const char *name) {
  for (size_t i = 0; i < db->models.len; i++)
    if (strcmp(db->models.items[i]->name, name) == 0) return db->models.items[i];
  return NULL;
}

static model *get_model(model_db *db, const char *name) {
  model *m = find_model(db, name);
  if (m) return m;
  m = xcalloc(1, sizeof *m);
  m->name = xstrdup(name);
  m->enabled = true;
  m->functions = strmap_new();
  VEC_PUSH(db->models, m);
  return m;
}

static bool read_functions(model_db *db, parser *p, model *m, const cJSON *functions) {
  if (!cJSON_IsObject(functions)) return bad(p, "'functions' must be an object%s", "");
  const cJSON *it;
  cJSON_ArrayForEach(it, functions) {
    p->where = it->string;
    entry *e = read_entry(p, it);
    if (p->error) {
      free_entry(e);
      return false;
    }
    e->fn.name = strpool_intern(db->pool, it->string);
    e->fn.model = strpool_intern(db->pool, m->name);
    void *old;
    if (strmap_get(m->functions, it->string, &old)) free_entry(old);
    strmap_put(m->functions, it->string, e);
  }
  p->where = NULL;
  return true;
}

int model_db_load_functions(model_db *db, const void *object, const char *model_name, const char *origin,
                            char **error) {
  parser p = {origin, NULL, NULL, db->pool};
  clear_cache(db);
  read_functions(db, &p, get_model(db, model_name), object);
  *error = p.error;
  return p.error ? -1 : 0;
}

int model_db_load(model_db *db, const char *json, const char *origin, char **error) {
  *error = NULL;
  clear_cache(db);
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
  if (!root) {
    unsigned line, col;
    const char *at = cJSON_GetErrorPtr();
    text_position(json, at && at >= json ? (size_t)(at - json) : 0, &line, &col);
    *error = xasprintf("%s:%u:%u: invalid JSON", origin, line, col);
    return -1;
  }
  parser p = {origin, NULL, NULL, db->pool};
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "model");
  if (!cJSON_IsObject(root)) bad(&p, "a model must be a JSON object%s", "");
  else if (!cJSON_IsString(name) || !name->valuestring[0]) bad(&p, "a model needs a \"model\" name%s", "");
  else no_duplicates(&p, root, "model key");
  model *m = p.error ? NULL : get_model(db, name->valuestring);
  const cJSON *it;
  if (m) cJSON_ArrayForEach(it, root) {
    if (strcmp(it->string, "model") == 0 || strcmp(it->string, "description") == 0) continue;
    if (strcmp(it->string, "cancel_status") == 0) {
      if (!integral_in(it, INT_MIN, INT_MAX)) {
        bad(&p, "'cancel_status' must be an integer that fits an int%s", "");
        break;
      }
      m->has_cancel_status = true;
      m->cancel_status = (int64_t)it->valuedouble;
    } else if (strcmp(it->string, "functions") == 0) {
      if (!read_functions(db, &p, m, it)) break;
    } else if (strcmp(it->string, "slots") == 0) {
      if (!read_slots(&p, m, it)) break;
    } else if (strcmp(it->string, "patterns") == 0) {
      if (!cJSON_IsArray(it)) {
        bad(&p, "'patterns' must be a list%s", "");
        break;
      }
      const cJSON *pat;
      cJSON_ArrayForEach(pat, it) {
        const cJSON *match = cJSON_GetObjectItemCaseSensitive(pat, "match");
        if (!cJSON_IsString(match)) {
          bad(&p, "a pattern needs a \"match\" glob%s", "");
          break;
        }
        cJSON *props = cJSON_Duplicate(pat, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(props, "match");
        p.where = match->valuestring;
        entry *e = read_entry(&p, props);
        cJSON_Delete(props);
        p.where = NULL;
        e->pattern = xstrdup(match->valuestring);
        e->fn.model = strpool_intern(db->pool, m->name);
        VEC_PUSH(m->patterns, e);
        if (p.error) break;
      }
      if (p.error) break;
    } else {
      bad(&p, "unknown model key '%s'", it->string);
      break;
    }
  }
  cJSON_Delete(root);
  *error = p.error;
  return p.error ? -1 : 0;
}

bool model_db_disable(model_db *db, const char *name) {
  model *m = find_model(db, name);
  if (!m) return false;
  m->enabled = false;
  clear_cache(db);
  return true;
}

bool model_db_has_model(const model_db *db, const char *name) {
  for (size_t i = 0; i < db->models.len; i++)
    if (strcmp(db->models.items[i]->name, name) == 0) return true;
  return false;
}

const char *const *model_db_models(const model_db *db) {
  model_db *mut = (model_db *)db;
  if (!mut->names) {
    mut->names = xcalloc(db->models.len + 1, sizeof *mut->names);
    for (size_t i = 0; i < db->models.len; i++) mut->names[i] = db->models.items[i]->name;
  }
  return mut->names;
}

/* Overlays the properties `e` sets onto `out`. */
static void overlay(model_fn *out, const entry *e, const model *m) {
  const model_fn *f = &e->fn;
  if (e->set & P_CALLBACKS) out->callbacks = f->callbacks, out->ncallbacks = f->ncallbacks;
  if (e->set & P_INVOKES) out->invokes = f->invokes, out->ninvokes = f->ninvokes;
  if (e->set & P_BLOCKING) out->blocking = f->blocking;
  if (e->set & P_WAITS) out->waits_forever = f->waits_forever;
  if (e->set & P_DEADLINE) out->deadline_arg = f->deadline_arg;
  if (e->set & P_SUSPENDS) out->suspends = f->suspends;
  if (e->set & P_RETURNS) out->returns = f->returns;
  if (e->set & P_TAKES) out->takes_task = f->takes_task, out->ntakes_task = f->ntakes_task;
  if (e->set & P_SPAWNS) out->spawns = f->spawns;
  if (e->set & P_ACQUIRES) out->acquires = f->acquires;
  if (e->set & P_RELEASES) out->releases = f->releases;
  if (e->set & P_SCOPE) out->scope = f->scope;
  if (e->set & P_SHIELD) out->shield = f->shield;
  if (e->set & P_THREAD_SAFE) out->thread_safe = f->thread_safe;
  if (e->set & P_LOOP_ONLY) out->loop_only = f->loop_only;
  if (e->set & P_NORETURN) out->noreturn = f->noreturn;
  if (e->set & P_RUNS_LOOP) out->runs_loop = f->runs_loop;
  if (e->set & P_CLEANUP) out->cleanup = f->cleanup;
  if (e->set & P_INPUT) out->input = f->input;
  if (e->set & P_FORKS) out->forks = f->forks;
  if (e->set & P_OPENS_STREAM) out->opens_stream = f->opens_stream;
  if (e->set & P_STREAM_ARG) out->stream_arg = f->stream_arg;
  if (e->set & P_FORMAT_DEST) out->format_dest = f->format_dest;
  if (e->set & P_FORMAT_ARG) out->format_arg = f->format_arg;
  if (e->set & P_FD_ARG) out->fd_arg = f->fd_arg;
  if (e->set & P_SHARES_FD) out->shares_fd = f->shares_fd;
  if (e->set & P_NONBLOCKING_FD_OUT) out->nonblocking_fd_out = f->nonblocking_fd_out;
  out->model = f->model;
  if (m->has_cancel_status) {
    out->has_cancel_status = true;
    out->cancel_status = m->cancel_status;
  }
}

const model_fn *model_db_lookup(model_db *db, const char *name) {
  void *cached;
  if (!name) return NULL;
  if (strmap_get(db->cache, name, &cached)) return cached;
  model_fn merged;
  memset(&merged, 0, sizeof merged);
  merged.deadline_arg = -1;
  merged.stream_arg = -1;
  merged.format_dest = -1;
  merged.format_arg = -1;
  merged.fd_arg = merged.shares_fd = merged.nonblocking_fd_out = -1;
  bool found = false;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < db->models.len; i++) {
      const model *m = db->models.items[i];
      if (!m->enabled) continue;
      if (pass == 0) {
        for (size_t k = 0; k < m->patterns.len; k++)
          if (fnmatch(m->patterns.items[k]->pattern, name, 0) == 0) {
            overlay(&merged, m->patterns.items[k], m);
            found = true;
          }
      } else {
        void *e;
        if (strmap_get(m->functions, name, &e)) {
          overlay(&merged, e, m);
          found = true;
        }
      }
    }
  }
  model_fn *result = NULL;
  if (found) {
    result = xmalloc(sizeof *result);
    *result = merged;
    result->name = strpool_intern(db->pool, name);
    VEC_PUSH(db->merged, result);
  }
  strmap_put(db->cache, name, result);
  return result;
}

/* ---- conditions ---- */

static bool is_ident_char(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/* Whether `text` names one of the identifiers of `names` ("a|b"). */
static bool text_mentions(const char *text, const char *names) {
  for (const char *name = names; *name;) {
    const char *bar = strchr(name, '|');
    size_t n = bar ? (size_t)(bar - name) : strlen(name);
    char one[128];
    if (n > 0 && n < sizeof one) {
      memcpy(one, name, n);
      one[n] = '\0';
      for (const char *p = text; (p = strstr(p, one)) != NULL; p += n) {
        bool left = p == text || !is_ident_char(p[-1]);
        bool right = !is_ident_char(p[n]);
        if (left && right) return true;
      }
    }
    name += n + (bar ? 1 : 0);
    if (!bar) break;
  }
  return false;
}

/* Whether `text` is a string literal (its source text, quotes included) that begins
 * with one of `prefixes` ("a|b"). */
static bool literal_begins(const char *text, const char *prefixes) {
  if (text[0] != '"') return false;
  for (const char *pre = prefixes; *pre;) {
    const char *bar = strchr(pre, '|');
    size_t n = bar ? (size_t)(bar - pre) : strlen(pre);
    if (n && strncmp(text + 1, pre, n) == 0) return true;
    if (!bar) break;
    pre = bar + 1;
  }
  return false;
}

static bool test_holds(const model_test *t, const ir_call *call) {
  if (t->arg < 0 || (unsigned)t->arg >= call->nargs) return false;
  const ir_value *v = &call->args[t->arg];
  bool null = v->kind == IR_VAL_NULL || (v->kind == IR_VAL_INT && v->ival == 0 && v->text && strcmp(v->text, "0") == 0);
  switch (t->kind) {
  case TEST_NULL: return null;
  case TEST_NONNULL: return !null;
  case TEST_EQUALS: return v->kind == IR_VAL_INT && v->ival == t->value;
  case TEST_MENTIONS: return v->text && text_mentions(v->text, t->name);
  case TEST_BITS: return v->kind == IR_VAL_INT && (v->ival & t->value) == t->value;
  case TEST_PREFIX: return v->kind == IR_VAL_STRING && v->text && literal_begins(v->text, t->name);
  }
  return false;
}

bool model_cond_holds(const model_cond *c, const ir_call *call) {
  if (!c->set) return false;
  if (c->ntests == 0) return c->always;
  bool all = true;
  for (unsigned i = 0; i < c->ntests && all; i++) all = test_holds(&c->tests[i], call);
  return c->unless ? !all : all;
}

int model_db_load_builtin(model_db *db, char **error) {
  for (unsigned i = 0; i < calm_builtin_model_count; i++) {
    char *origin = xasprintf("built-in model %s", calm_builtin_model_names[i]);
    int rc = model_db_load(db, calm_builtin_model_texts[i], origin, error);
    free(origin);
    if (rc) return rc;
  }
  return 0;
}
