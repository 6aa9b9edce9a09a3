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
  free(d->group);
  free(d->what);
  for (unsigned i = 0; i < d->nalso; i++) free(d->also[i].message);
  free(d->also);
  free(d->own_message);
}

void diag_set_group(diag *d, const char *group, const char *what) {
  free(d->group);
  free(d->what);
  d->group = xstrdup(group);
  d->what = xstrdup(what);
}

/* How a merged finding's note names one of its other places; the message reads the
   name back from there */
#define ALSO_PREFIX "and here: "

/* The names a merged message lists before "and N others" */
#define MERGED_NAMES 3

static char *merged_message(const diag *d) {
  strbuf b = {0};
  sb_printf(&b, "%s (as %s %u more call%s in the same function, reached the same way: ", d->message,
              d->nalso == 1 ? "does" : "do", d->nalso, d->nalso == 1 ? "" : "s");
  unsigned shown = 0;
  for (unsigned i = 0; i < d->nalso; i++) {
    const char *what = d->also[i].message + strlen(ALSO_PREFIX);
    bool again = false;
    for (unsigned k = 0; k < i && !again; k++) again = strcmp(d->also[k].message, d->also[i].message) == 0;
    if (again) continue;
    if (shown == MERGED_NAMES) {
      sb_append(&b, " and others");
      break;
    }
    sb_printf(&b, "%s%s", shown ? ", " : "", what);
    shown++;
  }
  sb_append(&b, ")");
  return sb_take(&b);
}

void diag_list_merge_groups(diag_list *l) {
  strmap *heads = strmap_new(); /* rule, severity and group -> 1 + the index of its first */
  size_t out = 0;
  for (size_t i = 0; i < l->len; i++) {
    diag *d = &l->items[i];
    if (d->group && !d->suppressed && !d->baselined && d->nfixes == 0) {
      char *key = xasprintf("%s\x1f%d\x1f%s", d->rule, (int)d->severity, d->group);
      void *at;
      if (strmap_get(heads, key, &at)) {
        diag *head = &l->items[(intptr_t)at - 1];
        head->also = xrealloc(head->also, (head->nalso + 1) * sizeof *head->also);
        head->also[head->nalso].loc = d->loc;
        head->also[head->nalso].message = xasprintf(ALSO_PREFIX "%s", d->what ? d->what : d->rule);
        head->nalso++;
        diag_clear(d);
        free(key);
        continue;
      }
      strmap_put(heads, key, (void *)(intptr_t)(out + 1));
      free(key);
    }
    l->items[out++] = *d;
  }
  l->len = out;
  strmap_free(heads);
  for (size_t i = 0; i < l->len; i++)
    if (l->items[i].nalso) {
      l->items[i].own_message = l->items[i].message;
      l->items[i].message = merged_message(&l->items[i]);
    }
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
