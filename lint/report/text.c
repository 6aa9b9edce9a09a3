/* Text output in clang's diagnostic format, so editors and CI problem matchers
 * read it as they read the compiler's. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define BOLD "\033[1m"
#define RESET "\033[0m"
#define MAGENTA "\033[1;35m"
#define RED "\033[1;31m"
#define CYAN "\033[1;36m"
#define GREEN "\033[1;32m"

/* A source line longer than this is shown as a window around the column, as clang
 * does: ten thousand findings on one minified line must not print it ten thousand
 * times whole. */
#define SNIPPET_MAX 160
#define SNIPPET_BEFORE 60

static bool utf8_cont(char c) { return ((unsigned char)c & 0xc0) == 0x80; }

/* Prints line `line` of `file` and a caret under column `col`, as clang does: the
 * caret line keeps the tabs of the source and one column per code point, so it
 * sits under the call on a line with non-ASCII text before it. */
static void print_snippet(FILE *out, report_sources *src, const ir_loc *loc, bool color) {
  if (!loc->file || loc->line == 0) return;
  size_t n;
  const char *p = report_source_line(src, loc->file, loc->line, &n);
  if (!p) return;
  size_t at = loc->col > 0 ? loc->col - 1 : 0; /* byte offset of the column */
  if (at > n) at = n;
  size_t from = 0, to = n;
  if (n > SNIPPET_MAX) {
    from = at > SNIPPET_BEFORE ? at - SNIPPET_BEFORE : 0;
    while (from > 0 && utf8_cont(p[from])) from--;
    to = from + SNIPPET_MAX < n ? from + SNIPPET_MAX : n;
    while (to < n && utf8_cont(p[to])) to++;
  }
  const char *lead = from > 0 ? "..." : "", *tail = to < n ? "..." : "";
  fprintf(out, "%s%.*s%s\n", lead, (int)(to - from), p + from, tail);
  strbuf sb = {0};
  sb_append(&sb, lead);
  for (size_t i = from; i < at && i < to; i++) {
    if (utf8_cont(p[i])) continue;
    sb_appendc(&sb, p[i] == '\t' ? '\t' : ' ');
  }
  size_t stop = loc->end_line == loc->line && loc->end_col > loc->col ? loc->end_col - 1 : at + 1;
  if (stop > to) stop = to;
  unsigned width = 0;
  for (size_t i = at; i < stop; i++) width += !utf8_cont(p[i]);
  sb_appendc(&sb, '^');
  for (unsigned i = 1; i < width; i++) sb_appendc(&sb, '~');
  fprintf(out, "%s%s%s\n", color ? GREEN : "", sb.data, color ? RESET : "");
  sb_free(&sb);
}

static void print_head(FILE *out, const char *cwd, const ir_loc *loc, const char *sev, const char *sev_color,
                       const char *message, const char *rule, bool color) {
  char *path = report_display_path(loc->file, cwd);
  if (color) fprintf(out, BOLD "%s:%u:%u: " RESET "%s%s:" RESET BOLD " %s" RESET, path, loc->line, loc->col, sev_color, sev, message);
  else fprintf(out, "%s:%u:%u: %s: %s", path, loc->line, loc->col, sev, message);
  if (rule) fprintf(out, " [%s]", rule);
  fputc('\n', out);
  free(path);
}

void report_text(FILE *out, const report_input *r, bool color) {
  report_sources *src = report_sources_new(r);
  for (size_t i = 0; i < r->nerrors; i++) {
    const report_error *e = &r->errors[i];
    char *path = report_display_path(e->file, r->cwd);
    /* no line: `file: error: ...`, as clang says of a file it cannot read */
    char *where = e->line ? xasprintf("%s:%u:%u:", path, e->line, e->col) : xasprintf("%s:", path);
    if (color) fprintf(out, BOLD "%s " RESET RED "error:" RESET BOLD " %s" RESET "\n", where, e->message);
    else fprintf(out, "%s error: %s\n", where, e->message);
    free(where);
    free(path);
  }
  for (size_t i = 0; i < r->diags->len; i++) {
    const diag *d = &r->diags->items[i];
    if (d->suppressed || d->baselined) continue;
    print_head(out, r->cwd, &d->loc, severity_name(d->severity), d->severity == SEV_ERROR ? RED : MAGENTA,
               d->message, d->rule, color);
    print_snippet(out, src, &d->loc, color);
    for (unsigned k = 0; k < d->ntrace; k++) {
      print_head(out, r->cwd, &d->trace[k].loc, "note", CYAN, d->trace[k].message, NULL, color);
      print_snippet(out, src, &d->trace[k].loc, color);
    }
    for (unsigned k = 0; k < d->nalso; k++) {
      print_head(out, r->cwd, &d->also[k].loc, "note", CYAN, d->also[k].message, NULL, color);
      print_snippet(out, src, &d->also[k].loc, color);
    }
    /* the first fix only, as a note at its first edit: the hint that --fix can do it */
    if (d->nfixes && d->fixes[0].nedits) {
      const diag_fix *f = &d->fixes[0];
      char *hint = xasprintf("fix available: %s (%s)", f->description, f->safe ? "--fix" : "--fix --unsafe-fixes");
      print_head(out, r->cwd, &f->edits[0].range, "note", CYAN, hint, NULL, color);
      free(hint);
    }
  }
  report_sources_free(src);
}
