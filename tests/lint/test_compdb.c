/* The compile database reader, the flag filter and the front-end arguments. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lint/base/base.h"
#include "../../lint/frontend/compdb.h"
#include "../../lint/frontend/flags.h"
#include "unit.h"

static bool has(char **args, size_t n, const char *a) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(args[i], a) == 0) return true;
  return false;
}

static void free_args(char **args, size_t n) {
  for (size_t i = 0; i < n; i++) free(args[i]);
  free(args);
}

static void test_filter_keeps_semantic_flags(void) {
  const char *argv[] = {"/usr/bin/cc", "-DNDEBUG", "-I/src/include", "-isystem", "/opt/inc", "-std=c11", "-O2",
                        "-c", "-o", "obj/a.o", "/src/a.c"};
  size_t n;
  char **out = compdb_filter_args(argv, 11, "/src/a.c", "/src", &n);
  CU_ASSERT_EQUAL(n, 6);
  CU_ASSERT(has(out, n, "-DNDEBUG"));
  CU_ASSERT(has(out, n, "-isystem"));
  CU_ASSERT(has(out, n, "/opt/inc"));
  CU_ASSERT(!has(out, n, "/usr/bin/cc"));
  CU_ASSERT(!has(out, n, "-c"));
  CU_ASSERT(!has(out, n, "obj/a.o"));
  CU_ASSERT(!has(out, n, "/src/a.c"));
  free_args(out, n);
}

static void test_filter_drops_plugins(void) {
  const char *argv[] = {"clang", "-fplugin=/evil.so", "-fpass-plugin=/evil2.so", "-Xclang", "-load", "-Xclang",
                        "/evil3.so", "-Xclang", "-add-plugin", "-Xclang", "spy", "-Xclang", "-fno-builtin",
                        "-fplugin-arg-x-y", "-Wall", "a.c"};
  size_t n;
  char **out = compdb_filter_args(argv, 16, "/src/a.c", "/src", &n);
  for (size_t i = 0; i < n; i++) {
    CU_ASSERT(strstr(out[i], "evil") == NULL);
    CU_ASSERT(strcmp(out[i], "spy") != 0);
    CU_ASSERT(strcmp(out[i], "-load") != 0);
    CU_ASSERT(strstr(out[i], "plugin") == NULL);
  }
  /* an unrelated -Xclang pair survives, in order */
  CU_ASSERT_EQUAL(n, 3);
  CU_ASSERT_STRING_EQUAL(out[0], "-Xclang");
  CU_ASSERT_STRING_EQUAL(out[1], "-fno-builtin");
  CU_ASSERT_STRING_EQUAL(out[2], "-Wall");
  free_args(out, n);
}

/* Every way a compile command can load code into the linter, one argument list each,
 * with the flags that must survive around them. */
static const char *const code_loading[][8] = {
    {"--config", "evil.cfg"},
    {"--config=evil.cfg"},
    {"--config-user-dir=/evil"},
    {"/clang:-fplugin=/evil.so"},
    {"-clang:-fpass-plugin=/evil.so"},
    {"/clang:-Xclang", "/clang:-load", "/clang:-Xclang", "/clang:/evil.so"},
    {"/clang:--config", "/clang:evil.cfg"},
    {"-Xclang", "-fpass-plugin=/evil.so"},
    {"-Xclang=-load", "-Xclang=/evil.so"},
    {"-mllvm", "-load=/evil.so"},
    {"-mllvm", "-load", "-mllvm", "/evil.so"},
    {"-mllvm", "--load-pass-plugin=/evil.so"},
    {"-Xclang", "-mllvm", "-Xclang", "-load=/evil.so"},
    {"-Xclang", "-mllvm", "-Xclang", "-load", "-Xclang", "-mllvm", "-Xclang", "/evil.so"},
};
#define N_CODE_LOADING (sizeof code_loading / sizeof *code_loading)

static size_t count(const char *const *v) {
  size_t n = 0;
  while (n < 8 && v[n]) n++;
  return n;
}

/* The flags around each case, which must come out unchanged and in order. */
static const char *const kept[] = {"-DBEFORE", "-mllvm", "-inline-threshold=100", "-Xclang", "-fno-builtin",
                                   "/clang:-std=c11", "-DAFTER"};
#define N_KEPT (sizeof kept / sizeof *kept)

static void check_kept(char **out, size_t n, const char *what) {
  bool same = n == N_KEPT;
  for (size_t i = 0; same && i < n; i++) same = strcmp(out[i], kept[i]) == 0;
  if (!same) {
    fprintf(stderr, "\n  %s: got", what);
    for (size_t i = 0; i < n; i++) fprintf(stderr, " %s", out[i]);
    fprintf(stderr, "\n");
  }
  CU_ASSERT(same);
}

static void test_filter_drops_code_loading(void) {
  for (size_t c = 0; c < N_CODE_LOADING; c++) {
    const char *argv[32];
    size_t argc = 0;
    for (size_t i = 0; i < 5; i++) argv[argc++] = kept[i];
    for (size_t i = 0; i < count(code_loading[c]); i++) argv[argc++] = code_loading[c][i];
    for (size_t i = 5; i < N_KEPT; i++) argv[argc++] = kept[i];
    size_t n;
    char **out = compdb_filter_flags(argv, argc, "/src/a.c", "/src", &n);
    check_kept(out, n, code_loading[c][0]);
    free_args(out, n);
  }
}

static int index_of(const flags_args *fa, const char *a) {
  for (int i = 0; i < fa->argc; i++)
    if (strcmp(fa->argv[i], a) == 0) return i;
  return -1;
}

/* The same flags inside a response file, from the flags after `--` (read by the front
 * end) and from a database (expanded when it is read). */
static void test_response_files_filtered(void) {
  for (size_t c = 0; c < N_CODE_LOADING; c++) {
    strbuf rsp = {0};
    for (size_t i = 0; i < count(code_loading[c]); i++) sb_printf(&rsp, "'%s'\n", code_loading[c][i]);
    char *name = xasprintf("evil%zu.rsp", c);
    char *path = unit_write(name, rsp.data);
    char *at = xasprintf("@%s", name);
    char **args = xcalloc(N_KEPT + 2, sizeof *args);
    size_t nargs = 0;
    for (size_t i = 0; i < 5; i++) args[nargs++] = xstrdup(kept[i]);
    args[nargs++] = xstrdup(at);
    for (size_t i = 5; i < N_KEPT; i++) args[nargs++] = xstrdup(kept[i]);
    compile_job job;
    compile_job_init(&job, "/src/a.c", unit_scratch(), args, nargs);
    flags_args fa;
    flags_build(&job, &fa);
    CU_ASSERT_PTR_NULL(fa.error);
    for (int i = 0; i < fa.argc; i++) {
      CU_ASSERT(strstr(fa.argv[i], "evil") == NULL);
      CU_ASSERT(strstr(fa.argv[i], "load") == NULL);
    }
    size_t k = 0;
    for (int i = 0; i < fa.argc && k < N_KEPT; i++)
      if (strcmp(fa.argv[i], kept[k]) == 0) k++;
    CU_ASSERT_EQUAL(k, N_KEPT);
    flags_args_free(&fa);
    compile_job_clear(&job);

    char *dir = xasprintf("%s/rspdb%zu", unit_scratch(), c);
    char *mk = xasprintf("mkdir -p %s", dir);
    CU_ASSERT_EQUAL(system(mk), 0);
    char *db_text = xasprintf("[{\"directory\": \"%s\", \"file\": \"a.c\", \"arguments\": [\"clang\", \"-DBEFORE\", "
                              "\"%s\", \"-DAFTER\", \"-c\", \"a.c\"]}]\n",
                              unit_scratch(), at);
    char *db_path = xasprintf("%s/compile_commands.json", dir);
    FILE *f = fopen(db_path, "w");
    fputs(db_text, f);
    fclose(f);
    compdb db;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(compdb_load(dir, &db, &err), 0);
    CU_ASSERT_EQUAL_FATAL(db.njobs, 1);
    flags_build(&db.jobs[0], &fa);
    CU_ASSERT_PTR_NULL(fa.error);
    CU_ASSERT(index_of(&fa, "-DBEFORE") >= 0 && index_of(&fa, "-DAFTER") >= 0);
    for (int i = 0; i < fa.argc; i++) CU_ASSERT(strstr(fa.argv[i], "evil") == NULL);
    flags_args_free(&fa);
    compdb_free(&db);
    free(db_text), free(db_path), free(mk), free(dir);
    free(at), free(path), free(name);
    sb_free(&rsp);
  }
}

static void test_split_response(void) {
  char **t;
  size_t n = flags_split_response("-DA=1  '-DB=x y'\n\"-DC=\\\"q\\\"\" -DD=a\\ b \"\" -DE='it''s' @n.rsp", &t);
  const char *want[] = {"-DA=1", "-DB=x y", "-DC=\"q\"", "-DD=a b", "-DE=its", "@n.rsp"};
  CU_ASSERT_EQUAL(n, 6);
  for (size_t i = 0; i < n && i < 6; i++) CU_ASSERT_STRING_EQUAL(t[i], want[i]);
  for (size_t i = 0; i < n; i++) free(t[i]);
  free(t);
}

/* A response file that includes itself ends with an error, not a hang; one that cannot
 * be read is named; `-working-directory` moves the directory and is not passed on. */
static void test_response_loops_and_working_directory(void) {
  free(unit_write("loop.rsp", "-DLOOP @loop.rsp\n"));
  char **args = xcalloc(4, sizeof *args);
  args[0] = xstrdup("@loop.rsp");
  args[1] = xstrdup("@absent.rsp");
  compile_job job;
  compile_job_init(&job, "/src/a.c", unit_scratch(), args, 2);
  flags_args fa;
  flags_build(&job, &fa);
  CU_ASSERT_PTR_NOT_NULL_FATAL(fa.error);
  CU_ASSERT(strstr(fa.error, "@loop.rsp") != NULL);
  CU_ASSERT(index_of(&fa, "-DLOOP") >= 0);
  flags_args_free(&fa);
  compile_job_clear(&job);

  char *sub = xasprintf("mkdir -p %s/wd/inc", unit_scratch());
  CU_ASSERT_EQUAL(system(sub), 0);
  args = xcalloc(4, sizeof *args);
  args[0] = xstrdup("-working-directory");
  args[1] = xstrdup("wd");
  args[2] = xstrdup("-Iinc");
  compile_job_init(&job, "/src/a.c", unit_scratch(), args, 3);
  flags_build(&job, &fa);
  CU_ASSERT_PTR_NULL(fa.error);
  char *inc = xasprintf("-I%s/wd/inc", unit_scratch());
  CU_ASSERT(index_of(&fa, inc) >= 0);
  CU_ASSERT(index_of(&fa, "wd") < 0);
  int wd = index_of(&fa, "-working-directory");
  CU_ASSERT(wd > 0 && strcmp(fa.argv[wd - 1], "-Xclang") == 0); /* only the compiler proper sees it */
  flags_args_free(&fa);
  compile_job_clear(&job);
  free(inc), free(sub);
}

/* The database is read as clang's tooling reads it: "command" split with shell quoting,
 * the driver mode the compiler's name implies, and response files left for the front
 * end, which reads only regular files: `@/dev/zero` or a FIFO must not hang the load. */
static void test_database_commands(void) {
  char *dir = xasprintf("%s/db3", unit_scratch());
  char *mk = xasprintf("mkdir -p %s && rm -f %s/fifo.rsp && mkfifo %s/fifo.rsp", dir, dir, dir);
  CU_ASSERT_EQUAL_FATAL(system(mk), 0);
  char *text = xasprintf(
      "[{\"directory\": \"%1$s\", \"file\": \"a.c\",\n"
      "  \"command\": \"cc '-DA=x y' \\\"-DB=\\\\\\\"q\\\\\\\"\\\" -DC=a\\\\ b -c a.c\"},\n"
      " {\"directory\": \"%1$s\", \"file\": \"b.c\",\n"
      "  \"arguments\": [\"/usr/bin/clang++-14\", \"-c\", \"b.c\"]},\n"
      " {\"directory\": \"%1$s\", \"file\": \"c.c\", \"arguments\": [\"clang-cl\", \"/c\", \"c.c\"]},\n"
      " {\"directory\": \".\", \"file\": \"d.c\",\n"
      "  \"arguments\": [\"cc\", \"@/dev/zero\", \"@fifo.rsp\", \"-c\", \"d.c\"]},\n"
      " {\"directory\": \"%1$s\", \"file\": \"e.c\", \"command\": \"cc @sub/e.rsp -c e.c\"}]\n",
      dir);
  char *path = xasprintf("%s/compile_commands.json", dir);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  /* a nested name is read against the directory, as clang's driver reads it */
  char *sub = xasprintf("mkdir -p %1$s/sub && echo '-DE=1 @nested.rsp' > %1$s/sub/e.rsp && "
                        "echo '-DNESTED=top' > %1$s/nested.rsp && echo '-DNESTED=sub' > %1$s/sub/nested.rsp", dir);
  CU_ASSERT_EQUAL_FATAL(system(sub), 0);
  free(sub);
  compdb db;
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(compdb_load(dir, &db, &err), 0);
  CU_ASSERT_EQUAL_FATAL(db.njobs, 5);
  /* expanded when read, so the flags a cached summary depends on are in the job */
  const compile_job *e = &db.jobs[4];
  CU_ASSERT(e->nargs == 2 && strcmp(e->args[0], "-DE=1") == 0 && strcmp(e->args[1], "-DNESTED=top") == 0);
  const compile_job *a = &db.jobs[0], *b = &db.jobs[1], *c = &db.jobs[2], *d = &db.jobs[3];
  CU_ASSERT_EQUAL_FATAL(a->nargs, 3);
  CU_ASSERT_STRING_EQUAL(a->args[0], "-DA=x y");
  CU_ASSERT_STRING_EQUAL(a->args[1], "-DB=\"q\"");
  CU_ASSERT_STRING_EQUAL(a->args[2], "-DC=a b");
  CU_ASSERT(b->nargs == 1 && strcmp(b->args[0], "--driver-mode=g++") == 0);
  CU_ASSERT(c->nargs >= 1 && strcmp(c->args[0], "--driver-mode=cl") == 0);
  CU_ASSERT_STRING_EQUAL(d->directory, dir); /* "." is the database's directory */
  flags_args fa;
  flags_build(d, &fa);
  CU_ASSERT_PTR_NOT_NULL_FATAL(fa.error);
  CU_ASSERT(strstr(fa.error, "@/dev/zero") && strstr(fa.error, "not a regular file"));
  flags_args_free(&fa);
  compdb_free(&db);
  free(text), free(path), free(mk), free(dir);
}

/* 100 000 entries, each found again: the load must not be quadratic (it took 75 s).
 * The suite's CTest timeout is what fails a regression; the time is printed. */
static void test_large_database(void) {
  enum { N = 100000 };
  char *dir = xasprintf("%s/big", unit_scratch());
  char *mk = xasprintf("mkdir -p %s", dir);
  CU_ASSERT_EQUAL(system(mk), 0);
  char *path = xasprintf("%s/compile_commands.json", dir);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("[", f);
  for (int i = 0; i < N; i++)
    fprintf(f, "%s{\"directory\": \"%s\", \"file\": \"src/d%d/f%d.c\", \"command\": \"cc -DN=%d -Iinclude -c "
               "src/d%d/f%d.c -o f%d.o\"}\n", i ? "," : "", dir, i % 100, i, i, i % 100, i, i);
  /* the same file again, with other flags: the first entry wins */
  fprintf(f, ",{\"directory\": \"%s\", \"file\": \"src/d0/f0.c\", \"command\": \"cc -DSECOND -c src/d0/f0.c\"}]\n",
          dir);
  fclose(f);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  compdb db;
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(compdb_load(dir, &db, &err), 0);
  size_t found = 0;
  for (int i = 0; i < N; i++) {
    char *file = xasprintf("%s/src/d%d/f%d.c", dir, i % 100, i);
    const compile_job *job = compdb_find(&db, file);
    char *def = xasprintf("-DN=%d", i);
    found += job && job->nargs == 2 && strcmp(job->args[0], def) == 0;
    free(def);
    free(file);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("\n  %d entries loaded and looked up in %.2f s\n", N + 1,
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  CU_ASSERT_EQUAL(db.njobs, N);
  CU_ASSERT_EQUAL(found, N);
  char *absent = xasprintf("%s/src/absent.c", dir);
  CU_ASSERT_PTR_NULL(compdb_find(&db, absent));
  compdb_free(&db);
  free(absent), free(path), free(mk), free(dir);
}

static void test_filter_wrapper_and_depfiles(void) {
  const char *argv[] = {"ccache", "gcc", "-MD", "-MF", "a.d", "-MT", "a.o", "-Werror", "-Wextra", "-c", "../src/a.c"};
  size_t n;
  char **out = compdb_filter_args(argv, 11, "/w/src/a.c", "/w/build", &n);
  CU_ASSERT_EQUAL(n, 1);
  if (n == 1) CU_ASSERT_STRING_EQUAL(out[0], "-Wextra");
  free_args(out, n);
}

static void test_load_database(void) {
  char *dir = xasprintf("%s/db1", unit_scratch());
  char *mk = xasprintf("mkdir -p %s", dir);
  CU_ASSERT_EQUAL(system(mk), 0);
  char *text = xasprintf("[{\"directory\": \"%s\", \"file\": \"src/a.c\", \"command\": \"cc -DA=1 -c src/a.c -o a.o\"},\n"
                         " {\"directory\": \"%s\", \"file\": \"%s/src/b.c\", \"arguments\": [\"cc\", \"-DB\", \"-c\", \"src/b.c\"]}]\n",
                         dir, dir, dir);
  char *path = xasprintf("%s/compile_commands.json", dir);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  compdb db;
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(compdb_load(dir, &db, &err), 0);
  CU_ASSERT_EQUAL(db.njobs, 2);
  char *a = xasprintf("%s/src/a.c", dir), *b = xasprintf("%s/src/b.c", dir), *h = xasprintf("%s/src/inc/x.h", dir);
  const compile_job *ja = compdb_find(&db, a);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ja);
  CU_ASSERT_EQUAL(ja->nargs, 1);
  CU_ASSERT_STRING_EQUAL(ja->args[0], "-DA=1");
  CU_ASSERT_PTR_NOT_NULL(compdb_find(&db, b));
  compile_job *inferred = compdb_infer(&db, h);
  CU_ASSERT_PTR_NOT_NULL_FATAL(inferred);
  CU_ASSERT_STRING_EQUAL(inferred->file, h);
  CU_ASSERT_STRING_EQUAL(inferred->directory, dir);
  compile_job_free(inferred);
  compdb_free(&db);
  free(a), free(b), free(h), free(text), free(path), free(mk), free(dir);
}

static void test_missing_and_malformed(void) {
  compdb db;
  char *err = NULL;
  CU_ASSERT_EQUAL(compdb_load("/nonexistent-calm-dir", &db, &err), -1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(err);
  CU_ASSERT(strstr(err, "no compile_commands.json") != NULL);
  free(err);

  char *dir = xasprintf("%s/db2", unit_scratch());
  char *mk = xasprintf("mkdir -p %s", dir);
  CU_ASSERT_EQUAL(system(mk), 0);
  char *path = xasprintf("%s/compile_commands.json", dir);
  FILE *f = fopen(path, "w");
  fputs("[\n  {\"directory\": \"/x\",\n   \"file\": oops}\n]\n", f);
  fclose(f);
  err = NULL;
  CU_ASSERT_EQUAL(compdb_load(dir, &db, &err), -1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(err);
  CU_ASSERT(strstr(err, ":3:") != NULL); /* the line of the bad token */
  CU_ASSERT(strstr(err, "invalid JSON") != NULL);
  free(err);
  free(path), free(mk), free(dir);
}

void unit_register_compdb(void) {
  CU_pSuite s = CU_add_suite("compdb", NULL, NULL);
  CU_add_test(s, "filter keeps semantic flags", test_filter_keeps_semantic_flags);
  CU_add_test(s, "filter drops plugins", test_filter_drops_plugins);
  CU_add_test(s, "filter drops clang config files, LLVM -load and clang-cl plugin flags",
              test_filter_drops_code_loading);
  CU_add_test(s, "code-loading flags in response files are dropped", test_response_files_filtered);
  CU_add_test(s, "response files split as clang splits them", test_split_response);
  CU_add_test(s, "response-file loops and -working-directory", test_response_loops_and_working_directory);
  CU_add_test(s, "commands, driver modes and response files of a database", test_database_commands);
  CU_add_test(s, "100 000 entries load in n log n", test_large_database);
  CU_add_test(s, "filter drops wrapper and dependency files", test_filter_wrapper_and_depfiles);
  CU_add_test(s, "load database", test_load_database);
  CU_add_test(s, "missing and malformed databases", test_missing_and_malformed);
}
