/* GitLab Code Quality report: a JSON array of issues, which merge requests show as
 * a widget and in the diff. The fingerprint is calm-lint's own, so an issue keeps its
 * identity between pipelines when lines move. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *gitlab_severity(diag_severity s) {
  switch (s) {
  case SEV_ERROR: return "critical";
  case SEV_NOTE: return "info";
  default: return "major";
  }
}

char *report_gitlab(const report_input *r) {
  cJSON *root = cJSON_CreateArray();
  char **fps = report_fingerprints(r);
  for (size_t i = 0; i < r->diags->len; i++) {
    const diag *d = &r->diags->items[i];
    if (d->suppressed || d->baselined) continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "issue");
    char *description = report_utf8_text(d->message);
    cJSON_AddStringToObject(o, "description", description);
    free(description);
    cJSON_AddStringToObject(o, "check_name", d->rule);
    cJSON_AddStringToObject(o, "fingerprint", fps[i]);
    cJSON_AddStringToObject(o, "severity", gitlab_severity(d->severity));
    cJSON *cats = cJSON_AddArrayToObject(o, "categories");
    cJSON_AddItemToArray(cats, cJSON_CreateString("Bug Risk"));
    cJSON *loc = cJSON_AddObjectToObject(o, "location");
    char *path = report_display_path(d->loc.file, report_srcroot(r));
    char *valid = report_utf8_path(path); /* the report is JSON: UTF-8 only */
    cJSON_AddStringToObject(loc, "path", valid);
    free(valid);
    free(path);
    cJSON *lines = cJSON_AddObjectToObject(loc, "lines");
    cJSON_AddNumberToObject(lines, "begin", d->loc.line);
    if (d->loc.end_line > d->loc.line) cJSON_AddNumberToObject(lines, "end", d->loc.end_line);
    cJSON_AddItemToArray(root, o);
  }
  report_fingerprints_free(fps, r->diags->len);
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  char *out = xasprintf("%s\n", text);
  cJSON_free(text);
  return out;
}
