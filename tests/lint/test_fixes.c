/* Fixes end to end: every tests/fixtures/<rule>/fix_*.c is copied to a scratch
 * directory, each of its findings must offer a fix, `calm-lint --fix` applies them, a
 * re-lint with the default rules finds nothing, and the file still compiles
 * (`cc -fsyntax-only` with the fixture flags). A fixture that says "fix-unsafe"
 * needs --unsafe-fixes, and plain --fix must leave it alone. Plus the JSON and SARIF
 * shape of fixes, --fix on stdin, findings that must offer none, and how overlapping
 * edits are chosen.
 *
 * usage: fix_tests SOURCE_DIR CALM_LINT [compiler flags...] */
#define _GNU_SOURCE
#include <CUnit/Basic.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver/fix.h"

static const char *source_dir, *calm_lint;
static char flags[4096];
static char scratch[64];

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, mem);
  fclose(f);
  fclose(mem);
  return buf;
}

/* Runs `cmd` in the scratch directory with stdout to out.txt and stderr to err.txt;
 * returns the exit status, and *out what it printed (malloc'd) when out is not NULL. */
static int run(const char *cmd, char **out) {
  char *full;
  if (asprintf(&full, "cd '%s' && %s >out.txt 2>err.txt", scratch, cmd) < 0) abort();
  int st = system(full);
  free(full);
  if (out) {
    char *path;
    if (asprintf(&path, "%s/out.txt", scratch) < 0) abort();
    *out = slurp(path);
    free(path);
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void show_err(void) {
  char *path, *err;
  if (asprintf(&path, "%s/err.txt", scratch) < 0) abort();
  err = slurp(path);
  if (err && *err) fprintf(stderr, "calm-lint said: %s\n", err);
  free(err);
  free(path);
}

/* Copies fixture `rel` (under tests/fixtures) into the scratch directory as `name`. */
static char *copy_fixture(const char *rel, const char *name) {
  char *src, *dst, *text;
  if (asprintf(&src, "%s/tests/fixtures/%s", source_dir, rel) < 0) abort();
  if (asprintf(&dst, "%s/%s", scratch, name) < 0) abort();
  text = slurp(src);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  FILE *f = fopen(dst, "w");
  fputs(text, f);
  fclose(f);
  free(src);
  free(dst);
  return text;
}

static char *scratch_text(const char *name) {
  char *path;
  if (asprintf(&path, "%s/%s", scratch, name) < 0) abort();
  char *t = slurp(path);
  free(path);
  return t;
}

/* The JSON report of `file` under the default rules (or `enable`, when not NULL). */
static cJSON *lint_json(const char *file, const char *enable) {
  char *cmd, *out = NULL;
  if (asprintf(&cmd, "'%s' --format json -j1 %s%s %s -- %s", calm_lint, enable ? "--enable " : "", enable ? enable : "",
               file, flags) < 0)
    abort();
  int rc = run(cmd, &out);
  free(cmd);
  if (rc != 0 && rc != 1) show_err();
  CU_ASSERT(rc == 0 || rc == 1);
  cJSON *j = out ? cJSON_Parse(out) : NULL;
  free(out);
  CU_ASSERT_PTR_NOT_NULL(j);
  return j;
}

static void write_scratch(const char *name, const char *text);

static int count_findings(cJSON *j) { return j ? cJSON_GetArraySize(cJSON_GetObjectItem(j, "diagnostics")) : -1; }

/* The fixture's rule: the directory name in "rule/file.c". */
static char *rule_of(const char *rel) { return strndup(rel, (size_t)(strchr(rel, '/') - rel)); }

/* The rules a fixture names on a "fix-enable:" line (malloc'd), or NULL: the defaults. */
static char *fix_enable(const char *text) {
  const char *at = strstr(text, "fix-enable:");
  if (!at) return NULL;
  at += strlen("fix-enable:");
  while (*at == ' ') at++;
  return strndup(at, strcspn(at, " \n"));
}

static void check_fixture(const char *rel) {
  char *rule = rule_of(rel);
  char *before = copy_fixture(rel, "fixme.c");
  bool unsafe = strstr(before, "fix-unsafe") != NULL;
  char *enable = fix_enable(before), *enable_opt = NULL;
  if (asprintf(&enable_opt, "%s%s", enable ? "--enable " : "", enable ? enable : "") < 0) abort();

  /* every finding of the rule offers a fix, with edits */
  cJSON *j = lint_json("fixme.c", rule);
  int n = count_findings(j);
  CU_ASSERT(n > 0);
  cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(j, "diagnostics")) {
    cJSON *fixes = cJSON_GetObjectItem(d, "fixes");
    CU_ASSERT(cJSON_GetArraySize(fixes) >= 1);
    cJSON *first = cJSON_GetArrayItem(fixes, 0);
    if (!first) {
      fprintf(stderr, "%s:%d: no fix offered\n", rel, cJSON_GetObjectItem(d, "line")->valueint);
      continue;
    }
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(first, "applicability"));
    CU_ASSERT_STRING_EQUAL(kind, unsafe ? "unsafe" : "safe");
    CU_ASSERT(cJSON_GetArraySize(cJSON_GetObjectItem(first, "edits")) >= 1);
  }
  cJSON_Delete(j);

  char *cmd;
  if (unsafe) {
    /* plain --fix leaves an unsafe fix alone */
    if (asprintf(&cmd, "'%s' --fix -j1 %s fixme.c -- %s", calm_lint, enable_opt, flags) < 0) abort();
    CU_ASSERT_EQUAL(run(cmd, NULL), 1);
    free(cmd);
    char *after = scratch_text("fixme.c");
    CU_ASSERT_STRING_EQUAL(after, before);
    free(after);
  }
  if (asprintf(&cmd, "'%s' --fix %s -j1 %s fixme.c -- %s", calm_lint, unsafe ? "--unsafe-fixes" : "", enable_opt,
               flags) < 0)
    abort();
  int rc = run(cmd, NULL);
  free(cmd);
  if (rc != 0) show_err();
  CU_ASSERT_EQUAL(rc, 0); /* what remains after the fixes: nothing */

  char *after = scratch_text("fixme.c");
  CU_ASSERT(after && strcmp(after, before) != 0);
  free(after);
  /* a re-lint with every default rule (or the fixture's): the fix brings no other finding */
  j = lint_json("fixme.c", enable);
  CU_ASSERT_EQUAL(count_findings(j), 0);
  if (count_findings(j) > 0) fprintf(stderr, "%s after --fix: %s\n", rel, cJSON_Print(j));
  cJSON_Delete(j);
  /* and it still compiles */
  if (asprintf(&cmd, "cc -fsyntax-only -Wall -Werror %s fixme.c", flags) < 0) abort();
  rc = run(cmd, NULL);
  if (rc != 0) show_err();
  CU_ASSERT_EQUAL(rc, 0);
  free(cmd);
  free(before);
  free(rule);
  free(enable);
  free(enable_opt);
}

#define FIXTURE_TEST(fn, rel) \
  static void fn(void) { check_fixture(rel); }
FIXTURE_TEST(test_fix_missing_timeout, "missing-timeout/fix_forever.c")
FIXTURE_TEST(test_fix_swallowed_cancel, "swallowed-cancel/fix_return_status.c")
FIXTURE_TEST(test_fix_blocking_in_loop, "blocking-in-loop/fix_sleep.c")
FIXTURE_TEST(test_fix_unawaited_task, "unawaited-task/fix_detach.c")
FIXTURE_TEST(test_fix_unused_suppression, "unused-suppression/fix_unused.c")

/* Every fix_*.c fixture has its test above: a new one cannot be left out. */
static void test_every_fix_fixture_listed(void) {
  static const char *const listed[] = {"missing-timeout/fix_forever.c", "swallowed-cancel/fix_return_status.c",
                                       "blocking-in-loop/fix_sleep.c", "unawaited-task/fix_detach.c",
                                       "unused-suppression/fix_unused.c"};
  char *root;
  if (asprintf(&root, "%s/tests/fixtures", source_dir) < 0) abort();
  DIR *top = opendir(root);
  CU_ASSERT_PTR_NOT_NULL_FATAL(top);
  struct dirent *r;
  while ((r = readdir(top))) {
    if (r->d_name[0] == '.') continue;
    char *sub;
    if (asprintf(&sub, "%s/%s", root, r->d_name) < 0) abort();
    DIR *d = opendir(sub);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (strncmp(e->d_name, "fix_", 4) != 0) continue;
      char *rel;
      if (asprintf(&rel, "%s/%s", r->d_name, e->d_name) < 0) abort();
      bool found = false;
      for (size_t i = 0; i < sizeof listed / sizeof *listed; i++) found |= strcmp(listed[i], rel) == 0;
      if (!found) fprintf(stderr, "fixture %s has no test in test_fixes.c\n", rel);
      CU_ASSERT(found);
      free(rel);
    }
    if (d) closedir(d);
    free(sub);
  }
  closedir(top);
  free(root);
}

/* Findings whose fix would need a guess offer none. */
static void test_no_fix_where_not_exact(void) {
  free(copy_fixture("missing-timeout/no_fix.c", "nofix.c"));
  cJSON *j = lint_json("nofix.c", "missing-timeout");
  CU_ASSERT_EQUAL(count_findings(j), 3);
  cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(j, "diagnostics")) {
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(d, "fixes")), 0);
  }
  cJSON_Delete(j);
}

/* JSON: the edit's range is the CALM_FOREVER text, in the finding's columns. */
static void test_json_edit_range(void) {
  char *text = copy_fixture("missing-timeout/fix_forever.c", "range.c");
  cJSON *j = lint_json("range.c", "missing-timeout");
  cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "diagnostics"), 0);
  cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "fixes"), 0), "edits"), 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(e);
  CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(e, "file")), "range.c");
  CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(e, "text")), "calm_after(30000)");
  int line = cJSON_GetObjectItem(e, "line")->valueint, col = cJSON_GetObjectItem(e, "column")->valueint;
  int end_line = cJSON_GetObjectItem(e, "end_line")->valueint, end = cJSON_GetObjectItem(e, "end_column")->valueint;
  CU_ASSERT_EQUAL(line, end_line);
  const char *p = text;
  for (int l = 1; l < line; l++) p = strchr(p, '\n') + 1;
  CU_ASSERT_EQUAL(end - col, 12);
  CU_ASSERT_NSTRING_EQUAL(p + col - 1, "CALM_FOREVER", 12);
  cJSON_Delete(j);
  free(text);
}

/* SARIF: fixes as artifactChanges whose deletedRegion counts code points, as the
 * run's columnKind says: a line with "é" before the call shifts the byte column. */
static void test_sarif_fix(void) {
  char *path;
  if (asprintf(&path, "%s/wide.c", scratch) < 0) abort();
  FILE *f = fopen(path, "w");
  fputs("#include <calm.h>\n#include <stddef.h>\nstatic calm_event *ev;\n"
        "static int t(void *a) { (void)a; /* é */ return calm_event_wait(ev, CALM_FOREVER); }\n"
        "void s(calm_loop *l) { calm_detach(calm_spawn(l, t, NULL)); }\n",
        f);
  fclose(f);
  free(path);
  char *cmd, *out = NULL;
  if (asprintf(&cmd, "'%s' --format sarif -j1 --enable missing-timeout wide.c -- %s", calm_lint, flags) < 0) abort();
  CU_ASSERT_EQUAL(run(cmd, &out), 1);
  free(cmd);
  cJSON *j = cJSON_Parse(out);
  CU_ASSERT_PTR_NOT_NULL_FATAL(j);
  cJSON *runv = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0);
  CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(runv, "columnKind")), "unicodeCodePoints");
  cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(runv, "results"), 0);
  cJSON *fix = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "fixes"), 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(fix);
  cJSON *change = cJSON_GetArrayItem(cJSON_GetObjectItem(fix, "artifactChanges"), 0);
  CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(change, "artifactLocation"), "uri")),
                         "wide.c");
  cJSON *rep = cJSON_GetArrayItem(cJSON_GetObjectItem(change, "replacements"), 0);
  cJSON *region = cJSON_GetObjectItem(rep, "deletedRegion");
  // "static int t(void *a) { (void)a; /* é */ return calm_event_wait(ev, " is 68 code points, 69 bytes
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(region, "startLine")->valueint, 4);
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(region, "startColumn")->valueint, 69);
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(region, "endColumn")->valueint, 81);
  CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "insertedContent"), "text")),
                         "calm_after(30000)");
  /* the rules: unused-suppression says it is off by default, the others say nothing */
  cJSON *rule;
  int off = 0;
  cJSON_ArrayForEach(rule, cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(runv, "tool"), "driver"), "rules")) {
    cJSON *enabled = cJSON_GetObjectItem(cJSON_GetObjectItem(rule, "defaultConfiguration"), "enabled");
    if (!enabled) continue;
    CU_ASSERT(cJSON_IsFalse(enabled));
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(rule, "id")), "unused-suppression");
    off++;
  }
  CU_ASSERT_EQUAL(off, 1);
  cJSON_Delete(j);
  free(out);
}

/* "fix_deadline_ms" in .calm-lint.json sets the deadline the missing-timeout fix
 * writes, --show-config says where it came from, and a value that is no deadline is a
 * configuration error at its line. */
static void test_fix_deadline_configured(void) {
  char *dir;
  if (asprintf(&dir, "%s/cfg", scratch) < 0) abort();
  mkdir(dir, 0755);
  free(dir);
  free(copy_fixture("missing-timeout/fix_forever.c", "cfg/waits.c"));
  write_scratch("cfg/.calm-lint.json", "{\n  \"fix_deadline_ms\": 2500\n}\n");
  cJSON *j = lint_json("cfg/waits.c", "missing-timeout");
  cJSON *d;
  int n = 0;
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(j, "diagnostics")) {
    cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "fixes"), 0), "edits"), 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(e, "text")), "calm_after(2500)");
    n++;
  }
  CU_ASSERT_EQUAL(n, 2);
  cJSON_Delete(j);
  char *cmd, *out = NULL;
  if (asprintf(&cmd, "'%s' --show-config cfg/waits.c", calm_lint) < 0) abort();
  CU_ASSERT_EQUAL(run(cmd, &out), 0);
  free(cmd);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "fix_deadline_ms = 2500"));
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, ".calm-lint.json:2:"));
  free(out);
  write_scratch("cfg/.calm-lint.json", "{\n  \"fix_deadline_ms\": -1\n}\n");
  if (asprintf(&cmd, "'%s' cfg/waits.c -- %s", calm_lint, flags) < 0) abort();
  CU_ASSERT_EQUAL(run(cmd, NULL), 2);
  free(cmd);
  char *err = scratch_text("err.txt");
  CU_ASSERT_PTR_NOT_NULL(err && strstr(err, ".calm-lint.json:2:"));
  CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "'fix_deadline_ms' must be"));
  free(err);
}

/* --fix with --stdin-filename: the fixed buffer on stdout, the file untouched. */
static void test_fix_stdin(void) {
  char *before = copy_fixture("missing-timeout/fix_forever.c", "buffer.c");
  char *cmd, *out = NULL;
  if (asprintf(&cmd, "'%s' --fix -j1 --stdin-filename buffer.c -- %s < buffer.c", calm_lint, flags) < 0) abort();
  int rc = run(cmd, &out);
  free(cmd);
  CU_ASSERT_EQUAL(rc, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_PTR_NULL(strstr(out, "CALM_FOREVER)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "calm_event_wait(ready, calm_after(30000))"));
  char *after = scratch_text("buffer.c");
  CU_ASSERT_STRING_EQUAL(after, before);
  free(after);
  free(out);
  free(before);
}

/* The text format says a fix is there. */
static void test_text_hint(void) {
  free(copy_fixture("unawaited-task/fix_detach.c", "hint.c"));
  char *cmd, *out = NULL;
  if (asprintf(&cmd, "'%s' -j1 --enable unawaited-task hint.c -- %s", calm_lint, flags) < 0) abort();
  CU_ASSERT_EQUAL(run(cmd, &out), 1);
  free(cmd);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "note: fix available: detach the task"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "(--fix --unsafe-fixes)"));
  free(out);
}

/* ---- unused-suppression ---- */

static const char unused_src[] =
    "#include <calm.h>\n"
    "#include <stddef.h>\n"
    "#include <unistd.h>\n"
    "static int task(void *arg)\n"
    "{\n"
    "    (void)arg;\n"
    "    sleep(1); // NOLINT(blocking-in-loop)\n"                    /* 7: used */
    "    int a = 1; // NOLINT(blocking-in-loop)\n"                   /* 8: unused */
    "    // NOLINTNEXTLINE(missing-timeout, blocking-in-loop)\n"     /* 9: missing-timeout unused */
    "    sleep(2);\n"
    "    /* NOLINTBEGIN(blocking-in-loop) */\n"                      /* 11: unused region */
    "    a++;\n"
    "    /* NOLINTEND(blocking-in-loop) */\n"
    "    int b = 2; // NOLINT\n"                                     /* 14: unused, every rule */
    "    return a + b;\n"
    "}\n"
    "void start(calm_loop *loop) { calm_detach(calm_spawn(loop, task, NULL)); }\n";

static void write_scratch(const char *name, const char *text) {
  char *path;
  if (asprintf(&path, "%s/%s", scratch, name) < 0) abort();
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  free(path);
}

/* The lines of the unused-suppression findings, as "8 9 11 " (at most 16). */
static void unused_lines(cJSON *j, char *buf, size_t n) {
  buf[0] = '\0';
  cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(j, "diagnostics")) {
    if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d, "rule")), "unused-suppression") != 0) continue;
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%d ", cJSON_GetObjectItem(d, "line")->valueint);
  }
}

/* Off by default; judged only against rules that ran: with blocking-in-loop off, its
 * markers are not reported, and a bare NOLINT is judged by whatever else ran. */
static void test_unused_needs_its_rules(void) {
  write_scratch("unused.c", unused_src);
  char lines[64];
  cJSON *j = lint_json("unused.c", NULL);
  unused_lines(j, lines, sizeof lines);
  CU_ASSERT_STRING_EQUAL(lines, ""); /* off by default */
  cJSON_Delete(j);
  j = lint_json("unused.c", "unused-suppression");
  unused_lines(j, lines, sizeof lines);
  CU_ASSERT_STRING_EQUAL(lines, ""); /* no rule it could judge against ran */
  cJSON_Delete(j);
  j = lint_json("unused.c", "unused-suppression,blocking-in-loop");
  unused_lines(j, lines, sizeof lines);
  CU_ASSERT_STRING_EQUAL(lines, "8 11 14 "); /* missing-timeout did not run: line 9 is fine */
  cJSON_Delete(j);
  j = lint_json("unused.c", "unused-suppression,blocking-in-loop,missing-timeout");
  unused_lines(j, lines, sizeof lines);
  CU_ASSERT_STRING_EQUAL(lines, "8 9 11 14 ");
  cJSON_Delete(j);
}

/* A typo in a NOLINT is said once: as a finding when unused-suppression is on, else
 * (as before it existed) as a warning on stderr. */
static void test_unknown_said_once(void) {
  write_scratch("typo.c", "#include <calm.h>\n#include <stddef.h>\n#include <unistd.h>\n"
                          "static int t(void *a) { (void)a; sleep(1); return 0; } // NOLINT(blockin-in-loop)\n"
                          "void s(calm_loop *l) { calm_detach(calm_spawn(l, t, NULL)); }\n");
  const char *enables[] = {"blocking-in-loop", "blocking-in-loop,unused-suppression"};
  for (int i = 0; i < 2; i++) {
    char *cmd;
    if (asprintf(&cmd, "'%s' -j1 --enable %s typo.c -- %s", calm_lint, enables[i], flags) < 0) abort();
    CU_ASSERT_EQUAL(run(cmd, NULL), 1);
    free(cmd);
    char *err = scratch_text("err.txt"), *out = scratch_text("out.txt");
    bool warned = err && strstr(err, "NOLINT names 'blockin-in-loop'");
    bool found = out && strstr(out, "[unused-suppression]");
    CU_ASSERT_EQUAL(warned, i == 0);
    CU_ASSERT_EQUAL(found, i == 1);
    free(err);
    free(out);
  }
}

/* --fix takes out each unused marker (the line it is alone on, the region's two
 * comments, one id of a list) and what remains lints clean and compiles. */
static void test_unused_fix(void) {
  write_scratch("unused.c", unused_src);
  char *cmd;
  const char *rules = "unused-suppression,blocking-in-loop,missing-timeout";
  if (asprintf(&cmd, "'%s' --fix -j1 --enable %s unused.c -- %s", calm_lint, rules, flags) < 0) abort();
  int rc = run(cmd, NULL);
  if (rc != 0) show_err();
  CU_ASSERT_EQUAL(rc, 0);
  free(cmd);
  char *after = scratch_text("unused.c");
  CU_ASSERT_PTR_NOT_NULL_FATAL(after);
  CU_ASSERT_PTR_NOT_NULL(strstr(after, "    sleep(1); // NOLINT(blocking-in-loop)\n    int a = 1;\n"
                                       "    // NOLINTNEXTLINE(blocking-in-loop)\n    sleep(2);\n    a++;\n"
                                       "    int b = 2;\n    return a + b;\n"));
  free(after);
  cJSON *j = lint_json("unused.c", rules);
  CU_ASSERT_EQUAL(count_findings(j), 0);
  cJSON_Delete(j);
  if (asprintf(&cmd, "cc -fsyntax-only %s unused.c", flags) < 0) abort();
  CU_ASSERT_EQUAL(run(cmd, NULL), 0);
  free(cmd);
}

/* --unsafe-fixes alone is a usage error. */
static void test_unsafe_needs_fix(void) {
  char *cmd;
  if (asprintf(&cmd, "'%s' --unsafe-fixes x.c", calm_lint) < 0) abort();
  CU_ASSERT_EQUAL(run(cmd, NULL), 2);
  free(cmd);
}

/* ---- choosing edits (fix_text) ---- */

static diag *add_fix(diag_list *l, const char *file, unsigned line, unsigned col, unsigned end_col, const char *with,
                     bool safe) {
  ir_loc at = {file, line, col, line, end_col};
  diag *d = diag_add(l, "missing-timeout", SEV_WARNING, at, strdup("m"));
  diag_fix_edit(diag_fix_add(d, strdup("f"), safe), at, with);
  return d;
}

static void test_overlapping_edits(void) {
  diag_list l = {0};
  const char *text = "abcdef\nghij\n";
  add_fix(&l, "a.c", 1, 2, 4, "XY", true);  /* "bc" */
  add_fix(&l, "a.c", 1, 3, 5, "Z", true);   /* "cd": overlaps the first, left for later */
  add_fix(&l, "a.c", 1, 4, 4, "+", true);   /* an insertion at the first's end: fine */
  add_fix(&l, "a.c", 2, 1, 2, "G", false);  /* unsafe: not without --unsafe-fixes */
  add_fix(&l, "b.c", 1, 1, 2, "Q", true);   /* another file */
  size_t len, applied;
  char *out = fix_text("a.c", text, &l, false, &len, &applied);
  CU_ASSERT_STRING_EQUAL(out, "aXY+def\nghij\n");
  CU_ASSERT_EQUAL(applied, 2);
  CU_ASSERT_EQUAL(len, strlen(out));
  free(out);
  out = fix_text("a.c", text, &l, true, &len, &applied);
  CU_ASSERT_STRING_EQUAL(out, "aXY+def\nGhij\n");
  free(out);
  l.items[0].suppressed = true; /* a silenced finding is not fixed: the second goes in, */
  out = fix_text("a.c", text, &l, false, &len, &applied); /* and the insertion inside it waits */
  CU_ASSERT_STRING_EQUAL(out, "abZef\nghij\n");
  free(out);
  diag_list_free(&l);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SOURCE_DIR CALM_LINT [compiler flags...]\n", argv[0]);
    return 2;
  }
  source_dir = argv[1];
  calm_lint = argv[2];
  for (int i = 3; i < argc; i++) {
    strncat(flags, "'", sizeof flags - strlen(flags) - 1);
    strncat(flags, argv[i], sizeof flags - strlen(flags) - 1);
    strncat(flags, "' ", sizeof flags - strlen(flags) - 1);
  }
  snprintf(scratch, sizeof scratch, "/tmp/calm-fix-XXXXXX");
  if (!mkdtemp(scratch)) return 2;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("fixes", NULL, NULL);
  CU_add_test(s, "missing-timeout fixes apply and re-lint clean", test_fix_missing_timeout);
  CU_add_test(s, "swallowed-cancel fixes apply and re-lint clean", test_fix_swallowed_cancel);
  CU_add_test(s, "blocking-in-loop fixes apply and re-lint clean", test_fix_blocking_in_loop);
  CU_add_test(s, "unawaited-task fixes need --unsafe-fixes", test_fix_unawaited_task);
  CU_add_test(s, "unused-suppression fixes apply and re-lint clean", test_fix_unused_suppression);
  CU_add_test(s, "every fix fixture is tested", test_every_fix_fixture_listed);
  CU_add_test(s, "unused-suppression is judged by the rules that ran", test_unused_needs_its_rules);
  CU_add_test(s, "unused-suppression fixes remove markers and ids", test_unused_fix);
  CU_add_test(s, "an unknown rule in a NOLINT is said once", test_unknown_said_once);
  CU_add_test(s, "no fix where it is not exact", test_no_fix_where_not_exact);
  CU_add_test(s, "json edit range", test_json_edit_range);
  CU_add_test(s, "sarif fix columns", test_sarif_fix);
  CU_add_test(s, "--fix on stdin", test_fix_stdin);
  CU_add_test(s, "fix_deadline_ms sets the deadline a fix writes", test_fix_deadline_configured);
  CU_add_test(s, "text hint", test_text_hint);
  CU_add_test(s, "--unsafe-fixes needs --fix", test_unsafe_needs_fix);
  CU_add_test(s, "overlapping edits", test_overlapping_edits);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  char *cmd;
  if (asprintf(&cmd, "rm -rf '%s'", scratch) >= 0) {
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", scratch);
    free(cmd);
  }
  return failed ? 1 : 0;
}
