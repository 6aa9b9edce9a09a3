/* The text and JSON writers. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../lint/report/report.h"
#include "unit.h"

static diag_list sample(void) {
  diag_list l = {0};
  ir_loc b = {"/src/b.c", 9, 3, 9, 10}, a = {"/src/a.c", 4, 5, 4, 12}, reg = {"/src/main.c", 20, 3, 20, 40};
  diag *d = diag_add(&l, "blocking-in-loop", SEV_WARNING, b, xstrdup("blocking call 'sleep' in loop callback 'cb'"));
  diag_note_add(d, reg, xstrdup("'cb' runs on the loop"));
  diag_add(&l, "blocking-in-loop", SEV_WARNING, a, xstrdup("blocking call 'fopen' in loop callback 'cb'"));
  diag_add(&l, "blocking-in-loop", SEV_WARNING, a, xstrdup("blocking call 'fopen' in loop callback 'cb'"));
  d = diag_add(&l, "blocking-in-loop", SEV_WARNING, reg, xstrdup("silenced"));
  d->suppressed = true;
  diag_list_normalize(&l);
  return l;
}

static void test_normalize(void) {
  diag_list l = sample();
  CU_ASSERT_EQUAL_FATAL(l.len, 3); /* the duplicate is gone */
  CU_ASSERT_STRING_EQUAL(l.items[0].loc.file, "/src/a.c");
  CU_ASSERT_STRING_EQUAL(l.items[1].loc.file, "/src/b.c");
  diag_list_free(&l);
}

static void test_json(void) {
  diag_list l = sample();
  report_error e = {"/src/bad.c", 1, 10, "'missing.h' file not found"};
  report_input in = {&l, &e, 1, 4, 12, "/src", NULL, false};
  char *text = report_json(&in);
  cJSON *root = cJSON_Parse(text);
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(root, "version")->valueint, 1);
  cJSON *diags = cJSON_GetObjectItem(root, "diagnostics");
  CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(diags), 2);
  cJSON *d = cJSON_GetArrayItem(diags, 1);
  const char *fields[] = {"rule", "severity", "message", "file", "line", "column", "end_line", "end_column", "trace", "fixes"};
  int i = 0;
  cJSON *it;
  cJSON_ArrayForEach(it, d) {
    if (i < 10) CU_ASSERT_STRING_EQUAL(it->string, fields[i]);
    i++;
  }
  CU_ASSERT_EQUAL(i, 10);
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "file")->valuestring, "b.c");
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "end_column")->valueint, 10);
  cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "trace"), 0);
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(t, "file")->valuestring, "main.c");
  cJSON *sum = cJSON_GetObjectItem(root, "summary");
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(sum, "diagnostics")->valueint, 2);
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(sum, "suppressed")->valueint, 1);
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(sum, "errors")->valueint, 1);
  CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(root, "errors")), 1);
  char *again = report_json(&in);
  CU_ASSERT_STRING_EQUAL(text, again); /* deterministic */
  free(again);
  cJSON_Delete(root);
  free(text);
  diag_list_free(&l);
}

static void test_text(void) {
  diag_list l = sample();
  report_input in = {&l, NULL, 0, 1, 1, "/src", NULL, false};
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  report_text(f, &in, false);
  fclose(f);
  CU_ASSERT(strstr(buf, "a.c:4:5: warning: blocking call 'fopen' in loop callback 'cb' [blocking-in-loop]\n") != NULL);
  CU_ASSERT(strstr(buf, "main.c:20:3: note: 'cb' runs on the loop\n") != NULL);
  CU_ASSERT(strstr(buf, "silenced") == NULL);
  CU_ASSERT(strstr(buf, "\033[") == NULL);
  free(buf);
  diag_list_free(&l);
}

void unit_register_report(void) {
  CU_pSuite s = CU_add_suite("report", NULL, NULL);
  CU_add_test(s, "sorting and de-duplication", test_normalize);
  CU_add_test(s, "JSON", test_json);
  CU_add_test(s, "text", test_text);
}
