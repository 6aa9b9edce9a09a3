/* Baselines and output formats, kept out of run.c so a run reads as its stages. */
#include "output.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../rules/rule.h"

static void print_summary(const report_input *in) {
  size_t shown = report_count_shown(in), suppressed = report_count_suppressed(in);
  size_t baselined = report_count_baselined(in), nerr = in->nerrors;
  if (!shown && !suppressed && !baselined && !nerr) return;
  fprintf(stderr, "calm-lint: %zu finding%s (%zu suppressed", shown, shown == 1 ? "" : "s", suppressed);
  if (in->baseline_active) fprintf(stderr, ", %zu baselined", baselined);
  if (in->withheld) fprintf(stderr, ", %u withheld past max_guesses", in->withheld);
  fprintf(stderr, "), %zu error%s in %u translation unit%s\n", nerr, nerr == 1 ? "" : "s", in->files,
          in->files == 1 ? "" : "s");
}

typedef struct {
  const char *rule;
  size_t count;
} rule_count;

static int cmp_count(const void *pa, const void *pb) {
  const rule_count *a = pa, *b = pb;
  if (a->count != b->count) return a->count > b->count ? -1 : 1;
  return strcmp(a->rule, b->rule);
}

/* --statistics: how many findings each rule has (those printed, not the silenced),
 * most first, as Ruff's --statistics. */
static void print_statistics(FILE *out, const report_input *in, bool json) {
  VEC(rule_count) counts = {0};
  for (size_t i = 0; i < in->diags->len; i++) {
    const diag *d = &in->diags->items[i];
    if (d->suppressed || d->baselined) continue;
    size_t k = 0;
    while (k < counts.len && strcmp(counts.items[k].rule, d->rule) != 0) k++;
    if (k == counts.len) {
      rule_count c = {d->rule, 0};
      VEC_PUSH(counts, c);
    }
    counts.items[k].count++;
  }
  if (counts.len) qsort(counts.items, counts.len, sizeof *counts.items, cmp_count);
  cJSON *arr = json ? cJSON_CreateArray() : NULL;
  for (size_t k = 0; k < counts.len; k++) {
    const lint_rule *rule = lint_rule_find(counts.items[k].rule);
    const char *summary = rule ? rule->summary : "";
    if (arr) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "rule", counts.items[k].rule);
      cJSON_AddNumberToObject(o, "count", (double)counts.items[k].count);
      cJSON_AddStringToObject(o, "summary", summary);
      cJSON_AddItemToArray(arr, o);
    } else {
      fprintf(out, "%6zu  %-22s %s\n", counts.items[k].count, counts.items[k].rule, summary);
    }
  }
  if (arr) {
    char *text = cJSON_Print(arr);
    fprintf(out, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(arr);
  }
  VEC_FREE(counts);
}

int output_findings(const cli_options *o, diag_list *diags, report_input *in, bool parse_failed, bool color) {
  char *err = NULL;
  if (o->baseline) {
    if (baseline_apply(o->baseline, diags, in, &err) != 0) {
      fprintf(stderr, "calm-lint: error: %s\n", err);
      free(err);
      return 2;
    }
    in->baseline_active = true;
  }
  int status = parse_failed || in->nerrors ? 2 : report_count_failing(in) ? 1 : 0;
  if (o->write_baseline) {
    /* Recording the debt is the point of the run: nothing is printed and, unless a
     * unit failed to parse, it succeeds. */
    if (baseline_write(o->write_baseline, in, &err) != 0) {
      fprintf(stderr, "calm-lint: error: %s\n", err);
      free(err);
      return 2;
    }
    size_t n = diags->len - report_count_suppressed(in);
    if (!o->quiet)
      fprintf(stderr, "calm-lint: recorded %zu finding%s in %s\n", n, n == 1 ? "" : "s", o->write_baseline);
    return status == 2 ? 2 : 0;
  }
  /* one mistake at several places is reported once, after the suppressions and the
     baseline had each place to themselves: a silenced or known call is not listed, and
     a new call beside a known one is not hidden by it */
  diag_list_merge_groups(diags);
  FILE *out = stdout;
  if (o->output && !(out = fopen(o->output, "w"))) {
    fprintf(stderr, "calm-lint: error: cannot write %s: %s\n", o->output, strerror(errno));
    return 2;
  }
  char *text = NULL;
  if (o->statistics) {
    print_statistics(out, in, o->format == FORMAT_JSON);
  } else {
    switch (o->format) {
    case FORMAT_JSON: text = report_json(in); break;
    case FORMAT_SARIF: text = report_sarif(in); break;
    case FORMAT_GITLAB: text = report_gitlab(in); break;
    case FORMAT_GITHUB: report_github(out, in); break;
    case FORMAT_TEXT: report_text(out, in, color); break;
    }
  }
  if (text) fputs(text, out);
  free(text);
  /* the findings first: when stdout and stderr share a pipe (CI logs, hooks) the
   * summary must not land in the middle of them */
  fflush(out);
  bool failed = ferror(out) != 0;
  if (out != stdout) failed |= fclose(out) != 0;
  if (failed) {
    fprintf(stderr, "calm-lint: error: cannot write %s\n", o->output ? o->output : "the report to stdout");
    return 2;
  }
  if (o->format == FORMAT_TEXT && !o->quiet) print_summary(in);
  return status;
}
