/* The lowering's source positions against libclang's own: lower_cursor_loc reads a
 * location in a file it has seen from the location's raw encoding, and keeps the last
 * spans it was asked for, so every cursor of a unit is asked twice and compared with
 * clang_getCursorExtent and clang_getFileLocation. The unit enters one header twice
 * (two entries of the same file), expands macros and pastes a token (scratch space). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../lint/frontend/lower.h"
#include "unit.h"

ir_summary *unit_parse(const char *name, const char *code);
const ir_function *unit_function(const ir_summary *s, const char *name);

typedef struct {
  lower_files *files;
  strpool *pool;
  unsigned checked, in_files, wrong;
} loc_check;

static void expect_loc(loc_check *k, CXCursor c) {
  CXSourceRange r = clang_getCursorExtent(c);
  CXFile f1, f2;
  unsigned l1, c1, o1, l2, c2, o2;
  clang_getFileLocation(clang_getRangeStart(r), &f1, &l1, &c1, &o1);
  clang_getFileLocation(clang_getRangeEnd(r), &f2, &l2, &c2, &o2);
  if (f1 && (!f2 || !clang_File_isEqual(f1, f2) || o2 < o1)) {
    l2 = l1;
    c2 = c1;
  }
  for (int round = 0; round < 2; round++) {
    ir_loc got;
    bool ok = lower_cursor_loc(k->files, k->pool, c, &got);
    k->checked++;
    if (ok != (f1 != NULL)) {
      k->wrong++;
      continue;
    }
    if (!ok) continue;
    k->in_files++;
    CXString name = clang_getFileName(f1);
    bool same = got.file && strcmp(got.file, clang_getCString(name)) == 0 && got.line == l1 && got.col == c1 &&
                got.end_line == l2 && got.end_col == c2;
    if (!same) {
      k->wrong++;
      fprintf(stderr, "\n  cursor kind %d: got %s %u:%u-%u:%u, libclang %s %u:%u-%u:%u\n", clang_getCursorKind(c),
              got.file ? got.file : "(none)", got.line, got.col, got.end_line, got.end_col, clang_getCString(name), l1,
              c1, l2, c2);
    }
    clang_disposeString(name);
  }
}

static enum CXChildVisitResult visit_all(CXCursor c, CXCursor parent, CXClientData data) {
  (void)parent;
  expect_loc(data, c);
  return CXChildVisit_Recurse;
}

static void test_positions_match_libclang(void) {
  char *dir = xasprintf("%s/lower-pos", unit_scratch());
  mkdir(dir, 0777);
  free(dir);
  free(unit_write("lower-pos/step.h", "  x = x + 1;\n  if (x > LIMIT) return x;\n"));
  free(unit_write("lower-pos/ops.h", "#define LIMIT 100\n#define ADD(a, b) ((a) + (b))\n#define NAME(p, q) p##q\n"
                                "static inline int twice(int v) { return ADD(v, v); }\n"));
  char *path = unit_write("lower-pos/main.c", "#include \"ops.h\"\n"
                                              "int counter_value;\n"
                                              "int f(int x) {\n"
                                              "#include \"step.h\"\n"
                                              "  x = ADD(x, 2) * 3; /* a comment */ x -= twice(x);\n"
                                              "#include \"step.h\"\n"
                                              "  NAME(counter_, value) += x;\r\n"
                                              "  return x > 0 ? x : -x;\n"
                                              "}\n");
  CXIndex index = clang_createIndex(0, 0);
  const char *args[] = {"-std=c11"};
  CXTranslationUnit tu = NULL;
  CU_ASSERT_EQUAL_FATAL(clang_parseTranslationUnit2(index, path, args, 1, NULL, 0, 0, &tu), CXError_Success);
  CU_ASSERT_EQUAL(clang_getNumDiagnostics(tu), 0);
  loc_check k = {lower_files_new(tu), strpool_new(), 0, 0, 0};
  clang_visitChildren(clang_getTranslationUnitCursor(tu), visit_all, &k);
  CU_ASSERT(k.in_files > 100);
  CU_ASSERT_EQUAL(k.wrong, 0);
  lower_files_free(k.files);
  strpool_free(k.pool);
  clang_disposeTranslationUnit(tu);
  clang_disposeIndex(index);
  free(path);
}

/* Constants beside reads of variables: the lowering skips clang_Cursor_Evaluate where
 * an operand reads a variable that is not const, so what the evaluator folds although
 * a variable is read (`0 && x`, `(x, 1)`, const variables, offsetof) must still fold. */
static void test_constants_beside_reads(void) {
  static const struct {
    const char *expr;
    long value; /* LONG_MIN: not a constant */
  } cases[] = {
      {"five + 1", 6}, {"ck * 2", 8}, {"(x, 1)", 1}, {"0 && x", 0}, {"1 || p->a", 1}, {"sizeof x + 1", 5},
      {"(long)&((struct s *)0)->p", 8}, {"offsetof(struct s, p)", 8}, {"-(0 && x)", 0}, {"(char)(five * 2)", 10},
      {"*&five", 5}, {"(x * 0) + 1", LONG_MIN}, {"k + 1", LONG_MIN}, {"p->a + 1", LONG_MIN},
      {"arr[0] * 0", LONG_MIN}, {"(long)(0 || g)", LONG_MIN}, {"g + 1", LONG_MIN}, {"cs.a + 1", LONG_MIN},
  };
  size_t n = sizeof cases / sizeof cases[0];
  strbuf code = {0};
  sb_printf(&code, "#include <stddef.h>\nvoid use(long v);\nstruct s { int a; int *p; };\n"
                   "static const struct s cs = {7, 0};\nstatic const int ck = 4;\nint g;\n"
                   "int f(int x, struct s *p, const int k) {\n  const int five = 5;\n  int arr[3] = {0};\n");
  for (size_t i = 0; i < n; i++) sb_printf(&code, "  use(%s);\n", cases[i].expr);
  sb_printf(&code, "  return x;\n}\n");
  ir_summary *s = unit_parse("lower-fold.c", code.data);
  sb_free(&code);
  const ir_function *f = unit_function(s, "f");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL_FATAL(f->ncalls, n);
  for (size_t i = 0; i < n; i++) {
    const ir_value *v = &f->calls[i].args[0];
    bool ok = cases[i].value == LONG_MIN ? v->kind != IR_VAL_INT : v->kind == IR_VAL_INT && v->ival == cases[i].value;
    CU_ASSERT(ok);
    if (!ok) fprintf(stderr, "\n  use(%s): kind %d, value %lld\n", cases[i].expr, v->kind, (long long)v->ival);
  }
  ir_summary_free(s);
}

void unit_register_lower(void) {
  CU_pSuite s = CU_add_suite("lower", NULL, NULL);
  CU_add_test(s, "positions of every cursor are libclang's", test_positions_match_libclang);
  CU_add_test(s, "constants beside reads of variables", test_constants_beside_reads);
}
