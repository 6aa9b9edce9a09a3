/* Source text for fixes: a per-run cache of files by path. */
#include "source.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *path;
  char *text;       /* owned; NULL when unreadable */
  const char *view; /* what source_text returns: `text` or the override */
} source_file;

static VEC(source_file) files;

static source_file *lookup(const char *path) {
  for (size_t i = 0; i < files.len; i++)
    if (strcmp(files.items[i].path, path) == 0) return &files.items[i];
  return NULL;
}

void source_override(const char *path, const char *text) {
  if (!path) return;
  source_file *f = lookup(path);
  if (!f) {
    source_file nf = {xstrdup(path), NULL, NULL};
    VEC_PUSH(files, nf);
    f = &files.items[files.len - 1];
  }
  f->view = text;
}

const char *source_text(const char *path) {
  if (!path) return NULL;
  source_file *f = lookup(path);
  if (f) return f->view;
  char *text = file_read(path, NULL);
  source_file nf = {xstrdup(path), text, text};
  VEC_PUSH(files, nf);
  return text;
}

void source_reset(void) {
  for (size_t i = 0; i < files.len; i++) {
    free(files.items[i].path);
    free(files.items[i].text);
  }
  VEC_FREE(files);
  memset(&files, 0, sizeof files);
}

long source_offset(const char *text, unsigned line, unsigned col) {
  if (!text || line == 0 || col == 0) return -1;
  const char *p = text;
  for (unsigned l = 1; l < line; l++) {
    p = strchr(p, '\n');
    if (!p) return -1;
    p++;
  }
  const char *eol = strchr(p, '\n');
  size_t len = eol ? (size_t)(eol - p) : strlen(p);
  if (col - 1 > len) return -1;
  return (long)(p - text) + (long)(col - 1);
}

static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* The start and end offsets of `r` in `text`; false when they are not a range of it. */
static bool range_offsets(const char *text, ir_loc r, long *start, long *end) {
  *start = source_offset(text, r.line, r.col);
  *end = source_offset(text, r.end_line, r.end_col);
  return *start >= 0 && *end >= *start;
}

bool source_find_once(ir_loc within, const char *needle, ir_loc *out) {
  const char *text = source_text(within.file);
  long start, end;
  size_t n = strlen(needle);
  if (!text || n == 0 || !range_offsets(text, within, &start, &end)) return false;
  long found = -1;
  for (long i = start; i + (long)n <= end; i++) {
    if (memcmp(text + i, needle, n) != 0) continue;
    if (word_char(needle[0]) && i > 0 && word_char(text[i - 1])) continue;
    if (word_char(needle[n - 1]) && word_char(text[i + (long)n])) continue;
    if (found >= 0) return false;
    found = i;
  }
  if (found < 0) return false;
  memset(out, 0, sizeof *out);
  out->file = within.file;
  text_position(text, (size_t)found, &out->line, &out->col);
  text_position(text, (size_t)found + n, &out->end_line, &out->end_col);
  return true;
}

char *source_range_text(ir_loc range) {
  const char *text = source_text(range.file);
  long start, end;
  if (!text || !range_offsets(text, range, &start, &end)) return NULL;
  return xstrndup(text + start, (size_t)(end - start));
}

bool source_extend_to(ir_loc r, char c, ir_loc *out) {
  const char *text = source_text(r.file);
  long start, end;
  if (!text || !range_offsets(text, r, &start, &end)) return false;
  long i = end;
  while (text[i] == ' ' || text[i] == '\t') i++;
  if (text[i] != c) return false;
  *out = r;
  out->end_line = r.end_line;
  out->end_col = r.end_col + (unsigned)(i + 1 - end);
  return true;
}
