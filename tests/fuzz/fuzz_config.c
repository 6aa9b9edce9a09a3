/* Fuzzes .calm-lint.json: parsing, validation, and the function entries it adds to
 * the models. Every input must load or fail with one line, and leak nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lint/base/base.h"
#include "../../lint/driver/config.h"
#include "../../lint/graph/models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = xstrndup((const char *)data, size);
  lint_config c;
  char *err = NULL;
  if (config_parse(text, strlen(text), "/fuzz/.calm-lint.json", &c, &err) == 0) {
    if (c.functions) {
      model_db *db = model_db_new();
      char *merr = NULL;
      model_db_load_functions(db, c.functions, "config", c.path, &merr);
      if (merr && strchr(merr, '\n')) abort(); /* an error is one line */
      free(merr);
      model_db_free(db);
    }
    config_free(&c);
  } else if (!err || strchr(err, '\n')) {
    abort();
  }
  free(err);
  free(text);
  return 0;
}
