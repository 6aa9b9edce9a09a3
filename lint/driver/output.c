/* Baselines and output formats, kept out of run.c so a run reads as its stages. */
#include "output.h"

#include <stdio.h>
#include <stdlib.h>

static void print_summary(const report_input *in) {
  size_t shown = report_count_shown(in), suppressed = report_count_suppressed(in);
  size_t baselined = report_count_baselined(in), nerr = in->nerrors;
  if (!shown && !suppressed && !baselined && !nerr) return;
  fprintf(stderr, "calm-lint: %zu finding%s (%zu suppressed", shown, shown == 1 ? "" : "s", suppressed);
  if (in->baseline_active) fprintf(stderr, ", %zu baselined", baselined);
  fprintf(stderr, "), %zu error%s in %u translation unit%s\n", nerr, nerr == 1 ? "" : "s", in->files,
          in->files == 1 ? "" : "s");
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
    fprintf(stderr, "calm-lint: recorded %zu finding%s in %s\n", n, n == 1 ? "" : "s", o->write_baseline);
    return status == 2 ? 2 : 0;
  }
  char *text = NULL;
  switch (o->format) {
  case FORMAT_JSON: text = report_json(in); break;
  case FORMAT_SARIF: text = report_sarif(in); break;
  case FORMAT_GITLAB: text = report_gitlab(in); break;
  case FORMAT_GITHUB: report_github(stdout, in); break;
  case FORMAT_TEXT:
    report_text(stdout, in, color);
    /* the findings first: when stdout and stderr share a pipe (CI logs, hooks) the
     * summary must not land in the middle of them */
    fflush(stdout);
    print_summary(in);
    break;
  }
  if (text) fputs(text, stdout);
  free(text);
  fflush(stdout);
  return status;
}
