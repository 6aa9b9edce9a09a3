/* JSON output for editors and scripts: one object, stable field names, fields and
 * findings in a fixed order, so the same input gives the same bytes. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../../rules/rule.h"
#include "report.h"

#ifndef CALM_VERSION
#define CALM_VERSION "0"
#endif

/* JSON text must be UTF-8: file names that are not are escaped as SARIF escapes
 * them, messages get U+FFFD for stray bytes. */
static void add_path(cJSON *o, const char *key, const char *file, const char *cwd) {
  char *path = report_display_path(file, cwd);
  char *valid = report_utf8_path(path);
  cJSON_AddStringToObject(o, key, valid);
  free(valid);
  free(path);
}

static void add_text(cJSON *o, const char *key, const char *text) {
  char *valid = report_utf8_text(text);
  cJSON_AddStringToObject(o, key, valid);
  free(valid);
}

static void add_loc(cJSON *o, const char *cwd, const ir_loc *loc, bool with_end) {
  add_path(o, "file", loc->file, cwd);
  cJSON_AddNumberToObject(o, "line", loc->line);
  cJSON_AddNumberToObject(o, "column", loc->col);
  if (with_end) {
    cJSON_AddNumberToObject(o, "end_line", loc->end_line ? loc->end_line : loc->line);
    cJSON_AddNumberToObject(o, "end_column", loc->end_col ? loc->end_col : loc->col);
  }
}

/* A fix as editors apply it: edits with the finding's kind of range (1-based byte
 * columns, the end just past the text replaced) and whether --fix takes it. */
static void add_fixes(cJSON *o, const char *cwd, const diag *d) {
  cJSON *fixes = cJSON_AddArrayToObject(o, "fixes");
  for (unsigned i = 0; i < d->nfixes; i++) {
    const diag_fix *f = &d->fixes[i];
    cJSON *fo = cJSON_CreateObject();
    add_text(fo, "description", f->description);
    cJSON_AddStringToObject(fo, "applicability", f->safe ? "safe" : "unsafe");
    cJSON *edits = cJSON_AddArrayToObject(fo, "edits");
    for (unsigned k = 0; k < f->nedits; k++) {
      cJSON *e = cJSON_CreateObject();
      add_loc(e, cwd, &f->edits[k].range, true);
      add_text(e, "text", f->edits[k].text);
      cJSON_AddItemToArray(edits, e);
    }
    cJSON_AddItemToArray(fixes, fo);
  }
}

char *report_json(const report_input *r) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddNumberToObject(root, "version", 1);
  cJSON *tool = cJSON_AddObjectToObject(root, "tool");
  cJSON_AddStringToObject(tool, "name", "calm-lint");
  cJSON_AddStringToObject(tool, "version", CALM_VERSION);
  cJSON *rules = cJSON_AddArrayToObject(tool, "rules");
  for (unsigned i = 0; i < lint_rule_count; i++) cJSON_AddItemToArray(rules, cJSON_CreateString(lint_rules[i]->id));

  cJSON *diags = cJSON_AddArrayToObject(root, "diagnostics");
  for (size_t i = 0; i < r->diags->len; i++) {
    const diag *d = &r->diags->items[i];
    if (d->suppressed || d->baselined) continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "rule", d->rule);
    if (r->docs_url) {
      char *url = report_rule_url(r->docs_url, d->rule);
      cJSON_AddStringToObject(o, "help_uri", url);
      free(url);
    }
    cJSON_AddStringToObject(o, "severity", severity_name(d->severity));
    add_text(o, "message", d->message);
    add_loc(o, r->cwd, &d->loc, true);
    cJSON *trace = cJSON_AddArrayToObject(o, "trace");
    for (unsigned k = 0; k < d->ntrace; k++) {
      cJSON *t = cJSON_CreateObject();
      add_loc(t, r->cwd, &d->trace[k].loc, false);
      add_text(t, "message", d->trace[k].message);
      cJSON_AddItemToArray(trace, t);
    }
    if (d->nalso) {
      /* the same mistake at other places, which the finding stands for */
      cJSON *also = cJSON_AddArrayToObject(o, "also");
      for (unsigned k = 0; k < d->nalso; k++) {
        cJSON *t = cJSON_CreateObject();
        add_loc(t, r->cwd, &d->also[k].loc, true);
        add_text(t, "message", d->also[k].message);
        cJSON_AddItemToArray(also, t);
      }
    }
    add_fixes(o, r->cwd, d);
    cJSON_AddItemToArray(diags, o);
  }

  cJSON *errors = cJSON_AddArrayToObject(root, "errors");
  for (size_t i = 0; i < r->nerrors; i++) {
    cJSON *o = cJSON_CreateObject();
    add_path(o, "file", r->errors[i].file, r->cwd);
    cJSON_AddNumberToObject(o, "line", r->errors[i].line);
    cJSON_AddNumberToObject(o, "column", r->errors[i].col);
    add_text(o, "message", r->errors[i].message);
    cJSON_AddItemToArray(errors, o);
  }

  cJSON *summary = cJSON_AddObjectToObject(root, "summary");
  cJSON_AddNumberToObject(summary, "files", r->files);
  cJSON_AddNumberToObject(summary, "functions", r->functions);
  cJSON_AddNumberToObject(summary, "diagnostics", (double)report_count_shown(r));
  cJSON_AddNumberToObject(summary, "suppressed", (double)report_count_suppressed(r));
  cJSON_AddNumberToObject(summary, "baselined", (double)report_count_baselined(r));
  cJSON_AddNumberToObject(summary, "errors", (double)r->nerrors);
  cJSON_AddNumberToObject(summary, "withheld", r->withheld);
  cJSON *ind = cJSON_AddObjectToObject(summary, "indirect_calls");
  cJSON_AddNumberToObject(ind, "sites", r->indirect_calls);
  cJSON_AddNumberToObject(ind, "resolved", r->indirect_resolved);
  /* mean targets per resolved call, to two decimals, so the output stays byte-stable */
  double mean = r->indirect_resolved ? (double)r->indirect_targets / r->indirect_resolved : 0;
  cJSON_AddNumberToObject(ind, "mean_targets", (double)(long)(mean * 100 + 0.5) / 100);

  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  char *out = xasprintf("%s\n", text);
  cJSON_free(text);
  return out;
}
