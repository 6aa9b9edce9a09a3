/* Summaries survive a trip through their binary form unchanged; truncated, corrupt and
 * foreign ones are refused without a read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lint/ir/summary_bin.h"
#include "unit.h"

ir_summary *unit_parse(const char *name, const char *code);
void unit_check_round_trip(const ir_summary *s);

#define BUILD "0123456789abcdef"

/* `s` encoded and decoded reads as the same JSON; so does the decoded one encoded
 * again (the same bytes). */
void unit_check_round_trip(const ir_summary *s) {
  size_t n, n2;
  void *bin = ir_summary_to_bin(s, BUILD, false, &n);
  char *err = NULL;
  ir_summary *back = ir_summary_from_bin(bin, n, BUILD, &err);
  CU_ASSERT_PTR_NULL(err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(back);
  char *a = ir_summary_to_json(s), *b = ir_summary_to_json(back);
  CU_ASSERT_STRING_EQUAL(a, b);
  CU_ASSERT_EQUAL(back->nfuncs, s->nfuncs);
  CU_ASSERT_EQUAL(back->nstores, s->nstores);
  void *again = ir_summary_to_bin(back, BUILD, false, &n2);
  CU_ASSERT(n == n2 && memcmp(bin, again, n) == 0);
  free(a);
  free(b);
  free(bin);
  free(again);
  ir_summary_free(back);
}

static const char *const trip_code = "int step(int); void reg(void (*)(int), void *);\n"
                                     "static void cb(int x) { (void)x; }\n"
                                     "struct ops { void (*run)(int); } tab = { cb };\n"
                                     "int f(int n) {\n"
                                     "  int rc = 0, *p = &rc;\n"
                                     "  reg(cb, 0);\n"
                                     "  while (n-- > 0) { rc = step(n); if (rc == -125) break; }\n"
                                     "  tab.run(n);\n"
                                     "  return *p ? rc : 0;\n"
                                     "}\n"
                                     "#error stop here\n";

static void test_round_trip(void) {
  ir_summary *s = unit_parse("trip.c", trip_code);
  CU_ASSERT_TRUE_FATAL(s->nfuncs >= 2 && s->nerrors >= 1 && s->nstores >= 1);
  unit_check_round_trip(s);
  ir_summary_free(s);
}

/* A summary built by hand: one function `f` with one variable, a call to `g` whose
 * argument names variable `arg_var`, and the entry and exit blocks. */
static ir_summary *hand_made(int arg_var) {
  ir_summary *s = ir_summary_new("/src/a.c");
  const char *file = s->main_file;
  ir_loc l = {file, 1, 1, 1, 2};
  ir_function f = {0};
  f.usr = strpool_intern(s->pool, "c:@F@f");
  f.name = strpool_intern(s->pool, "f");
  f.loc = f.end = l;
  f.nvars = 1;
  f.vars = xcalloc(1, sizeof *f.vars);
  f.vars[0] = (ir_var){strpool_intern(s->pool, "x"), NULL, false, false, false, l};
  f.ncalls = 1;
  f.calls = xcalloc(1, sizeof *f.calls);
  ir_call *c = &f.calls[0];
  c->callee_name = strpool_intern(s->pool, "g");
  c->loc = l;
  c->nargs = 2;
  c->args = xcalloc(2, sizeof *c->args);
  c->args[0] = (ir_value){.kind = IR_VAL_VAR, .var = arg_var};
  c->args[1] = (ir_value){.kind = IR_VAL_FUNC, .var = -1, .func_name = f.name}; /* no usr: reads as "" */
  c->use = IR_USE_DISCARDED;
  c->dest = -1;
  f.nblocks = 2;
  f.blocks = xcalloc(2, sizeof *f.blocks);
  f.blocks[0] = (ir_block){.term = IR_TERM_GOTO, .succ = {1, -1}, .cond_var = -1, .term_loc = l};
  f.blocks[1] = (ir_block){.term = IR_TERM_STOP, .succ = {-1, -1}, .cond_var = -1, .term_loc = l};
  f.blocks[0].nops = 1;
  f.blocks[0].ops = xcalloc(1, sizeof(ir_op));
  f.blocks[0].ops[0] = (ir_op){.kind = IR_OP_CALL, .call = 0, .var = -1, .loc = l};
  ir_summary_add_function(s, &f);
  ir_summary_add_include(s, "/usr/include/stdio.h");
  ir_summary_add_include(s, "inc/a.h");
  return s;
}

static void test_hand_made(void) {
  ir_summary *s = hand_made(0);
  unit_check_round_trip(s);
  size_t n;
  void *bin = ir_summary_to_bin(s, NULL, true, &n);
  char *err = NULL;
  ir_summary *back = ir_summary_from_bin(bin, n, NULL, &err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(back);
  CU_ASSERT_EQUAL(back->nincludes, 2);
  CU_ASSERT_STRING_EQUAL(back->includes[1], "inc/a.h");
  CU_ASSERT_STRING_EQUAL(back->funcs[0].vars[0].type, ""); /* as the JSON form had it */
  CU_ASSERT_STRING_EQUAL(back->funcs[0].calls[0].args[1].func_usr, "");
  CU_ASSERT_EQUAL(back->funcs[0].calls[0].args[1].var, -1);
  ir_summary_add_include(back, "more.h"); /* the one thing a read summary takes */
  CU_ASSERT_EQUAL(back->nincludes, 3);
  ir_summary_free(back);
  free(bin);
  ir_summary_free(s);
}

static void expect_refused(const void *bin, size_t n, const char *build, const char *says) {
  char *err = NULL;
  ir_summary *s = ir_summary_from_bin(bin, n, build, &err);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(err);
  if (!strstr(err, says)) fprintf(stderr, "\nerror '%s' does not say '%s'\n", err, says);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, says));
  CU_ASSERT_PTR_NULL(strchr(err, '\n'));
  ir_summary_free(s);
  free(err);
}

static void test_refused(void) {
  ir_summary *s = hand_made(7); /* a call argument naming a variable that does not exist */
  size_t n;
  unsigned char *bin = ir_summary_to_bin(s, BUILD, false, &n);
  expect_refused(bin, n, BUILD, "value variable");
  free(bin);
  ir_summary_free(s);

  s = hand_made(0);
  bin = ir_summary_to_bin(s, BUILD, true, &n);
  expect_refused(bin, n, "fedcba9876543210", "another calm-lint build");
  expect_refused("not a summary", 13, NULL, "not a calm-lint summary");
  unsigned char *copy = malloc(n + 1);
  memcpy(copy, bin, n);
  copy[4] = 2; /* format 2 */
  expect_refused(copy, n, NULL, "summary format 2, but this calm-lint reads format 3");
  memcpy(copy, bin, n);
  copy[n] = 0;
  expect_refused(copy, n + 1, NULL, "truncated"); /* the body's length says otherwise */
  /* counts that a body this short cannot hold (30 functions in 40 bytes) are refused
   * before a block is sized by them */
  unsigned char big[17 + 40] = "CLMS";
  big[4] = IR_SUMMARY_FORMAT;
  big[9] = 40;                          /* the body's length; no build id */
  big[17 + 2] = 30;                     /* no strings, then the function count */
  expect_refused(big, sizeof big, NULL, "element count");
  /* every cut is refused, never read past */
  for (size_t cut = 0; cut < n; cut++) {
    unsigned char *part = malloc(cut ? cut : 1);
    memcpy(part, bin, cut);
    char *err = NULL;
    ir_summary *back = ir_summary_from_bin(part, cut, NULL, &err);
    CU_ASSERT_PTR_NULL(back);
    CU_ASSERT_PTR_NOT_NULL(err);
    ir_summary_free(back);
    free(err);
    free(part);
  }
  /* a cut body with a length that agrees with it: the body itself runs short */
  size_t body_at = 4 + 4 + 1 + strlen(BUILD) + 8;
  for (size_t cut = body_at; cut < n; cut++) {
    unsigned char *part = malloc(cut);
    memcpy(part, bin, cut);
    uint64_t body = cut - body_at;
    for (int i = 0; i < 8; i++) part[body_at - 8 + (size_t)i] = (unsigned char)(body >> (8 * i));
    char *err = NULL;
    ir_summary *back = ir_summary_from_bin(part, cut, NULL, &err);
    CU_ASSERT_PTR_NULL(back);
    CU_ASSERT(err && strncmp(err, "invalid summary: ", 17) == 0);
    ir_summary_free(back);
    free(err);
    free(part);
  }
  /* every byte of the body set to each of a few values: refused or read, never a crash
   * (the sanitizer build checks the reads) */
  static const unsigned char values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
  for (size_t at = body_at; at < n; at++)
    for (size_t v = 0; v < sizeof values; v++) {
      memcpy(copy, bin, n);
      copy[at] = values[v];
      char *err = NULL;
      ir_summary *back = ir_summary_from_bin(copy, n, NULL, &err);
      CU_ASSERT((back == NULL) != (err == NULL));
      ir_summary_free(back);
      free(err);
    }
  free(copy);
  free(bin);
  ir_summary_free(s);
}

void unit_register_summary(void) {
  CU_pSuite s = CU_add_suite("summary", NULL, NULL);
  CU_add_test(s, "binary round trip", test_round_trip);
  CU_add_test(s, "a summary built by hand, includes and all", test_hand_made);
  CU_add_test(s, "truncated, corrupt and foreign input is refused", test_refused);
}
