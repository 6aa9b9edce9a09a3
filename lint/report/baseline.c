/* Baselines: today's findings recorded by fingerprint, so a team can adopt
 * calm-lint on an old code base and be told only about what is new. The file keeps
 * rule, path and message beside each fingerprint for people reading the diff. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define BASELINE_VERSION 1

int baseline_write(const char *path, const report_input *r, char **error) {
  char **fps = report_fingerprints(r);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddNumberToObject(root, "version", BASELINE_VERSION);
  cJSON_AddStringToObject(root, "tool", "calm-lint");
  cJSON *list = cJSON_AddArrayToObject(root, "findings");
  for (size_t i = 0; i < r->diags->len; i++) {
    const diag *d = &r->diags->items[i];
    if (d->suppressed) continue; /* already silenced in the code */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "fingerprint", fps[i]);
    cJSON_AddStringToObject(o, "rule", d->rule);
    char *file = report_display_path(d->loc.file, report_srcroot(r));
    cJSON_AddStringToObject(o, "file", file);
    free(file);
    cJSON_AddStringToObject(o, "message", d->message);
    cJSON_AddItemToArray(list, o);
  }
  report_fingerprints_free(fps, r->diags->len);
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  /* a temporary beside the file a symlink points to, renamed over it: the link stays a
   * link, and an interrupted run leaves the old baseline whole */
  strbuf sb = {0};
  sb_append(&sb, text);
  sb_appendc(&sb, '\n');
  char *why = NULL;
  int rc = file_write_atomic(path, sb.data, sb.len, true, &why);
  if (rc != 0) *error = xasprintf("cannot write baseline %s: %s", path, why);
  free(why);
  sb_free(&sb);
  cJSON_free(text);
  return rc;
}

int baseline_apply(const char *path, diag_list *diags, const report_input *r, char **error) {
  char *why = NULL;
  char *text = file_read_limited(path, 0, NULL, &why);
  if (!text) {
    *error = xasprintf("cannot read baseline %s: %s", path, why);
    free(why);
    return -1;
  }
  cJSON *root = cJSON_Parse(text);
  free(text);
  cJSON *list = root ? cJSON_GetObjectItemCaseSensitive(root, "findings") : NULL;
  cJSON *version = root ? cJSON_GetObjectItemCaseSensitive(root, "version") : NULL;
  if (!cJSON_IsArray(list) || !cJSON_IsNumber(version)) {
    *error = xasprintf("%s is not a calm-lint baseline (write one with --write-baseline)", path);
    cJSON_Delete(root);
    return -1;
  }
  /* valuedouble: valueint is clamped, and 1.5 would pass as 1 */
  if (version->valuedouble != BASELINE_VERSION) {
    *error = xasprintf("%s: baseline version %g is not supported (expected %d)", path, version->valuedouble,
                       BASELINE_VERSION);
    cJSON_Delete(root);
    return -1;
  }
  strmap *known = strmap_new();
  cJSON *it;
  cJSON_ArrayForEach(it, list) {
    cJSON *fp = cJSON_GetObjectItemCaseSensitive(it, "fingerprint");
    if (cJSON_IsString(fp)) strmap_put(known, fp->valuestring, NULL);
  }
  cJSON_Delete(root);
  report_input in = *r;
  in.diags = diags;
  char **fps = report_fingerprints(&in);
  for (size_t i = 0; i < diags->len; i++) {
    void *unused;
    diags->items[i].baselined = strmap_get(known, fps[i], &unused);
  }
  report_fingerprints_free(fps, diags->len);
  strmap_free(known);
  return 0;
}
