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
  report_input in = {&l, &e, 1, 4, 12, "/src", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
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
  report_input in = {&l, NULL, 0, 1, 1, "/src", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
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

/* not inlined: gcc takes the stream's buffer for a pointer to a local */
__attribute__((noinline)) static char *text_of(const report_input *in) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  report_text(f, in, false);
  fclose(f);
  return buf;
}

/* ir_loc columns count bytes; the caret counts what a terminal shows: one column per
 * code point, tabs kept. */
static void test_text_caret_after_non_ascii(void) {
  char *path = unit_write("utf8.c", "void f(void) {\n\t/* caf\xc3\xa9 \xe2\x98\x83 */ sleep(1);\n}\n");
  diag_list l = {0};
  ir_loc at = {path, 2, 18, 2, 26}; /* "sleep(1)": byte 18, after 3 bytes of the tab and 5 of UTF-8 */
  diag_add(&l, "blocking-in-loop", SEV_WARNING, at, xstrdup("blocking call 'sleep'"));
  report_input in = {&l, NULL, 0, 1, 1, "/", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  char *out = text_of(&in);
  CU_ASSERT(strstr(out, "\t/* caf\xc3\xa9 \xe2\x98\x83 */ sleep(1);\n"
                        "\t             ^~~~~~~~\n") != NULL);
  free(out);
  diag_list_free(&l);
  free(path);
}

/* With --stdin-filename the finding is about the buffer: its line is quoted, not the
 * file on disk. */
static void test_text_quotes_buffer(void) {
  char *path = unit_write("ondisk.c", "int on_disk;\nint x;\n");
  diag_list l = {0};
  ir_loc at = {path, 2, 3, 2, 8};
  diag_add(&l, "blocking-in-loop", SEV_WARNING, at, xstrdup("blocking call 'sleep'"));
  report_input in = {&l, NULL, 0, 1, 1, "/", NULL, false, path, "int in_buffer;\n  sleep(1);\n", 0, 0, 0, NULL, NULL, 0};
  char *out = text_of(&in);
  CU_ASSERT(strstr(out, "\n  sleep(1);\n  ^~~~~\n") != NULL);
  CU_ASSERT(strstr(out, "int x") == NULL);
  free(out);
  diag_list_free(&l);
  free(path);
}

/* Ten thousand findings on one long minified line: each shows a window around its
 * column, not the whole line. */
static void test_text_long_line_window(void) {
  strbuf line = {0};
  for (int i = 0; i < 10000; i++) sb_append(&line, "f(1); ");
  sb_append(&line, "\n");
  char *path = unit_write("long.c", line.data);
  diag_list l = {0};
  for (unsigned i = 0; i < 10000; i++) {
    ir_loc at = {path, 1, 1 + 6 * i, 1, 1 + 6 * i + 4};
    diag_add(&l, "blocking-in-loop", SEV_WARNING, at, xstrdup("blocking call 'f'"));
  }
  report_input in = {&l, NULL, 0, 1, 1, "/", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  char *out = text_of(&in);
  size_t len = strlen(out);
  CU_ASSERT(len < 10000 * 500); /* the whole line each time would be 600 MB */
  /* the 5001st finding: its window starts with "...", the caret is under an 'f' */
  char *head = xasprintf("%s:1:30001: warning", path);
  char *p = strstr(out, head);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  char *snippet = strchr(p, '\n') + 1, *caret = strchr(snippet, '\n') + 1;
  CU_ASSERT(strncmp(snippet, "...", 3) == 0);
  char *mark = strchr(caret, '^');
  CU_ASSERT_PTR_NOT_NULL_FATAL(mark);
  CU_ASSERT(strncmp(snippet + (mark - caret), "f(1)", 4) == 0);
  CU_ASSERT(strncmp(mark, "^~~~\n", 5) == 0);
  free(head);
  free(out);
  diag_list_free(&l);
  free(path);
  sb_free(&line);
}

/* JSON must be UTF-8: a file name that is not is escaped as SARIF escapes it, and a
 * stray byte in a message becomes U+FFFD. */
static void test_json_non_utf8_name(void) {
  diag_list l = {0};
  ir_loc at = {"/src/caf\xe9 100%.c", 2, 3, 2, 8};
  diag_add(&l, "blocking-in-loop", SEV_WARNING, at, xstrdup("blocking call in 'caf\xe9'"));
  report_input in = {&l, NULL, 0, 1, 1, "/src", NULL, false, NULL, NULL, 0, 0, 0, NULL, NULL, 0};
  char *text = report_json(&in);
  CU_ASSERT(report_utf8_valid(text));
  cJSON *root = cJSON_Parse(text);
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "diagnostics"), 0);
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "file")->valuestring, "caf%E9 100%25.c");
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "message")->valuestring, "blocking call in 'caf\xef\xbf\xbd'");
  cJSON_Delete(root);
  free(text);
  /* a valid name is left as it is */
  char *same = report_utf8_path("/src/caf\xc3\xa9 100%.c");
  CU_ASSERT_STRING_EQUAL(same, "/src/caf\xc3\xa9 100%.c");
  free(same);
  CU_ASSERT(!report_utf8_valid("\xed\xa0\x80")); /* a UTF-16 surrogate */
  CU_ASSERT(!report_utf8_valid("\xc0\xaf"));     /* overlong */
  diag_list_free(&l);
}

static void test_codepoint_columns(void) {
  const char *line = "\t/* caf\xc3\xa9 \xe2\x98\x83 */ sleep(1);";
  size_t n = strlen(line);
  CU_ASSERT_EQUAL(report_codepoint_column(line, n, 1), 1);
  CU_ASSERT_EQUAL(report_codepoint_column(line, n, 18), 15);
  CU_ASSERT_EQUAL(report_codepoint_column(line, n, (unsigned)n + 3), (unsigned)n - 3 + 3); /* past the end */
}

void unit_register_report(void) {
  CU_pSuite s = CU_add_suite("report", NULL, NULL);
  CU_add_test(s, "sorting and de-duplication", test_normalize);
  CU_add_test(s, "JSON", test_json);
  CU_add_test(s, "text", test_text);
  CU_add_test(s, "text: the caret after non-ASCII text", test_text_caret_after_non_ascii);
  CU_add_test(s, "text: the editor's buffer is quoted", test_text_quotes_buffer);
  CU_add_test(s, "text: a window of a long line", test_text_long_line_window);
  CU_add_test(s, "JSON: a file name that is not UTF-8", test_json_non_utf8_name);
  CU_add_test(s, "code point columns", test_codepoint_columns);
}
