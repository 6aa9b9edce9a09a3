/* The last stage of a run: baselines, then the findings in the chosen format. */
#ifndef CALM_LINT_OUTPUT_H
#define CALM_LINT_OUTPUT_H

#include "../report/report.h"
#include "options.h"

/* Applies --baseline, writes --write-baseline, prints `in` as o->format asks (or,
 * with --statistics, the count of each rule's findings) on stdout or into -o FILE,
 * then, for text and unless --quiet, a summary line on stderr. `color`: ANSI colours
 * for text. Returns the exit status: 0 nothing new, 1 findings, 2 parse, baseline or
 * write errors. */
int output_findings(const cli_options *o, diag_list *diags, report_input *in, bool parse_failed, bool color);

#endif
