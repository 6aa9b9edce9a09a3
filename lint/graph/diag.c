/* Finding lists: building, ordering, de-duplication. */
#include "diag.h"

#include <stdlib.h>
#include <string.h>

const char *severity_name(diag_severity s) {
  switch (s) {
  case SEV_NOTE: return "note";
  case SEV_ERROR: return "error";
  default: return "warning";
  }
}

diag *diag_add(diag_list *l, const char *rule, diag_severity sev, ir_loc loc, char *message) {
  if (l->len == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 16;
    l->items = xrealloc(l->items, l->cap * sizeof *l->items);
  }
  diag *d = &l->items[l->len++];
  memset(d, 0, sizeof *d);
  d->rule = rule;
  d->severity = sev;
  d->loc = loc;
  d->message = message;
  return d;
}

void diag_note_add(diag *d, ir_loc loc, char *message) {
  d->trace = xrealloc(d->trace, (d->ntrace + 1) * sizeof *d->trace);
  d->trace[d->ntrace].loc = loc;
  d->trace[d->ntrace].message = message;
  d->ntrace++;
}

diag_fix *diag_fix_add(diag *d, char *description, bool safe) {
  d->fixes = xrealloc(d->fixes, (d->nfixes + 1) * sizeof *d->fixes);
  diag_fix *f = &d->fixes[d->nfixes++];
  memset(f, 0, sizeof *f);
  f->description = description;
  f->safe = safe;
  return f;
}

void diag_fix_edit(diag_fix *f, ir_loc range, const char *text) {
  f->edits = xrealloc(f->edits, (f->nedits + 1) * sizeof *f->edits);
  f->edits[f->nedits].range = range;
  f->edits[f->nedits].text = xstrdup(text ? text : "");
  f->nedits++;
}

static int strcmp0(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

static int compare(const void *pa, const void *pb) {
  const diag *a = pa, *b = pb;
  int c = strcmp0(a->loc.file, b->loc.file);
  if (c) return c;
  if (a->loc.line != b->loc.line) return a->loc.line < b->loc.line ? -1 : 1;
  if (a->loc.col != b->loc.col) return a->loc.col < b->loc.col ? -1 : 1;
  if ((c = strcmp(a->rule, b->rule))) return c;
  if ((c = strcmp(a->message, b->message))) return c;
  /* equal findings: keep the shorter trace, then a stable order of traces */
  if (a->ntrace != b->ntrace) return a->ntrace < b->ntrace ? -1 : 1;
  for (unsigned i = 0; i < a->ntrace; i++) {
    if ((c = strcmp0(a->trace[i].loc.file, b->trace[i].loc.file))) return c;
    if (a->trace[i].loc.line != b->trace[i].loc.line) return a->trace[i].loc.line < b->trace[i].loc.line ? -1 : 1;
    if ((c = strcmp(a->trace[i].message, b->trace[i].message))) return c;
  }
  return 0;
}

void diag_clear(diag *d) {
  free(d->message);
  for (unsigned i = 0; i < d->ntrace; i++) free(d->trace[i].message);
  free(d->trace);
  for (unsigned i = 0; i < d->nfixes; i++) {
    for (unsigned k = 0; k < d->fixes[i].nedits; k++) free(d->fixes[i].edits[k].text);
    free(d->fixes[i].edits);
    free(d->fixes[i].description);
  }
  free(d->fixes);
}

void diag_list_normalize(diag_list *l) {
  if (l->len == 0) return;
  qsort(l->items, l->len, sizeof *l->items, compare);
  size_t out = 1;
  for (size_t i = 1; i < l->len; i++) {
    diag *prev = &l->items[out - 1], *d = &l->items[i];
    bool same = strcmp0(prev->loc.file, d->loc.file) == 0 && prev->loc.line == d->loc.line &&
                prev->loc.col == d->loc.col && strcmp(prev->rule, d->rule) == 0 && strcmp(prev->message, d->message) == 0;
    if (same) diag_clear(d);
    else l->items[out++] = *d;
  }
  l->len = out;
}

void diag_list_free(diag_list *l) {
  for (size_t i = 0; i < l->len; i++) diag_clear(&l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}
