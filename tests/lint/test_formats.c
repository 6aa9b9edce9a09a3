/* The CI formats: GitHub workflow commands (escaping included) and the GitLab Code
 * Quality report, on hand-built findings and through the binary. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "../../lint/report/report.h"
#include "../../rules/rule.h"
#include "unit.h"

static diag_list sample(void) {
  diag_list l = {0};
  ir_loc a = {"/src/dir,1/a.c", 4, 5, 4, 12}, b = {"/src/b.c", 9, 3, 9, 10}, reg = {"/src/main.c", 20, 3, 20, 40};
  diag *d = diag_add(&l, "blocking-in-loop", SEV_WARNING, b, xstrdup("blocking call 'sleep' in loop callback 'cb'"));
  diag_note_add(d, reg, xstrdup("'cb' runs on the loop: passed to 'uv_timer_start' here"));
  diag_add(&l, "blocking-in-loop", SEV_ERROR, a, xstrdup("100% blocked: a,b\nsecond line"));
  d = diag_add(&l, "blocking-in-loop", SEV_WARNING, reg, xstrdup("silenced"));
  d->suppressed = true;
  diag_list_normalize(&l);
  return l;
}

static char *github_of(const report_input *in) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  report_github(f, in);
  fclose(f);
  return buf;
}

static void test_github(void) {
  diag_list l = sample();
  report_error e = {"/src/bad.c", 1, 10, "'missing.h' file not found"};
  report_input in = {&l, &e, 1, 3, 3, "/src", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  char *out = github_of(&in);
  /* properties escape ',' and ':'; the message escapes '%' and new lines only */
  CU_ASSERT(strstr(out, "::error file=dir%2C1/a.c,line=4,col=5,endLine=4,endColumn=11,title=blocking-in-loop::"
                        "100%25 blocked: a,b%0Asecond line\n") != NULL);
  CU_ASSERT(strstr(out, "::warning file=b.c,line=9,col=3,endLine=9,endColumn=9,title=blocking-in-loop::"
                        "blocking call 'sleep' in loop callback 'cb'%0Amain.c:20:3: note: 'cb' runs on the loop: "
                        "passed to 'uv_timer_start' here\n") != NULL);
  CU_ASSERT(strstr(out, "::error file=bad.c,line=1,col=10,title=calm-lint::'missing.h' file not found\n") != NULL);
  CU_ASSERT(strstr(out, "silenced") == NULL);
  size_t lines = 0;
  for (char *p = out; *p; p++) lines += *p == '\n';
  CU_ASSERT_EQUAL(lines, 3); /* one command a line: nothing else on stdout */
  free(out);
  diag_list_free(&l);
}

static void test_gitlab(void) {
  diag_list l = sample();
  report_input in = {&l, NULL, 0, 3, 3, "/src", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  char *text = report_gitlab(&in);
  cJSON *root = cJSON_Parse(text);
  CU_ASSERT_FATAL(cJSON_IsArray(root));
  CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(root), 2);
  /* sorted by path: "/src/b.c" before "/src/dir,1/a.c" */
  cJSON *second = cJSON_GetArrayItem(root, 0), *first = cJSON_GetArrayItem(root, 1);
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(second, "description")->valuestring,
                         "blocking call 'sleep' in loop callback 'cb'");
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(second, "check_name")->valuestring, "blocking-in-loop");
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(second, "severity")->valuestring, "major");
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(first, "severity")->valuestring, "critical");
  cJSON *loc = cJSON_GetObjectItem(second, "location");
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(loc, "path")->valuestring, "b.c");
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(loc, "lines"), "begin")->valueint, 9);
  const char *fp1 = cJSON_GetObjectItem(first, "fingerprint")->valuestring;
  const char *fp2 = cJSON_GetObjectItem(second, "fingerprint")->valuestring;
  CU_ASSERT(strlen(fp1) > 16 && strcmp(fp1, fp2) != 0);
  /* the same as SARIF's partialFingerprints and the baseline's */
  char **fps = report_fingerprints(&in);
  CU_ASSERT_STRING_EQUAL(fps[0], fp2);
  report_fingerprints_free(fps, l.len);
  cJSON_Delete(root);
  free(text);
  diag_list_free(&l);
}

static void test_sarif(void) {
  diag_list l = sample();
  ir_loc outside = {"/usr/include/x y.h", 3, 1, 3, 5};
  diag_add(&l, "unawaited-task", SEV_WARNING, outside, xstrdup("outside the source root"));
  diag_list_normalize(&l);
  report_input in = {&l, NULL, 0, 3, 3, "/src", NULL, true, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  char *text = report_sarif(&in);
  cJSON *root = cJSON_Parse(text);
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "runs"), 0);
  cJSON *base = cJSON_GetObjectItem(cJSON_GetObjectItem(run, "originalUriBaseIds"), "%SRCROOT%");
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(base, "uri")->valuestring, "file:///src/");
  cJSON *rules = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "tool"), "driver"), "rules");
  CU_ASSERT_EQUAL(cJSON_GetArraySize(rules), (int)lint_rule_count);
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(rules, 0), "name")->valuestring, "BlockingInLoop");
  cJSON *results = cJSON_GetObjectItem(run, "results");
  CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(results), 4); /* suppressed ones are carried too */
  int suppressed = 0, flows = 0, outside_seen = 0;
  cJSON *res;
  cJSON_ArrayForEach(res, results) {
    suppressed += cJSON_GetObjectItem(res, "suppressions") != NULL;
    flows += cJSON_GetObjectItem(res, "codeFlows") != NULL;
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(res, "baselineState")->valuestring, "new");
    cJSON *art = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "locations"), 0),
                                                         "physicalLocation"),
                                     "artifactLocation");
    const char *uri = cJSON_GetObjectItem(art, "uri")->valuestring;
    if (strcmp(uri, "file:///usr/include/x%20y.h") == 0) {
      outside_seen++;
      CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(art, "uriBaseId"));
    } else {
      CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(art, "uriBaseId")->valuestring, "%SRCROOT%");
      CU_ASSERT(uri[0] != '/');
    }
  }
  CU_ASSERT_EQUAL(suppressed, 1);
  CU_ASSERT_EQUAL(flows, 1);
  CU_ASSERT_EQUAL(outside_seen, 1);
  /* the comma in "dir,1" is percent-encoded */
  CU_ASSERT(strstr(text, "\"dir%2C1/a.c\"") != NULL);
  cJSON_Delete(root);
  free(text);
  diag_list_free(&l);
}

static cJSON *sarif_region(cJSON *result) {
  cJSON *loc = cJSON_GetArrayItem(cJSON_GetObjectItem(result, "locations"), 0);
  return cJSON_GetObjectItem(cJSON_GetObjectItem(loc, "physicalLocation"), "region");
}

/* SARIF says columnKind unicodeCodePoints: columns count code points, not the bytes
 * ir_loc counts, so a viewer highlights the call on a line with 'é' or '☃' before it.
 * The editor's buffer, when there is one, is what columns are measured on. */
static void test_sarif_code_point_columns(void) {
  char *path = unit_write("cols.c", "void f(void) {\n  /* caf\xc3\xa9 \xe2\x98\x83 */ sleep(1);\n}\n");
  diag_list l = {0};
  ir_loc at = {path, 2, 19, 2, 27};
  diag_add(&l, "blocking-in-loop", SEV_WARNING, at, xstrdup("blocking call 'sleep'"));
  report_input in = {&l, NULL, 0, 1, 1, "/", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  char *text = report_sarif(&in);
  cJSON *root = cJSON_Parse(text);
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "runs"), 0);
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(run, "columnKind")->valuestring, "unicodeCodePoints");
  cJSON *region = sarif_region(cJSON_GetArrayItem(cJSON_GetObjectItem(run, "results"), 0));
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(region, "startColumn")->valueint, 16);
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(region, "endColumn")->valueint, 24);
  cJSON_Delete(root);
  free(text);
  in.buffer_path = path;
  in.buffer_text = "void f(void) {\n  /*  */ sleep(1);\n}\n"; /* ASCII only: bytes are code points */
  text = report_sarif(&in);
  root = cJSON_Parse(text);
  run = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "runs"), 0);
  region = sarif_region(cJSON_GetArrayItem(cJSON_GetObjectItem(run, "results"), 0));
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(region, "startColumn")->valueint, 19);
  cJSON_Delete(root);
  free(text);
  diag_list_free(&l);
  free(path);
}

/* Code scanning shows a rule's fullDescription on every alert: it is whole
 * sentences for every rule, never a lead-in cut at its colon. */
static void test_sarif_full_descriptions(void) {
  diag_list l = {0};
  report_input in = {&l, NULL, 0, 0, 0, "/src", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  char *text = report_sarif(&in);
  cJSON *root = cJSON_Parse(text);
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "runs"), 0);
  cJSON *rules = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "tool"), "driver"), "rules");
  cJSON *rule;
  int n = 0;
  cJSON_ArrayForEach(rule, rules) {
    const char *id = cJSON_GetObjectItem(rule, "id")->valuestring;
    const char *full = cJSON_GetObjectItem(cJSON_GetObjectItem(rule, "fullDescription"), "text")->valuestring;
    size_t len = strlen(full);
    if (len < 40 || full[len - 1] != '.') {
      fprintf(stderr, "%s: fullDescription ends mid-sentence: %s\n", id, full);
      CU_FAIL("a fullDescription that is not whole sentences");
    }
    CU_ASSERT(strchr(full, '\n') == NULL);
    n++;
  }
  CU_ASSERT_EQUAL(n, (int)lint_rule_count);
  /* the list the lead-in introduces is there */
  CU_ASSERT(strstr(text, "A wait with no deadline where a hang costs the most: - in a task") != NULL);
  cJSON_Delete(root);
  free(text);
}

/* ---- through the binary ---- */

static char *run_out;

static int lint(const char *args) {
  free(run_out);
  char *cmd = xasprintf("cd '%s' && '%s' %s >fmt-out.txt 2>/dev/null", unit_scratch(), unit_calm_lint, args);
  int st = system(cmd);
  free(cmd);
  char *o = xasprintf("%s/fmt-out.txt", unit_scratch());
  run_out = file_read(o, NULL);
  free(o);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *bad_c = "#include <unistd.h>\n"
                           "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                           "  sleep(1);\n"
                           "}\n";

static void test_cli_formats(void) {
  free(unit_write("fmt.c", bad_c));
  CU_ASSERT_EQUAL(lint("--format github fmt.c --"), 1);
  CU_ASSERT(strncmp(run_out, "::warning file=fmt.c,line=3,col=3,", 34) == 0);
  CU_ASSERT(strstr(run_out, ",title=blocking-in-loop::blocking call 'sleep'") != NULL);
  CU_ASSERT_EQUAL(lint("--format gitlab fmt.c --"), 1);
  cJSON *root = cJSON_Parse(run_out);
  CU_ASSERT_EQUAL(cJSON_GetArraySize(root), 1);
  cJSON_Delete(root);
  CU_ASSERT_EQUAL(lint("--format sarif fmt.c --"), 1);
  root = cJSON_Parse(run_out);
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(root, "version")->valuestring, "2.1.0");
  cJSON_Delete(root);
  free(run_out);
  run_out = NULL;
}

void unit_register_formats(void) {
  CU_pSuite s = CU_add_suite("formats", NULL, NULL);
  CU_add_test(s, "GitHub workflow commands", test_github);
  CU_add_test(s, "GitLab Code Quality", test_gitlab);
  CU_add_test(s, "SARIF", test_sarif);
  CU_add_test(s, "SARIF columns count code points", test_sarif_code_point_columns);
  CU_add_test(s, "SARIF full descriptions are whole", test_sarif_full_descriptions);
  CU_add_test(s, "formats through the binary", test_cli_formats);
}
