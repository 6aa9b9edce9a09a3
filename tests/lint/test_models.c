/* The model loader: parsing, validation, merging, conditions. */
#include <stdlib.h>
#include <string.h>

#include "../../lint/graph/models.h"
#include "unit.h"

static const char *model_a =
    "{\"model\": \"a\", \"cancel_status\": -125,\n"
    " \"functions\": {\n"
    "   \"a_start\": {\"callbacks\": [{\"arg\": 1, \"context\": \"loop\", \"status_param\": 1}]},\n"
    "   \"a_read\": {\"blocking\": {\"when\": {\"arg\": 2, \"is\": \"null\"}}},\n"
    "   \"a_wait\": {\"blocking\": {\"unless\": {\"arg\": 1, \"mentions\": \"NOHANG\"}}},\n"
    "   \"a_poll\": {\"waits_forever\": {\"when\": [{\"arg\": 0, \"equals\": -1}]}},\n"
    "   \"a_async\": {\"thread_safe\": true}\n"
    " },\n"
    " \"patterns\": [{\"match\": \"a_*\", \"loop_only\": true}]}\n";

static ir_call make_call(ir_value *args, unsigned n) {
  ir_call c;
  memset(&c, 0, sizeof c);
  c.args = args;
  c.nargs = n;
  c.dest = -1;
  return c;
}

static void test_load_and_lookup(void) {
  model_db *db = model_db_new();
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(model_db_load(db, model_a, "a.json", &err), 0);
  const model_fn *f = model_db_lookup(db, "a_start");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(f->ncallbacks, 1);
  CU_ASSERT_EQUAL(f->callbacks[0].context, CTX_LOOP);
  CU_ASSERT_EQUAL(f->callbacks[0].status_param, 1);
  CU_ASSERT(f->loop_only); /* from the pattern */
  CU_ASSERT(f->has_cancel_status && f->cancel_status == -125);
  const model_fn *s = model_db_lookup(db, "a_async");
  CU_ASSERT(s && s->thread_safe);
  CU_ASSERT_PTR_NULL(model_db_lookup(db, "b_other"));
  CU_ASSERT_PTR_NOT_NULL(model_db_lookup(db, "a_unlisted")); /* pattern only */
  model_db_free(db);
}

static void test_conditions(void) {
  model_db *db = model_db_new();
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(model_db_load(db, model_a, "a.json", &err), 0);
  ir_value args[3];
  memset(args, 0, sizeof args);
  args[0].kind = IR_VAL_INT;
  args[0].ival = -1;
  args[1].kind = IR_VAL_INT;
  args[1].text = "WNOHANG | WUNTRACED";
  args[2].kind = IR_VAL_NULL;
  ir_call c = make_call(args, 3);
  CU_ASSERT(model_cond_holds(&model_db_lookup(db, "a_read")->blocking, &c));
  CU_ASSERT(model_cond_holds(&model_db_lookup(db, "a_poll")->waits_forever, &c));
  /* NOHANG is not WNOHANG: identifiers match whole */
  CU_ASSERT(model_cond_holds(&model_db_lookup(db, "a_wait")->blocking, &c));
  args[1].text = "NOHANG";
  CU_ASSERT(!model_cond_holds(&model_db_lookup(db, "a_wait")->blocking, &c));
  args[2].kind = IR_VAL_FUNC;
  args[0].ival = 100;
  CU_ASSERT(!model_cond_holds(&model_db_lookup(db, "a_read")->blocking, &c));
  CU_ASSERT(!model_cond_holds(&model_db_lookup(db, "a_poll")->waits_forever, &c));
  ir_call short_call = make_call(args, 1); /* fewer arguments than the test names */
  CU_ASSERT(!model_cond_holds(&model_db_lookup(db, "a_read")->blocking, &short_call));
  model_db_free(db);
}

static void test_override_and_disable(void) {
  model_db *db = model_db_new();
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(model_db_load(db, model_a, "a.json", &err), 0);
  CU_ASSERT_EQUAL_FATAL(model_db_load(db, "{\"model\": \"user\", \"functions\": {\"a_read\": {\"blocking\": false},"
                                          " \"mine\": {\"blocking\": true}}}", "user.json", &err), 0);
  ir_value args[3];
  memset(args, 0, sizeof args);
  args[2].kind = IR_VAL_NULL;
  ir_call c = make_call(args, 3);
  CU_ASSERT(!model_cond_holds(&model_db_lookup(db, "a_read")->blocking, &c));
  CU_ASSERT(model_db_lookup(db, "a_read")->loop_only); /* other properties kept */
  CU_ASSERT(model_cond_holds(&model_db_lookup(db, "mine")->blocking, &c));
  CU_ASSERT(model_db_disable(db, "user"));
  CU_ASSERT(model_cond_holds(&model_db_lookup(db, "a_read")->blocking, &c));
  CU_ASSERT_PTR_NULL(model_db_lookup(db, "mine"));
  CU_ASSERT(!model_db_disable(db, "nonexistent"));
  model_db_free(db);
}

static void test_errors(void) {
  model_db *db = model_db_new();
  char *err = NULL;
  CU_ASSERT_EQUAL(model_db_load(db, "{\"model\": \"x\",\n \"functions\": {\n  \"f\": {\"blockng\": true}}}", "x.json", &err), -1);
  CU_ASSERT(err && strstr(err, "unknown function property 'blockng'") && strstr(err, "in f"));
  free(err);
  err = NULL;
  CU_ASSERT_EQUAL(model_db_load(db, "{\"model\": \"x\", \"functions\": {\"f\": {\"callbacks\": [{\"arg\": -1, \"context\": \"loop\"}]}}}", "x.json", &err), -1);
  CU_ASSERT(err && strstr(err, "argument index"));
  free(err);
  err = NULL;
  CU_ASSERT_EQUAL(model_db_load(db, "{\"model\": \"x\", \"functions\": {\"f\": {\"callbacks\": [{\"arg\": 1, \"context\": \"gpu\"}]}}}", "x.json", &err), -1);
  CU_ASSERT(err && strstr(err, "context"));
  free(err);
  err = NULL;
  CU_ASSERT_EQUAL(model_db_load(db, "{\"model\": \"x\",\n\n  \"functions\": [}", "x.json", &err), -1);
  CU_ASSERT(err && strstr(err, "x.json:3:"));
  free(err);
  model_db_free(db);
}

static void test_builtin_models_load(void) {
  model_db *db = model_db_new();
  char *err = NULL;
  int rc = model_db_load_builtin(db, &err);
  if (rc) fprintf(stderr, "\n  %s\n", err);
  CU_ASSERT_EQUAL(rc, 0);
  free(err);
  const char *expected[] = {"calm", "posix", "libuv", "sqlite"};
  for (int i = 0; i < 4; i++) CU_ASSERT(model_db_has_model(db, expected[i]));
  model_db_free(db);
}

void unit_register_models(void) {
  CU_pSuite s = CU_add_suite("models", NULL, NULL);
  CU_add_test(s, "load and look up", test_load_and_lookup);
  CU_add_test(s, "conditions", test_conditions);
  CU_add_test(s, "override and disable", test_override_and_disable);
  CU_add_test(s, "errors", test_errors);
  CU_add_test(s, "built-in models load", test_builtin_models_load);
}
