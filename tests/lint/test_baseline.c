/* Fingerprints and baselines: a finding keeps its identity when lines move, a new
 * one is told apart, and --baseline / --write-baseline work through the binary. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../../lint/report/report.h"
#include "unit.h"

static void add(diag_list *l, const char *file, unsigned line, const char *msg) {
  ir_loc loc = {file, line, 3, line, 9};
  diag_add(l, "blocking-in-loop", SEV_WARNING, loc, xstrdup(msg));
}

static char **fingerprints(diag_list *l) {
  report_input in = {l, NULL, 0, 1, 1, "/src", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  return report_fingerprints(&in);
}

static void test_moved_lines_keep_identity(void) {
  diag_list before = {0}, after = {0};
  add(&before, "/src/a.c", 10, "blocking call 'sleep' in loop callback 'cb'");
  add(&after, "/src/a.c", 42, "blocking call 'sleep' in loop callback 'cb'");
  char **f1 = fingerprints(&before), **f2 = fingerprints(&after);
  CU_ASSERT_STRING_EQUAL(f1[0], f2[0]);
  report_fingerprints_free(f1, before.len);
  report_fingerprints_free(f2, after.len);
  /* the same finding under another source root is the same finding */
  diag_list other = {0};
  add(&other, "/elsewhere/a.c", 10, "blocking call 'sleep' in loop callback 'cb'");
  report_input in = {&other, NULL, 0, 1, 1, "/tmp", "/elsewhere", false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  char **f3 = report_fingerprints(&in);
  f1 = fingerprints(&before);
  CU_ASSERT_STRING_EQUAL(f1[0], f3[0]);
  report_fingerprints_free(f1, before.len);
  report_fingerprints_free(f3, other.len);
  diag_list_free(&before);
  diag_list_free(&after);
  diag_list_free(&other);
}

static void test_distinct_findings(void) {
  diag_list l = {0};
  add(&l, "/src/a.c", 10, "blocking call 'sleep' in loop callback 'cb'");
  add(&l, "/src/a.c", 12, "blocking call 'sleep' in loop callback 'cb'"); /* the same call twice */
  add(&l, "/src/a.c", 14, "blocking call 'sleep' in loop callback 'cb2'");
  add(&l, "/src/b.c", 10, "blocking call 'sleep' in loop callback 'cb'");
  add(&l, "/src/b.c", 11, "blocking call 'sleep' for 250 ms in loop callback 'cb'");
  char **f = fingerprints(&l);
  for (size_t i = 0; i < l.len; i++)
    for (size_t k = i + 1; k < l.len; k++) CU_ASSERT(strcmp(f[i], f[k]) != 0);
  report_fingerprints_free(f, l.len);
  /* numbers in the message are not part of the identity */
  diag_list m = {0};
  add(&m, "/src/b.c", 11, "blocking call 'sleep' for 500 ms in loop callback 'cb'");
  char **g = fingerprints(&m);
  f = fingerprints(&l);
  CU_ASSERT_STRING_EQUAL(f[4], g[0]);
  report_fingerprints_free(f, l.len);
  report_fingerprints_free(g, m.len);
  diag_list_free(&l);
  diag_list_free(&m);
}

static void test_write_apply(void) {
  diag_list old = {0}, now = {0};
  add(&old, "/src/a.c", 10, "blocking call 'sleep' in loop callback 'cb'");
  add(&old, "/src/a.c", 20, "blocking call 'fopen' in loop callback 'cb'");
  report_input in = {&old, NULL, 0, 1, 1, "/src", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  char *path = xasprintf("%s/unit-baseline.json", unit_scratch()), *err = NULL;
  CU_ASSERT_EQUAL_FATAL(baseline_write(path, &in, &err), 0);
  add(&now, "/src/a.c", 13, "blocking call 'sleep' in loop callback 'cb'");  /* moved */
  add(&now, "/src/a.c", 15, "blocking call 'system' in loop callback 'cb'"); /* new */
  report_input in2 = {&now, NULL, 0, 1, 1, "/src", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  CU_ASSERT_EQUAL_FATAL(baseline_apply(path, &now, &in2, &err), 0);
  CU_ASSERT_TRUE(now.items[0].baselined);
  CU_ASSERT_FALSE(now.items[1].baselined);
  CU_ASSERT_EQUAL(report_count_shown(&in2), 1);
  CU_ASSERT_EQUAL(report_count_baselined(&in2), 1);
  free(path);
  /* not a baseline: one clear error naming the file */
  char *junk = unit_write("junk-baseline.json", "[1, 2]");
  CU_ASSERT_EQUAL(baseline_apply(junk, &now, &in2, &err), -1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(err);
  CU_ASSERT(strstr(err, "junk-baseline.json is not a calm-lint baseline") != NULL);
  free(err);
  err = NULL;
  CU_ASSERT_EQUAL(baseline_apply("/nonexistent/base.json", &now, &in2, &err), -1);
  free(err);
  free(junk);
  diag_list_free(&old);
  diag_list_free(&now);
}

/* ---- through the binary ---- */

static char *out_text, *err_text;

static int lint(const char *args) {
  free(out_text);
  free(err_text);
  char *cmd = xasprintf("cd '%s' && '%s' %s >bl-out.txt 2>bl-err.txt", unit_scratch(), unit_calm_lint, args);
  int st = system(cmd);
  free(cmd);
  char *o = xasprintf("%s/bl-out.txt", unit_scratch()), *e = xasprintf("%s/bl-err.txt", unit_scratch());
  out_text = file_read(o, NULL);
  err_text = file_read(e, NULL);
  free(o);
  free(e);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(void) {
  free(unit_write("legacy.c", "#include <unistd.h>\n"
                              "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                              "  sleep(1);\n"
                              "}\n"));
  CU_ASSERT_EQUAL(lint("--write-baseline base.json legacy.c --"), 0);
  CU_ASSERT_STRING_EQUAL(out_text, "");
  CU_ASSERT(strstr(err_text, "recorded 1 finding in ") != NULL && strstr(err_text, "base.json\n") != NULL);
  CU_ASSERT_EQUAL(lint("--baseline base.json legacy.c --"), 0);
  CU_ASSERT_STRING_EQUAL(out_text, "");
  /* lines added above: the old finding moved, it is not new */
  free(unit_write("legacy.c", "#include <unistd.h>\n"
                              "/* a comment\n   pushing everything down */\n"
                              "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                              "  int unused = 0;\n"
                              "  (void)unused;\n"
                              "  sleep(1);\n"
                              "}\n"));
  CU_ASSERT_EQUAL(lint("--format json --baseline base.json legacy.c --"), 0);
  CU_ASSERT(strstr(out_text, "\"baselined\":\t1") != NULL);
  CU_ASSERT(strstr(out_text, "\"diagnostics\":\t0") != NULL);
  /* a new blocking call is reported, alone */
  free(unit_write("legacy.c", "#include <stdlib.h>\n#include <unistd.h>\n"
                              "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                              "  sleep(1);\n"
                              "  system(\"true\");\n"
                              "}\n"));
  CU_ASSERT_EQUAL(lint("--baseline base.json legacy.c --"), 1);
  CU_ASSERT(strstr(out_text, "legacy.c:5:3: warning: blocking call 'system'") != NULL);
  CU_ASSERT(strstr(out_text, "'sleep'") == NULL);
  CU_ASSERT(strstr(err_text, "1 finding (0 suppressed, 1 baselined)") != NULL);
  CU_ASSERT_EQUAL(lint("--baseline missing.json legacy.c --"), 2);
  CU_ASSERT(strstr(err_text, "cannot read baseline ") != NULL && strstr(err_text, "missing.json: ") != NULL);
  free(out_text);
  free(err_text);
  out_text = err_text = NULL;
}

void unit_register_baseline(void) {
  CU_pSuite s = CU_add_suite("baseline", NULL, NULL);
  CU_add_test(s, "a finding that moved keeps its fingerprint", test_moved_lines_keep_identity);
  CU_add_test(s, "different findings, different fingerprints", test_distinct_findings);
  CU_add_test(s, "write, then apply", test_write_apply);
  CU_add_test(s, "--write-baseline and --baseline", test_cli);
}
