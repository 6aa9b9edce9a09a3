/* Source text for fixes: a per-run cache of files by path. */
#include "source.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *path;
  char *text;       /* owned; NULL when unreadable */
  const char *view; /* what source_text returns: `text` or the override */
  size_t *lines;    /* byte offset of each line of `view`, built on first use */
  size_t nlines, len;
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
    source_file nf = {xstrdup(path), NULL, NULL, NULL, 0, 0};
    VEC_PUSH(files, nf);
    f = &files.items[files.len - 1];
  }
  f->view = text;
  free(f->lines); /* of the text it had */
  f->lines = NULL;
}

const char *source_text(const char *path) {
  if (!path) return NULL;
  source_file *f = lookup(path);
  if (f) return f->view;
  char *text = file_read(path, NULL);
  source_file nf = {xstrdup(path), text, text, NULL, 0, 0};
  VEC_PUSH(files, nf);
  return text;
}

void source_reset(void) {
  for (size_t i = 0; i < files.len; i++) {
    free(files.items[i].path);
    free(files.items[i].text);
    free(files.items[i].lines);
  }
  VEC_FREE(files);
  memset(&files, 0, sizeof files);
}

/* The line index of `text` when it is a file's text here, so that a file with
 * thousands of fixes (a minified line, a generated table) is not scanned for each. */
static source_file *indexed(const char *text) {
  source_file *f = NULL;
  for (size_t i = 0; i < files.len && !f; i++)
    if (files.items[i].view == text) f = &files.items[i];
  if (!f || f->lines) return f;
  VEC(size_t) starts = {0};
  size_t at = 0;
  VEC_PUSH(starts, at);
  for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++) {
    at = (size_t)(p - text) + 1;
    VEC_PUSH(starts, at);
  }
  f->lines = starts.items;
  f->nlines = starts.len;
  f->len = strlen(text);
  return f;
}

long source_offset(const char *text, unsigned line, unsigned col) {
  if (!text || line == 0 || col == 0) return -1;
  const source_file *f = indexed(text);
  if (f) {
    if (line > f->nlines) return -1;
    size_t start = f->lines[line - 1];
    size_t end = line < f->nlines ? f->lines[line] - 1 : f->len; /* its '\n', or the end */
    return col - 1 > end - start ? -1 : (long)(start + col - 1);
  }
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

/* The line:col of byte `to` of `text`, given that byte `from` (<= to) is at line:col. */
static void position_after(const char *text, long from, unsigned line, unsigned col, size_t to, unsigned *out_line,
                           unsigned *out_col) {
  for (size_t i = (size_t)from; i < to && text[i]; i++) {
    if (text[i] == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  *out_line = line;
  *out_col = col;
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
  /* counted from the range's start, not the file's */
  position_after(text, start, within.line, within.col, (size_t)found, &out->line, &out->col);
  position_after(text, start, within.line, within.col, (size_t)found + n, &out->end_line, &out->end_col);
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
