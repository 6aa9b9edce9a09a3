/* UTF-16 positions over UTF-8 text, and incremental edits. */
#define _GNU_SOURCE
#include "text.h"

#include <stdlib.h>
#include <string.h>

#include "../base/base.h"

bool text_line(const char *text, unsigned line, size_t *start, size_t *end) {
  size_t p = 0;
  for (unsigned l = 0; l < line; l++) {
    while (text[p] && text[p] != '\n' && text[p] != '\r') p++;
    if (!text[p]) return false;
    p += text[p] == '\r' && text[p + 1] == '\n' ? 2 : 1;
  }
  size_t e = p;
  while (text[e] && text[e] != '\n' && text[e] != '\r') e++;
  *start = p;
  *end = e;
  return true;
}

/* The length of the UTF-8 sequence at s (n bytes left), 1 for a byte that starts
 * none: editors show such a byte as one replacement character. */
static size_t seq_len(const unsigned char *s, size_t n) {
  size_t want = s[0] < 0xC2 ? 1 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : s[0] < 0xF5 ? 4 : 1;
  if (want > n) return 1;
  for (size_t i = 1; i < want; i++)
    if ((s[i] & 0xC0) != 0x80) return 1;
  return want;
}

unsigned text_utf16_units(const char *s, size_t n) {
  unsigned units = 0;
  for (size_t b = 0; b < n;) {
    size_t k = seq_len((const unsigned char *)s + b, n - b);
    units += k == 4 ? 2 : 1;
    b += k;
  }
  return units;
}

size_t text_utf16_to_byte(const char *s, size_t len, unsigned character) {
  unsigned units = 0;
  size_t b = 0;
  while (b < len) {
    size_t k = seq_len((const unsigned char *)s + b, len - b);
    unsigned u = k == 4 ? 2 : 1;
    if (units + u > character) break;
    units += u;
    b += k;
  }
  return b;
}

unsigned text_lsp_character(const char *text, unsigned line, unsigned byte_col) {
  unsigned col = byte_col ? byte_col - 1 : 0;
  size_t start, end;
  if (!text || !line || !text_line(text, line - 1, &start, &end)) return col;
  size_t n = end - start; /* a column past the line's end is its end, as LSP clients take it */
  return text_utf16_units(text + start, col < n ? col : n);
}

int text_apply_edit(char **text, unsigned start_line, unsigned start_char, unsigned end_line, unsigned end_char,
                    const char *insert, char **error) {
  *error = NULL;
  size_t s0, s1, e0, e1;
  if (!text_line(*text, start_line, &s0, &s1) || !text_line(*text, end_line, &e0, &e1)) {
    unsigned lines = 1;
    for (const char *p = *text; *p; p++)
      if (*p == '\n' || (*p == '\r' && p[1] != '\n')) lines++;
    *error = xasprintf("an edit at line %u is past the end of the document (%u line%s)",
                       (start_line > end_line ? start_line : end_line) + 1, lines, lines == 1 ? "" : "s");
    return -1;
  }
  size_t from = s0 + text_utf16_to_byte(*text + s0, s1 - s0, start_char);
  size_t to = e0 + text_utf16_to_byte(*text + e0, e1 - e0, end_char);
  if (to < from) {
    *error = xasprintf("an edit ends (line %u, character %u) before it starts (line %u, character %u)", end_line + 1,
                       end_char, start_line + 1, start_char);
    return -1;
  }
  size_t len = strlen(*text), n = strlen(insert);
  char *out = xmalloc(len - (to - from) + n + 1);
  memcpy(out, *text, from);
  memcpy(out + from, insert, n);
  memcpy(out + from + n, *text + to, len - to + 1);
  free(*text);
  *text = out;
  return 0;
}
