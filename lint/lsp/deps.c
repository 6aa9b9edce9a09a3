/* The project's units, linked by the symbols one refers to and another defines, and
 * the include directives of their text. */
#define _GNU_SOURCE
#include "deps.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../base/base.h"

typedef VEC(size_t) index_list;

typedef struct {
  char *main_file;
  VEC(char *) refs;          /* symbols it uses: callees, callbacks it passes, slots it calls */
  index_list callees, callers; /* units, once linked */
} unit;

struct deps_graph {
  VEC(unit) units;
  strmap *definers; /* symbol -> index_list * of the units defining it */
  strmap *by_file;  /* main file -> unit index + 1 */
  strmap *texts;    /* path -> text (NULL: unreadable), open documents' first */
  const char *const *changed; /* deps_graph_set_changed's, and the units they touch */
  size_t nchanged;
  bool *hit;
};

static void define(deps_graph *g, const char *sym, size_t u) {
  void *v;
  index_list *l;
  if (strmap_get(g->definers, sym, &v)) {
    l = v;
  } else {
    l = xcalloc(1, sizeof *l);
    strmap_put(g->definers, sym, l);
  }
  if (!l->len || l->items[l->len - 1] != u) VEC_PUSH(*l, u);
}

/* Every symbol below `node`: `usr` names a function or object used, `key` a callback
 * slot (a struct field), which both the unit storing into it and the one calling
 * through it name. */
static void collect(deps_graph *g, unit *un, size_t u, const cJSON *node) {
  const cJSON *c;
  cJSON_ArrayForEach(c, node) {
    if (cJSON_IsString(c) && c->string && (strcmp(c->string, "usr") == 0 || strcmp(c->string, "key") == 0)) {
      VEC_PUSH(un->refs, xstrdup(c->valuestring));
      if (strcmp(c->string, "key") == 0) define(g, c->valuestring, u);
    } else if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
      collect(g, un, u, c);
    }
  }
}

static void add_unit(deps_graph *g, const cJSON *root) {
  const cJSON *main_file = cJSON_GetObjectItemCaseSensitive(root, "main_file");
  if (!cJSON_IsString(main_file)) return;
  unit un;
  memset(&un, 0, sizeof un);
  un.main_file = xstrdup(main_file->valuestring);
  size_t u = g->units.len;
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(root, "functions")) {
    const cJSON *usr = cJSON_GetObjectItemCaseSensitive(f, "usr");
    if (cJSON_IsString(usr)) define(g, usr->valuestring, u);
    const cJSON *c;
    cJSON_ArrayForEach(c, f) if (cJSON_IsObject(c) || cJSON_IsArray(c)) collect(g, &un, u, c);
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, root) {
    if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && c->string && strcmp(c->string, "functions") != 0)
      collect(g, &un, u, c);
  }
  VEC_PUSH(g->units, un);
  strmap_put(g->by_file, un.main_file, (void *)(u + 1));
}

static void push_unique(index_list *l, size_t v) {
  for (size_t i = 0; i < l->len; i++)
    if (l->items[i] == v) return;
  VEC_PUSH(*l, v);
}

deps_graph *deps_graph_new(const char *dump) {
  deps_graph *g = xcalloc(1, sizeof *g);
  g->definers = strmap_new();
  g->by_file = strmap_new();
  g->texts = strmap_new();
  for (const char *p = dump; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    cJSON *root = cJSON_ParseWithLength(p, n);
    if (root) add_unit(g, root);
    cJSON_Delete(root);
    p += n + (nl ? 1 : 0);
  }
  for (size_t u = 0; u < g->units.len; u++) {
    unit *un = &g->units.items[u];
    for (size_t i = 0; i < un->refs.len; i++) {
      void *v;
      if (!strmap_get(g->definers, un->refs.items[i], &v)) continue;
      const index_list *defs = v;
      for (size_t k = 0; k < defs->len; k++) {
        if (defs->items[k] == u) continue;
        push_unique(&un->callees, defs->items[k]);
        push_unique(&g->units.items[defs->items[k]].callers, u);
      }
    }
  }
  return g;
}

static bool free_list(const char *key, void *value, void *ctx) {
  (void)key, (void)ctx;
  index_list *l = value;
  VEC_FREE(*l);
  free(l);
  return true;
}

static bool free_text(const char *key, void *value, void *ctx) {
  (void)key, (void)ctx;
  free(value);
  return true;
}

void deps_graph_free(deps_graph *g) {
  if (!g) return;
  for (size_t u = 0; u < g->units.len; u++) {
    unit *un = &g->units.items[u];
    free(un->main_file);
    for (size_t i = 0; i < un->refs.len; i++) free(un->refs.items[i]);
    VEC_FREE(un->refs);
    VEC_FREE(un->callees);
    VEC_FREE(un->callers);
  }
  VEC_FREE(g->units);
  strmap_each(g->definers, free_list, NULL);
  strmap_free(g->definers);
  strmap_free(g->by_file);
  strmap_each(g->texts, free_text, NULL);
  strmap_free(g->texts);
  free(g->hit);
  free(g);
}

void deps_graph_set_text(deps_graph *g, const char *path, const char *text) {
  void *old;
  if (strmap_get(g->texts, path, &old)) free(old);
  strmap_put(g->texts, path, text ? xstrdup(text) : NULL);
}

static const char *text_of(deps_graph *g, const char *path) {
  void *v;
  if (strmap_get(g->texts, path, &v)) return v;
  char *t = path_is_file(path) ? file_read(path, NULL) : NULL;
  strmap_put(g->texts, path, t);
  return t;
}

/* Whether the include name `name` can be `target`: the target is that path below
 * some include directory. */
static bool names_target(const char *name, size_t n, const char *target) {
  size_t t = strlen(target);
  return n > 0 && t > n && target[t - n - 1] == '/' && strncmp(target + t - n, name, n) == 0;
}

static bool names_any(const char *name, size_t n, const char *const *targets, size_t nt) {
  for (size_t i = 0; i < nt; i++)
    if (names_target(name, n, targets[i])) return true;
  return false;
}

static bool is_any(const char *path, const char *const *targets, size_t nt) {
  for (size_t i = 0; i < nt; i++)
    if (strcmp(path, targets[i]) == 0) return true;
  return false;
}

static bool includes(deps_graph *g, const char *path, const char *text, const char *const *targets, size_t nt,
                     strmap *seen, int depth) {
  if (!text || depth > 32) return false;
  char *dir = path_dirname(path);
  bool hit = false;
  for (const char *p = text; *p && !hit;) {
    const char *eol = strchr(p, '\n');
    if (!eol) eol = p + strlen(p);
    const char *q = p;
    while (q < eol && (*q == ' ' || *q == '\t')) q++;
    if (q < eol && *q == '#') {
      q++;
      while (q < eol && (*q == ' ' || *q == '\t')) q++;
      if (eol - q > 7 && strncmp(q, "include", 7) == 0) {
        q += 7;
        while (q < eol && (*q == ' ' || *q == '\t')) q++;
        char close = q < eol && *q == '"' ? '"' : q < eol && *q == '<' ? '>' : 0;
        const char *end = close ? memchr(q + 1, close, (size_t)(eol - q - 1)) : NULL;
        if (end) {
          size_t n = (size_t)(end - q - 1);
          if (names_any(q + 1, n, targets, nt)) {
            hit = true;
          } else {
            char *name = xstrndup(q + 1, n);
            char *joined = path_join(dir, name);
            char *header = path_normalize(joined);
            if (!strmap_get(seen, header, NULL)) {
              strmap_put(seen, header, NULL);
              hit = is_any(header, targets, nt) ||
                    includes(g, header, text_of(g, header), targets, nt, seen, depth + 1);
            }
            free(header);
            free(joined);
            free(name);
          }
        }
      }
    }
    p = *eol ? eol + 1 : eol;
  }
  free(dir);
  return hit;
}

bool deps_includes(deps_graph *g, const char *path, const char *text, const char *const *targets, size_t n) {
  strmap *seen = strmap_new();
  bool hit = includes(g, path, text ? text : text_of(g, path), targets, n, seen, 0);
  strmap_free(seen);
  return hit;
}

/* Whether a walk from unit `from` along callees (or callers) meets a unit of `hit`
 * other than `from` itself. */
static bool reaches(const deps_graph *g, size_t from, const bool *hit, bool down) {
  bool *seen = xcalloc(g->units.len, sizeof *seen);
  index_list todo = {0};
  VEC_PUSH(todo, from);
  seen[from] = true;
  bool found = false;
  while (todo.len && !found) {
    size_t u = todo.items[--todo.len];
    found = u != from && hit[u];
    const index_list *next = down ? &g->units.items[u].callees : &g->units.items[u].callers;
    for (size_t i = 0; i < next->len; i++)
      if (!seen[next->items[i]]) {
        seen[next->items[i]] = true;
        VEC_PUSH(todo, next->items[i]);
      }
  }
  VEC_FREE(todo);
  free(seen);
  return found;
}

void deps_graph_set_changed(deps_graph *g, const char *const *changed, size_t n) {
  g->changed = changed;
  g->nchanged = n;
  free(g->hit);
  g->hit = xcalloc(g->units.len + 1, sizeof *g->hit);
  for (size_t u = 0; u < g->units.len; u++) {
    const char *main_file = g->units.items[u].main_file;
    g->hit[u] = is_any(main_file, changed, n) || deps_includes(g, main_file, NULL, changed, n);
  }
}

bool deps_graph_depends(deps_graph *g, const char *doc) {
  if (!g->nchanged) return false;
  /* the document's own file is left out of what it may include (a changed copy of
   * it on disk is not its text) */
  const char **others = xcalloc(g->nchanged, sizeof *others);
  size_t k = 0;
  for (size_t i = 0; i < g->nchanged; i++)
    if (strcmp(g->changed[i], doc) != 0) others[k++] = g->changed[i];
  bool dep = k && deps_includes(g, doc, NULL, others, k);
  free(others);
  void *v;
  if (dep || !strmap_get(g->by_file, doc, &v)) return dep;
  size_t self = (size_t)v - 1;
  return reaches(g, self, g->hit, true) || reaches(g, self, g->hit, false);
}
