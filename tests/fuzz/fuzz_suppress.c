/* Fuzzes the NOLINT comment scanner and its matching. */
#include <stdint.h>
#include <stdlib.h>

#include "../../lint/base/base.h"
#include "../../lint/driver/suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = xstrndup((const char *)data, size);
  suppressions *s = suppressions_parse(text);
  static const char *const rules[] = {"blocking-in-loop", "unawaited-task", "x"};
  for (unsigned line = 0; line < 8; line++)
    for (unsigned r = 0; r < 3; r++) suppressions_match(s, line, rules[r]);
  suppressions_match(s, 0xffffffffu, rules[0]);
  suppressions_free(s);
  free(text);
  return 0;
}
