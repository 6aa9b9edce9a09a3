/* The lowering's source positions against libclang's own: lower_cursor_loc reads a
 * location in a file it has seen from the location's raw encoding, and keeps the last
 * spans it was asked for, so every cursor of a unit is asked twice and compared with
 * clang_getCursorExtent and clang_getFileLocation. The unit enters one header twice
 * (two entries of the same file), expands macros and pastes a token (scratch space). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../lint/frontend/lower.h"
#include "unit.h"

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

void unit_register_lower(void) {
  CU_pSuite s = CU_add_suite("lower", NULL, NULL);
  CU_add_test(s, "positions of every cursor are libclang's", test_positions_match_libclang);
}
