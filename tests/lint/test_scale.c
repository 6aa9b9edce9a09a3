/* calm-lint at scale. The steps around the parse grow linearly with the program: each
 * timed test does, on a large input, what a quadratic step once did, and fails when it
 * takes seconds (CPU seconds of this process or of calm-lint, so a busy machine does not
 * fail them). And shards emitted in two checkouts at different places link, with
 * --path-map, to the bytes of one run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../../lint/frontend/compdb.h"
#include "../../lint/graph/program.h"
#include "unit.h"

static double cpu_now(void) { return (double)clock() / CLOCKS_PER_SEC; }

static double children_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* A header's function defined in every unit: 60 000 definitions of one USR (each at
 * another line, so none is a copy of another), linked. Appending each to the chain of
 * its USR by walking the chain took seconds. */
static void test_many_definitions(void) {
  enum { N = 60000 };
  ir_summary *s = ir_summary_new("/s/many.c");
  s->funcs = xcalloc(N, sizeof *s->funcs); /* not one at a time: that is the summary's own cost */
  for (unsigned i = 0; i < N; i++) {
    ir_function f = {0};
    f.usr = strpool_intern(s->pool, "c:h.h@F@helper");
    f.name = strpool_intern(s->pool, "helper");
    f.loc = (ir_loc){strpool_intern(s->pool, "/s/h.h"), i + 1, 1, i + 1, 7};
    f.end = f.loc;
    f.is_static = true;
    s->funcs[s->nfuncs++] = f;
  }
  model_db *db = model_db_new();
  double t0 = cpu_now();
  program *p = program_link(&s, 1, db);
  double took = cpu_now() - t0;
  CU_ASSERT_EQUAL(p->nfns, N);
  int out[2];
  CU_ASSERT_EQUAL(program_resolve_in(p, NULL, "c:h.h@F@helper", out, 2), N);
  if (took >= 1.0) fprintf(stderr, "\n  linking %d definitions of one function took %.2f s\n", N, took);
  CU_ASSERT(took < 1.0);
  program_free(p);
  model_db_free(db);
  ir_summary_free(s);
}

/* 60 000 loop roots (CALM_ASYNC functions) defined in the reverse of their sites'
 * order: an insertion sort of the roots took seconds. */
static void test_many_roots(void) {
  enum { N = 60000 };
  ir_summary *s = ir_summary_new("/s/roots.c");
  s->funcs = xcalloc(N, sizeof *s->funcs);
  for (unsigned i = 0; i < N; i++) {
    ir_function f = {0};
    char usr[32], name[32];
    snprintf(usr, sizeof usr, "c:@F@root%u", i);
    snprintf(name, sizeof name, "root%u", i);
    f.usr = strpool_intern(s->pool, usr);
    f.name = strpool_intern(s->pool, name);
    f.loc = (ir_loc){strpool_intern(s->pool, "/s/roots.c"), N - i, 1, N - i, 5};
    f.end = f.loc;
    f.attrs = IR_ATTR_ASYNC;
    s->funcs[s->nfuncs++] = f;
  }
  model_db *db = model_db_new();
  double t0 = cpu_now();
  program *p = program_link(&s, 1, db);
  double took = cpu_now() - t0;
  CU_ASSERT_EQUAL(p->nroots, N);
  bool sorted = true;
  for (unsigned r = 1; r < p->nroots; r++) sorted &= p->roots[r - 1].site.line < p->roots[r].site.line;
  CU_ASSERT(sorted);
  CU_ASSERT(p->fns[N - 1].loop.reached && p->fns[N - 1].loop.root == 0);
  if (took >= 1.0) fprintf(stderr, "\n  linking %d roots took %.2f s\n", N, took);
  CU_ASSERT(took < 1.0);
  program_free(p);
  model_db_free(db);
  ir_summary_free(s);
}

/* Flags for 30 000 files a database does not list, each from the entry in its own
 * directory: a scan of the database per file took seconds. */
static void test_infer_many(void) {
  enum { N = 30000 };
  const char *dir = unit_scratch();
  char *db_path = xasprintf("%s/compile_commands.json", dir);
  FILE *f = fopen(db_path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("[\n", f);
  for (unsigned i = 0; i < N; i++)
    fprintf(f, "%s{\"directory\": \"/w/d%u\", \"file\": \"/w/d%u/a.c\", \"arguments\": [\"cc\", \"-DN=%u\", \"-c\", \"a.c\"]}\n",
            i ? "," : "", i, i, i);
  fputs("]\n", f);
  fclose(f);
  compdb db;
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(compdb_load(dir, &db, &err), 0);
  double t0 = cpu_now();
  unsigned right = 0;
  for (unsigned i = 0; i < N; i++) {
    char *file = xasprintf("/w/d%u/new.h", i), *want = xasprintf("/w/d%u", i);
    compile_job *job = compdb_infer(&db, file);
    right += job && strcmp(job->directory, want) == 0;
    compile_job_free(job);
    free(file);
    free(want);
  }
  double took = cpu_now() - t0;
  CU_ASSERT_EQUAL(right, N);
  /* among equally near entries the first: /w/x.h shares only /w/ with every one */
  compile_job *job = compdb_infer(&db, "/w/x.h");
  CU_ASSERT_PTR_NOT_NULL_FATAL(job);
  CU_ASSERT_STRING_EQUAL(job->directory, "/w/d0");
  compile_job_free(job);
  if (took >= 1.0) fprintf(stderr, "\n  inferring flags for %d files took %.2f s\n", N, took);
  CU_ASSERT(took < 1.0);
  compdb_free(&db);
  free(db_path);
}

/* A database of 30 000 units, listed in reverse order, gathered into jobs (one shard of
 * one unit is parsed): a linear search per job for a duplicate, and an insertion sort
 * of the jobs, each took seconds. */
static void test_gather_many(void) {
  enum { N = 30000 };
  char *db_dir = xasprintf("%s/many", unit_scratch());
  char *mk = xasprintf("mkdir -p '%s/src'", db_dir);
  CU_ASSERT_EQUAL_FATAL(system(mk), 0);
  free(mk);
  char *db_path = xasprintf("%s/compile_commands.json", db_dir);
  FILE *f = fopen(db_path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("[\n", f);
  for (unsigned i = N; i-- > 0;)
    fprintf(f, "%s{\"directory\": \"%s\", \"file\": \"src/unit%05u.c\", \"arguments\": [\"cc\", \"-c\", \"src/unit%05u.c\"]}\n",
            i + 1 < N ? "," : "", db_dir, i, i);
  fputs("]\n", f);
  fclose(f);
  char *src = xasprintf("%s/src/unit00000.c", db_dir);
  f = fopen(src, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("int unit0(void) { return 0; }\n", f);
  fclose(f);
  char *args = xasprintf("-p many --no-cache --quiet --emit-summaries many/sums --shard 1/%d", N);
  char *out = NULL, *err = NULL;
  double t0 = children_cpu();
  CU_ASSERT_EQUAL(unit_run_lint("", args, &out, &err), 0);
  double took = children_cpu() - t0;
  if (took >= 3.0) fprintf(stderr, "\n  gathering %d units took %.2f s\n", N, took);
  CU_ASSERT(took < 3.0);
  free(out);
  free(err);
  free(args);
  free(src);
  free(db_path);
  free(db_dir);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs(text, f);
  fclose(f);
}

/* One copy of a small project (a loop callback in one unit reaching a blocking call in
 * another, through a header's static inline) under scratch/pm/<copy>/proj. */
static char *make_copy(const char *copy) {
  char *root = xasprintf("%s/pm/%s/proj", unit_scratch(), copy);
  char *mk = xasprintf("mkdir -p '%s/src'", root);
  CU_ASSERT_EQUAL(system(mk), 0);
  free(mk);
  static const char *const files[][2] = {
      {"src/util.h", "unsigned int sleep(unsigned int seconds);\n"
                     "static inline void nap(int n) { if (n) sleep(1); }\n"},
      {"src/loop.c", "#include \"util.h\"\n"
                     "typedef struct calm_loop calm_loop;\n"
                     "int calm_call_soon(calm_loop *loop, void (*cb)(calm_loop *, void *), void *arg);\n"
                     "void work(int n);\n"
                     "static void on_ready(calm_loop *loop, void *arg) { (void)loop; (void)arg; work(1); nap(1); }\n"
                     "void start(calm_loop *loop) { calm_call_soon(loop, on_ready, 0); }\n"},
      {"src/work.c", "#include \"util.h\"\n"
                     "void work(int n) { nap(n); sleep(2); }\n"},
  };
  strbuf db = {0};
  sb_append(&db, "[");
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    char *path = xasprintf("%s/%s", root, files[i][0]);
    write_file(path, files[i][1]);
    if (strstr(path, ".c"))
      sb_printf(&db, "%s{\"directory\": \"%s\", \"file\": \"%s\", \"arguments\": [\"cc\", \"-c\", \"%s\"]}\n",
                db.len > 1 ? "," : "", root, path, path);
    free(path);
  }
  sb_append(&db, "]\n");
  char *db_path = xasprintf("%s/compile_commands.json", root);
  write_file(db_path, db.data);
  free(db_path);
  sb_free(&db);
  return root;
}

/* Runs calm-lint in the scratch directory with `args`, where %C stands for copy's
 * directory (pm/<copy>/proj); returns what it printed. */
static char *run_in(const char *copy, const char *args, int *status) {
  strbuf sb = {0};
  for (const char *p = args; *p; p++) {
    if (p[0] == '%' && p[1] == 'C') {
      sb_printf(&sb, "pm/%s/proj", copy);
      p++;
    } else {
      sb_appendc(&sb, *p);
    }
  }
  char *out = NULL, *err = NULL;
  *status = unit_run_lint("", sb.data, &out, &err);
  sb_free(&sb);
  free(err);
  return out;
}

static void test_path_map(void) {
  char *a = make_copy("a"), *b = make_copy("b");
  int st;
  char *plain = run_in("b", "-p %C --no-cache --format json", &st);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(strstr(plain, "\"pm/b/proj/src/work.c\""));
  /* one shard from each checkout, linked at /b with /a mapped there */
  free(run_in("a", "-p %C --no-cache --emit-summaries sums --shard 1/2", &st));
  CU_ASSERT_EQUAL(st, 0);
  free(run_in("b", "-p %C --no-cache --emit-summaries sums --shard 2/2", &st));
  CU_ASSERT_EQUAL(st, 0);
  char *args = xasprintf("--link sums --format json --path-map %s=%s", a, b);
  char *linked = run_in("b", args, &st);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_STRING_EQUAL(linked, plain);
  free(args);
  free(linked);
  /* unmapped, the unit from /a is another file: the output is not the run's */
  char *unmapped = run_in("b", "--link sums --format json", &st);
  CU_ASSERT(strcmp(unmapped, plain) != 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(unmapped, "pm/a/proj/src/"));
  free(unmapped);
  /* mapped where the shard is written instead; a map that matches nothing changes nothing */
  args = xasprintf("-p %%C --no-cache --emit-summaries sums2 --shard 1/2 --path-map %s/=%s/ --path-map /nowhere=/x", a, b);
  free(run_in("a", args, &st));
  CU_ASSERT_EQUAL(st, 0);
  free(args);
  free(run_in("b", "-p %C --no-cache --emit-summaries sums2 --shard 2/2", &st));
  linked = run_in("b", "--link sums2 --format json", &st);
  CU_ASSERT_STRING_EQUAL(linked, plain);
  free(linked);
  /* the last matching map wins, and a map needs both sides and a summary to act on */
  args = xasprintf("--link sums --format json --path-map %s=/elsewhere --path-map %s=%s", a, a, b);
  linked = run_in("b", args, &st);
  CU_ASSERT_STRING_EQUAL(linked, plain);
  free(linked);
  free(args);
  free(run_in("b", "--link sums --path-map /a", &st));
  CU_ASSERT_EQUAL(st, 2);
  free(run_in("b", "-p %C --path-map /a=/b", &st));
  CU_ASSERT_EQUAL(st, 2);
  free(plain);
  free(a);
  free(b);
}

void unit_register_scale(void) {
  CU_pSuite s = CU_add_suite("scale", NULL, NULL);
  CU_add_test(s, "many definitions of one function link in linear time", test_many_definitions);
  CU_add_test(s, "many roots out of order", test_many_roots);
  CU_add_test(s, "flags inferred for many unlisted files", test_infer_many);
  CU_add_test(s, "a large database gathered into jobs", test_gather_many);
  CU_add_test(s, "shards of two checkouts linked with --path-map", test_path_map);
}
