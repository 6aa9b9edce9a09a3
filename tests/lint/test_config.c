/* .calm-lint.json loading and rule selection. */
#include <stdlib.h>
#include <string.h>

#include "../../lint/driver/config.h"
#include "unit.h"

static void test_valid(void) {
  char *path = unit_write("good.json", "{\n  \"disable\": [\"unbounded-spawn\"],\n  \"models\": {\"disable\": [\"glib\"]},\n"
                                       "  \"functions\": {\"db_query\": {\"blocking\": true}},\n"
                                       "  \"model_files\": [\"extra.json\"]\n}\n");
  lint_config c;
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(config_load(path, &c, &err), 0);
  CU_ASSERT_EQUAL(c.ndisable, 1);
  CU_ASSERT_EQUAL(c.nmodels_disable, 1);
  CU_ASSERT_PTR_NOT_NULL(c.functions);
  CU_ASSERT_EQUAL_FATAL(c.nmodel_files, 1);
  CU_ASSERT(strstr(c.model_files[0], "/extra.json") != NULL && c.model_files[0][0] == '/');
  CU_ASSERT(!config_rule_enabled(&c, NULL, 0, NULL, 0, "unbounded-spawn"));
  CU_ASSERT(config_rule_enabled(&c, NULL, 0, NULL, 0, "blocking-in-loop"));
  config_free(&c);
  free(path);
}

static void test_invalid_json_position(void) {
  char *path = unit_write("bad.json", "{\n  \"disable\": [\"a\",\n  ]\n  oops\n}\n");
  lint_config c;
  char *err = NULL;
  CU_ASSERT_EQUAL(config_load(path, &c, &err), -1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(err);
  CU_ASSERT(strstr(err, "bad.json:3:") != NULL);
  CU_ASSERT(strchr(err, '\n') == NULL); /* one line */
  free(err);
  free(path);
}

static void test_unknown_key_and_rule(void) {
  char *path = unit_write("typo.json", "{\"disabel\": [\"x\"]}");
  lint_config c;
  char *err = NULL;
  CU_ASSERT_EQUAL(config_load(path, &c, &err), -1);
  CU_ASSERT(err && strstr(err, "unknown configuration key 'disabel'"));
  free(err);
  free(path);
  path = unit_write("rule.json", "{\"enable\": [\"blocking-in-lop\"]}");
  err = NULL;
  CU_ASSERT_EQUAL(config_load(path, &c, &err), -1);
  CU_ASSERT(err && strstr(err, "unknown rule 'blocking-in-lop'"));
  free(err);
  free(path);
}

static void test_enable_semantics(void) {
  const char *only[] = {"blocking-in-loop"};
  const char *off[] = {"blocking-in-loop"};
  CU_ASSERT(config_rule_enabled(NULL, NULL, 0, NULL, 0, "unawaited-task"));
  CU_ASSERT(config_rule_enabled(NULL, only, 1, NULL, 0, "blocking-in-loop"));
  CU_ASSERT(!config_rule_enabled(NULL, only, 1, NULL, 0, "unawaited-task"));
  CU_ASSERT(!config_rule_enabled(NULL, NULL, 0, off, 1, "blocking-in-loop"));
  CU_ASSERT(config_unknown_rule(only, 1) == NULL);
  const char *bad[] = {"all", "nope"};
  CU_ASSERT_STRING_EQUAL(config_unknown_rule(bad, 2), "nope");
}

void unit_register_config(void) {
  CU_pSuite s = CU_add_suite("config", NULL, NULL);
  CU_add_test(s, "valid configuration", test_valid);
  CU_add_test(s, "invalid JSON reports line and column", test_invalid_json_position);
  CU_add_test(s, "unknown key and unknown rule", test_unknown_key_and_rule);
  CU_add_test(s, "enable and disable", test_enable_semantics);
}
