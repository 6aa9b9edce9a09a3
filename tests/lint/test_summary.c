/* Summaries survive a trip through JSON unchanged; broken ones are refused. */
#include <stdlib.h>
#include <string.h>

#include "../../lint/ir/ir.h"
#include "unit.h"

ir_summary *unit_parse(const char *name, const char *code);
void unit_check_round_trip(const ir_summary *s);

/* `s` written, read back and written again gives the same JSON. */
void unit_check_round_trip(const ir_summary *s) {
  char *a = ir_summary_to_json(s);
  char *err = NULL;
  ir_summary *back = ir_summary_from_json(a, &err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(back);
  char *b = ir_summary_to_json(back);
  CU_ASSERT_STRING_EQUAL(a, b);
  CU_ASSERT_EQUAL(back->nfuncs, s->nfuncs);
  CU_ASSERT_EQUAL(back->nstores, s->nstores);
  free(a);
  free(b);
  ir_summary_free(back);
}

static void test_round_trip(void) {
  ir_summary *s = unit_parse("trip.c",
                             "int step(int); void reg(void (*)(int), void *);\n"
                             "static void cb(int x) { (void)x; }\n"
                             "int f(int n) {\n"
                             "  int rc = 0, *p = &rc;\n"
                             "  reg(cb, 0);\n"
                             "  while (n-- > 0) { rc = step(n); if (rc == -125) break; }\n"
                             "  return *p ? rc : 0;\n"
                             "}\n");
  CU_ASSERT_FALSE_FATAL(s->failed);
  unit_check_round_trip(s);
  ir_summary_free(s);
}

static void test_rejects_bad_input(void) {
  char *err = NULL;
  CU_ASSERT_PTR_NULL(ir_summary_from_json("not json", &err));
  CU_ASSERT_PTR_NOT_NULL(err);
  free(err);
  err = NULL;
  CU_ASSERT_PTR_NULL(ir_summary_from_json("{\"format\": 99, \"main_file\": \"a.c\"}", &err));
  free(err);
  err = NULL;
  /* a call argument naming a variable that does not exist */
  const char *bad = "{\"format\":2,\"main_file\":\"a.c\",\"failed\":false,\"files\":[\"a.c\"],\"errors\":[],"
                    "\"functions\":[{\"usr\":\"c:@F@f\",\"name\":\"f\",\"loc\":[0,1,1,1,1],\"end\":[0,1,1,1,1],"
                    "\"nparams\":0,\"vars\":[],\"calls\":[{\"name\":\"g\",\"loc\":[0,1,1,1,1],"
                    "\"args\":[{\"k\":\"var\",\"var\":7}],\"use\":\"discarded\",\"dest\":-1,\"block\":0}],"
                    "\"blocks\":[{\"ops\":[],\"term\":\"goto\",\"succ\":[1,-1],\"loc\":[0,1,1,1,1]},"
                    "{\"ops\":[],\"term\":\"stop\",\"succ\":[-1,-1],\"loc\":[0,1,1,1,1]}]}]}";
  CU_ASSERT_PTR_NULL(ir_summary_from_json(bad, &err));
  CU_ASSERT(err && strstr(err, "variable"));
  free(err);
}

void unit_register_summary(void) {
  CU_pSuite s = CU_add_suite("summary", NULL, NULL);
  CU_add_test(s, "JSON round trip", test_round_trip);
  CU_add_test(s, "bad input is refused", test_rejects_bad_input);
}
