/* Runs calm-lint's unit suites. usage: lint_unit_tests SOURCE_DIR CALM_LINT [suite] */
#define _GNU_SOURCE
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lint/base/base.h"
#include "unit.h"

const char *unit_source_dir;
const char *unit_calm_lint;
static char scratch[256];

const char *unit_scratch(void) {
  if (!scratch[0]) {
    snprintf(scratch, sizeof scratch, "/tmp/calm-unit-XXXXXX");
    if (!mkdtemp(scratch)) abort();
  }
  return scratch;
}

char *unit_write(const char *name, const char *text) {
  char *path;
  if (asprintf(&path, "%s/%s", unit_scratch(), name) < 0) abort();
  FILE *f = fopen(path, "w");
  if (!f) abort();
  fputs(text, f);
  fclose(f);
  return path;
}

int unit_run_lint(const char *before, const char *args, char **out, char **err) {
  free(*out);
  free(*err);
  char *cmd = xasprintf("cd '%s' && %s '%s' %s >out.txt 2>err.txt", unit_scratch(), before, unit_calm_lint, args);
  int st = system(cmd);
  free(cmd);
  char *o = xasprintf("%s/out.txt", unit_scratch()), *e = xasprintf("%s/err.txt", unit_scratch());
  *out = file_read(o, NULL);
  *err = file_read(e, NULL);
  free(o);
  free(e);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SOURCE_DIR CALM_LINT [suite]\n", argv[0]);
    return 2;
  }
  unit_source_dir = argv[1];
  unit_calm_lint = argv[2];
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
#define UNIT_REGISTER(name) if (argc < 4 || strcmp(argv[3], #name) == 0) unit_register_##name();
  UNIT_SUITES(UNIT_REGISTER)
#undef UNIT_REGISTER
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
  unsigned ran = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  if (scratch[0]) {
    char *cmd;
    if (asprintf(&cmd, "rm -rf '%s'", scratch) >= 0) {
      if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", scratch);
      free(cmd);
    }
  }
  return failed || ran == 0 ? 1 : 0;
}
