#include "store/store.h"

#include "common/common.h"

#include <stdio.h>
#include <unistd.h>

int store_append(const char *record) {
  FILE *f = fopen(JOURNAL_PATH, "a");
  if (!f) return -1;
  int rc = fputs(record, f) < 0 ? -1 : 0;
#if STORE_FSYNC
  fflush(f);
  fsync(fileno(f));
#endif
  fclose(f);
  return rc;
}
