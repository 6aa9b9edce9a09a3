/* Shared precompiled headers (--pch). A unit may be parsed on a PCH only when its own
 * text begins with exactly the directives the PCH was built from, in the same directory
 * (so `#include "x.h"` finds the same file) and with the same front-end flags; clang
 * checks the rest when it loads the PCH (flags, macros of the command line, the headers'
 * sizes and times) and a unit it refuses, or one that then has any error (a header that
 * is not include-guarded is read twice), is parsed again without it. Parse workers are
 * processes: the plan is made before they fork, and a PCH is built by the worker that
 * first takes its lock, in a directory of the run's own that the plan removes. */
#define _GNU_SOURCE /* mkdtemp, O_CLOEXEC */
#include "pch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flags.h"
#include "frontend.h"

typedef struct {
  char *dir;    /* the units' directory: where the prefix's quoted includes are found */
  char *flags;  /* their front-end flags, joined by '\x1f' */
  char *prefix; /* the directives the PCH holds */
  int state;    /* in this process: 0 not known yet, 1 ready, -1 not to be used */
  pch_ready ready;
  strpool *pool; /* owns ready.path and ready.argv's strings */
} entry;

static struct {
  char *dir; /* the run's PCH directory; NULL: no plan */
  entry *entries;
  size_t n;
  strmap *by_file; /* a unit's file -> its entry's index + 1 */
} plan;

static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;
static CXIndex local_index;

CXIndex pch_index(void) {
  pthread_mutex_lock(&index_lock);
  if (!local_index) local_index = clang_createIndex(1, 0);
  CXIndex i = local_index;
  pthread_mutex_unlock(&index_lock);
  return i;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* Whether the directive at `p` (after its '#') is one a prefix may hold. */
static bool prefix_directive(const char *p, const char *eol) {
  while (p < eol && (*p == ' ' || *p == '\t')) p++;
  size_t n = 0;
  while (p + n < eol && p[n] >= 'a' && p[n] <= 'z') n++;
  return (n == 7 && memcmp(p, "include", 7) == 0) || (n == 6 && memcmp(p, "define", 6) == 0) ||
         (n == 5 && memcmp(p, "undef", 5) == 0);
}

char *pch_leading_directives(const char *text, size_t len) {
  strbuf sb = {0};
  const char *p = text, *end = text + len;
  for (;;) {
    while (p < end && is_blank(*p)) p++;
    if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
      const char *q = p + 2;
      while (end - q >= 2 && !(q[0] == '*' && q[1] == '/')) q++;
      if (end - q < 2) break;
      p = q + 2;
      continue;
    }
    if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
      while (p < end && *p != '\n') p++;
      continue;
    }
    if (p == end || *p != '#') break;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    const char *e = eol;
    while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) e--;
    if (!prefix_directive(p + 1, e) || e[-1] == '\\') break;
    bool comment = false, nul = false;
    for (const char *q = p; q + 1 < e && !comment; q++) comment = q[0] == '/' && (q[1] == '*' || q[1] == '/');
    for (const char *q = p; q < e && !nul; q++) nul = *q == '\0';
    if (comment || nul) break;
    sb_appendn(&sb, p, (size_t)(e - p));
    sb_appendc(&sb, '\n');
    p = eol;
  }
  return sb_take(&sb);
}

static char *join_flags(const char *const *argv, int argc) {
  strbuf sb = {0};
  for (int i = 0; i < argc; i++) {
    if (i) sb_appendc(&sb, '\x1f');
    sb_append(&sb, argv[i]);
  }
  return sb_take(&sb);
}

/* What the plan knows of one unit. */
typedef struct {
  const char *file;
  char *dir, *flags, *prefix;
  uint64_t group; /* of dir and flags */
} unit;

/* The counting key of `u`'s first `len` bytes of directives. */
static char *prefix_key(const unit *u, size_t len) {
  return xasprintf("%016llx:%016llx:%zx", (unsigned long long)u->group,
                   (unsigned long long)hash_bytes(u->prefix, len, 0), len);
}

/* The longest prefix (whole lines) of `u`'s directives at least PCH_MIN_USERS units
 * of its group begin with; 0 when none. */
static size_t best_prefix(const unit *u, strmap *counts) {
  size_t best = 0;
  for (const char *nl = strchr(u->prefix, '\n'); nl; nl = strchr(nl + 1, '\n')) {
    size_t len = (size_t)(nl + 1 - u->prefix);
    char *k = prefix_key(u, len);
    void *v = NULL;
    if (strmap_get(counts, k, &v) && (uintptr_t)v >= PCH_MIN_USERS) best = len;
    free(k);
  }
  return best;
}

void frontend_pch_begin(const compile_job *jobs, size_t n) {
  frontend_pch_end();
  const char *tmp = getenv("TMPDIR");
  char *dir = xasprintf("%s/calm-pch-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    free(dir);
    return; /* no PCH: every unit is parsed as usual */
  }
  unit *units = xcalloc(n ? n : 1, sizeof *units);
  strmap *counts = strmap_new();
  for (size_t i = 0; i < n; i++) {
    unit *u = &units[i];
    flags_args fa;
    flags_build(&jobs[i], &fa);
    size_t len = 0;
    char *text = fa.error ? NULL : file_read(jobs[i].file, &len);
    u->file = jobs[i].file;
    u->dir = path_dirname(jobs[i].file);
    u->flags = join_flags(fa.argv, fa.argc);
    u->prefix = text ? pch_leading_directives(text, len) : xstrdup("");
    u->group = hash_bytes(u->flags, strlen(u->flags), hash_bytes(u->dir, strlen(u->dir) + 1, 0));
    free(text);
    flags_args_free(&fa);
    for (const char *nl = strchr(u->prefix, '\n'); nl; nl = strchr(nl + 1, '\n')) {
      char *k = prefix_key(u, (size_t)(nl + 1 - u->prefix));
      void *v = NULL;
      strmap_get(counts, k, &v);
      strmap_put(counts, k, (void *)((uintptr_t)v + 1));
      free(k);
    }
  }
  strmap *by_key = strmap_new(); /* prefix key -> entry index + 1 */
  plan.by_file = strmap_new();
  for (size_t i = 0; i < n; i++) {
    unit *u = &units[i];
    size_t len = best_prefix(u, counts);
    if (!len) continue;
    char *k = prefix_key(u, len);
    void *v = NULL;
    if (!strmap_get(by_key, k, &v)) {
      plan.entries = xrealloc(plan.entries, (plan.n + 1) * sizeof *plan.entries);
      entry *e = &plan.entries[plan.n++];
      memset(e, 0, sizeof *e);
      e->dir = xstrdup(u->dir);
      e->flags = xstrdup(u->flags);
      e->prefix = xstrndup(u->prefix, len);
      v = (void *)(uintptr_t)plan.n;
      strmap_put(by_key, k, v);
    }
    free(k);
    entry *e = &plan.entries[(uintptr_t)v - 1];
    /* the key is a digest: a unit whose text differs is not given another's PCH */
    if (strcmp(e->dir, u->dir) == 0 && strcmp(e->flags, u->flags) == 0 && strncmp(e->prefix, u->prefix, len) == 0)
      strmap_put(plan.by_file, u->file, v);
  }
  for (size_t i = 0; i < n; i++) {
    free(units[i].dir);
    free(units[i].flags);
    free(units[i].prefix);
  }
  free(units);
  strmap_free(counts);
  strmap_free(by_key);
  plan.dir = dir;
}

static char *entry_file(size_t k, const char *ext) { return xasprintf("%s/%zu.%s", plan.dir, k, ext); }

void frontend_pch_end(void) {
  if (!plan.dir) return;
  /* everything in the directory is the run's: also what a worker killed while saving
   * left behind (clang's temporary beside the PCH) */
  DIR *d = opendir(plan.dir);
  for (struct dirent *de; d && (de = readdir(d));) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    char *f = xasprintf("%s/%s", plan.dir, de->d_name);
    unlink(f);
    free(f);
  }
  if (d) closedir(d);
  for (size_t k = 0; k < plan.n; k++) {
    entry *e = &plan.entries[k];
    free(e->dir);
    free(e->flags);
    free(e->prefix);
    free(e->ready.argv);
    if (e->ready.summary) ir_summary_free(e->ready.summary);
    if (e->pool) strpool_free(e->pool);
  }
  rmdir(plan.dir);
  free(plan.dir);
  free(plan.entries);
  strmap_free(plan.by_file);
  memset(&plan, 0, sizeof plan);
  pthread_mutex_lock(&index_lock);
  if (local_index) clang_disposeIndex(local_index);
  local_index = NULL;
  pthread_mutex_unlock(&index_lock);
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* The flags units parse entry k with, into e->ready. */
static void set_flags(entry *e, size_t k, const char **argv, int argc) {
  e->pool = strpool_new();
  char *path = entry_file(k, "pch");
  e->ready.path = strpool_intern(e->pool, path);
  free(path);
  e->ready.argv = xcalloc((size_t)argc + 3, sizeof *e->ready.argv);
  for (int i = 0; i < argc; i++) e->ready.argv[i] = strpool_intern(e->pool, argv[i]);
  e->ready.argv[argc] = "-include-pch";
  e->ready.argv[argc + 1] = e->ready.path;
  e->ready.argc = argc + 2;
}

/* What entry k's directives define, lowered from the PCH another process saved (its
 * declarations are all there, in the order a parse of the directives gives them). */
static ir_summary *lower_saved(entry *e, pch_lower_fn lower) {
  CXIndex index = clang_createIndex(0, 0);
  CXTranslationUnit tu = NULL;
  ir_summary *sum = NULL;
  if (clang_createTranslationUnit2(index, e->ready.path, &tu) == CXError_Success && tu) {
    sum = lower(tu, e->ready.path, e->ready.argv, e->ready.argc);
    clang_disposeTranslationUnit(tu);
  }
  clang_disposeIndex(index);
  return sum;
}

/* Parses entry k's directives, lowers what they define and saves the PCH. */
static ir_summary *build(entry *e, size_t k, const char **argv, int argc, pch_lower_fn lower) {
  char *src = xasprintf("%s/calm-pch-%zu.c", e->dir, k), *tmp = entry_file(k, "new.pch");
  struct CXUnsavedFile uf = {src, e->prefix, (unsigned long)strlen(e->prefix)};
  CXIndex index = clang_createIndex(0, 0);
  CXTranslationUnit tu = NULL;
  unsigned options = CXTranslationUnit_ForSerialization | CXTranslationUnit_Incomplete | CXTranslationUnit_KeepGoing;
  ir_summary *sum = NULL;
  if (clang_parseTranslationUnit2(index, src, argv, argc, &uf, 1, options, &tu) == CXError_Success && tu) {
    /* lowered with the PCH in the flags, as lower_saved does: the header memo keeps a
     * prefix's functions to itself (its #define lines are its context) */
    sum = lower(tu, src, e->ready.argv, e->ready.argc);
    /* renamed when whole: another worker takes the PCH once it is there */
    if (sum->failed || clang_saveTranslationUnit(tu, tmp, clang_defaultSaveOptions(tu)) != CXSaveError_None ||
        rename(tmp, e->ready.path) != 0) {
      ir_summary_free(sum);
      sum = NULL;
    }
    clang_disposeTranslationUnit(tu);
  }
  clang_disposeIndex(index);
  free(src);
  free(tmp);
  return sum;
}

const pch_ready *pch_acquire(const compile_job *job, const char **argv, int argc, pch_lower_fn lower) {
  void *v = NULL;
  if (!plan.dir || !strmap_get(plan.by_file, job->file, &v)) return NULL;
  size_t k = (uintptr_t)v - 1;
  entry *e = &plan.entries[k];
  char *flags = join_flags(argv, argc);
  bool same = strcmp(flags, e->flags) == 0;
  free(flags);
  if (!same || e->state < 0) return NULL;
  if (e->state > 0) return &e->ready;
  if (!e->pool) set_flags(e, k, argv, argc);
  char *bad = entry_file(k, "bad"), *lock = entry_file(k, "lock");
  if (exists(e->ready.path)) {
    e->ready.summary = lower_saved(e, lower);
  } else if (!exists(bad)) {
    int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) { /* another worker builds it: this unit goes without */
      free(bad);
      free(lock);
      return NULL;
    }
    close(fd);
    e->ready.summary = build(e, k, argv, argc, lower);
    if (!e->ready.summary) close(open(bad, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  }
  e->state = e->ready.summary && !e->ready.summary->failed ? 1 : -1;
  free(bad);
  free(lock);
  return e->state > 0 ? &e->ready : NULL;
}

void pch_refused(const compile_job *job) {
  void *v = NULL;
  if (plan.dir && strmap_get(plan.by_file, job->file, &v)) plan.entries[(uintptr_t)v - 1].state = -1;
}
