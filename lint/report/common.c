/* Helpers every reporter uses. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

char *report_display_path(const char *file, const char *cwd) {
  if (!file) return xstrdup("<unknown>");
  /* relative to the working directory, unless that is the root (then absolute) */
  if (cwd && strcmp(cwd, "/") != 0 && path_is_under(file, cwd) && strcmp(file, cwd) != 0) {
    size_t n = strlen(cwd);
    while (n > 1 && cwd[n - 1] == '/') n--;
    return xstrdup(file + n + 1);
  }
  return xstrdup(file);
}

size_t report_count_shown(const report_input *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->diags->len; i++) n += !r->diags->items[i].suppressed && !r->diags->items[i].baselined;
  return n;
}

size_t report_count_suppressed(const report_input *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->diags->len; i++) n += r->diags->items[i].suppressed;
  return n;
}

size_t report_count_baselined(const report_input *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->diags->len; i++) n += !r->diags->items[i].suppressed && r->diags->items[i].baselined;
  return n;
}
