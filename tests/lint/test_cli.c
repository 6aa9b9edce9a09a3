/* The command-line contract: exit statuses, one clear error line on bad input,
 * output that does not depend on -j, NO_COLOR, stdin buffers. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../../lint/base/base.h"
#include "unit.h"

static char *out_text, *err_text;

/* Runs `calm-lint ARGS` in the scratch directory (sh syntax in args). */
static int lint(const char *args) {
  free(out_text);
  free(err_text);
  char *cmd = xasprintf("cd '%s' && NO_COLOR= '%s' %s >out.txt 2>err.txt", unit_scratch(), unit_calm_lint, args);
  int st = system(cmd);
  free(cmd);
  char *o = xasprintf("%s/out.txt", unit_scratch()), *e = xasprintf("%s/err.txt", unit_scratch());
  out_text = file_read(o, NULL);
  err_text = file_read(e, NULL);
  free(o);
  free(e);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t lines(const char *s) {
  size_t n = 0;
  for (; s && *s; s++) n += *s == '\n';
  return n;
}

static const char *bad_c = "#include <unistd.h>\n"
                           "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                           "  sleep(1);\n"
                           "}\n";
static const char *good_c = "int add(int a, int b) { return a + b; }\n";

static void setup_files(void) {
  free(unit_write("bad.c", bad_c));
  free(unit_write("good.c", good_c));
  free(unit_write("broken.c", "#include \"nope.h\"\nint x = ;\n"));
}

static void test_help_version_list(void) {
  CU_ASSERT_EQUAL(lint("--help"), 0);
  CU_ASSERT(strstr(out_text, "usage: calm-lint") != NULL);
  CU_ASSERT_EQUAL(lint("--version"), 0);
  CU_ASSERT_EQUAL(lint("--list-rules"), 0);
  CU_ASSERT(strstr(out_text, "blocking-in-loop") != NULL);
  CU_ASSERT_EQUAL(lint("--explain blocking-in-loop"), 0);
  CU_ASSERT(strstr(out_text, "## Why it matters") != NULL);
  CU_ASSERT_EQUAL(lint("--explain no-such-rule"), 2);
  CU_ASSERT_EQUAL(lines(err_text), 1);
}

static void test_usage_errors(void) {
  setup_files();
  CU_ASSERT_EQUAL(lint("--frobnicate bad.c --"), 2);
  CU_ASSERT_EQUAL(lines(err_text), 1);
  CU_ASSERT(strstr(err_text, "unknown option '--frobnicate'") != NULL);
  CU_ASSERT_EQUAL(lint("--enable blocking-in-lop bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "unknown rule 'blocking-in-lop'") != NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
  CU_ASSERT_EQUAL(lint("--format xml bad.c --"), 2);
  CU_ASSERT_EQUAL(lint("-j 0 bad.c --"), 2);
  CU_ASSERT_EQUAL(lint("missing.c --"), 2);
  CU_ASSERT(strstr(err_text, "missing.c: no such file") != NULL);
  CU_ASSERT_EQUAL(lint("-p /nonexistent-dir bad.c"), 2);
  CU_ASSERT(strstr(err_text, "compile_commands.json") != NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
}

static void test_missing_database(void) {
  setup_files();
  /* no database anywhere upward of /tmp and no flags */
  CU_ASSERT_EQUAL(lint("bad.c"), 2);
  CU_ASSERT(strstr(err_text, "no compile_commands.json found") != NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
}

static void test_bad_config(void) {
  setup_files();
  free(unit_write("broken-config.json", "{\n  \"disable\": [\n}\n"));
  CU_ASSERT_EQUAL(lint("--config broken-config.json bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "broken-config.json:3:") != NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
}

static void test_exit_statuses(void) {
  setup_files();
  CU_ASSERT_EQUAL(lint("good.c --"), 0);
  CU_ASSERT_STRING_EQUAL(out_text, "");
  CU_ASSERT_EQUAL(lint("bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "bad.c:3:3: warning: blocking call 'sleep'") != NULL);
  CU_ASSERT(strstr(out_text, "[blocking-in-loop]") != NULL);
  CU_ASSERT(strstr(out_text, "\033[") == NULL); /* not a terminal: no colour */
  CU_ASSERT_EQUAL(lint("--disable blocking-in-loop bad.c --"), 0);
  CU_ASSERT_EQUAL(lint("--color always bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "\033[") != NULL);
}

static void test_parse_error_keeps_findings(void) {
  setup_files();
  CU_ASSERT_EQUAL(lint("--format json bad.c broken.c good.c --"), 2);
  CU_ASSERT(strstr(out_text, "\"rule\":\t\"blocking-in-loop\"") != NULL);
  CU_ASSERT(strstr(out_text, "nope.h") != NULL);
  CU_ASSERT(strstr(out_text, "\"errors\":\t1") != NULL || strstr(out_text, "\"errors\":\t2") != NULL);
}

static void test_deterministic_across_jobs(void) {
  setup_files();
  for (int i = 0; i < 6; i++) {
    char *name = xasprintf("many%d.c", i);
    free(unit_write(name, bad_c));
    free(name);
  }
  CU_ASSERT_EQUAL(lint("--format json -j1 bad.c good.c many0.c many1.c many2.c many3.c many4.c many5.c --"), 1);
  char *one = xstrdup(out_text);
  CU_ASSERT_EQUAL(lint("--format json -j4 many5.c many4.c many3.c many2.c many1.c many0.c good.c bad.c --"), 1);
  CU_ASSERT_STRING_EQUAL(one, out_text);
  free(one);
}

static void test_stdin_buffer(void) {
  setup_files();
  /* the file on disk is clean; the editor's unsaved buffer is not */
  CU_ASSERT_EQUAL(lint("--stdin-filename good.c -- < bad.c"), 1);
  CU_ASSERT(strstr(out_text, "good.c:3:3: warning: blocking call 'sleep'") != NULL);
}

static void test_nolint_counted(void) {
  free(unit_write("quiet.c", "#include <unistd.h>\n"
                             "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                             "  sleep(1); // NOLINT(blocking-in-loop)\n"
                             "}\n"));
  CU_ASSERT_EQUAL(lint("--format json quiet.c --"), 0);
  CU_ASSERT(strstr(out_text, "\"suppressed\":\t1") != NULL);
}

/* CI logs and hooks send stdout and stderr down one pipe: the summary line comes
 * after the findings, not in the middle of them. */
static void test_summary_after_findings(void) {
  setup_files();
  for (int i = 0; i < 6; i++) {
    char *name = xasprintf("many%d.c", i);
    free(unit_write(name, bad_c));
    free(name);
  }
  char *cmd = xasprintf("cd '%s' && NO_COLOR= '%s' bad.c many0.c many1.c many2.c many3.c many4.c many5.c -- "
                        "2>&1 | cat >both.txt",
                        unit_scratch(), unit_calm_lint);
  CU_ASSERT_EQUAL(system(cmd), 0);
  free(cmd);
  char *path = xasprintf("%s/both.txt", unit_scratch());
  char *both = file_read(path, NULL);
  free(path);
  CU_ASSERT_PTR_NOT_NULL_FATAL(both);
  const char *summary = strstr(both, "calm-lint: 7 findings");
  CU_ASSERT_PTR_NOT_NULL_FATAL(summary);
  CU_ASSERT(summary == both || summary[-1] == '\n');
  CU_ASSERT_PTR_NULL(strchr(summary, '\n') ? strstr(strchr(summary, '\n'), "warning:") : NULL);
  CU_ASSERT_EQUAL(lines(both), 7 * 6 + 1); /* each: head, line, caret, note, line, caret */
  free(both);
}

void unit_register_cli(void) {
  CU_pSuite s = CU_add_suite("cli", NULL, NULL);
  CU_add_test(s, "help, version, rules", test_help_version_list);
  CU_add_test(s, "usage errors are one line and status 2", test_usage_errors);
  CU_add_test(s, "missing compile database", test_missing_database);
  CU_add_test(s, "invalid configuration", test_bad_config);
  CU_add_test(s, "exit statuses and colour", test_exit_statuses);
  CU_add_test(s, "a parse error keeps other findings", test_parse_error_keeps_findings);
  CU_add_test(s, "output does not depend on -j", test_deterministic_across_jobs);
  CU_add_test(s, "unsaved buffer on stdin", test_stdin_buffer);
  CU_add_test(s, "NOLINT is counted", test_nolint_counted);
  CU_add_test(s, "the summary comes after the findings on a shared pipe", test_summary_after_findings);
}
