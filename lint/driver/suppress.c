/* Parsing NOLINT markers into line ranges with rule lists. */
#define _GNU_SOURCE
#include "suppress.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base.h"

typedef struct {
  unsigned first, last; /* inclusive line range */
  char *rules;          /* comma list, or NULL for every rule */
  unsigned at;          /* the line of the marker that names the rules */
} range;

struct suppressions {
  VEC(range) ranges;
};

/* Reads an optional "(a, b)" list after a marker; returns a malloc'd comma list
 * without blanks, or NULL for "all rules". */
static char *read_rules(const char *p, const char *line_end) {
  if (p >= line_end || *p != '(') return NULL;
  const char *close = memchr(p, ')', (size_t)(line_end - p));
  if (!close) return NULL;
  strbuf sb = {0};
  for (const char *q = p + 1; q < close; q++)
    if (*q != ' ' && *q != '\t') sb_appendc(&sb, *q);
  char *s = sb_take(&sb);
  if (!*s) {
    free(s);
    return NULL;
  }
  return s;
}

static void add(suppressions *s, unsigned first, unsigned last, char *rules, unsigned at) {
  range r = {first, last, rules, at};
  VEC_PUSH(s->ranges, r);
}

static bool same_rules(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

suppressions *suppressions_parse(const char *text) {
  suppressions *s = xcalloc(1, sizeof *s);
  VEC(range) open = {0};
  unsigned line = 1;
  const char *p = text ? text : "";
  while (*p) {
    const char *end = strchr(p, '\n');
    if (!end) end = p + strlen(p);
    for (const char *m = p; (m = memmem(m, (size_t)(end - m), "NOLINT", 6)) != NULL;) {
      const char *after = m + 6;
      if (end - after >= 8 && strncmp(after, "NEXTLINE", 8) == 0) {
        add(s, line + 1, line + 1, read_rules(after + 8, end), line);
        m = after + 8;
      } else if (end - after >= 5 && strncmp(after, "BEGIN", 5) == 0) {
        range r = {line, 0, read_rules(after + 5, end), line};
        VEC_PUSH(open, r);
        m = after + 5;
      } else if (end - after >= 3 && strncmp(after, "END", 3) == 0) {
        char *rules = read_rules(after + 3, end);
        for (size_t i = open.len; i-- > 0;) {
          if (!same_rules(open.items[i].rules, rules)) continue;
          add(s, open.items[i].first, line, open.items[i].rules, open.items[i].at);
          open.items[i] = open.items[--open.len];
          break;
        }
        free(rules);
        m = after + 3;
      } else {
        add(s, line, line, read_rules(after, end), line);
        m = after;
      }
    }
    line++;
    p = *end ? end + 1 : end;
  }
  for (size_t i = 0; i < open.len; i++) /* to the end */
    add(s, open.items[i].first, line, open.items[i].rules, open.items[i].at);
  VEC_FREE(open);
  return s;
}

void suppressions_free(suppressions *s) {
  if (!s) return;
  for (size_t i = 0; i < s->ranges.len; i++) free(s->ranges.items[i].rules);
  VEC_FREE(s->ranges);
  free(s);
}

static bool rule_listed(const char *list, const char *rule) {
  if (!list) return true;
  const char *p = list;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    char *item = xstrndup(p, n);
    bool hit = fnmatch(item, rule, 0) == 0;
    free(item);
    if (hit) return true;
    p += n;
    if (*p == ',') p++;
  }
  return false;
}

bool suppressions_match(const suppressions *s, unsigned line, const char *rule) {
  for (size_t i = 0; i < s->ranges.len; i++) {
    const range *r = &s->ranges.items[i];
    if (line >= r->first && line <= r->last && rule_listed(r->rules, rule)) return true;
  }
  return false;
}

void suppressions_each_unknown(const suppressions *s, bool (*known)(const char *id),
                               void (*fn)(unsigned line, const char *id, void *ctx), void *ctx) {
  for (size_t i = 0; i < s->ranges.len; i++) {
    const char *p = s->ranges.items[i].rules;
    while (p && *p) {
      const char *comma = strchr(p, ',');
      size_t n = comma ? (size_t)(comma - p) : strlen(p);
      char *item = xstrndup(p, n);
      if (!known(item)) fn(s->ranges.items[i].at, item, ctx);
      free(item);
      p += n;
      if (*p == ',') p++;
    }
  }
}
