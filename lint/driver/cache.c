/* The summary cache. An entry is named by a hash of what decides a summary without
 * parsing: the linter binary, the unit's file, directory and flags, and its text.
 * Headers are not known before parsing, so each entry lists the files the unit
 * includes (found by reading #include lines along the -I paths) with their sizes and
 * mtimes, and is used only while they are unchanged. Stale entries are overwritten.
 *
 * One entry per unit (named by a hash of its path), so the cache never holds more
 * files than the project has units: a newer summary replaces the older one.
 * Entry layout: "calm-lint-cache 2\n", the key in hex and a newline, one line of
 * JSON (the dependency list), then the summary as ir_summary_to_json writes it. */
#define _GNU_SOURCE
#include "cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define CACHE_MAGIC "calm-lint-cache 2\n"
#define MAX_DEPS 4096

/* ---- dependencies ---- */

typedef VEC(char *) str_vec;

static void add_search_dir(str_vec *dirs, const char *dir, const char *base) {
  VEC_PUSH(*dirs, path_absolute(dir, base));
}

/* The include search path of a job: -iquote, -I, -isystem, -idirafter, in order. */
static void search_dirs(const compile_job *job, str_vec *quote, str_vec *angle) {
  static const char *const angle_flags[] = {"-I", "-isystem", "-idirafter"};
  for (size_t i = 0; i < job->nargs; i++) {
    const char *a = job->args[i];
    const char *next = i + 1 < job->nargs ? job->args[i + 1] : NULL;
    if (strncmp(a, "-iquote", 7) == 0) {
      const char *d = a[7] ? a + 7 : next;
      if (d) add_search_dir(quote, d, job->directory);
      if (!a[7]) i++;
      continue;
    }
    for (size_t k = 0; k < sizeof angle_flags / sizeof *angle_flags; k++) {
      size_t n = strlen(angle_flags[k]);
      if (strncmp(a, angle_flags[k], n) != 0) continue;
      if (a[n] && k > 0) break; /* -isystemfoo is not a form clang users write */
      const char *d = a[n] ? a + n : next;
      if (d) add_search_dir(angle, d, job->directory);
      if (!a[n]) i++;
      break;
    }
  }
}

static char *resolve(const char *name, bool quoted, const char *from_dir, const str_vec *quote, const str_vec *angle) {
  if (name[0] == '/') return path_is_file(name) ? xstrdup(name) : NULL;
  if (quoted) {
    char *p = path_join(from_dir, name);
    if (path_is_file(p)) return p;
    free(p);
    for (size_t i = 0; i < quote->len; i++) {
      p = path_join(quote->items[i], name);
      if (path_is_file(p)) return p;
      free(p);
    }
  }
  for (size_t i = 0; i < angle->len; i++) {
    char *p = path_join(angle->items[i], name);
    if (path_is_file(p)) return p;
    free(p);
  }
  return NULL; /* a system header: it changes with the toolchain, not with edits */
}

/* Adds the files `path` includes, recursively, to `deps` (a set in insertion order). */
static void scan_includes(const char *path, const char *text, strmap *deps, const str_vec *quote,
                          const str_vec *angle) {
  char *dir = path_dirname(path);
  for (const char *p = text; p && *p && strmap_len(deps) < MAX_DEPS;) {
    const char *line = p;
    const char *eol = strchr(p, '\n');
    p = eol ? eol + 1 : NULL;
    while (*line == ' ' || *line == '\t') line++;
    if (*line != '#') continue;
    line++;
    while (*line == ' ' || *line == '\t') line++;
    if (strncmp(line, "include", 7) != 0) continue;
    line += 7;
    while (*line == ' ' || *line == '\t') line++;
    char close = *line == '"' ? '"' : *line == '<' ? '>' : 0;
    if (!close) continue;
    const char *end = strchr(line + 1, close);
    if (!end || (eol && end > eol)) continue;
    char *name = xstrndup(line + 1, (size_t)(end - line - 1));
    char *found = resolve(name, close == '"', dir, quote, angle);
    free(name);
    if (!found) continue;
    char *norm = path_normalize(found);
    free(found);
    void *seen;
    if (!strmap_get(deps, norm, &seen)) {
      strmap_put(deps, norm, NULL);
      char *sub = file_read(norm, NULL);
      scan_includes(norm, sub, deps, quote, angle);
      free(sub);
    }
    free(norm);
  }
  free(dir);
}

static bool stat_json(const char *path, cJSON *arr) {
  struct stat st;
  if (stat(path, &st) != 0) return false;
  cJSON *e = cJSON_CreateArray();
  cJSON_AddItemToArray(e, cJSON_CreateString(path));
  char buf[64];
  snprintf(buf, sizeof buf, "%lld.%09ld:%lld", (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
           (long long)st.st_size);
  cJSON_AddItemToArray(e, cJSON_CreateString(buf));
  cJSON_AddItemToArray(arr, e);
  return true;
}

static bool collect_dep(const char *key, void *value, void *ctx) {
  (void)value;
  stat_json(key, ctx);
  return true;
}

/* The dependency list of a job whose main file has `text`, as one JSON line. */
static char *deps_json(const compile_job *job, const char *text) {
  str_vec quote = {0}, angle = {0};
  search_dirs(job, &quote, &angle);
  strmap *deps = strmap_new();
  strmap_put(deps, job->file, NULL);
  scan_includes(job->file, text, deps, &quote, &angle);
  cJSON *arr = cJSON_CreateArray();
  strmap_each(deps, collect_dep, arr);
  char *out = cJSON_PrintUnformatted(arr);
  cJSON_Delete(arr);
  strmap_free(deps);
  for (size_t i = 0; i < quote.len; i++) free(quote.items[i]);
  for (size_t i = 0; i < angle.len; i++) free(angle.items[i]);
  VEC_FREE(quote);
  VEC_FREE(angle);
  return out;
}

/* Whether every dependency still has the size and mtime recorded. */
static bool deps_current(const char *line) {
  cJSON *arr = cJSON_Parse(line);
  bool ok = cJSON_IsArray(arr);
  cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    if (!ok) break;
    cJSON *path = cJSON_GetArrayItem(e, 0), *stamp = cJSON_GetArrayItem(e, 1);
    cJSON *now = cJSON_CreateArray();
    ok = cJSON_IsString(path) && cJSON_IsString(stamp) && stat_json(path->valuestring, now) &&
         strcmp(cJSON_GetArrayItem(cJSON_GetArrayItem(now, 0), 1)->valuestring, stamp->valuestring) == 0;
    cJSON_Delete(now);
  }
  cJSON_Delete(arr);
  return ok;
}

/* ---- entries ---- */

/* The binary's identity: a rebuilt linter may lower code differently. */
static uint64_t binary_stamp(void) {
  struct stat st;
  if (stat("/proc/self/exe", &st) != 0) return 0;
  uint64_t v[3] = {(uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec, (uint64_t)st.st_size};
  return hash_bytes(v, sizeof v, 0);
}

static char *entry_key(const compile_job *job, const char *text, size_t len, uint64_t stamp) {
  uint64_t h = hash_bytes(&stamp, sizeof stamp, 0);
  h = hash_bytes(job->file, strlen(job->file) + 1, h);
  h = hash_bytes(job->directory, strlen(job->directory) + 1, h);
  for (size_t i = 0; i < job->nargs; i++) h = hash_bytes(job->args[i], strlen(job->args[i]) + 1, h);
  h = hash_bytes(text, len, h);
  return xasprintf("%016llx", (unsigned long long)h);
}

static char *entry_path(const char *dir, const compile_job *job) {
  return xasprintf("%s/%016llx.json", dir, (unsigned long long)hash_bytes(job->file, strlen(job->file), 0));
}

/* The entry's summary if it was made for `key` and its dependencies are unchanged. */
static ir_summary *load_entry(const char *path, const char *key) {
  char *data = file_read(path, NULL);
  if (!data) return NULL;
  ir_summary *s = NULL;
  size_t m = strlen(CACHE_MAGIC), k = strlen(key);
  if (strncmp(data, CACHE_MAGIC, m) == 0 && strncmp(data + m, key, k) == 0 && data[m + k] == '\n') {
    char *deps = data + m + k + 1;
    char *nl = strchr(deps, '\n');
    if (nl) {
      *nl = '\0';
      if (deps_current(deps)) {
        char *err = NULL;
        s = ir_summary_from_json(nl + 1, &err);
        free(err);
      }
    }
  }
  free(data);
  return s;
}

static void store_entry(const char *path, const char *key, const char *deps, const ir_summary *s) {
  char *json = ir_summary_to_json(s);
  strbuf sb = {0};
  sb_printf(&sb, "%s%s\n%s\n%s", CACHE_MAGIC, key, deps, json);
  /* a fresh temporary (never a name a planted link could sit at) renamed over the
   * entry: concurrent editors never read half an entry. The cache is the linter's own,
   * so a link at the entry's name is replaced, not followed. A failed store only costs
   * a parse next time. */
  char *why = NULL;
  file_write_atomic(path, sb.data, sb.len, false, &why);
  free(why);
  sb_free(&sb);
  free(json);
}

static void make_dirs(const char *dir) {
  if (path_is_dir(dir)) return;
  char *up = path_dirname(dir);
  if (strcmp(up, dir) != 0) make_dirs(up);
  free(up);
  mkdir(dir, 0777);
}

void cache_parse(const char *dir, const compile_job *jobs, size_t n, int threads, const unsaved_buffer *unsaved,
                 bool progress, ir_summary **summaries, size_t *hits) {
  make_dirs(dir);
  uint64_t stamp = binary_stamp();
  char **entries = xcalloc(n + 1, sizeof *entries);
  char **keys = xcalloc(n + 1, sizeof *keys);
  char **deps = xcalloc(n + 1, sizeof *deps);
  compile_job *todo = xcalloc(n + 1, sizeof *todo);
  size_t *slot = xcalloc(n + 1, sizeof *slot);
  size_t ntodo = 0;
  *hits = 0;
  for (size_t i = 0; i < n; i++) {
    bool is_unsaved = unsaved && unsaved->file && strcmp(unsaved->file, jobs[i].file) == 0;
    size_t len = 0;
    char *text = is_unsaved ? NULL : file_read(jobs[i].file, &len);
    if (text) {
      entries[i] = entry_path(dir, &jobs[i]);
      keys[i] = entry_key(&jobs[i], text, len, stamp);
      summaries[i] = load_entry(entries[i], keys[i]);
      if (summaries[i]) ++*hits;
      else deps[i] = deps_json(&jobs[i], text);
      free(text);
    }
    if (!summaries[i]) {
      todo[ntodo] = jobs[i]; /* shallow: the jobs outlive this call */
      slot[ntodo++] = i;
    }
  }
  ir_summary **parsed = xcalloc(ntodo + 1, sizeof *parsed);
  if (ntodo) schedule_parse(todo, ntodo, threads, unsaved, progress, parsed);
  for (size_t k = 0; k < ntodo; k++) {
    size_t i = slot[k];
    summaries[i] = parsed[k];
    if (entries[i] && deps[i] && !parsed[k]->failed) store_entry(entries[i], keys[i], deps[i], parsed[k]);
  }
  for (size_t i = 0; i < n; i++) {
    free(entries[i]);
    free(keys[i]);
    free(deps[i]);
  }
  free(entries);
  free(keys);
  free(deps);
  free(todo);
  free(slot);
  free(parsed);
}
