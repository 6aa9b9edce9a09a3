/* The parse-only floor of calm-lint: loads the same compile database, builds the same
 * front-end flags and parses every unit in one process with the same libclang options
 * and the same number of threads, then visits nothing. calm-lint's cost over this
 * program is what lowering, linking and the rules add to the parse.
 *
 * usage: cxparse_multi -p BUILD_DIR [-j N] [FILE...]
 *   FILE  only these units (as the database names them), for a profile of one unit */
#include <clang-c/Index.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lint/frontend/compdb.h"
#include "../../lint/frontend/flags.h"

typedef struct {
  const compile_job **jobs;
  size_t n;
  atomic_size_t next;
  atomic_size_t failed;
} work;

/* Whether the unit reports an argument clang's driver rejects: calm-lint then parses
 * it a second time without them, and so does the floor. */
static bool has_unknown_argument(CXTranslationUnit tu, const char **argv, int *argc) {
  unsigned nd = clang_getNumDiagnostics(tu);
  bool dropped = false;
  for (unsigned i = 0; i < nd; i++) {
    CXDiagnostic d = clang_getDiagnostic(tu, i);
    CXString s = clang_getDiagnosticSpelling(d);
    const char *p = strstr(clang_getCString(s), "unknown argument: '");
    if (p) {
      p += strlen("unknown argument: '");
      const char *q = strchr(p, '\'');
      int m = 0;
      for (int k = 0; k < *argc; k++)
        if (!q || strlen(argv[k]) != (size_t)(q - p) || strncmp(argv[k], p, (size_t)(q - p)) != 0) argv[m++] = argv[k];
      dropped |= m != *argc;
      *argc = m;
    }
    clang_disposeString(s);
    clang_disposeDiagnostic(d);
  }
  return dropped;
}

static void *worker(void *arg) {
  work *w = arg;
  CXIndex index = clang_createIndex(0, 0);
  for (;;) {
    size_t i = atomic_fetch_add(&w->next, 1);
    if (i >= w->n) break;
    flags_args fa;
    flags_build(w->jobs[i], &fa);
    CXTranslationUnit tu = NULL;
    unsigned options = CXTranslationUnit_KeepGoing;
    enum CXErrorCode e = clang_parseTranslationUnit2(index, w->jobs[i]->file, fa.argv, fa.argc, NULL, 0, options, &tu);
    int argc = fa.argc;
    if (e == CXError_Success && tu && has_unknown_argument(tu, fa.argv, &argc)) {
      clang_disposeTranslationUnit(tu);
      tu = NULL;
      e = clang_parseTranslationUnit2(index, w->jobs[i]->file, fa.argv, argc, NULL, 0, options, &tu);
    }
    if (e != CXError_Success || !tu) atomic_fetch_add(&w->failed, 1);
    if (tu) clang_disposeTranslationUnit(tu);
    flags_args_free(&fa);
  }
  clang_disposeIndex(index);
  return NULL;
}

static int cmp_job(const void *a, const void *b) {
  return strcmp((*(const compile_job *const *)a)->file, (*(const compile_job *const *)b)->file);
}

int main(int argc, char **argv) {
  const char *dir = NULL;
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  char **only = calloc((size_t)argc, sizeof *only);
  int nonly = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) dir = argv[++i];
    else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) threads = strtol(argv[++i], NULL, 10);
    else if (argv[i][0] != '-') only[nonly++] = argv[i];
    else dir = NULL, i = argc;
  }
  if (!dir) {
    fprintf(stderr, "usage: cxparse_multi -p BUILD_DIR [-j N] [FILE...]\n");
    free(only);
    return 2;
  }
  compdb db;
  char *err = NULL;
  if (compdb_load(dir, &db, &err) != 0) {
    fprintf(stderr, "cxparse_multi: %s\n", err);
    free(err);
    return 2;
  }
  /* one parse per source file, in calm-lint's order: the database's entry for it */
  const compile_job **jobs = calloc(db.njobs + 1, sizeof *jobs);
  size_t n = 0;
  for (size_t i = 0; i < db.njobs; i++) {
    const compile_job *j = compdb_find(&db, db.jobs[i].file);
    bool seen = false;
    for (size_t k = 0; k < n && !seen; k++) seen = jobs[k] == j;
    bool wanted = nonly == 0;
    for (int k = 0; k < nonly && !wanted; k++) wanted = strcmp(only[k], j->file) == 0;
    if (!seen && wanted) jobs[n++] = j;
  }
  qsort(jobs, n, sizeof *jobs, cmp_job);
  work w = {jobs, n, 0, 0};
  if (threads < 1) threads = 1;
  if ((size_t)threads > n) threads = n ? (long)n : 1;
  pthread_t *tids = calloc((size_t)threads, sizeof *tids);
  for (long t = 0; t < threads; t++) pthread_create(&tids[t], NULL, worker, &w);
  for (long t = 0; t < threads; t++) pthread_join(tids[t], NULL);
  printf("%zu units parsed, %zu failed\n", n, (size_t)atomic_load(&w.failed));
  free(tids);
  free(jobs);
  free(only);
  compdb_free(&db);
  return 0;
}
