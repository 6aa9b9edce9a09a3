/* Shared precompiled headers: which directives a unit begins with, which units get a
 * PCH, and that a unit parsed on one has the summary it has without. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lint/frontend/flags.h"
#include "../../lint/frontend/frontend.h"
#include "../../lint/frontend/lower.h"
#include "../../lint/frontend/pch.h"
#include "unit.h"

static void check_directives(const char *text, const char *want) {
  char *got = pch_leading_directives(text, strlen(text));
  CU_ASSERT_STRING_EQUAL(got, want);
  if (strcmp(got, want) != 0) fprintf(stderr, "\n  directives of [%s]:\n  got  [%s]\n  want [%s]\n", text, got, want);
  free(got);
}

static void test_leading_directives(void) {
  check_directives("/* licence\n * text */\n// more\n\n#include \"a.h\"\n  #  include <b.h>\r\n\nint x;\n#include \"c.h\"\n",
                   "#include \"a.h\"\n#  include <b.h>\n");
  check_directives("#define _GNU_SOURCE\n#include <stdio.h>\n#undef X\nstatic int y;\n",
                   "#define _GNU_SOURCE\n#include <stdio.h>\n#undef X\n");
  /* a conditional, a continued line or a comment on the line ends the prefix */
  check_directives("#include <a.h>\n#if FOO\n#include <b.h>\n#endif\n", "#include <a.h>\n");
  check_directives("#include <a.h>\n#define M(x) \\\n  x\n#include <b.h>\n", "#include <a.h>\n");
  check_directives("#include <a.h>\n#include <b.h> /* why */\n", "#include <a.h>\n");
  check_directives("#include <a.h>\n#pragma once\n#include <b.h>\n", "#include <a.h>\n");
  check_directives("int main(void) { return 0; }\n", "");
  check_directives("/* never closed\n#include <a.h>\n", "");
  check_directives("", "");
}

typedef struct {
  compile_job job;
  char *path, *dir;
  char *args[2];
} unit_file;

/* Writes `text` as scratch/dir/name; with `flag`, the unit is a job of that directory
 * with -std=c11 and `flag`. */
static void add_file(unit_file *u, const char *dir, const char *name, const char *text, const char *flag) {
  char *d = xasprintf("%s/%s", unit_scratch(), dir), *rel = xasprintf("%s/%s", dir, name);
  mkdir(d, 0777);
  memset(u, 0, sizeof *u);
  u->path = unit_write(rel, text);
  u->dir = d;
  u->args[0] = "-std=c11";
  u->args[1] = (char *)flag;
  u->job = (compile_job){u->path, u->dir, u->args, flag ? 2 : 1};
  free(rel);
}

static void add_header(const char *dir, const char *name, const char *text) {
  unit_file h;
  add_file(&h, dir, name, text, NULL);
  free(h.path);
  free(h.dir);
}

static void free_units(unit_file *units, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(units[i].path);
    free(units[i].dir);
  }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The unit's summary as JSON, then the files it read, sorted, each once. */
static char *summary_text(const compile_job *job, CXIndex index, bool *failed) {
  ir_summary *s = frontend_parse(index, job, NULL, 0);
  char *json = ir_summary_to_json(s);
  *failed = s->failed;
  const char **inc = xcalloc(s->nincludes + 1, sizeof *inc);
  if (s->nincludes) memcpy(inc, s->includes, s->nincludes * sizeof *inc);
  qsort(inc, s->nincludes, sizeof *inc, cmp_str);
  strbuf sb = {0};
  sb_append(&sb, json);
  for (unsigned i = 0; i < s->nincludes; i++)
    if (i == 0 || strcmp(inc[i], inc[i - 1]) != 0) sb_printf(&sb, "\ninclude %s", inc[i]);
  free(inc);
  free(json);
  ir_summary_free(s);
  return sb_take(&sb);
}

/* Whether the plan gives `job` a PCH that is built (it has been, by a parse). */
static bool has_pch(const compile_job *job) {
  flags_args fa;
  flags_build(job, &fa);
  bool got = pch_acquire(job, fa.argv, fa.argc, NULL) != NULL;
  flags_args_free(&fa);
  return got;
}

/* Parses units[0..n) without and with a plan; every summary (and the files each unit
 * read) must be the same. Returns which units have a built PCH (bit i: unit i). */
static unsigned check_same(unit_file *units, size_t n) {
  CXIndex index = clang_createIndex(0, 0);
  compile_job *jobs = xcalloc(n, sizeof *jobs);
  char **plain = xcalloc(n, sizeof *plain);
  for (size_t i = 0; i < n; i++) {
    jobs[i] = units[i].job;
    bool failed;
    plain[i] = summary_text(&jobs[i], index, &failed);
    CU_ASSERT_FALSE(failed);
  }
  lower_memo_free(); /* what the plain parses lowered is not there to be copied */
  frontend_pch_begin(jobs, n);
  for (size_t i = 0; i < n; i++) {
    bool failed;
    char *text = summary_text(&jobs[i], index, &failed);
    CU_ASSERT_FALSE(failed);
    CU_ASSERT_STRING_EQUAL(text, plain[i]);
    if (strcmp(text, plain[i]) != 0)
      fprintf(stderr, "\n  %s differs on its PCH:\n%s\n---\n%s\n", jobs[i].file, plain[i], text);
    free(text);
  }
  unsigned used = 0;
  for (size_t i = 0; i < n; i++)
    if (has_pch(&jobs[i])) used |= 1u << i;
  frontend_pch_end();
  for (size_t i = 0; i < n; i++) free(plain[i]);
  free(plain);
  free(jobs);
  clang_disposeIndex(index);
  lower_memo_free();
  return used;
}

static const char header[] = "#ifndef SHARED_H\n#define SHARED_H\n#include <unistd.h>\n"
                             "typedef void (*cb)(void *);\n"
                             "int reg(cb f, void *arg);\n"
                             "static inline void nap(void *arg) { (void)arg; sleep(1); }\n"
                             "static inline int arm(void) { return reg(nap, 0); }\n"
                             "struct ops { cb run; };\n"
                             "static const struct ops shared_ops = { .run = nap };\n"
                             "#endif\n";

static void test_units_share_identical(void) {
  unit_file u[5];
  add_header("pch-same", "shared.h", header);
  /* three units begin with the same two lines; the fourth has its own and gets no PCH */
  add_file(&u[0], "pch-same", "a.c", "#include \"shared.h\"\n#include <stdio.h>\nint a(void) { return arm(); }\n", NULL);
  add_file(&u[1], "pch-same", "b.c",
           "// b\n#include \"shared.h\"\n#include <stdio.h>\n#include <string.h>\n"
           "static void on(void *p) { puts(p); }\nint b(void) { return reg(on, 0) + arm(); }\n",
           NULL);
  add_file(&u[2], "pch-same", "c.c", "#include \"shared.h\"\n#include <stdio.h>\nconst struct ops *c = &shared_ops;\n",
           NULL);
  add_file(&u[3], "pch-same", "d.c", "#include <stdio.h>\n#include \"shared.h\"\nint d(void) { return arm(); }\n", NULL);
  add_file(&u[4], "pch-same", "e.c", "int e(void) { return 0; }\n", NULL);
  CU_ASSERT_EQUAL(check_same(u, 5), 0x7u);
  free_units(u, 5);
}

/* A macro defined above the #include changes what the header says: that unit's
 * directives are not the others', and it keeps its own reading. */
static void test_macro_above_include(void) {
  unit_file u[4];
  add_header("pch-macro", "h.h",
             "#ifndef H_H\n#define H_H\n#include <unistd.h>\n#ifdef WANT_NAP\n"
             "static inline void nap(void) { sleep(1); }\n#else\nstatic inline void nap(void) {}\n#endif\n#endif\n");
  add_file(&u[0], "pch-macro", "a.c", "#define WANT_NAP 1\n#include \"h.h\"\nvoid a(void) { nap(); }\n", NULL);
  add_file(&u[1], "pch-macro", "b.c", "#include \"h.h\"\nvoid b(void) { nap(); }\n", NULL);
  add_file(&u[2], "pch-macro", "c.c", "#include \"h.h\"\nvoid c(void) { nap(); }\n", NULL);
  add_file(&u[3], "pch-macro", "d.c", "#include \"h.h\"\nvoid d(void) { nap(); }\n", NULL);
  CU_ASSERT_EQUAL(check_same(u, 4), 0xeu);
  free_units(u, 4);
}

/* A header without a guard is read again after the PCH: the unit then has errors on
 * it (a struct defined twice) and is parsed without, as if there were no PCH; the
 * others are not parsed on it twice over. */
static void test_unguarded_header_falls_back(void) {
  unit_file u[3];
  add_header("pch-guard", "g.h", "struct point { int x, y; };\nstatic inline int px(struct point p) { return p.x; }\n");
  for (int i = 0; i < 3; i++) {
    char name[8], *text = xasprintf("#include \"g.h\"\nint f%d(void) { struct point p = {%d, 0}; return px(p); }\n", i, i);
    snprintf(name, sizeof name, "%c.c", 'a' + i);
    add_file(&u[i], "pch-guard", name, text, NULL);
    free(text);
  }
  CU_ASSERT_EQUAL(check_same(u, 3), 0u); /* built, refused by the first unit, then offered to no other */
  free_units(u, 3);
}

/* Different flags are different PCHs, or none: two units of each is too few. */
static void test_flags_split_groups(void) {
  unit_file u[4];
  add_header("pch-flags", "h.h", "#ifndef H_H\n#define H_H\nstatic inline int v(void) { return V; }\n#endif\n");
  for (int i = 0; i < 4; i++) {
    char name[8], *text = xasprintf("#include \"h.h\"\nint f%d(void) { return v(); }\n", i);
    snprintf(name, sizeof name, "%c.c", 'a' + i);
    add_file(&u[i], "pch-flags", name, text, i % 2 ? "-DV=1" : "-DV=0");
    free(text);
  }
  CU_ASSERT_EQUAL(check_same(u, 4), 0u);
  free_units(u, 4);
}

/* The command line: --pch gives the report it gives without (a blocking call in a
 * header function, reached from a loop callback of one unit), and its PCH directory
 * is gone afterwards. */
static void test_cli_report_identical(void) {
  add_header("pch-cli", "loop.h",
             "#ifndef LOOP_H\n#define LOOP_H\n#include <unistd.h>\n"
             "#define CALM_ASYNC __attribute__((annotate(\"calm::async\")))\n"
             "static inline void pause_a_bit(void) { sleep(1); }\n#endif\n");
  for (int i = 0; i < 4; i++) {
    char name[8], *text = xasprintf("#include \"loop.h\"\n#include <stdio.h>\nCALM_ASYNC void on_tick%d(void) { pause_a_bit(); }\n", i);
    snprintf(name, sizeof name, "%c.c", 'a' + i);
    unit_file u;
    add_file(&u, "pch-cli", name, text, NULL);
    free(u.path);
    free(u.dir);
    free(text);
  }
  char *out = NULL, *err = NULL, *tmp = xasprintf("%s/pch-cli-tmp", unit_scratch());
  mkdir(tmp, 0777);
  CU_ASSERT_EQUAL(unit_run_lint("", "--format json pch-cli -- -std=c11", &out, &err), 1);
  char *plain = out;
  out = NULL;
  char *env = xasprintf("TMPDIR='%s'", tmp);
  CU_ASSERT_EQUAL(unit_run_lint(env, "--pch --format json pch-cli -- -std=c11", &out, &err), 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_STRING_EQUAL(out, plain);
  CU_ASSERT_PTR_NOT_NULL(strstr(plain, "pause_a_bit"));
  CU_ASSERT_EQUAL(rmdir(tmp), 0); /* empty: the run removed what it made there */
  free(env);
  free(tmp);
  free(plain);
  free(out);
  free(err);
}

void unit_register_pch(void) {
  CU_pSuite s = CU_add_suite("pch", NULL, NULL);
  CU_add_test(s, "the directives a unit begins with", test_leading_directives);
  CU_add_test(s, "units on a shared PCH have the same summaries", test_units_share_identical);
  CU_add_test(s, "a macro above the include keeps its own reading", test_macro_above_include);
  CU_add_test(s, "an unguarded header falls back to a plain parse", test_unguarded_header_falls_back);
  CU_add_test(s, "flags split the groups", test_flags_split_groups);
  CU_add_test(s, "calm-lint --pch reports what it reports without", test_cli_report_identical);
}
