/* NOLINT parsing. */
#include "../../lint/driver/suppress.h"
#include "unit.h"

static void test_markers(void) {
  const char *text = "a(); // NOLINT\n"                                  /* 1 */
                     "b(); // NOLINT(blocking-in-loop, unawaited-task)\n" /* 2 */
                     "// NOLINTNEXTLINE(missing-*)\n"                    /* 3 */
                     "c();\n"                                            /* 4 */
                     "d();\n"                                            /* 5 */
                     "/* NOLINTBEGIN(swallowed-cancel) */\n"             /* 6 */
                     "e();\n"                                            /* 7 */
                     "/* NOLINTEND(swallowed-cancel) */\n"               /* 8 */
                     "f();\n"                                            /* 9 */
                     "// NOLINTBEGIN\n"                                  /* 10 */
                     "g();\n";                                           /* 11: never ended */
  suppressions *s = suppressions_parse(text);
  CU_ASSERT(suppressions_match(s, 1, "anything"));
  CU_ASSERT(suppressions_match(s, 2, "blocking-in-loop"));
  CU_ASSERT(suppressions_match(s, 2, "unawaited-task"));
  CU_ASSERT(!suppressions_match(s, 2, "missing-timeout"));
  CU_ASSERT(!suppressions_match(s, 3, "missing-timeout"));
  CU_ASSERT(suppressions_match(s, 4, "missing-timeout"));
  CU_ASSERT(!suppressions_match(s, 4, "blocking-in-loop"));
  CU_ASSERT(!suppressions_match(s, 5, "missing-timeout"));
  CU_ASSERT(suppressions_match(s, 7, "swallowed-cancel"));
  CU_ASSERT(!suppressions_match(s, 7, "blocking-in-loop"));
  CU_ASSERT(!suppressions_match(s, 9, "swallowed-cancel"));
  CU_ASSERT(suppressions_match(s, 11, "blocking-in-loop"));
  suppressions_free(s);
}

static void test_empty_and_null(void) {
  suppressions *s = suppressions_parse(NULL);
  CU_ASSERT(!suppressions_match(s, 1, "x"));
  suppressions_free(s);
  s = suppressions_parse("NOLINT()\n");
  CU_ASSERT(suppressions_match(s, 1, "x")); /* an empty list silences everything, as clang-tidy does */
  suppressions_free(s);
}

void unit_register_suppress(void) {
  CU_pSuite s = CU_add_suite("suppress", NULL, NULL);
  CU_add_test(s, "markers", test_markers);
  CU_add_test(s, "empty input", test_empty_and_null);
}
