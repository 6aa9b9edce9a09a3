/* Loading .calm-lint.json and the files it builds on, and answering what the
 * result means for a file. Unknown keys are errors, so a typo does not silently
 * turn a check off; every value keeps the place it was written, for errors and for
 * --show-config. */
#define _GNU_SOURCE /* memmem */
#include "config.h"

#include <cjson/cJSON.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../rules/rule.h"
#include "../base/base.h"
#include "../graph/models.h"

#define CONFIG_NAME ".calm-lint.json"
#define AT_DEFAULT "default"
#define MAX_DEPTH 32 /* files built on files: more is a mistake, not a project */

static const char *const config_keys[] = {"enable",           "disable",
                                          "extend-enable",    "extend-disable",
                                          "severity",         "exclude",
                                          "extend-exclude",   "per-file-ignores",
                                          "extend-per-file-ignores", "extends",
                                          "inherit",          "models",
                                          "cold_roots",       "functions",
                                          "model_files",      "fix_deadline_ms",
                                          "docs_url",         "home_url",
                                          "test_code",        "test-paths",
                                          "extend-test-paths", "max_guesses"};
#define NKEYS (sizeof config_keys / sizeof *config_keys)

/* Whether `s` starts with a URI scheme and a colon (RFC 3986: a letter, then letters,
 * digits, '+', '-' or '.'), as SARIF's helpUri and informationUri must. */
static bool absolute_uri(const char *s) {
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) return false;
  const char *p = s + 1;
  while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '+' ||
         *p == '-' || *p == '.')
    p++;
  return *p == ':' && p[1] != '\0';
}

/* ---- names: typos and globs ---- */

/* Edit distance with adjacent transpositions ("disabel"), capped for long words. */
static size_t distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 64 || m > 64) return SIZE_MAX;
  size_t d[65][65];
  for (size_t i = 0; i <= n; i++) d[i][0] = i;
  for (size_t j = 0; j <= m; j++) d[0][j] = j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[n][m];
}

const char *config_closest(const char *word, const char *const *candidates, size_t n) {
  const char *best = NULL;
  size_t best_d = SIZE_MAX, len = strlen(word);
  for (size_t i = 0; i < n; i++) {
    size_t d = distance(word, candidates[i]);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  size_t limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;
  return best_d <= limit ? best : NULL;
}

const char *config_closest_rule(const char *word) {
  const char *ids[64];
  size_t n = 0;
  for (unsigned i = 0; i < lint_rule_count && n < 64; i++) ids[n++] = lint_rules[i]->id;
  return config_closest(word, ids, n);
}

static bool is_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* Whether a rule id, "all" or a glob of ids in a list names rule `id`. */
static bool rule_named(const char *pattern, const char *id) {
  return strcmp(pattern, "all") == 0 || strcmp(pattern, id) == 0 || (is_glob(pattern) && fnmatch(pattern, id, 0) == 0);
}

static bool listed(const char *const *ids, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (rule_named(ids[i], id)) return true;
  return false;
}

const char *config_unknown_rule(const char *const *ids, size_t n) {
  for (size_t i = 0; i < n; i++) {
    bool known = strcmp(ids[i], "all") == 0 || lint_rule_find(ids[i]);
    for (unsigned r = 0; !known && is_glob(ids[i]) && r < lint_rule_count; r++)
      known = fnmatch(ids[i], lint_rules[r]->id, 0) == 0;
    if (!known) return ids[i];
  }
  return NULL;
}

static int rule_index(const char *id) {
  for (unsigned i = 0; i < lint_rule_count; i++)
    if (strcmp(lint_rules[i]->id, id) == 0) return (int)i;
  return -1;
}

/* The rest of glob `g` against the rest of path `p`, a segment at a time. */
static bool glob_from(const char *g, const char *p) {
  const char *gs = strchr(g, '/');
  size_t gl = gs ? (size_t)(gs - g) : strlen(g);
  const char *gnext = gs ? gs + 1 : g + gl;
  const char *ps = strchr(p, '/');
  if (gl == 2 && g[0] == '*' && g[1] == '*') {
    if (!*gnext || glob_from(gnext, p)) return true; /* no directory, or this one */
    return ps && glob_from(g, ps + 1);               /* one more directory */
  }
  if (!*p) return false;
  size_t pl = ps ? (size_t)(ps - p) : strlen(p);
  char *gseg = xstrndup(g, gl), *pseg = xstrndup(p, pl);
  bool ok = fnmatch(gseg, pseg, 0) == 0;
  free(gseg);
  free(pseg);
  if (!ok) return false;
  if (!*gnext) return true; /* the file, or a directory and so everything under it */
  return ps && glob_from(gnext, ps + 1);
}

bool config_glob_match(const char *glob, const char *path) {
  while (strncmp(glob, "./", 2) == 0) glob += 2;
  if (*glob == '/') glob++; /* anchored at the configuration's directory, as globs are anyway */
  if (!*glob) return false;
  if (strchr(glob, '/')) return glob_from(glob, path);
  for (const char *seg = path; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
    const char *end = strchr(seg, '/');
    char *name = xstrndup(seg, end ? (size_t)(end - seg) : strlen(seg));
    bool ok = fnmatch(glob, name, 0) == 0;
    free(name);
    if (ok) return true;
  }
  return false;
}

/* `file` relative to `base`, or NULL when it is not under it. */
static const char *relative_to(const char *file, const char *base) {
  if (!file || !base || !path_is_under(file, base) || strcmp(file, base) == 0) return NULL;
  size_t n = strlen(base);
  return file + n + (strcmp(base, "/") != 0);
}

bool config_entry_matches(const config_entry *e, const char *file) {
  const char *rel = relative_to(file, e->base);
  return rel && config_glob_match(e->text, rel);
}

/* ---- reading one file ---- */

typedef VEC(config_entry) entry_list;

/* One configuration file as written: a layer of the effective configuration. */
typedef struct {
  char *path;       /* as named */
  char *real;       /* its identity, for cycles and files reached twice */
  char *dir;        /* absolute */
  char *extends;    /* absolute path of the file it extends, or NULL */
  char *extends_at;
  bool inherit;
  char *inherit_at;
  bool has_enable, has_disable, has_exclude, has_ignores, has_cold, has_test_code, has_test_paths;
  char *enable_at, *disable_at;
  entry_list enable, extend_enable, disable, extend_disable, severity;
  entry_list exclude, extend_exclude, ignores, extend_ignores, test_paths, extend_test_paths;
  entry_list models_disable, model_files, function_names;
  cJSON *functions;
  bool cold_warning;
  char *cold_at;
  bool test_warning;
  char *test_code_at;
  long long fix_deadline_ms; /* "fix_deadline_ms", or 0 when not given */
  char *fix_deadline_at;
  int max_guesses;           /* "max_guesses", or -1 when not given */
  char *max_guesses_at;
  char *docs_url, *docs_url_at; /* "docs_url": a rule's page, "{rule}" standing for its id */
  char *home_url, *home_url_at; /* "home_url": the tool's page */
} layer;

static void entry_free(config_entry *e) {
  free(e->text);
  free(e->origin);
  free(e->base);
  for (size_t i = 0; i < e->nrules; i++) free(e->rules[i]);
  free(e->rules);
}

static config_entry entry_copy(const config_entry *e) {
  config_entry c = *e;
  c.text = xstrdup(e->text);
  c.origin = xstrdup(e->origin);
  c.base = e->base ? xstrdup(e->base) : NULL;
  c.rules = e->nrules ? xcalloc(e->nrules, sizeof *c.rules) : NULL;
  for (size_t i = 0; i < e->nrules; i++) c.rules[i] = xstrdup(e->rules[i]);
  return c;
}

static void entries_free(entry_list *l) {
  for (size_t i = 0; i < l->len; i++) entry_free(&l->items[i]);
  VEC_FREE(*l);
}

static void layer_free(layer *l) {
  if (!l) return;
  free(l->path);
  free(l->real);
  free(l->dir);
  free(l->extends);
  free(l->extends_at);
  free(l->inherit_at);
  free(l->enable_at);
  free(l->disable_at);
  free(l->cold_at);
  free(l->test_code_at);
  free(l->fix_deadline_at);
  free(l->max_guesses_at);
  free(l->docs_url);
  free(l->docs_url_at);
  free(l->home_url);
  free(l->home_url_at);
  entry_list *lists[] = {&l->enable,  &l->extend_enable,  &l->disable, &l->extend_disable,
                         &l->severity, &l->exclude,       &l->extend_exclude, &l->ignores,
                         &l->extend_ignores, &l->test_paths, &l->extend_test_paths, &l->models_disable,
                         &l->model_files, &l->function_names};
  for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) entries_free(lists[i]);
  cJSON_Delete(l->functions);
  free(l);
}

typedef struct {
  const char *text;
  size_t len;
  const char *path;
  char **error;
} reader;

/* `path:line:col` of offset `off` (just `path` when it is unknown). */
static char *where(const reader *rd, long off) {
  if (off < 0) return xstrdup(rd->path);
  unsigned line, col;
  text_position(rd->text, (size_t)off, &line, &col);
  return xasprintf("%s:%u:%u", rd->path, line, col);
}

static void bad(reader *rd, long off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void bad(reader *rd, long off, const char *fmt, ...) {
  if (*rd->error) return;
  va_list ap;
  va_start(ap, fmt);
  strbuf sb = {0};
  char *at = where(rd, off);
  sb_printf(&sb, "%s: ", at);
  free(at);
  sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  *rd->error = sb_take(&sb);
}

/* Offset of the top-level key `key` (cJSON keeps no positions) after skipping
 * `skip` occurrences of it, or -1. */
static long top_key_nth(const reader *rd, const char *key, int skip) {
  int depth = 0;
  size_t klen = strlen(key);
  for (size_t i = 0; i < rd->len; i++) {
    char ch = rd->text[i];
    if (ch == '"') {
      size_t start = i;
      for (i++; i < rd->len && rd->text[i] != '"'; i++)
        if (rd->text[i] == '\\') i++;
      if (depth != 1) continue;
      size_t j = i + 1;
      while (j < rd->len && (rd->text[j] == ' ' || rd->text[j] == '\t' || rd->text[j] == '\r' || rd->text[j] == '\n'))
        j++;
      if (j < rd->len && rd->text[j] == ':' && i - start - 1 == klen && memcmp(rd->text + start + 1, key, klen) == 0 &&
          skip-- == 0)
        return (long)start;
    } else if (ch == '{' || ch == '[') {
      depth++;
    } else if (ch == '}' || ch == ']') {
      depth--;
    }
  }
  return -1;
}

static long top_key(const reader *rd, const char *key) { return top_key_nth(rd, key, 0); }

/* Offset of the first `"s"` after `from` (a value or a nested key), else `from`. */
static long find_after(const reader *rd, long from, const char *s) {
  if (from < 0) return -1;
  char *quoted = xasprintf("\"%s\"", s);
  const char *at = memmem(rd->text + from + 1, rd->len - (size_t)from - 1, quoted, strlen(quoted));
  free(quoted);
  return at ? (long)(at - rd->text) : from;
}

static void unknown_rule(reader *rd, long off, const char *id) {
  char *shown = text_escape(id, 64);
  const char *close = config_closest_rule(id);
  if (close) bad(rd, off, "unknown rule '%s' (did you mean '%s'?)", shown, close);
  else bad(rd, off, "unknown rule '%s' (see calm-lint --list-rules)", shown);
  free(shown);
}

/* A list of strings into `out`, each with its place; false if `v` is not one. */
static bool read_strings(reader *rd, const cJSON *v, long key, entry_list *out, const char *base) {
  if (!cJSON_IsArray(v)) return false;
  const cJSON *it;
  cJSON_ArrayForEach(it, v) if (!cJSON_IsString(it)) return false;
  cJSON_ArrayForEach(it, v) {
    config_entry e = {0};
    e.text = xstrdup(it->valuestring);
    e.origin = where(rd, find_after(rd, key, it->valuestring));
    e.base = base ? xstrdup(base) : NULL;
    VEC_PUSH(*out, e);
  }
  return true;
}

static void read_rules(reader *rd, const cJSON *v, long key, const char *name, entry_list *out) {
  if (!read_strings(rd, v, key, out, NULL)) {
    bad(rd, key, "'%s' must be a list of rule ids", name);
    return;
  }
  for (size_t i = 0; i < out->len; i++) {
    const char *id = out->items[i].text;
    if (config_unknown_rule(&id, 1)) unknown_rule(rd, find_after(rd, key, id), id);
  }
}

static void read_globs(reader *rd, const cJSON *v, long key, const char *name, const char *dir, entry_list *out) {
  if (!read_strings(rd, v, key, out, dir)) {
    bad(rd, key, "'%s' must be a list of path globs", name);
    return;
  }
  for (size_t i = 0; i < out->len; i++)
    if (!out->items[i].text[0]) bad(rd, key, "'%s' has an empty glob, which matches nothing", name);
}

/* "per-file-ignores": {"glob": [rule ids]}. */
static void read_ignores(reader *rd, const cJSON *v, long key, const char *name, const char *dir, entry_list *out) {
  if (!cJSON_IsObject(v)) {
    bad(rd, key, "'%s' must be an object of path globs and lists of rule ids", name);
    return;
  }
  const cJSON *it;
  cJSON_ArrayForEach(it, v) {
    long at = find_after(rd, key, it->string);
    entry_list rules = {0};
    if (!it->string[0]) bad(rd, at, "'%s' has an empty glob, which matches nothing", name);
    else read_rules(rd, it, at, name, &rules);
    config_entry e = {0};
    e.text = xstrdup(it->string);
    e.origin = where(rd, at);
    e.base = xstrdup(dir);
    e.rules = rules.len ? xcalloc(rules.len, sizeof *e.rules) : NULL;
    for (size_t i = 0; i < rules.len; i++) e.rules[e.nrules++] = xstrdup(rules.items[i].text);
    entries_free(&rules);
    VEC_PUSH(*out, e);
    if (*rd->error) return;
  }
}

/* ", did you mean 'x'?" when `word` is close to one of `candidates`, else "". */
static const char *maybe(const char *word, const char *const *candidates, size_t n, char buf[128]) {
  const char *close = word ? config_closest(word, candidates, n) : NULL;
  if (!close) return "";
  snprintf(buf, 128, " (did you mean '%s'?)", close);
  return buf;
}

static void read_severity(reader *rd, const cJSON *v, long key, entry_list *out) {
  if (!cJSON_IsObject(v)) {
    bad(rd, key, "'severity' must be an object of rule ids and \"error\", \"warning\" or \"note\"");
    return;
  }
  const cJSON *it;
  cJSON_ArrayForEach(it, v) {
    long at = find_after(rd, key, it->string);
    const char *id = it->string;
    if (config_unknown_rule(&id, 1)) {
      unknown_rule(rd, at, id);
      return;
    }
    int sev = -1;
    if (cJSON_IsString(it) && strcmp(it->valuestring, "error") == 0) sev = SEV_ERROR;
    else if (cJSON_IsString(it) && strcmp(it->valuestring, "warning") == 0) sev = SEV_WARNING;
    else if (cJSON_IsString(it) && strcmp(it->valuestring, "note") == 0) sev = SEV_NOTE;
    if (sev < 0) {
      static const char *const levels[] = {"error", "warning", "note"};
      char buf[128], *shown = text_escape(id, 64);
      bad(rd, at, "the severity of '%s' must be \"error\", \"warning\" or \"note\"%s", shown,
          maybe(cJSON_IsString(it) ? it->valuestring : NULL, levels, 3, buf));
      free(shown);
      return;
    }
    config_entry e = {0};
    e.text = xstrdup(id);
    e.origin = where(rd, at);
    e.severity = sev;
    VEC_PUSH(*out, e);
  }
}

static void read_models(reader *rd, const cJSON *it, long key, layer *l) {
  const cJSON *dis = cJSON_GetObjectItemCaseSensitive(it, "disable");
  static const char *const model_keys[] = {"disable"};
  const cJSON *other = cJSON_IsObject(it) && !dis ? it->child : NULL;
  if (other) {
    char buf[128], *shown = text_escape(other->string, 64);
    bad(rd, find_after(rd, key, other->string), "unknown key '%s' in 'models'%s", shown,
        maybe(other->string, model_keys, 1, buf));
    free(shown);
    return;
  }
  if (!cJSON_IsObject(it) || cJSON_GetArraySize(it) != (dis ? 1 : 0) ||
      (dis && !read_strings(rd, dis, find_after(rd, key, "disable"), &l->models_disable, NULL))) {
    bad(rd, key, "'models' must be {\"disable\": [model names]}");
    return;
  }
  /* an unknown name is echoed later: one that needs escaping is no model's */
  for (size_t m = 0; m < l->models_disable.len; m++) {
    char *name = text_escape(l->models_disable.items[m].text, 64);
    if (strcmp(name, l->models_disable.items[m].text) != 0)
      bad(rd, key, "'%s' in models.disable is not a model name", name);
    free(name);
  }
}

static void read_functions(reader *rd, const cJSON *it, long key, layer *l) {
  if (!cJSON_IsObject(it)) {
    bad(rd, key, "'functions' must be an object of function entries");
    return;
  }
  /* checked here, so an error names this file even when a child loads the entries */
  model_db *db = model_db_new();
  char *err = NULL;
  if (model_db_load_functions(db, it, "config", rd->path, &err) != 0 && !*rd->error) *rd->error = err;
  else free(err);
  model_db_free(db);
  l->functions = cJSON_Duplicate(it, 1);
  const cJSON *fn;
  cJSON_ArrayForEach(fn, it) {
    config_entry e = {0};
    e.text = xstrdup(fn->string);
    e.origin = where(rd, find_after(rd, key, fn->string));
    VEC_PUSH(l->function_names, e);
  }
}

/* A "note" or "warning" setting (cold_roots, test_code): true for "warning". */
static bool read_level(reader *rd, const cJSON *it, long key, const char *name) {
  if (cJSON_IsString(it) && strcmp(it->valuestring, "warning") == 0) return true;
  if (!cJSON_IsString(it) || strcmp(it->valuestring, "note") != 0) {
    static const char *const levels[] = {"note", "warning"};
    char buf[128];
    bad(rd, key, "'%s' must be \"note\" or \"warning\"%s", name,
        maybe(cJSON_IsString(it) ? it->valuestring : NULL, levels, 2, buf));
  }
  return false;
}

static void unknown_key(reader *rd, const char *k) {
  char *key = text_escape(k, 64);
  const char *close = config_closest(k, config_keys, NKEYS);
  long at = top_key(rd, k);
  if (close) {
    bad(rd, at, "unknown configuration key '%s' (did you mean '%s'?)", key, close);
  } else {
    strbuf sb = {0};
    for (size_t i = 0; i < NKEYS; i++) sb_printf(&sb, "%s%s", i ? ", " : "", config_keys[i]);
    bad(rd, at, "unknown configuration key '%s' (expected one of %s)", key, sb.data);
    sb_free(&sb);
  }
  free(key);
}

/* A key given twice would leave one of its values unread, or read both into one
 * field: the first key that appears twice in `object`, or NULL. */
static const char *duplicate_key(const cJSON *object) {
  VEC(const char *) keys = {0};
  const cJSON *it;
  cJSON_ArrayForEach(it, object) VEC_PUSH(keys, it->string);
  const char *dup = first_duplicate(keys.items, keys.len);
  VEC_FREE(keys);
  return dup;
}

/* One file's text into a layer; NULL with *error set. `name`: `path` as errors
 * show it. */
static layer *read_layer(const char *text, size_t len, const char *path, const char *name, char **error) {
  reader rd = {text, len, name, error};
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
  if (!root) {
    unsigned line, col;
    const char *at = cJSON_GetErrorPtr();
    text_position(text, at && at >= text ? (size_t)(at - text) : len, &line, &col);
    *error = xasprintf("%s:%u:%u: invalid JSON in configuration", path, line, col);
    return NULL;
  }
  layer *l = xcalloc(1, sizeof *l);
  l->path = xstrdup(name);
  char *abs = path_absolute(path, NULL);
  l->dir = path_dirname(abs);
  char *real = realpath(abs, NULL);
  l->real = real ? real : xstrdup(abs);
  free(abs);
  const char *dup;
  if (!cJSON_IsObject(root)) {
    bad(&rd, (long)strspn(text, " \t\r\n"), "configuration must be a JSON object");
  } else if ((dup = duplicate_key(root)) != NULL) {
    char *key = text_escape(dup, 64);
    bad(&rd, top_key_nth(&rd, dup, 1), "configuration key '%s' is given twice", key);
    free(key);
  }
  const cJSON *it;
  if (!*error) cJSON_ArrayForEach(it, root) {
    const char *k = it->string;
    long key = top_key(&rd, k);
    if (strcmp(k, "enable") == 0) {
      l->has_enable = true;
      l->enable_at = where(&rd, key);
      read_rules(&rd, it, key, k, &l->enable);
    } else if (strcmp(k, "disable") == 0) {
      l->has_disable = true;
      l->disable_at = where(&rd, key);
      read_rules(&rd, it, key, k, &l->disable);
    } else if (strcmp(k, "extend-enable") == 0) {
      read_rules(&rd, it, key, k, &l->extend_enable);
    } else if (strcmp(k, "extend-disable") == 0) {
      read_rules(&rd, it, key, k, &l->extend_disable);
    } else if (strcmp(k, "severity") == 0) {
      read_severity(&rd, it, key, &l->severity);
    } else if (strcmp(k, "exclude") == 0) {
      l->has_exclude = true;
      read_globs(&rd, it, key, k, l->dir, &l->exclude);
    } else if (strcmp(k, "extend-exclude") == 0) {
      read_globs(&rd, it, key, k, l->dir, &l->extend_exclude);
    } else if (strcmp(k, "per-file-ignores") == 0) {
      l->has_ignores = true;
      read_ignores(&rd, it, key, k, l->dir, &l->ignores);
    } else if (strcmp(k, "extend-per-file-ignores") == 0) {
      read_ignores(&rd, it, key, k, l->dir, &l->extend_ignores);
    } else if (strcmp(k, "extends") == 0) {
      if (!cJSON_IsString(it) || !it->valuestring[0]) bad(&rd, key, "'extends' must be the path of a configuration file");
      else {
        l->extends = path_absolute(it->valuestring, l->dir);
        l->extends_at = where(&rd, key);
      }
    } else if (strcmp(k, "inherit") == 0) {
      if (!cJSON_IsBool(it)) bad(&rd, key, "'inherit' must be true or false");
      l->inherit = cJSON_IsTrue(it);
      l->inherit_at = where(&rd, key);
    } else if (strcmp(k, "models") == 0) {
      read_models(&rd, it, key, l);
    } else if (strcmp(k, "cold_roots") == 0) {
      l->has_cold = true;
      l->cold_at = where(&rd, key);
      l->cold_warning = read_level(&rd, it, key, k);
    } else if (strcmp(k, "test_code") == 0) {
      l->has_test_code = true;
      l->test_code_at = where(&rd, key);
      l->test_warning = read_level(&rd, it, key, k);
    } else if (strcmp(k, "test-paths") == 0) {
      l->has_test_paths = true;
      read_globs(&rd, it, key, k, l->dir, &l->test_paths);
    } else if (strcmp(k, "extend-test-paths") == 0) {
      read_globs(&rd, it, key, k, l->dir, &l->extend_test_paths);
    } else if (strcmp(k, "max_guesses") == 0) {
      if (!cJSON_IsNumber(it) || it->valuedouble != (double)(int)it->valuedouble || it->valuedouble < 0 ||
          it->valuedouble > 64)
        bad(&rd, key, "'max_guesses' must be a whole number from 0 to 64");
      else
        l->max_guesses = (int)it->valuedouble;
      free(l->max_guesses_at);
      l->max_guesses_at = where(&rd, key);
    } else if (strcmp(k, "fix_deadline_ms") == 0) {
      /* at most a day: a longer deadline is CALM_FOREVER by another name */
      if (!cJSON_IsNumber(it) || it->valuedouble != (double)(long long)it->valuedouble || it->valuedouble < 1 ||
          it->valuedouble > 86400000)
        bad(&rd, key, "'fix_deadline_ms' must be a whole number of milliseconds from 1 to 86400000");
      else
        l->fix_deadline_ms = (long long)it->valuedouble;
      free(l->fix_deadline_at);
      l->fix_deadline_at = where(&rd, key);
    } else if (strcmp(k, "docs_url") == 0 || strcmp(k, "home_url") == 0) {
      bool docs = k[0] == 'd';
      if (!cJSON_IsString(it) || !absolute_uri(it->valuestring))
        bad(&rd, key, "'%s' must be an absolute URL (scheme:...)%s", k,
            docs ? ", with {rule} where the rule id goes" : "");
      else if (docs && !strstr(it->valuestring, "{rule}"))
        bad(&rd, key, "'docs_url' needs {rule} where the rule id goes, or every rule links to one page");
      char **value = docs ? &l->docs_url : &l->home_url, **at = docs ? &l->docs_url_at : &l->home_url_at;
      free(*value);
      free(*at);
      *value = cJSON_IsString(it) ? xstrdup(it->valuestring) : NULL;
      *at = where(&rd, key);
    } else if (strcmp(k, "functions") == 0) {
      read_functions(&rd, it, key, l);
    } else if (strcmp(k, "model_files") == 0) {
      if (!read_strings(&rd, it, key, &l->model_files, NULL)) bad(&rd, key, "'model_files' must be a list of paths");
      for (size_t i = 0; i < l->model_files.len; i++) {
        char *absf = path_absolute(l->model_files.items[i].text, l->dir);
        free(l->model_files.items[i].text);
        l->model_files.items[i].text = absf;
      }
    } else {
      unknown_key(&rd, k);
    }
    if (*error) break;
  }
  cJSON_Delete(root);
  if (*error) {
    layer_free(l);
    return NULL;
  }
  return l;
}

/* ---- files built on files ---- */

typedef VEC(layer *) layer_list;
typedef VEC(char *) name_list;

/* A path as messages show it: escaped when it holds a control character (an
 * "extends" value may hold anything), so an error stays one line. */
static char *shown_name(const char *path) {
  for (const unsigned char *p = (const unsigned char *)path; *p; p++)
    if (*p < 0x20 || *p == 0x7f) return text_escape(path, 4096);
  return xstrdup(path);
}

static bool have_layer(const layer_list *out, const char *real) {
  for (size_t i = 0; i < out->len; i++)
    if (strcmp(out->items[i]->real, real) == 0) return true;
  return false;
}

/* Reads `path` (its `text`, or from disk when NULL) into `out` after the files it
 * builds on, the base first. `named_at`: the place that named it (for errors);
 * `stack`/`shown`: the identities and names of the files being read, for cycles. */
static int read_chain(const char *text, size_t len, const char *path, const char *named_at, name_list *stack,
                      name_list *shown, layer_list *out, char **error) {
  char *abs = path_absolute(path, NULL);
  char *real = realpath(abs, NULL);
  if (!real) real = xstrdup(abs);
  free(abs);
  char *name = shown_name(path);
  int rc = -1;
  for (size_t i = 0; i < stack->len; i++) {
    if (strcmp(stack->items[i], real) != 0) continue;
    strbuf sb = {0};
    for (size_t k = i; k < shown->len; k++) sb_printf(&sb, "%s -> ", shown->items[k]);
    sb_append(&sb, name);
    *error = xasprintf("%s: configuration files extend each other in a cycle: %s", named_at, sb.data);
    sb_free(&sb);
    goto out;
  }
  if (stack->len >= MAX_DEPTH) {
    *error = xasprintf("%s: configuration files extend each other more than %d deep", named_at, MAX_DEPTH);
    goto out;
  }
  char *owned = NULL;
  if (!text) {
    char *why = NULL;
    owned = file_read_limited(path, FILE_LIMIT_CONFIG, &len, &why);
    if (!owned) {
      *error = named_at ? xasprintf("%s: cannot read configuration %s: %s", named_at, name, why)
                        : xasprintf("cannot read configuration %s: %s", name, why);
      free(why);
      goto out;
    }
    text = owned;
  }
  layer *l = read_layer(text, len, path, name, error);
  free(owned);
  if (!l) goto out;
  VEC_PUSH(*stack, real);
  VEC_PUSH(*shown, l->path);
  rc = 0;
  if (l->inherit && strcmp(l->dir, "/") != 0) {
    char *up = path_dirname(l->dir);
    char *parent = path_find_upward(up, CONFIG_NAME);
    if (parent) rc = read_chain(NULL, 0, parent, l->inherit_at, stack, shown, out, error);
    free(parent);
    free(up);
  }
  if (rc == 0 && l->extends) rc = read_chain(NULL, 0, l->extends, l->extends_at, stack, shown, out, error);
  stack->len--;
  shown->len--;
  if (rc == 0 && !have_layer(out, l->real)) VEC_PUSH(*out, l);
  else layer_free(l);
out:
  free(real);
  free(name);
  return rc;
}

/* ---- merging: the base first, each file over the ones before it ---- */

typedef struct {
  bool *in_enable, *in_disable;
  const char **enable_at, **disable_at; /* borrowed from the layers */
} selection;

static const char *first_match(const entry_list *l, const char *id) {
  for (size_t i = 0; i < l->len; i++)
    if (rule_named(l->items[i].text, id)) return l->items[i].origin;
  return NULL;
}

/* Rule selection as Ruff's select/extend-select: "enable" replaces the enabled set
 * and "extend-enable" adds to it; "disable" and "extend-disable" likewise for the
 * disabled set. A rule a file enables by name leaves the disabled set of the files
 * before it, so a child can turn back on what a parent turned off; within one file
 * "disable" wins. */
static void select_rules(selection *s, const layer *l) {
  for (unsigned r = 0; r < lint_rule_count; r++) {
    const char *id = lint_rules[r]->id, *at;
    if (l->has_enable) {
      at = first_match(&l->enable, id);
      s->in_enable[r] = at != NULL;
      s->enable_at[r] = at ? at : l->enable_at;
      if (at) s->in_disable[r] = false;
    }
    if ((at = first_match(&l->extend_enable, id)) != NULL) {
      s->in_enable[r] = true;
      s->enable_at[r] = at;
      s->in_disable[r] = false;
    }
    if (l->has_disable) {
      at = first_match(&l->disable, id);
      s->in_disable[r] = at != NULL;
      s->disable_at[r] = at;
    }
    if ((at = first_match(&l->extend_disable, id)) != NULL) {
      s->in_disable[r] = true;
      s->disable_at[r] = at;
    }
  }
}

static void add_entries(config_entry **items, size_t *n, const entry_list *l, bool replace) {
  if (replace) {
    for (size_t i = 0; i < *n; i++) entry_free(&(*items)[i]);
    *n = 0;
  }
  for (size_t i = 0; i < l->len; i++) {
    *items = xrealloc(*items, (*n + 1) * sizeof **items);
    (*items)[(*n)++] = entry_copy(&l->items[i]);
  }
}

static void merge_layer(lint_config *c, selection *s, const layer *l) {
  select_rules(s, l);
  for (size_t i = 0; i < l->severity.len; i++)
    for (unsigned r = 0; r < lint_rule_count; r++)
      if (rule_named(l->severity.items[i].text, lint_rules[r]->id)) {
        c->severity[r] = l->severity.items[i].severity;
        free(c->severity_origin[r]);
        c->severity_origin[r] = xstrdup(l->severity.items[i].origin);
      }
  if (l->has_cold) {
    c->cold_warning = l->cold_warning;
    free(c->cold_origin);
    c->cold_origin = xstrdup(l->cold_at);
  }
  if (l->has_test_code) {
    c->test_warning = l->test_warning;
    free(c->test_code_origin);
    c->test_code_origin = xstrdup(l->test_code_at);
  }
  if (l->has_test_paths) add_entries(&c->test_paths, &c->ntest_paths, &l->test_paths, true);
  add_entries(&c->test_paths, &c->ntest_paths, &l->extend_test_paths, false);
  if (l->max_guesses_at) {
    c->max_guesses = l->max_guesses;
    free(c->max_guesses_origin);
    c->max_guesses_origin = xstrdup(l->max_guesses_at);
  }
  if (l->fix_deadline_ms) {
    c->fix_deadline_ms = l->fix_deadline_ms;
    free(c->fix_deadline_origin);
    c->fix_deadline_origin = xstrdup(l->fix_deadline_at);
  }
  if (l->docs_url) {
    free(c->docs_url);
    free(c->docs_url_origin);
    c->docs_url = xstrdup(l->docs_url);
    c->docs_url_origin = xstrdup(l->docs_url_at);
  }
  if (l->home_url) {
    free(c->home_url);
    free(c->home_url_origin);
    c->home_url = xstrdup(l->home_url);
    c->home_url_origin = xstrdup(l->home_url_at);
  }
  if (l->has_exclude) add_entries(&c->exclude, &c->nexclude, &l->exclude, true);
  add_entries(&c->exclude, &c->nexclude, &l->extend_exclude, false);
  if (l->has_ignores) add_entries(&c->ignores, &c->nignores, &l->ignores, true);
  add_entries(&c->ignores, &c->nignores, &l->extend_ignores, false);
  add_entries(&c->models_disable, &c->nmodels_disable, &l->models_disable, false);
  for (size_t i = 0; i < l->model_files.len; i++) {
    bool seen = false;
    for (size_t k = 0; k < c->nmodel_files; k++) seen |= strcmp(c->model_files[k].text, l->model_files.items[i].text) == 0;
    if (seen) continue;
    c->model_files = xrealloc(c->model_files, (c->nmodel_files + 1) * sizeof *c->model_files);
    c->model_files[c->nmodel_files++] = entry_copy(&l->model_files.items[i]);
  }
  if (l->functions) {
    /* a function given again takes the later file's entry */
    if (!c->functions) c->functions = cJSON_CreateObject();
    const cJSON *fn;
    cJSON_ArrayForEach(fn, l->functions) {
      cJSON_DeleteItemFromObjectCaseSensitive(c->functions, fn->string);
      cJSON_AddItemToObject(c->functions, fn->string, cJSON_Duplicate(fn, 1));
    }
    for (size_t i = 0; i < l->function_names.len; i++) {
      size_t k = 0;
      while (k < c->nfunction_names && strcmp(c->function_names[k].text, l->function_names.items[i].text) != 0) k++;
      if (k < c->nfunction_names) {
        entry_free(&c->function_names[k]);
      } else {
        c->function_names = xrealloc(c->function_names, (c->nfunction_names + 1) * sizeof *c->function_names);
        c->nfunction_names++;
      }
      c->function_names[k] = entry_copy(&l->function_names.items[i]);
    }
  }
}

int config_parse(const char *text, size_t len, const char *path, lint_config *c, char **error) {
  memset(c, 0, sizeof *c);
  *error = NULL;
  name_list stack = {0}, shown = {0};
  layer_list layers = {0};
  int rc = read_chain(text, len, path, NULL, &stack, &shown, &layers, error);
  VEC_FREE(stack);
  VEC_FREE(shown);
  if (rc == 0) {
    c->path = xstrdup(path);
    char *abs = path_absolute(path, NULL);
    c->dir = path_dirname(abs);
    free(abs);
    unsigned n = lint_rule_count;
    c->rule_on = xcalloc(n + 1, sizeof *c->rule_on);
    c->rule_origin = xcalloc(n + 1, sizeof *c->rule_origin);
    c->severity = xcalloc(n + 1, sizeof *c->severity);
    c->severity_origin = xcalloc(n + 1, sizeof *c->severity_origin);
    selection s = {xcalloc(n + 1, sizeof(bool)), xcalloc(n + 1, sizeof(bool)), xcalloc(n + 1, sizeof(char *)),
                   xcalloc(n + 1, sizeof(char *))};
    for (unsigned r = 0; r < n; r++) {
      s.in_enable[r] = !lint_rules[r]->off_by_default;
      c->severity[r] = -1;
    }
    /* the default test globs stand under the nearest configuration's directory
       until a file replaces them */
    c->test_paths = xcalloc(config_default_ntest_paths, sizeof *c->test_paths);
    for (size_t i = 0; i < config_default_ntest_paths; i++)
      c->test_paths[c->ntest_paths++] =
          (config_entry){xstrdup(config_default_test_paths[i]), xstrdup(AT_DEFAULT), xstrdup(c->dir), 0, NULL, 0};
    c->chain = xcalloc(layers.len + 1, sizeof *c->chain);
    for (size_t i = 0; i < layers.len; i++) {
      merge_layer(c, &s, layers.items[i]);
      c->chain[c->nchain++] = xstrdup(layers.items[i]->path);
    }
    for (unsigned r = 0; r < n; r++) {
      c->rule_on[r] = s.in_enable[r] && !s.in_disable[r];
      const char *at = !s.in_enable[r] ? s.enable_at[r] : s.in_disable[r] ? s.disable_at[r] : s.enable_at[r];
      c->rule_origin[r] = at ? xstrdup(at) : NULL;
    }
    free(s.in_enable);
    free(s.in_disable);
    free(s.enable_at);
    free(s.disable_at);
  }
  for (size_t i = 0; i < layers.len; i++) layer_free(layers.items[i]);
  VEC_FREE(layers);
  if (rc != 0) config_free(c);
  return rc;
}

int config_load(const char *path, lint_config *c, char **error) {
  memset(c, 0, sizeof *c);
  *error = NULL;
  size_t len;
  char *why = NULL;
  char *text = file_read_limited(path, FILE_LIMIT_CONFIG, &len, &why);
  if (!text) {
    *error = xasprintf("cannot read configuration %s: %s", path, why);
    free(why);
    return -1;
  }
  int rc = config_parse(text, len, path, c, error);
  free(text);
  return rc;
}

static void entries_array_free(config_entry *e, size_t n) {
  for (size_t i = 0; i < n; i++) entry_free(&e[i]);
  free(e);
}

void config_free(lint_config *c) {
  for (size_t i = 0; i < c->nchain; i++) free(c->chain[i]);
  free(c->chain);
  for (unsigned r = 0; c->rule_origin && r < lint_rule_count; r++) free(c->rule_origin[r]);
  for (unsigned r = 0; c->severity_origin && r < lint_rule_count; r++) free(c->severity_origin[r]);
  free(c->rule_on);
  free(c->rule_origin);
  free(c->severity);
  free(c->severity_origin);
  free(c->cold_origin);
  free(c->test_code_origin);
  entries_array_free(c->test_paths, c->ntest_paths);
  free(c->fix_deadline_origin);
  free(c->max_guesses_origin);
  free(c->docs_url);
  free(c->docs_url_origin);
  free(c->home_url);
  free(c->home_url_origin);
  entries_array_free(c->exclude, c->nexclude);
  entries_array_free(c->ignores, c->nignores);
  entries_array_free(c->models_disable, c->nmodels_disable);
  entries_array_free(c->model_files, c->nmodel_files);
  entries_array_free(c->function_names, c->nfunction_names);
  cJSON_Delete(c->functions);
  free(c->path);
  free(c->dir);
  memset(c, 0, sizeof *c);
}

/* ---- what a configuration means for a finding ---- */

config_verdict config_decide(const lint_config *c, const config_cli *cli, const char *file, unsigned r, bool rarely,
                             diag_severity sev) {
  const char *id = lint_rules[r]->id;
  config_verdict v = {!lint_rules[r]->off_by_default, AT_DEFAULT, NULL, sev, AT_DEFAULT};
  if (c) {
    v.on = c->rule_on[r];
    if (c->rule_origin[r]) v.on_at = c->rule_origin[r];
  }
  if (cli && cli->nenable) {
    v.on = listed(cli->enable, cli->nenable, id);
    v.on_at = "command line (--enable)";
  }
  if (cli && listed(cli->disable, cli->ndisable, id)) {
    v.on = false;
    v.on_at = "command line (--disable)";
  }
  /* a header's path as the parse spelled it may hold "src/../include" */
  char *norm = file && c && c->nignores ? path_normalize(file) : NULL;
  for (size_t i = 0; norm && i < c->nignores && !v.ignored_at; i++)
    if (config_entry_matches(&c->ignores[i], norm) && listed((const char *const *)c->ignores[i].rules, c->ignores[i].nrules, id))
      v.ignored_at = c->ignores[i].origin;
  /* a stall, a hang or a burst in a test harms the test, not the clients of a
     service: the rules about those consequences speak there at note severity */
  const char *test_glob, *test_at;
  bool quiet_test = lint_rules[r]->quiet_in_tests && !(c && c->test_warning) && sev > SEV_NOTE && file &&
                    config_test_code(c, file, &test_glob, &test_at);
  free(norm);
  /* what only cold roots reach stays a note unless "cold_roots" says otherwise */
  bool quiet_cold = rarely && !(c && c->cold_warning);
  if (quiet_test && !quiet_cold) {
    v.sev = SEV_NOTE;
    v.sev_at = strcmp(test_at, AT_DEFAULT) == 0 ? "default (test code)" : test_at;
    quiet_cold = true;
  }
  if (rarely && c && c->cold_warning) {
    v.sev = SEV_WARNING;
    v.sev_at = c->cold_origin;
  }
  if (c && c->severity[r] >= 0 && !quiet_cold) {
    v.sev = (diag_severity)c->severity[r];
    v.sev_at = c->severity_origin[r];
  }
  if (cli && cli->warnings_as_errors && v.sev == SEV_WARNING && (!cli->nwae || listed(cli->wae, cli->nwae, id))) {
    v.sev = SEV_ERROR;
    v.sev_at = "command line (--warnings-as-errors)";
  }
  return v;
}

bool config_rule_enabled(const lint_config *c, const char *const *cli_enable, size_t ncli_enable,
                         const char *const *cli_disable, size_t ncli_disable, const char *id) {
  int r = rule_index(id);
  if (r < 0) return false;
  config_cli cli = {cli_enable, ncli_enable, cli_disable, ncli_disable, false, NULL, 0};
  return config_decide(c, &cli, NULL, (unsigned)r, false, SEV_WARNING).on;
}

bool config_finding(const lint_config *c, const config_cli *cli, const char *file, const char *rule, bool rarely,
                    diag_severity *sev) {
  int r = rule_index(rule);
  if (r < 0) return true;
  config_verdict v = config_decide(c, cli, file, (unsigned)r, rarely, *sev);
  *sev = v.sev;
  return v.on && !v.ignored_at;
}

const char *const config_default_test_paths[] = {
    "test",  "tests",  "testing", "bench",     "benchmark", "benchmarks",
    "test_*.c", "test-*.c", "*_test.c", "*-test.c", "*_tests.c", "*_unittest.c"};
const size_t config_default_ntest_paths = sizeof config_default_test_paths / sizeof *config_default_test_paths;

bool config_test_code(const lint_config *c, const char *file, const char **text, const char **origin) {
  if (!file) return false;
  char *norm = path_normalize(file);
  bool hit = false;
  if (c) {
    for (size_t i = 0; i < c->ntest_paths && !hit; i++)
      if (config_entry_matches(&c->test_paths[i], norm)) {
        hit = true;
        *text = c->test_paths[i].text;
        *origin = c->test_paths[i].origin;
      }
  } else {
    /* no configuration: the defaults under the working directory */
    static char cwd[4096];
    if (!cwd[0] && !getcwd(cwd, sizeof cwd)) cwd[0] = '\0';
    config_entry e = {NULL, NULL, cwd, 0, NULL, 0};
    for (size_t i = 0; cwd[0] && i < config_default_ntest_paths && !hit; i++) {
      e.text = (char *)config_default_test_paths[i];
      if (config_entry_matches(&e, norm)) {
        hit = true;
        *text = config_default_test_paths[i];
        *origin = AT_DEFAULT;
      }
    }
  }
  free(norm);
  return hit;
}

const config_entry *config_excluded(const lint_config *c, const char *file) {
  if (!c || !c->nexclude || !file) return NULL;
  char *norm = path_normalize(file);
  const config_entry *hit = NULL;
  for (size_t i = 0; i < c->nexclude && !hit; i++)
    if (config_entry_matches(&c->exclude[i], norm)) hit = &c->exclude[i];
  free(norm);
  return hit;
}
