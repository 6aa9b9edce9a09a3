/* SARIF 2.1.0 output, shaped for GitHub code scanning: rule metadata from the rule
 * table and docs, locations relative to %SRCROOT% so a log made in one checkout reads
 * in another, the trace as a code flow, and fingerprints that ignore line numbers. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../../rules/rule.h"
#include "report.h"

#ifndef CALM_VERSION
#define CALM_VERSION "0"
#endif

#define SRCROOT "%SRCROOT%"


static const char *sarif_level(diag_severity s) {
  switch (s) {
  case SEV_ERROR: return "error";
  case SEV_NOTE: return "note";
  default: return "warning";
  }
}

/* artifactLocation: relative to %SRCROOT% when under it, else an absolute file URI. */
static cJSON *artifact_location(const char *file, const char *srcroot) {
  cJSON *a = cJSON_CreateObject();
  if (file && srcroot && path_is_under(file, srcroot) && strcmp(file, srcroot) != 0) {
    char *rel = report_display_path(file, srcroot);
    char *uri = uri_encode_path(rel);
    cJSON_AddStringToObject(a, "uri", uri);
    cJSON_AddStringToObject(a, "uriBaseId", SRCROOT);
    free(uri);
    free(rel);
  } else {
    char *enc = uri_encode_path(file ? file : "/unknown");
    char *uri = xasprintf("file://%s", enc);
    cJSON_AddStringToObject(a, "uri", uri);
    free(uri);
    free(enc);
  }
  return a;
}

static cJSON *physical_location(const ir_loc *loc, const char *srcroot) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddItemToObject(p, "artifactLocation", artifact_location(loc->file, srcroot));
  cJSON *region = cJSON_AddObjectToObject(p, "region");
  cJSON_AddNumberToObject(region, "startLine", loc->line ? loc->line : 1);
  if (loc->col) cJSON_AddNumberToObject(region, "startColumn", loc->col);
  /* SARIF's endColumn is just past the region, as ir_loc's end is. */
  if (loc->end_line >= loc->line && loc->end_line && loc->col &&
      (loc->end_line > loc->line || loc->end_col > loc->col)) {
    cJSON_AddNumberToObject(region, "endLine", loc->end_line);
    cJSON_AddNumberToObject(region, "endColumn", loc->end_col);
  }
  return p;
}

static cJSON *message(const char *text) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "text", text);
  return m;
}

/* The first paragraph under "## What it finds", on one line: the rule's full
 * description. NULL when the doc has no such section. */
static char *doc_first_paragraph(const char *doc) {
  const char *p = doc ? strstr(doc, "## What it finds") : NULL;
  if (!p) return NULL;
  p = strchr(p, '\n');
  if (!p) return NULL;
  while (*p == '\n') p++;
  const char *end = strstr(p, "\n\n");
  if (!end) end = p + strlen(p);
  strbuf sb = {0};
  for (const char *q = p; q < end; q++) sb_appendc(&sb, *q == '\n' ? ' ' : *q);
  while (sb.len && sb.data[sb.len - 1] == ' ') sb.data[--sb.len] = '\0';
  return sb_take(&sb);
}

/* SARIF wants `name` to differ from `id`: "blocking-in-loop" -> "BlockingInLoop". */
static char *camel_name(const char *id) {
  strbuf sb = {0};
  bool up = true;
  for (const char *p = id; *p; p++) {
    if (*p == '-') {
      up = true;
      continue;
    }
    sb_appendc(&sb, up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p);
    up = false;
  }
  return sb_take(&sb);
}

static cJSON *rule_descriptor(const lint_rule *rule) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", rule->id);
  char *name = camel_name(rule->id);
  cJSON_AddStringToObject(o, "name", name);
  free(name);
  cJSON_AddItemToObject(o, "shortDescription", message(rule->summary));
  const char *doc = lint_rule_doc(rule->id);
  char *full = doc_first_paragraph(doc);
  cJSON_AddItemToObject(o, "fullDescription", message(full ? full : rule->summary));
  free(full);
  cJSON *help = cJSON_AddObjectToObject(o, "help");
  if (doc) {
    cJSON_AddStringToObject(help, "text", doc);
    cJSON_AddStringToObject(help, "markdown", doc);
  } else {
    char *text = xasprintf("%s (see calm-lint --explain %s)", rule->summary, rule->id);
    cJSON_AddStringToObject(help, "text", text);
    free(text);
  }
  cJSON *conf = cJSON_AddObjectToObject(o, "defaultConfiguration");
  cJSON_AddStringToObject(conf, "level", sarif_level(rule->severity));
  cJSON *props = cJSON_AddObjectToObject(o, "properties");
  cJSON *tags = cJSON_AddArrayToObject(props, "tags");
  cJSON_AddItemToArray(tags, cJSON_CreateString("correctness"));
  cJSON_AddItemToArray(tags, cJSON_CreateString("concurrency"));
  cJSON_AddStringToObject(props, "precision", "high");
  return o;
}

static int rule_index(const char *id) {
  for (unsigned i = 0; i < lint_rule_count; i++)
    if (strcmp(lint_rules[i]->id, id) == 0) return (int)i;
  return -1;
}

/* The trace, then the finding itself, as one thread flow: code scanning shows it as
 * the path from the registration site to the call. */
static cJSON *code_flows(const diag *d, const char *srcroot) {
  cJSON *flows = cJSON_CreateArray();
  cJSON *flow = cJSON_CreateObject();
  cJSON_AddItemToArray(flows, flow);
  cJSON *threads = cJSON_AddArrayToObject(flow, "threadFlows");
  cJSON *thread = cJSON_CreateObject();
  cJSON_AddItemToArray(threads, thread);
  cJSON *locs = cJSON_AddArrayToObject(thread, "locations");
  for (unsigned k = 0; k <= d->ntrace; k++) {
    const ir_loc *loc = k < d->ntrace ? &d->trace[k].loc : &d->loc;
    const char *text = k < d->ntrace ? d->trace[k].message : d->message;
    cJSON *tfl = cJSON_CreateObject();
    cJSON *l = cJSON_AddObjectToObject(tfl, "location");
    cJSON_AddItemToObject(l, "physicalLocation", physical_location(loc, srcroot));
    cJSON_AddItemToObject(l, "message", message(text));
    cJSON_AddItemToArray(locs, tfl);
  }
  return flows;
}

static cJSON *result(const diag *d, const char *fingerprint, const report_input *r) {
  const char *srcroot = report_srcroot(r);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "ruleId", d->rule);
  int idx = rule_index(d->rule);
  if (idx >= 0) cJSON_AddNumberToObject(o, "ruleIndex", idx);
  cJSON_AddStringToObject(o, "level", sarif_level(d->severity));
  cJSON_AddItemToObject(o, "message", message(d->message));
  cJSON *locs = cJSON_AddArrayToObject(o, "locations");
  cJSON *loc = cJSON_CreateObject();
  cJSON_AddItemToObject(loc, "physicalLocation", physical_location(&d->loc, srcroot));
  cJSON_AddItemToArray(locs, loc);
  cJSON *fp = cJSON_AddObjectToObject(o, "partialFingerprints");
  cJSON_AddStringToObject(fp, "calmLint/v1", fingerprint);
  if (d->ntrace) cJSON_AddItemToObject(o, "codeFlows", code_flows(d, srcroot));
  if (d->suppressed) {
    cJSON *sup = cJSON_AddArrayToObject(o, "suppressions");
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "kind", "inSource");
    cJSON_AddStringToObject(s, "justification", "NOLINT comment");
    cJSON_AddItemToArray(sup, s);
  }
  if (r->baseline_active) cJSON_AddStringToObject(o, "baselineState", d->baselined ? "unchanged" : "new");
  return o;
}

char *report_sarif(const report_input *r) {
  const char *srcroot = report_srcroot(r);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
  cJSON_AddStringToObject(root, "version", "2.1.0");
  cJSON *runs = cJSON_AddArrayToObject(root, "runs");
  cJSON *run = cJSON_CreateObject();
  cJSON_AddItemToArray(runs, run);

  cJSON *driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
  cJSON_AddStringToObject(driver, "name", "calm-lint");
  cJSON_AddStringToObject(driver, "version", CALM_VERSION);
  cJSON_AddStringToObject(driver, "semanticVersion", CALM_VERSION);
  cJSON *rules = cJSON_AddArrayToObject(driver, "rules");
  for (unsigned i = 0; i < lint_rule_count; i++) cJSON_AddItemToArray(rules, rule_descriptor(lint_rules[i]));

  if (srcroot) {
    /* The base must be an absolute URI ending in '/'. */
    char *enc = uri_encode_path(srcroot);
    size_t n = strlen(enc);
    char *uri = xasprintf("file://%s%s", enc, n && enc[n - 1] == '/' ? "" : "/");
    cJSON *base = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "originalUriBaseIds"), SRCROOT);
    cJSON_AddStringToObject(base, "uri", uri);
    free(uri);
    free(enc);
  }

  cJSON *inv = cJSON_CreateObject();
  cJSON_AddItemToArray(cJSON_AddArrayToObject(run, "invocations"), inv);
  cJSON_AddBoolToObject(inv, "executionSuccessful", r->nerrors == 0);
  if (r->nerrors) {
    cJSON *notes = cJSON_AddArrayToObject(inv, "toolExecutionNotifications");
    for (size_t i = 0; i < r->nerrors; i++) {
      const report_error *e = &r->errors[i];
      cJSON *n = cJSON_CreateObject();
      cJSON_AddStringToObject(n, "level", "error");
      cJSON_AddItemToObject(n, "message", message(e->message));
      if (e->file) {
        ir_loc loc = {e->file, e->line, e->col, 0, 0};
        cJSON *l = cJSON_CreateObject();
        cJSON_AddItemToObject(l, "physicalLocation", physical_location(&loc, srcroot));
        cJSON_AddItemToArray(cJSON_AddArrayToObject(n, "locations"), l);
      }
      cJSON_AddItemToArray(notes, n);
    }
  }

  char **fps = report_fingerprints(r);
  cJSON *results = cJSON_AddArrayToObject(run, "results");
  for (size_t i = 0; i < r->diags->len; i++) {
    const diag *d = &r->diags->items[i];
    if (d->baselined && !d->suppressed) continue; /* known debt: not reported */
    cJSON_AddItemToArray(results, result(d, fps[i], r));
  }
  report_fingerprints_free(fps, r->diags->len);
  cJSON_AddStringToObject(run, "columnKind", "unicodeCodePoints");

  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  char *out = xasprintf("%s\n", text);
  cJSON_free(text);
  return out;
}
