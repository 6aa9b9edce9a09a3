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

/* Prints line `line` of `file` and a caret under column `col`, as clang does.
 * Files are read once per run and kept for the following findings. */
typedef struct {
  char *path;
  char *text;
} cached_file;

typedef struct {
  VEC(cached_file) files;
} source_cache;

static const char *source_text(source_cache *c, const char *path) {
  for (size_t i = 0; i < c->files.len; i++)
    if (strcmp(c->files.items[i].path, path) == 0) return c->files.items[i].text;
  cached_file f = {xstrdup(path), file_read(path, NULL)};
  VEC_PUSH(c->files, f);
  return f.text;
}

static void print_snippet(FILE *out, source_cache *cache, const ir_loc *loc, bool color) {
  if (!loc->file || loc->line == 0) return;
  const char *text = source_text(cache, loc->file);
  if (!text) return;
  const char *p = text;
  for (unsigned l = 1; l < loc->line && p; l++) {
    p = strchr(p, '\n');
    if (p) p++;
  }
  if (!p || !*p) return;
  const char *end = strchr(p, '\n');
  size_t n = end ? (size_t)(end - p) : strlen(p);
  if (n > 0 && p[n - 1] == '\r') n--;
  fprintf(out, "%.*s\n", (int)n, p);
  strbuf sb = {0};
  for (unsigned c = 1; c < loc->col && c - 1 < n; c++) sb_appendc(&sb, p[c - 1] == '\t' ? '\t' : ' ');
  unsigned width = loc->end_line == loc->line && loc->end_col > loc->col ? loc->end_col - loc->col : 1;
  if (loc->col - 1 + width > n) width = n >= loc->col ? (unsigned)n - loc->col + 1 : 1;
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
  source_cache cache = {{0}};
  for (size_t i = 0; i < r->nerrors; i++) {
    const report_error *e = &r->errors[i];
    char *path = report_display_path(e->file, r->cwd);
    if (color) fprintf(out, BOLD "%s:%u:%u: " RESET RED "error:" RESET BOLD " %s" RESET "\n", path, e->line, e->col, e->message);
    else fprintf(out, "%s:%u:%u: error: %s\n", path, e->line, e->col, e->message);
    free(path);
  }
  for (size_t i = 0; i < r->diags->len; i++) {
    const diag *d = &r->diags->items[i];
    if (d->suppressed || d->baselined) continue;
    print_head(out, r->cwd, &d->loc, severity_name(d->severity), d->severity == SEV_ERROR ? RED : MAGENTA,
               d->message, d->rule, color);
    print_snippet(out, &cache, &d->loc, color);
    for (unsigned k = 0; k < d->ntrace; k++) {
      print_head(out, r->cwd, &d->trace[k].loc, "note", CYAN, d->trace[k].message, NULL, color);
      print_snippet(out, &cache, &d->trace[k].loc, color);
    }
  }
  for (size_t i = 0; i < cache.files.len; i++) {
    free(cache.files.items[i].path);
    free(cache.files.items[i].text);
  }
  VEC_FREE(cache.files);
}
