/* GitHub Actions workflow commands: each finding becomes an annotation on the pull
 * request's diff (`::warning file=...,line=...::message`). */
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* GitHub's escaping: in the message, '%', CR and LF; in a property value also ':'
 * and ',', which would otherwise end the value. */
static void put_escaped(FILE *out, const char *s, bool property) {
  for (; s && *s; s++) {
    switch (*s) {
    case '%': fputs("%25", out); break;
    case '\r': fputs("%0D", out); break;
    case '\n': fputs("%0A", out); break;
    case ':': property ? fputs("%3A", out) : fputc(':', out); break;
    case ',': property ? fputs("%2C", out) : fputc(',', out); break;
    default: fputc(*s, out);
    }
  }
}

static const char *command(diag_severity s) {
  switch (s) {
  case SEV_ERROR: return "error";
  case SEV_NOTE: return "notice";
  default: return "warning";
  }
}

static void put_location(FILE *out, const char *cwd, const ir_loc *loc) {
  char *path = report_display_path(loc->file, cwd);
  fputs("file=", out);
  put_escaped(out, path, true);
  free(path);
  if (loc->line) fprintf(out, ",line=%u", loc->line);
  if (loc->col) fprintf(out, ",col=%u", loc->col);
  if (loc->end_line >= loc->line && loc->end_line) {
    fprintf(out, ",endLine=%u", loc->end_line);
    /* GitHub's endColumn is the last column, inclusive */
    if (loc->end_col > 1 && (loc->end_line > loc->line || loc->end_col > loc->col))
      fprintf(out, ",endColumn=%u", loc->end_col - 1);
  }
}

void report_github(FILE *out, const report_input *r) {
  for (size_t i = 0; i < r->nerrors; i++) {
    const report_error *e = &r->errors[i];
    ir_loc loc = {e->file, e->line, e->col, 0, 0};
    fputs("::error ", out);
    if (e->file) {
      put_location(out, r->cwd, &loc);
      fputc(',', out);
    }
    fputs("title=calm-lint::", out);
    put_escaped(out, e->message, false);
    fputc('\n', out);
  }
  for (size_t i = 0; i < r->diags->len; i++) {
    const diag *d = &r->diags->items[i];
    if (d->suppressed || d->baselined) continue;
    fprintf(out, "::%s ", command(d->severity));
    put_location(out, r->cwd, &d->loc);
    fputs(",title=", out);
    put_escaped(out, d->rule, true);
    fputs("::", out);
    put_escaped(out, d->message, false);
    /* the trace goes in the annotation's body, one step a line */
    for (unsigned k = 0; k < d->ntrace + d->nalso; k++) {
      const diag_note *n = k < d->ntrace ? &d->trace[k] : &d->also[k - d->ntrace];
      char *path = report_display_path(n->loc.file, r->cwd);
      fputs("%0A", out);
      put_escaped(out, path, false);
      fprintf(out, ":%u:%u: note: ", n->loc.line, n->loc.col);
      put_escaped(out, n->message, false);
      free(path);
    }
    fputc('\n', out);
  }
}
