/* Parsing NOLINT markers into line ranges with rule lists, and where each marker and
 * each id of its list sits, so one that silences nothing can be reported and removed. */
#define _GNU_SOURCE
#include "suppress.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base.h"

/* One marker as written: where it is, where its ids are, what deleting it takes. */
typedef struct {
  unsigned line, col, end_col; /* "NOLINT..." through ')' (or the keyword's end) */
  unsigned *id_col, *id_end;   /* each id of the list, in order */
  unsigned nids;
  suppression_span whole; /* the comment (or its line); line 0: the comment says more */
} marker;

typedef struct {
  unsigned first, last; /* inclusive line range */
  char *rules;          /* comma list, or NULL for every rule */
  unsigned at;          /* the line of the marker that names the rules */
  const char *kind;     /* "NOLINT", "NOLINTNEXTLINE", "NOLINTBEGIN" */
  marker m[2];          /* the marker; for a region, its NOLINTEND too */
  unsigned nm;
  bool *used;           /* per id of `rules` (one slot for every rule): it silenced something */
} range;

struct suppressions {
  VEC(range) ranges;
};

static bool blank(char c) { return c == ' ' || c == '\t'; }

/* Reads an optional "(a, b)" list after a marker; returns a malloc'd comma list
 * without blanks, or NULL for "all rules". Records each id's columns (`line_start` is
 * the line's first byte) and moves *end to just past the ')'. */
static char *read_rules(const char *p, const char *line_end, const char *line_start, marker *m, const char **end) {
  *end = p;
  if (p >= line_end || *p != '(') return NULL;
  const char *close = memchr(p, ')', (size_t)(line_end - p));
  if (!close) return NULL;
  *end = close + 1;
  strbuf sb = {0};
  const char *q = p + 1;
  while (q < close) {
    while (q < close && blank(*q)) q++;
    const char *id = q;
    while (q < close && *q != ',') q++;
    const char *id_end = q;
    while (id_end > id && blank(id_end[-1])) id_end--;
    if (id_end > id) {
      for (const char *c = id; c < id_end; c++)
        if (!blank(*c)) sb_appendc(&sb, *c);
      sb_appendc(&sb, ',');
      m->id_col = xrealloc(m->id_col, (m->nids + 1) * sizeof *m->id_col);
      m->id_end = xrealloc(m->id_end, (m->nids + 1) * sizeof *m->id_end);
      m->id_col[m->nids] = (unsigned)(id - line_start) + 1;
      m->id_end[m->nids] = (unsigned)(id_end - line_start) + 1;
      m->nids++;
    }
    if (q < close) q++; /* the comma */
  }
  char *s = sb_take(&sb);
  size_t n = strlen(s);
  if (n && s[n - 1] == ',') s[n - 1] = '\0';
  if (!*s) {
    free(s);
    return NULL;
  }
  return s;
}

/* What deleting marker [m, end) whole takes: the comment holding it when it holds
 * nothing else, with the blanks before it, or the whole line when the comment is alone
 * on it. */
static suppression_span whole_cut(const char *line_start, const char *line_end, const char *m, const char *end,
                                  unsigned line, bool last_line) {
  suppression_span none = {0, 0, 0, 0};
  const char *open = m;
  while (open > line_start && blank(open[-1])) open--;
  const char *close = end;
  while (close < line_end && blank(*close)) close++;
  if (open - line_start >= 2 && open[-2] == '/' && open[-1] == '/') {
    if (close != line_end) return none; /* "// NOLINT(x) because ..." */
    open -= 2;
  } else if (open - line_start >= 2 && open[-2] == '/' && open[-1] == '*') {
    if (line_end - close < 2 || close[0] != '*' || close[1] != '/') return none;
    open -= 2;
    close += 2;
  } else {
    return none;
  }
  const char *from = open;
  while (from > line_start && blank(from[-1])) from--;
  const char *rest = close;
  while (rest < line_end && blank(*rest)) rest++;
  if (from == line_start && rest == line_end && !last_line) {
    suppression_span s = {line, 1, line + 1, 1}; /* the comment is the line */
    return s;
  }
  if (rest == line_end) close = line_end; /* no blanks left at the line's end */
  suppression_span s = {line, (unsigned)(from - line_start) + 1, line, (unsigned)(close - line_start) + 1};
  return s;
}

static void add(suppressions *s, range r) {
  unsigned n = 1;
  for (const char *p = r.rules; p && *p; p++) n += *p == ',';
  r.used = xcalloc(n, sizeof *r.used);
  VEC_PUSH(s->ranges, r);
}

static bool same_rules(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static void marker_free(marker *m) {
  free(m->id_col);
  free(m->id_end);
}

suppressions *suppressions_parse(const char *text) {
  suppressions *s = xcalloc(1, sizeof *s);
  VEC(range) open = {0};
  unsigned line = 1;
  const char *p = text ? text : "";
  while (*p) {
    const char *end = strchr(p, '\n');
    if (!end) end = p + strlen(p);
    bool last_line = !*end;
    for (const char *m = p; (m = memmem(m, (size_t)(end - m), "NOLINT", 6)) != NULL;) {
      const char *after = m + 6, *list_end;
      const char *kind = "NOLINT";
      if (end - after >= 8 && strncmp(after, "NEXTLINE", 8) == 0) kind = "NOLINTNEXTLINE";
      else if (end - after >= 5 && strncmp(after, "BEGIN", 5) == 0) kind = "NOLINTBEGIN";
      else if (end - after >= 3 && strncmp(after, "END", 3) == 0) kind = "NOLINTEND";
      after = m + strlen(kind);
      marker mk = {line, (unsigned)(m - p) + 1, 0, NULL, NULL, 0, {0, 0, 0, 0}};
      char *rules = read_rules(after, end, p, &mk, &list_end);
      mk.end_col = (unsigned)(list_end - p) + 1;
      mk.whole = whole_cut(p, end, m, list_end, line, last_line);
      range r = {line, line, rules, line, kind, {mk}, 1, NULL};
      if (kind[6] == 'N') {
        r.first = r.last = line + 1;
        add(s, r);
      } else if (kind[6] == 'B') {
        r.last = 0;
        VEC_PUSH(open, r);
      } else if (kind[6] == 'E') {
        bool closed = false;
        for (size_t i = open.len; i-- > 0 && !closed;) {
          if (!same_rules(open.items[i].rules, rules)) continue;
          range b = open.items[i];
          b.last = line;
          b.m[b.nm++] = mk;
          add(s, b);
          open.items[i] = open.items[--open.len];
          closed = true;
        }
        if (!closed) marker_free(&mk);
        free(rules);
      } else {
        add(s, r);
      }
      m = list_end > after ? list_end : after;
    }
    line++;
    p = *end ? end + 1 : end;
  }
  for (size_t i = 0; i < open.len; i++) { /* to the end */
    open.items[i].last = line;
    add(s, open.items[i]);
  }
  VEC_FREE(open);
  return s;
}

void suppressions_free(suppressions *s) {
  if (!s) return;
  for (size_t i = 0; i < s->ranges.len; i++) {
    range *r = &s->ranges.items[i];
    free(r->rules);
    free(r->used);
    for (unsigned k = 0; k < r->nm; k++) marker_free(&r->m[k]);
  }
  VEC_FREE(s->ranges);
  free(s);
}

/* Index of the first id of `list` that names `rule`, or -1; a NULL list is slot 0. */
static int listed_at(const char *list, const char *rule) {
  if (!list) return 0;
  const char *p = list;
  for (int k = 0; *p; k++) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    char *item = xstrndup(p, n);
    bool hit = fnmatch(item, rule, 0) == 0;
    free(item);
    if (hit) return k;
    p += n;
    if (*p == ',') p++;
  }
  return -1;
}

bool suppressions_match(const suppressions *s, unsigned line, const char *rule) {
  for (size_t i = 0; i < s->ranges.len; i++) {
    const range *r = &s->ranges.items[i];
    if (line >= r->first && line <= r->last && listed_at(r->rules, rule) >= 0) return true;
  }
  return false;
}

bool suppressions_use(suppressions *s, unsigned line, const char *rule) {
  bool hit = false;
  for (size_t i = 0; i < s->ranges.len; i++) {
    range *r = &s->ranges.items[i];
    int k = line >= r->first && line <= r->last ? listed_at(r->rules, rule) : -1;
    if (k >= 0) r->used[k] = hit = true;
  }
  return hit;
}

bool suppressions_foreign_id(const char *id) {
  /* clang-tidy's modules, by the prefix every check of theirs carries */
  static const char *const modules[] = {
      "abseil-",  "altera-",  "android-", "boost-",   "bugprone-",  "cert-",      "clang-analyzer-",
      "clang-diagnostic-",    "concurrency-",         "cppcoreguidelines-",     "darwin-",
      "fuchsia-", "google-",  "hicpp-",   "linuxkernel-",         "llvm-",      "llvmlibc-",
      "misc-",    "modernize-", "mpi-",   "objc-",    "openmp-",    "performance-", "portability-",
      "readability-",         "zircon-"};
  for (size_t i = 0; i < sizeof modules / sizeof *modules; i++)
    if (strncmp(id, modules[i], strlen(modules[i])) == 0) return true;
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

/* The span that takes id `k` out of marker `m`'s list: the id and the comma and
 * blanks after it, or for the last one, the comma before it. */
static suppression_span id_cut(const marker *m, unsigned k) {
  suppression_span c = {m->line, m->id_col[k], m->line, 0};
  if (k + 1 < m->nids) {
    c.end_col = m->id_col[k + 1];
  } else {
    c.col = m->id_end[k - 1];
    c.end_col = m->id_end[k];
  }
  return c;
}

void suppressions_each_unused(const suppressions *s, const char *self, bool (*known)(const char *id),
                              bool (*ran)(const char *id, void *ctx), void (*fn)(const suppression_unused *u, void *ctx),
                              void *ctx) {
  for (size_t i = 0; i < s->ranges.len; i++) {
    const range *r = &s->ranges.items[i];
    suppression_unused u = {r->m[0].line, r->m[0].col, r->m[0].end_col, r->kind, NULL, false, r->rules, {{0}}, 0, true};
    /* a region whose NOLINTEND was not found: removing its NOLINTBEGIN alone is fine */
    bool whole_ok = true;
    for (unsigned m = 0; m < r->nm; m++) whole_ok &= r->m[m].whole.line != 0;
    if (!r->rules) {
      if (r->used[0] || !ran("*", ctx)) continue;
      if (whole_ok)
        for (unsigned m = 0; m < r->nm; m++) u.cut[u.ncut++] = r->m[m].whole;
      fn(&u, ctx);
      continue;
    }
    /* which ids are at fault: silenced nothing (and their rules ran), or name no rule */
    unsigned nids = 0, nbad = 0;
    for (const char *p = r->rules; *p; p++) nids += *p == ',';
    nids++;
    char **ids = xcalloc(nids, sizeof *ids);
    bool *bad = xcalloc(nids, sizeof *bad), *unknown = xcalloc(nids, sizeof *unknown);
    const char *p = r->rules;
    for (unsigned k = 0; k < nids; k++) {
      const char *comma = strchr(p, ',');
      size_t n = comma ? (size_t)(comma - p) : strlen(p);
      ids[k] = xstrndup(p, n);
      p += n + (comma ? 1 : 0);
      unknown[k] = !known(ids[k]);
      bool judged = strcmp(ids[k], self) != 0 && (unknown[k] || ran(ids[k], ctx));
      bad[k] = judged && (unknown[k] || !r->used[k]);
      nbad += bad[k];
    }
    /* every id in fault: the marker goes; else each id at fault leaves its list. The
       markers' lists agree id for id (a NOLINTEND closes the NOLINTBEGIN of its list) */
    bool ids_ok = true;
    for (unsigned m = 0; m < r->nm; m++) ids_ok &= r->m[m].nids == nids;
    if (nbad == nids) {
      if (nids == 1 && unknown[0]) {
        u.unknown = true;
        u.id = ids[0];
      }
      if (whole_ok)
        for (unsigned m = 0; m < r->nm; m++) u.cut[u.ncut++] = r->m[m].whole;
      fn(&u, ctx);
    } else {
      for (unsigned k = 0; k < nids; k++) {
        if (!bad[k]) continue;
        u.id = ids[k];
        u.unknown = unknown[k];
        u.ncut = 0;
        u.whole = false;
        /* two ids at fault side by side: each cut alone, the second waits for a re-lint */
        if (ids_ok)
          for (unsigned m = 0; m < r->nm; m++) u.cut[u.ncut++] = id_cut(&r->m[m], k);
        fn(&u, ctx);
      }
    }
    for (unsigned k = 0; k < nids; k++) free(ids[k]);
    free(ids);
    free(bad);
    free(unknown);
  }
}
