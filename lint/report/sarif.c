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

/* SARIF columns count code points (columnKind unicodeCodePoints); ir_loc's count
 * bytes, so they are converted on the source line. */
static unsigned sarif_column(report_sources *src, const char *file, unsigned line, unsigned col) {
  size_t n;
  const char *text = report_source_line(src, file, line, &n);
  return text ? report_codepoint_column(text, n, col) : col;
}

static cJSON *physical_location(const ir_loc *loc, const char *srcroot, report_sources *src) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddItemToObject(p, "artifactLocation", artifact_location(loc->file, srcroot));
  cJSON *region = cJSON_AddObjectToObject(p, "region");
  cJSON_AddNumberToObject(region, "startLine", loc->line ? loc->line : 1);
  if (loc->col) cJSON_AddNumberToObject(region, "startColumn", sarif_column(src, loc->file, loc->line, loc->col));
  /* SARIF's endColumn is just past the region, as ir_loc's end is. */
  if (loc->end_line >= loc->line && loc->end_line && loc->col &&
      (loc->end_line > loc->line || loc->end_col > loc->col)) {
    cJSON_AddNumberToObject(region, "endLine", loc->end_line);
    cJSON_AddNumberToObject(region, "endColumn", sarif_column(src, loc->file, loc->end_line, loc->end_col));
  }
  return p;
}

static cJSON *message(const char *text) {
  cJSON *m = cJSON_CreateObject();
  char *valid = report_utf8_text(text); /* SARIF is UTF-8 JSON */
  cJSON_AddStringToObject(m, "text", valid);
  free(valid);
  return m;
}

/* Whether a paragraph of Markdown is a list item ("- ", "* ", "1. "). */
static bool is_list_item(const char *p) {
  while (*p == ' ') p++;
  if ((*p == '-' || *p == '*') && p[1] == ' ') return true;
  while (*p >= '0' && *p <= '9') p++;
  return *p == '.' && p[1] == ' ';
}

/* The first paragraph under "## What it finds", on one line: the rule's full
 * description. A paragraph that ends in ':' introduces a list, which is taken too
 * (code scanning shows this text on every alert: it must not stop mid-sentence).
 * NULL when the doc has no such section. */
static char *doc_first_paragraph(const char *doc) {
  const char *p = doc ? strstr(doc, "## What it finds") : NULL;
  if (!p) return NULL;
  p = strchr(p, '\n');
  if (!p) return NULL;
  strbuf sb = {0};
  bool want_list = false;
  for (;;) {
    while (*p == '\n') p++;
    if (!*p || *p == '#' || (want_list && !is_list_item(p)) || (sb.len && !want_list)) break;
    const char *end = strstr(p, "\n\n");
    if (!end) end = p + strlen(p);
    if (sb.len) sb_appendc(&sb, ' ');
    for (const char *q = p; q < end; q++) {
      if (*q == '\n') {
        sb_appendc(&sb, ' ');
        while (q + 1 < end && q[1] == ' ') q++; /* a list item's indented lines */
      } else {
        sb_appendc(&sb, *q);
      }
    }
    while (sb.len && sb.data[sb.len - 1] == ' ') sb.data[--sb.len] = '\0';
    if (!want_list) want_list = sb.len && sb.data[sb.len - 1] == ':';
    p = end;
  }
  return sb.len ? sb_take(&sb) : (sb_free(&sb), NULL);
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

static cJSON *rule_descriptor(const lint_rule *rule, const char *docs_url) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", rule->id);
  char *name = camel_name(rule->id);
  cJSON_AddStringToObject(o, "name", name);
  free(name);
  if (docs_url) {
    char *url = report_rule_url(docs_url, rule->id);
    cJSON_AddStringToObject(o, "helpUri", url);
    free(url);
  }
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
  if (rule->off_by_default) cJSON_AddBoolToObject(conf, "enabled", false); /* runs only when enabled */
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
static cJSON *code_flows(const diag *d, const char *srcroot, report_sources *src) {
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
    cJSON_AddItemToObject(l, "physicalLocation", physical_location(loc, srcroot, src));
    cJSON_AddItemToObject(l, "message", message(text));
    cJSON_AddItemToArray(locs, tfl);
  }
  return flows;
}

/* A region with both ends written: a fix's deleted region may be empty (an insertion),
 * which a region without its end would not say. Columns as every other region's. */
static cJSON *edit_region(const ir_loc *loc, report_sources *src) {
  cJSON *region = cJSON_CreateObject();
  cJSON_AddNumberToObject(region, "startLine", loc->line);
  cJSON_AddNumberToObject(region, "startColumn", sarif_column(src, loc->file, loc->line, loc->col));
  cJSON_AddNumberToObject(region, "endLine", loc->end_line);
  cJSON_AddNumberToObject(region, "endColumn", sarif_column(src, loc->file, loc->end_line, loc->end_col));
  return region;
}

/* SARIF fixes: one artifactChange per file a fix edits, its edits as replacements in
 * source order. An unsafe fix says so in its description and properties. */
static cJSON *fixes(const diag *d, const char *srcroot, report_sources *src) {
  cJSON *arr = cJSON_CreateArray();
  for (unsigned i = 0; i < d->nfixes; i++) {
    const diag_fix *f = &d->fixes[i];
    cJSON *fo = cJSON_CreateObject();
    char *desc = f->safe ? xstrdup(f->description) : xasprintf("%s (unsafe: applied only on request)", f->description);
    cJSON_AddItemToObject(fo, "description", message(desc));
    free(desc);
    cJSON *changes = cJSON_AddArrayToObject(fo, "artifactChanges");
    for (unsigned k = 0; k < f->nedits; k++) {
      const diag_edit *e = &f->edits[k];
      bool seen = false;
      for (unsigned j = 0; j < k && !seen; j++) seen = strcmp(f->edits[j].range.file, e->range.file) == 0;
      if (seen) continue;
      cJSON *change = cJSON_CreateObject();
      cJSON_AddItemToObject(change, "artifactLocation", artifact_location(e->range.file, srcroot));
      cJSON *reps = cJSON_AddArrayToObject(change, "replacements");
      for (unsigned j = k; j < f->nedits; j++) {
        if (strcmp(f->edits[j].range.file, e->range.file) != 0) continue;
        cJSON *rep = cJSON_CreateObject();
        cJSON_AddItemToObject(rep, "deletedRegion", edit_region(&f->edits[j].range, src));
        char *text = report_utf8_text(f->edits[j].text);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(rep, "insertedContent"), "text", text);
        free(text);
        cJSON_AddItemToArray(reps, rep);
      }
      cJSON_AddItemToArray(changes, change);
    }
    cJSON_AddStringToObject(cJSON_AddObjectToObject(fo, "properties"), "applicability", f->safe ? "safe" : "unsafe");
    cJSON_AddItemToArray(arr, fo);
  }
  return arr;
}

static cJSON *result(const diag *d, const char *fingerprint, const report_input *r, report_sources *src) {
  const char *srcroot = report_srcroot(r);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "ruleId", d->rule);
  int idx = rule_index(d->rule);
  if (idx >= 0) cJSON_AddNumberToObject(o, "ruleIndex", idx);
  cJSON_AddStringToObject(o, "level", sarif_level(d->severity));
  cJSON_AddItemToObject(o, "message", message(d->message));
  cJSON *locs = cJSON_AddArrayToObject(o, "locations");
  cJSON *loc = cJSON_CreateObject();
  cJSON_AddItemToObject(loc, "physicalLocation", physical_location(&d->loc, srcroot, src));
  cJSON_AddItemToArray(locs, loc);
  cJSON *fp = cJSON_AddObjectToObject(o, "partialFingerprints");
  cJSON_AddStringToObject(fp, "calmLint/v1", fingerprint);
  if (d->ntrace) cJSON_AddItemToObject(o, "codeFlows", code_flows(d, srcroot, src));
  if (d->nalso) {
    /* the same mistake at other places, which the result stands for */
    cJSON *rel = cJSON_AddArrayToObject(o, "relatedLocations");
    for (unsigned k = 0; k < d->nalso; k++) {
      cJSON *l = cJSON_CreateObject();
      cJSON_AddNumberToObject(l, "id", k + 1);
      cJSON_AddItemToObject(l, "physicalLocation", physical_location(&d->also[k].loc, srcroot, src));
      cJSON_AddItemToObject(l, "message", message(d->also[k].message));
      cJSON_AddItemToArray(rel, l);
    }
  }
  if (d->nfixes) cJSON_AddItemToObject(o, "fixes", fixes(d, srcroot, src));
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
  report_sources *src = report_sources_new(r);
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
  if (r->home_url) cJSON_AddStringToObject(driver, "informationUri", r->home_url);
  cJSON *rules = cJSON_AddArrayToObject(driver, "rules");
  for (unsigned i = 0; i < lint_rule_count; i++)
    cJSON_AddItemToArray(rules, rule_descriptor(lint_rules[i], r->docs_url));

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
        cJSON_AddItemToObject(l, "physicalLocation", physical_location(&loc, srcroot, src));
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
    cJSON_AddItemToArray(results, result(d, fps[i], r, src));
  }
  report_fingerprints_free(fps, r->diags->len);
  cJSON_AddStringToObject(run, "columnKind", "unicodeCodePoints");
  report_sources_free(src);

  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  char *out = xasprintf("%s\n", text);
  cJSON_free(text);
  return out;
}
