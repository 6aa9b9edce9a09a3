/* calm-lint on calm itself: silent on the runtime and the good examples, and on
 * job_runner_bad.c it finds exactly the mistakes marked `MISTAKE(rule)` there. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "../../lint/base/base.h"

static const char *unit_source_dir, *unit_calm_lint;
static char scratch[] = "/tmp/calm-dogfood-XXXXXX";

static const char *unit_scratch(void) { return scratch; }

/* Runs calm-lint with the build's compile database; returns the parsed JSON. */
static cJSON *lint_json(const char *inputs, int *status) {
  char *bin = xstrdup(unit_calm_lint);
  char *build = xstrdup(dirname(bin));
  char *out = xasprintf("%s/dogfood.json", unit_scratch());
  char *cmd = xasprintf("cd '%s' && '%s' -p '%s' --format json %s > '%s'", unit_source_dir, unit_calm_lint, build,
                        inputs, out);
  int st = system(cmd);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  char *text = file_read(out, NULL);
  cJSON *root = text ? cJSON_Parse(text) : NULL;
  free(text), free(cmd), free(out), free(build), free(bin);
  return root;
}

static void print_findings(const cJSON *root) {
  const cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(root, "diagnostics"))
    fprintf(stderr, "\n  %s:%d: %s [%s]", cJSON_GetObjectItem(d, "file")->valuestring,
            cJSON_GetObjectItem(d, "line")->valueint, cJSON_GetObjectItem(d, "message")->valuestring,
            cJSON_GetObjectItem(d, "rule")->valuestring);
}

static void test_runtime_and_good_examples_are_clean(void) {
  int status;
  cJSON *root = lint_json("runtime/src runtime/examples/job_runner.c runtime/examples/echo_server.c", &status);
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  if (status != 0) print_findings(root);
  CU_ASSERT_EQUAL(status, 0);
  CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(root, "diagnostics")), 0);
  CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(root, "errors")), 0);
  cJSON_Delete(root);
}

/* The rule named on each line by MISTAKE(rule), or NULL. */
static char **mistakes(const char *path, int *nlines) {
  char *text = file_read(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  int n = 1;
  for (const char *p = text; *p; p++) n += *p == '\n';
  char **rules = xcalloc((size_t)n + 1, sizeof *rules);
  int line = 1;
  for (char *p = text; *p; line++) {
    char *end = strchr(p, '\n');
    if (end) *end = '\0';
    char *m = strstr(p, "MISTAKE(");
    if (m && line > 5) { /* below the file's header comment */
      char *close = strchr(m, ')');
      if (close) rules[line] = xstrndup(m + 8, (size_t)(close - m - 8));
    }
    if (!end) break;
    p = end + 1;
  }
  free(text);
  *nlines = n;
  return rules;
}

static void test_bad_example_shows_every_mistake(void) {
  char *path = xasprintf("%s/runtime/examples/job_runner_bad.c", unit_source_dir);
  int nlines;
  char **expected = mistakes(path, &nlines);
  bool *found = xcalloc((size_t)nlines + 1, sizeof *found);
  int status;
  cJSON *root = lint_json("runtime/examples/job_runner_bad.c", &status);
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  CU_ASSERT_EQUAL(status, 1);
  const cJSON *d;
  int marked = 0;
  for (int i = 0; i <= nlines; i++) marked += expected[i] != NULL;
  CU_ASSERT(marked >= 8); /* one or more per rule */
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(root, "diagnostics")) {
    int line = cJSON_GetObjectItem(d, "line")->valueint;
    const char *rule = cJSON_GetObjectItem(d, "rule")->valuestring;
    bool ok = line > 0 && line <= nlines && expected[line] && strcmp(expected[line], rule) == 0;
    if (!ok)
      fprintf(stderr, "\n  unmarked finding job_runner_bad.c:%d: %s [%s]", line,
              cJSON_GetObjectItem(d, "message")->valuestring, rule);
    CU_ASSERT(ok);
    if (ok) found[line] = true;
    /* the other places a merged finding stands for are found where they are */
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(d, "also")) {
      int at = cJSON_GetObjectItem(a, "line")->valueint;
      bool also_ok = at > 0 && at <= nlines && expected[at] && strcmp(expected[at], rule) == 0;
      if (!also_ok) fprintf(stderr, "\n  unmarked place job_runner_bad.c:%d of a finding at line %d [%s]", at, line, rule);
      CU_ASSERT(also_ok);
      if (also_ok) found[at] = true;
    }
  }
  for (int i = 0; i <= nlines; i++) {
    if (expected[i] && !found[i]) fprintf(stderr, "\n  job_runner_bad.c:%d: MISTAKE(%s) not found", i, expected[i]);
    CU_ASSERT(!expected[i] || found[i]);
    free(expected[i]);
  }
  free(expected);
  free(found);
  free(path);
  cJSON_Delete(root);
}

/* usage: dogfood_tests SOURCE_DIR CALM_LINT (CALM_LINT sits in the build directory) */
int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SOURCE_DIR CALM_LINT\n", argv[0]);
    return 2;
  }
  unit_source_dir = argv[1];
  unit_calm_lint = argv[2];
  if (!mkdtemp(scratch)) return 2;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("dogfood", NULL, NULL);
  CU_add_test(s, "runtime and good examples are clean", test_runtime_and_good_examples_are_clean);
  CU_add_test(s, "every marked mistake of job_runner_bad.c is found, nothing else", test_bad_example_shows_every_mistake);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
  CU_cleanup_registry();
  char *out = xasprintf("%s/dogfood.json", scratch);
  remove(out);
  free(out);
  rmdir(scratch);
  return failed ? 1 : 0;
}
