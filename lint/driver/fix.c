/* Applying fixes: edits become byte ranges of the file's current text, a fix that
 * overlaps one taken before is left for the re-lint, and each file is rewritten once. */
#include "fix.h"

#include <stdlib.h>
#include <string.h>

#include "../base/base.h"
#include "../graph/source.h"

const diag_fix *fix_chosen(const diag *d, bool unsafe) {
  if (d->suppressed || d->baselined) return NULL;
  for (unsigned i = 0; i < d->nfixes; i++)
    if (d->fixes[i].nedits && (d->fixes[i].safe || unsafe)) return &d->fixes[i];
  return NULL;
}

typedef struct {
  long start, end;  /* byte offsets in the text: [start, end) */
  const char *text; /* borrowed from the finding */
} span;

static int cmp_span(const void *pa, const void *pb) {
  const span *a = pa, *b = pb;
  if (a->start != b->start) return a->start < b->start ? -1 : 1;
  return a->end < b->end ? -1 : a->end > b->end;
}

/* Two edits collide when their ranges share a byte, or both insert at one point
 * (their order would be a guess). An insertion at the edge of a replacement is fine. */
static bool overlaps(const span *a, const span *b) {
  if (a->start == a->end && b->start == b->end) return a->start == b->start;
  if (a->start == a->end) return a->start > b->start && a->start < b->end;
  if (b->start == b->end) return b->start > a->start && b->start < a->end;
  return a->start < b->end && b->start < a->end;
}

char *fix_text(const char *path, const char *text, const diag_list *diags, bool unsafe, size_t *len,
               size_t *applied) {
  VEC(span) taken = {0};
  *applied = 0;
  for (size_t i = 0; i < diags->len; i++) {
    const diag_fix *f = fix_chosen(&diags->items[i], unsafe);
    if (!f || !f->edits[0].range.file || strcmp(f->edits[0].range.file, path) != 0) continue;
    size_t mark = taken.len;
    bool ok = true;
    for (unsigned k = 0; k < f->nedits && ok; k++) {
      const ir_loc *r = &f->edits[k].range;
      span s = {source_offset(text, r->line, r->col), source_offset(text, r->end_line, r->end_col),
                f->edits[k].text};
      ok = r->file && strcmp(r->file, path) == 0 && s.start >= 0 && s.end >= s.start;
      for (size_t j = 0; j < taken.len && ok; j++) ok = !overlaps(&s, &taken.items[j]);
      if (ok) VEC_PUSH(taken, s);
    }
    if (ok) (*applied)++;
    else taken.len = mark; /* a fix is taken whole or not at all */
  }
  if (!*applied) {
    VEC_FREE(taken);
    return NULL;
  }
  qsort(taken.items, taken.len, sizeof *taken.items, cmp_span);
  strbuf sb = {0};
  long at = 0;
  for (size_t j = 0; j < taken.len; j++) {
    sb_appendn(&sb, text + at, (size_t)(taken.items[j].start - at));
    sb_append(&sb, taken.items[j].text);
    at = taken.items[j].end;
  }
  sb_append(&sb, text + at);
  VEC_FREE(taken);
  *len = sb.len;
  return sb_take(&sb);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

long fix_apply(const diag_list *diags, bool unsafe, const char *buffer_path, char **buffer_text, size_t *buffer_len,
               char **error) {
  /* the files fixes edit, each once, in a fixed order */
  VEC(char *) paths = {0};
  for (size_t i = 0; i < diags->len; i++) {
    const diag_fix *f = fix_chosen(&diags->items[i], unsafe);
    if (!f || !f->edits[0].range.file) continue;
    bool seen = false;
    for (size_t k = 0; k < paths.len && !seen; k++) seen = strcmp(paths.items[k], f->edits[0].range.file) == 0;
    if (!seen) VEC_PUSH(paths, (char *)f->edits[0].range.file);
  }
  if (paths.len) qsort(paths.items, paths.len, sizeof *paths.items, cmp_str);
  long total = 0;
  *error = NULL;
  for (size_t k = 0; k < paths.len && !*error; k++) {
    const char *path = paths.items[k];
    bool is_buffer = buffer_path && strcmp(buffer_path, path) == 0;
    if (buffer_path && !is_buffer) continue; /* an editor's run changes its buffer only */
    const char *text = source_text(path);
    if (!text) continue; /* gone since the parse: nothing to fix */
    size_t len, applied;
    char *fixed = fix_text(path, text, diags, unsafe, &len, &applied);
    if (!fixed) continue;
    if (is_buffer) {
      /* the override still points at the old buffer: swap them only when done */
      free(*buffer_text);
      *buffer_text = fixed;
      *buffer_len = len;
      source_override(path, fixed);
      total += (long)applied;
      continue;
    }
    char *why = NULL;
    if (file_write_atomic(path, fixed, len, true, &why) != 0) {
      *error = xasprintf("cannot apply fixes to %s: %s", path, why);
      free(why);
    } else {
      total += (long)applied;
    }
    free(fixed);
  }
  VEC_FREE(paths);
  return *error ? -1 : total;
}
