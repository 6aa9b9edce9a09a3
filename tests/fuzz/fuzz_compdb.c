/* Fuzzes the compile database reader: loading a compile_commands.json, then the
 * lookups every run makes of it (a listed file, a header inferred from a neighbour). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lint/base/base.h"
#include "../../lint/frontend/compdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* compdb_load reads DIR/compile_commands.json: one scratch directory for the run,
 * removed when it ends. */
static char dir[] = "/tmp/calm-fuzz-compdb-XXXXXX";

static void remove_scratch(void) {
  char path[128];
  snprintf(path, sizeof path, "%s/compile_commands.json", dir);
  unlink(path);
  rmdir(dir);
}

static const char *scratch(void) {
  static int made;
  if (!made) {
    if (!mkdtemp(dir)) abort();
    atexit(remove_scratch);
    made = 1;
  }
  return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[128];
  snprintf(path, sizeof path, "%s/compile_commands.json", scratch());
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  compdb db;
  char *err = NULL;
  if (compdb_load(scratch(), &db, &err) == 0) {
    for (size_t i = 0; i < db.njobs && i < 4; i++)
      if (compdb_find(&db, db.jobs[i].file) == NULL) abort(); /* every listed file is found */
    compile_job *j = compdb_infer(&db, "/src/include/x.h");
    if (db.njobs && !j) abort();
    compile_job_free(j);
    compdb_free(&db);
  } else if (!err || strchr(err, '\n')) {
    abort(); /* an error is one line */
  }
  free(err);
  return 0;
}
