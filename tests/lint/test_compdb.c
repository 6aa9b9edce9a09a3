/* The compile database reader and the flag filter. */
#include <stdlib.h>
#include <string.h>

#include "../../lint/base/base.h"
#include "../../lint/frontend/compdb.h"
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
  CU_add_test(s, "filter drops wrapper and dependency files", test_filter_wrapper_and_depfiles);
  CU_add_test(s, "load database", test_load_database);
  CU_add_test(s, "missing and malformed databases", test_missing_and_malformed);
}
