/* Quick fixes as LSP CodeActions, in the document's UTF-16 positions. */
#define _GNU_SOURCE
#include "actions.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base.h"
#include "text.h"

static cJSON *lsp_range(unsigned line, unsigned from, unsigned to) {
  cJSON *r = cJSON_CreateObject();
  cJSON *s = cJSON_AddObjectToObject(r, "start");
  cJSON_AddNumberToObject(s, "line", line);
  cJSON_AddNumberToObject(s, "character", from);
  cJSON *e = cJSON_AddObjectToObject(r, "end");
  cJSON_AddNumberToObject(e, "line", line);
  cJSON_AddNumberToObject(e, "character", to);
  return r;
}

static cJSON *text_edit(const char *line_text, unsigned line, size_t from, size_t to, const char *insert) {
  cJSON *e = cJSON_CreateObject();
  unsigned a = text_utf16_units(line_text, from), b = text_utf16_units(line_text, to);
  cJSON_AddItemToObject(e, "range", lsp_range(line, a, b));
  cJSON_AddStringToObject(e, "newText", insert);
  return e;
}

/* The offset of the ')' closing the line's NOLINT(...) list (as the suppression
 * parser reads markers: NOLINTNEXTLINE, NOLINTBEGIN and NOLINTEND are others), or
 * -1 without one. */
static long nolint_list_end(const char *s, size_t n) {
  for (const char *m = s; (m = memmem(m, n - (size_t)(m - s), "NOLINT", 6)) != NULL;) {
    const char *after = m + 6;
    size_t left = n - (size_t)(after - s);
    if ((left >= 8 && strncmp(after, "NEXTLINE", 8) == 0) || (left >= 5 && strncmp(after, "BEGIN", 5) == 0) ||
        (left >= 3 && strncmp(after, "END", 3) == 0)) {
      m = after;
      continue;
    }
    if (left && *after == '(') {
      const char *close = memchr(after, ')', left);
      if (close) return close - s;
    }
    m = after;
  }
  return -1;
}

cJSON *action_nolint_edit(const char *text, unsigned line, const char *rule) {
  size_t start, end;
  if (!text || !text_line(text, line, &start, &end)) return NULL;
  const char *s = text + start;
  size_t n = end - start;
  long close = nolint_list_end(s, n);
  if (close >= 0) {
    /* "NOLINT()" lists nothing yet; otherwise the rule joins the list */
    bool empty = close > 0 && s[close - 1] == '(';
    char *insert = xasprintf("%s%s", empty ? "" : ", ", rule);
    cJSON *e = text_edit(s, line, (size_t)close, (size_t)close, insert);
    free(insert);
    return e;
  }
  size_t t = n;
  while (t > 0 && (s[t - 1] == ' ' || s[t - 1] == '\t')) t--;
  if (t > 0 && s[t - 1] == '\\') {
    size_t b = t - 1;
    char *insert = xasprintf("/* NOLINT(%s) */ ", rule);
    cJSON *e = text_edit(s, line, b, b, insert);
    free(insert);
    return e;
  }
  /* the trailing blanks go: the comment ends the line */
  char *insert = xasprintf("%s// NOLINT(%s)", t ? "  " : "", rule);
  cJSON *e = text_edit(s, line, t, n, insert);
  free(insert);
  return e;
}

/* `changes`: TextEdits by URI (taken over). */
static cJSON *action(const char *title, const cJSON *diag, bool preferred, cJSON *changes) {
  cJSON *a = cJSON_CreateObject();
  cJSON_AddStringToObject(a, "title", title);
  cJSON_AddStringToObject(a, "kind", "quickfix");
  cJSON_AddItemToArray(cJSON_AddArrayToObject(a, "diagnostics"), cJSON_Duplicate(diag, 1));
  if (preferred) cJSON_AddBoolToObject(a, "isPreferred", 1);
  cJSON_AddItemToObject(cJSON_AddObjectToObject(a, "edit"), "changes", changes);
  return a;
}

static int diag_line(const cJSON *d) {
  const cJSON *line = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "range"), "start"), "line");
  return cJSON_IsNumber(line) && line->valuedouble >= 0 ? line->valueint : -1;
}

cJSON *actions_for_range(const char *uri, const char *text, const cJSON *diags, unsigned first_line,
                         unsigned last_line) {
  cJSON *out = cJSON_CreateArray();
  const cJSON *d;
  cJSON_ArrayForEach(d, diags) {
    int line = diag_line(d);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(d, "code");
    if (line < 0 || (unsigned)line < first_line || (unsigned)line > last_line || !cJSON_IsString(code)) continue;
    /* a finding's own fixes first: they repair, NOLINT only silences */
    const cJSON *fix;
    cJSON_ArrayForEach(fix, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "data"), "fixes")) {
      const cJSON *title = cJSON_GetObjectItemCaseSensitive(fix, "title");
      const cJSON *changes = cJSON_GetObjectItemCaseSensitive(fix, "changes");
      if (!cJSON_IsString(title) || !cJSON_IsObject(changes)) continue;
      bool preferred = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fix, "isPreferred"));
      cJSON_AddItemToArray(out, action(title->valuestring, d, preferred, cJSON_Duplicate(changes, 1)));
    }
    cJSON *e = action_nolint_edit(text, (unsigned)line, code->valuestring);
    if (!e) continue;
    cJSON *changes = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(changes, uri), e);
    char *title = xasprintf("suppress with NOLINT(%s)", code->valuestring);
    cJSON_AddItemToArray(out, action(title, d, false, changes));
    free(title);
  }
  return out;
}
