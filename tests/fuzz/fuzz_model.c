/* Fuzzes API model files: loading over the built-in models, then a lookup of every
 * name the input mentions, so the merge of patterns and entries runs too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../lint/base/base.h"
#include "../../lint/graph/models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = xstrndup((const char *)data, size);
  model_db *db = model_db_new();
  char *err = NULL;
  if (model_db_load(db, text, "fuzz.json", &err) == 0) {
    cJSON *root = cJSON_Parse(text);
    const cJSON *fns = cJSON_GetObjectItemCaseSensitive(root, "functions");
    const cJSON *it;
    cJSON_ArrayForEach(it, fns) if (it->string) model_db_lookup(db, it->string);
    model_db_lookup(db, "sleep");
    cJSON_Delete(root);
  } else if (!err || strchr(err, '\n')) {
    abort();
  }
  free(err);
  model_db_free(db);
  free(text);
  return 0;
}
