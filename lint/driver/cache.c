/* The summary cache. An entry is named by a hash of what decides a summary before
 * parsing: the calm-lint build, the unit's file, directory and effective flags (the
 * database's, response files expanded). The files the unit reads are known only after
 * a parse: each entry lists them (libclang's inclusion list, so headers that a macro
 * names count too) with a hash of their content, and is used only while every one
 * still has that content. Content, not mtime: a checkout, a touch or a copied tree
 * does not invalidate it, an edit that keeps the size and mtime does.
 *
 * Entry layout: "calm-lint-cache 4 BUILD\n", one line of JSON (the dependency list,
 * [[path, hash], ...], main file first), then the summary's binary form
 * (ir_summary_to_bin). A summary file (shards, build actions) is
 * "calm-lint-summary FORMAT BUILD\n" and the binary form: the first line is for
 * people and for a clear error when the format differs. */
#define _GNU_SOURCE
#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../frontend/frontend.h"
#include "../graph/models.h"
#include "../ir/summary_bin.h"

#ifndef CALM_VERSION
#define CALM_VERSION "0"
#endif

#define CACHE_MAGIC "calm-lint-cache 4 "
#define SUMMARY_MAGIC "calm-lint-summary "
#define ENTRY_SUFFIX ".calm"
#define TEMP_AGE_SECONDS 3600 /* a temporary this old belongs to no live write */

/* ---- identity ---- */

/* Folds the running executable's bytes into `h`: a calm-lint rebuilt from changed
 * sources lowers differently under the same version number, and its entries must not
 * be taken for the old one's. Unreadable (no /proc): the version stands alone. */
static uint64_t hash_executable(uint64_t h) {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return h;
  static unsigned char buf[1 << 16];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) h = hash_bytes(buf, (size_t)n, h);
  close(fd);
  return h;
}

static char build_id[17];

static void make_build_id(void) {
  int format = IR_SUMMARY_FORMAT;
  uint64_t h = hash_bytes(CALM_VERSION, sizeof CALM_VERSION, 0);
  h = hash_bytes(&format, sizeof format, h);
  const char *clang = frontend_version();
  h = hash_bytes(clang, strlen(clang) + 1, h);
  h = hash_executable(h);
  for (unsigned i = 0; i < calm_builtin_model_count; i++)
    h = hash_bytes(calm_builtin_model_texts[i], strlen(calm_builtin_model_texts[i]) + 1, h);
  snprintf(build_id, sizeof build_id, "%016llx", (unsigned long long)h);
}

/* Once per process, whichever thread asks first: the cache's store threads and the
 * workers' reply readers all ask, and reading the executable is not instant. */
const char *cache_build_id(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, make_build_id);
  return build_id;
}

/* ---- dependencies ---- */

/* Content hashes of the files a run looks at, each file read once a run. */
typedef struct {
  strmap *hashes;         /* path -> malloc'd hex hash, or NULL: unreadable or too new */
  struct timespec parsed; /* when the parse began; 0 before it */
} hash_memo;

static bool not_before(struct timespec a, struct timespec b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
}

/* A file first hashed after the parse began and modified since may hold other text
 * than the parse read: it has no hash, so no entry records it. */
static const char *content_hash(hash_memo *m, const char *path) {
  void *v;
  if (strmap_get(m->hashes, path, &v)) return v;
  size_t len;
  struct stat st;
  bool changed = m->parsed.tv_sec && (stat(path, &st) != 0 || not_before(st.st_mtim, m->parsed));
  char *text = changed ? NULL : file_read(path, &len);
  char *hex = text ? xasprintf("%016llx", (unsigned long long)hash_bytes(text, len, 0)) : NULL;
  free(text);
  strmap_put(m->hashes, path, hex);
  return hex;
}

static bool free_value(const char *key, void *value, void *ctx) {
  (void)key;
  (void)ctx;
  free(value);
  return true;
}

size_t cache_dependencies(const compile_job *job, const ir_summary *s, char ***out) {
  strmap *seen = strmap_new();
  VEC(char *) deps = {0};
  VEC_PUSH(deps, xstrdup(job->file));
  strmap_put(seen, job->file, NULL);
  for (unsigned i = 0; s && i < s->nincludes; i++) {
    /* clang names a header as it found it: relative to the unit's directory */
    char *abs = path_absolute(s->includes[i], job->directory);
    char *norm = path_normalize(abs);
    free(abs);
    if (!strmap_get(seen, norm, NULL)) {
      strmap_put(seen, norm, NULL);
      VEC_PUSH(deps, norm);
    } else {
      free(norm);
    }
  }
  strmap_free(seen);
  *out = deps.items;
  return deps.len;
}

/* The dependency list of a parsed unit, as one JSON line; NULL if a file it read
 * cannot be read now (the entry could never be checked). */
static char *deps_json(hash_memo *m, const compile_job *job, const ir_summary *s) {
  char **deps;
  size_t n = cache_dependencies(job, s, &deps);
  cJSON *arr = cJSON_CreateArray();
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    const char *h = ok ? content_hash(m, deps[i]) : NULL;
    if (!h) ok = false;
    else {
      cJSON *e = cJSON_CreateArray();
      cJSON_AddItemToArray(e, cJSON_CreateString(deps[i]));
      cJSON_AddItemToArray(e, cJSON_CreateString(h));
      cJSON_AddItemToArray(arr, e);
    }
    free(deps[i]);
  }
  free(deps);
  char *out = ok ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  return out;
}

/* Whether every dependency still has the content recorded. */
static bool deps_current(hash_memo *m, const char *line) {
  cJSON *arr = cJSON_Parse(line);
  bool ok = cJSON_IsArray(arr) && cJSON_GetArraySize(arr) > 0;
  cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    if (!ok) break;
    cJSON *path = cJSON_GetArrayItem(e, 0), *hash = cJSON_GetArrayItem(e, 1);
    const char *now = cJSON_IsString(path) && cJSON_IsString(hash) ? content_hash(m, path->valuestring) : NULL;
    ok = now && strcmp(now, hash->valuestring) == 0;
  }
  cJSON_Delete(arr);
  return ok;
}

/* ---- entries ---- */

static char *entry_path(const char *dir, const compile_job *job) {
  const char *id = cache_build_id();
  uint64_t h = hash_bytes(id, strlen(id) + 1, 0);
  h = hash_bytes(job->file, strlen(job->file) + 1, h);
  h = hash_bytes(job->directory, strlen(job->directory) + 1, h);
  for (size_t i = 0; i < job->nargs; i++) h = hash_bytes(job->args[i], strlen(job->args[i]) + 1, h);
  return xasprintf("%s/%016llx" ENTRY_SUFFIX, dir, (unsigned long long)h);
}

/* The entry's summary if it was made by this build for `job` and the files it read are
 * unchanged; anything else (no entry, another build, a truncated or corrupt entry, a
 * summary of another file) is a miss. */
static ir_summary *load_entry(hash_memo *m, const char *path, const compile_job *job) {
  size_t len;
  char *data = file_read(path, &len);
  if (!data) return NULL;
  ir_summary *s = NULL;
  const char *id = cache_build_id();
  size_t mlen = strlen(CACHE_MAGIC), ilen = strlen(id);
  if (strncmp(data, CACHE_MAGIC, mlen) == 0 && strncmp(data + mlen, id, ilen) == 0 && data[mlen + ilen] == '\n') {
    char *deps = data + mlen + ilen + 1;
    char *nl = strchr(deps, '\n');
    if (nl) {
      *nl = '\0';
      if (deps_current(m, deps)) {
        char *err = NULL;
        s = ir_summary_from_bin(nl + 1, len - (size_t)(nl + 1 - data), id, &err);
        free(err);
        if (s && strcmp(s->main_file, job->file) != 0) {
          ir_summary_free(s);
          s = NULL;
        }
      }
    }
  }
  free(data);
  if (s) utimensat(AT_FDCWD, path, NULL, 0); /* recently used: pruning keeps it */
  return s;
}

static void store_entry(const char *path, const char *deps, const ir_summary *s) {
  size_t n;
  void *bin = ir_summary_to_bin(s, cache_build_id(), false, &n);
  strbuf sb = {0};
  sb_printf(&sb, "%s%s\n%s\n", CACHE_MAGIC, cache_build_id(), deps);
  sb_appendn(&sb, bin, n);
  /* a fresh temporary (never a name a planted link could sit at) renamed over the
   * entry: concurrent runs never read half an entry. The cache is the linter's own,
   * so a link at the entry's name is replaced, not followed. A failed store only costs
   * a parse next time. */
  char *why = NULL;
  file_write_atomic(path, sb.data, sb.len, false, &why);
  free(why);
  sb_free(&sb);
  free(bin);
}

/* Writing entries costs a serialisation each: done by `threads` threads, so a cold run
 * with the cache costs about what one without it costs. */
typedef struct {
  const char *path;
  char *deps;
  const ir_summary *s;
} store_item;

typedef struct {
  store_item *items;
  size_t n, next;
  pthread_mutex_t lock;
} store_batch;

static void *store_worker(void *arg) {
  store_batch *b = arg;
  for (;;) {
    pthread_mutex_lock(&b->lock);
    size_t k = b->next++;
    pthread_mutex_unlock(&b->lock);
    if (k >= b->n) return NULL;
    store_entry(b->items[k].path, b->items[k].deps, b->items[k].s);
  }
}

static void store_all(store_batch *b, int threads) {
  size_t nt = threads > 1 ? (size_t)threads : 1;
  if (nt > b->n) nt = b->n;
  pthread_t *tids = xcalloc(nt + 1, sizeof *tids);
  size_t started = 0;
  for (size_t t = 1; t < nt; t++)
    if (pthread_create(&tids[started], NULL, store_worker, b) == 0) started++;
  store_worker(b); /* this thread too, so a failed pthread_create only costs time */
  for (size_t t = 0; t < started; t++) pthread_join(tids[t], NULL);
  free(tids);
}

void make_dirs(const char *dir) {
  if (path_is_dir(dir)) return;
  char *up = path_dirname(dir);
  if (strcmp(up, dir) != 0) make_dirs(up);
  free(up);
  mkdir(dir, 0777);
}

void cache_parse(const char *dir, const compile_job *jobs, size_t n, int threads, const unsaved_buffer *unsaved,
                 bool progress, ir_summary **summaries, size_t *hits) {
  make_dirs(dir);
  hash_memo memo = {strmap_new(), {0, 0}};
  char **entries = xcalloc(n + 1, sizeof *entries);
  compile_job *todo = xcalloc(n + 1, sizeof *todo);
  size_t *slot = xcalloc(n + 1, sizeof *slot);
  size_t ntodo = 0;
  *hits = 0;
  for (size_t i = 0; i < n; i++) {
    bool is_unsaved = unsaved && unsaved->file && strcmp(unsaved->file, jobs[i].file) == 0;
    if (!is_unsaved) {
      entries[i] = entry_path(dir, &jobs[i]);
      summaries[i] = load_entry(&memo, entries[i], &jobs[i]);
      if (summaries[i]) ++*hits;
    }
    if (!summaries[i]) {
      todo[ntodo] = jobs[i]; /* shallow: the jobs outlive this call */
      slot[ntodo++] = i;
      if (entries[i]) content_hash(&memo, jobs[i].file); /* the text before the parse reads it */
    }
  }
  ir_summary **parsed = xcalloc(ntodo + 1, sizeof *parsed);
  /* 20 ms back: the kernel stamps mtimes from a clock that runs up to a tick (10 ms
   * at HZ=100) behind this one, so an edit during the parse may look older */
  clock_gettime(CLOCK_REALTIME, &memo.parsed);
  memo.parsed.tv_nsec -= 20 * 1000 * 1000;
  if (memo.parsed.tv_nsec < 0) {
    memo.parsed.tv_nsec += 1000 * 1000 * 1000;
    memo.parsed.tv_sec--;
  }
  if (ntodo) schedule_parse(todo, ntodo, threads, unsaved, progress, parsed);
  store_batch batch = {xcalloc(ntodo + 1, sizeof *batch.items), 0, 0, PTHREAD_MUTEX_INITIALIZER};
  for (size_t k = 0; k < ntodo; k++) {
    size_t i = slot[k];
    summaries[i] = parsed[k];
    if (!entries[i] || parsed[k]->failed) continue;
    /* a file hashed before this parse and changed during it keeps its old hash here:
     * the entry then misses next time, never serves a stale summary */
    char *deps = deps_json(&memo, &jobs[i], parsed[k]);
    if (deps) batch.items[batch.n++] = (store_item){entries[i], deps, parsed[k]};
  }
  store_all(&batch, threads);
  for (size_t k = 0; k < batch.n; k++) free(batch.items[k].deps);
  if (batch.n) cache_prune(dir, CACHE_MAX_AGE_DAYS, CACHE_MAX_BYTES);
  free(batch.items);
  for (size_t i = 0; i < n; i++) free(entries[i]);
  strmap_each(memo.hashes, free_value, NULL);
  strmap_free(memo.hashes);
  free(entries);
  free(todo);
  free(slot);
  free(parsed);
}

/* ---- pruning ---- */

typedef struct {
  char *path;
  time_t used;
  uint64_t size;
} entry_info;

static int cmp_used(const void *pa, const void *pb) {
  const entry_info *a = pa, *b = pb;
  if (a->used != b->used) return a->used < b->used ? -1 : 1;
  return strcmp(a->path, b->path);
}

/* Whether `path` starts as a file calm-lint wrote: nothing else in the directory is
 * ever removed. */
static bool is_ours(const char *path) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  char head[32] = {0};
  ssize_t got = read(fd, head, sizeof head - 1);
  close(fd);
  return got >= 0 && (strncmp(head, CACHE_MAGIC, strlen(CACHE_MAGIC) - 2) == 0 || got == 0);
}

size_t cache_prune(const char *dir, unsigned max_age_days, uint64_t max_bytes) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  VEC(entry_info) entries = {0};
  time_t now = time(NULL);
  size_t removed = 0;
  uint64_t total = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *name = e->d_name;
    const char *suffix = strstr(name, ENTRY_SUFFIX);
    if (name[0] == '.' || !suffix) continue;
    char *path = path_join(dir, name);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || !is_ours(path)) {
      free(path);
      continue;
    }
    bool temp = suffix[strlen(ENTRY_SUFFIX)] == '.'; /* file_write_atomic's NAME.XXXXXX */
    bool old = temp ? now - st.st_mtime > TEMP_AGE_SECONDS
                    : max_age_days && now - st.st_mtime > (time_t)max_age_days * 86400;
    if (old || (suffix[strlen(ENTRY_SUFFIX)] != '\0' && !temp)) {
      if (old && unlink(path) == 0) removed++;
      free(path);
      continue;
    }
    if (temp) {
      free(path);
      continue;
    }
    entry_info info = {path, st.st_mtime, (uint64_t)st.st_size};
    total += info.size;
    VEC_PUSH(entries, info);
  }
  closedir(d);
  if (max_bytes && total > max_bytes) {
    qsort(entries.items, entries.len, sizeof *entries.items, cmp_used);
    for (size_t i = 0; i < entries.len && total > max_bytes; i++)
      if (unlink(entries.items[i].path) == 0) {
        total -= entries.items[i].size;
        removed++;
      }
  }
  for (size_t i = 0; i < entries.len; i++) free(entries.items[i].path);
  VEC_FREE(entries);
  return removed;
}

/* ---- summary files ---- */

int summary_file_write(const char *path, const ir_summary *s, char **why) {
  size_t n;
  void *bin = ir_summary_to_bin(s, cache_build_id(), false, &n);
  strbuf sb = {0};
  sb_printf(&sb, "%s%d %s\n", SUMMARY_MAGIC, IR_SUMMARY_FORMAT, cache_build_id());
  sb_appendn(&sb, bin, n);
  int rc = file_write_atomic(path, sb.data, sb.len, true, why);
  sb_free(&sb);
  free(bin);
  return rc;
}

ir_summary *summary_file_read(const char *path, char **why) {
  char *reason = NULL;
  size_t len;
  char *data = file_read_limited(path, 0, &len, &reason);
  if (!data) {
    *why = xasprintf("cannot read %s: %s", path, reason);
    free(reason);
    return NULL;
  }
  ir_summary *s = NULL;
  size_t m = strlen(SUMMARY_MAGIC);
  char *end;
  long format = strncmp(data, SUMMARY_MAGIC, m) == 0 ? strtol(data + m, &end, 10) : -1;
  char *nl = strchr(data, '\n');
  if (format < 0 || !nl) {
    *why = xasprintf("%s is not a calm-lint summary file", path);
  } else if (format != IR_SUMMARY_FORMAT) {
    *why = xasprintf("%s has summary format %ld but this calm-lint reads format %d: emit the summaries again with "
                     "this calm-lint",
                     path, format, IR_SUMMARY_FORMAT);
  } else {
    char *err = NULL;
    /* any build of this format: a shard may come from another machine's calm-lint */
    s = ir_summary_from_bin(nl + 1, len - (size_t)(nl + 1 - data), NULL, &err);
    if (!s) *why = xasprintf("%s: %s", path, err);
    free(err);
  }
  free(data);
  return s;
}
