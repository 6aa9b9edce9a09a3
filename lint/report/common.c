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

size_t report_count_failing(const report_input *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->diags->len; i++) {
    const diag *d = &r->diags->items[i];
    n += !d->suppressed && !d->baselined && d->severity >= SEV_WARNING;
  }
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

/* ---- the source text reporters quote ---- */

typedef struct {
  char *path;
  char *owned;            /* the file's text when read here; NULL for the buffer */
  const char *text;       /* NULL: unreadable */
  size_t len;
  VEC(size_t) starts;     /* byte offset of each line, built on first use */
} source_file;

struct report_sources {
  const report_input *r;
  VEC(source_file) files;
};

report_sources *report_sources_new(const report_input *r) {
  report_sources *s = xcalloc(1, sizeof *s);
  s->r = r;
  return s;
}

void report_sources_free(report_sources *s) {
  if (!s) return;
  for (size_t i = 0; i < s->files.len; i++) {
    free(s->files.items[i].path);
    free(s->files.items[i].owned);
    VEC_FREE(s->files.items[i].starts);
  }
  VEC_FREE(s->files);
  free(s);
}

static source_file *source_of(report_sources *s, const char *path) {
  for (size_t i = 0; i < s->files.len; i++)
    if (strcmp(s->files.items[i].path, path) == 0) return &s->files.items[i];
  source_file f = {xstrdup(path), NULL, NULL, 0, {0}};
  if (s->r->buffer_path && s->r->buffer_text && strcmp(s->r->buffer_path, path) == 0) {
    /* the editor's unsaved text is what the findings are about, not the file on disk */
    f.text = s->r->buffer_text;
    f.len = strlen(f.text);
  } else {
    f.owned = file_read(path, &f.len);
    f.text = f.owned;
  }
  if (f.text) {
    VEC_PUSH(f.starts, 0);
    for (size_t i = 0; i < f.len; i++)
      if (f.text[i] == '\n') VEC_PUSH(f.starts, i + 1);
  }
  VEC_PUSH(s->files, f);
  return &s->files.items[s->files.len - 1];
}

const char *report_source_line(report_sources *s, const char *file, unsigned line, size_t *len) {
  if (!s || !file || line == 0) return NULL;
  source_file *f = source_of(s, file);
  if (!f->text || line > f->starts.len) return NULL;
  size_t start = f->starts.items[line - 1];
  if (start >= f->len) return NULL;
  size_t end = line < f->starts.len ? f->starts.items[line] - 1 : f->len;
  if (end > start && f->text[end - 1] == '\r') end--;
  *len = end - start;
  return f->text + start;
}

/* The length of the well-formed UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n) {
  if (p[0] < 0x80) return 1;
  size_t k;
  unsigned min;
  if ((p[0] & 0xe0) == 0xc0) k = 2, min = 0x80;
  else if ((p[0] & 0xf0) == 0xe0) k = 3, min = 0x800;
  else if ((p[0] & 0xf8) == 0xf0) k = 4, min = 0x10000;
  else return 0;
  if (k > n) return 0;
  unsigned cp = p[0] & (0x7f >> k);
  for (size_t i = 1; i < k; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return k;
}

unsigned report_codepoint_column(const char *line, size_t len, unsigned col) {
  if (!line || col <= 1) return col;
  size_t bytes = col - 1, i = 0;
  unsigned cps = 0;
  while (i < bytes && i < len) {
    size_t k = utf8_seq((const unsigned char *)line + i, len - i);
    i += k ? k : 1; /* a stray byte counts as one, as a viewer shows U+FFFD */
    cps++;
  }
  if (bytes > i) cps += (unsigned)(bytes - i); /* past the end of the line */
  return cps + 1;
}

bool report_utf8_valid(const char *s) {
  size_t n = s ? strlen(s) : 0;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_seq((const unsigned char *)s + i, n - i);
    if (!k) return false;
    i += k;
  }
  return true;
}

char *report_utf8_path(const char *path) {
  if (!path || report_utf8_valid(path)) return xstrdup(path ? path : "");
  /* as SARIF's URIs: each byte that is not part of well-formed UTF-8 is percent-encoded,
   * and so is '%' itself, so the name can be decoded without doubt */
  strbuf sb = {0};
  size_t n = strlen(path);
  for (size_t i = 0; i < n;) {
    size_t k = utf8_seq((const unsigned char *)path + i, n - i);
    if (k && path[i] != '%') {
      sb_appendn(&sb, path + i, k);
      i += k;
    } else {
      sb_printf(&sb, "%%%02X", (unsigned char)path[i]);
      i++;
    }
  }
  return sb_take(&sb);
}

char *report_utf8_text(const char *text) {
  if (!text || report_utf8_valid(text)) return xstrdup(text ? text : "");
  strbuf sb = {0};
  size_t n = strlen(text);
  for (size_t i = 0; i < n;) {
    size_t k = utf8_seq((const unsigned char *)text + i, n - i);
    if (k) sb_appendn(&sb, text + i, k);
    else sb_append(&sb, "\xef\xbf\xbd"); /* U+FFFD */
    i += k ? k : 1;
  }
  return sb_take(&sb);
}

char *report_rule_url(const char *docs_url, const char *id) {
  strbuf sb = {0};
  for (const char *p = docs_url; *p;) {
    if (strncmp(p, "{rule}", 6) == 0) {
      sb_printf(&sb, "%s", id);
      p += 6;
    } else {
      sb_appendc(&sb, *p++);
    }
  }
  return sb_take(&sb);
}
