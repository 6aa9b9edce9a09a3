/* Fingerprints: the identity of a finding across runs, shared by SARIF's
 * partialFingerprints, the GitLab report and baselines. Lines are left out on
 * purpose: code added above a finding must not make it look new. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

const char *report_srcroot(const report_input *r) { return r->srcroot ? r->srcroot : r->cwd; }

static bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The message with runs of white space collapsed and free-standing numbers (line
 * numbers, counts) dropped; digits inside identifiers ('handler2') are kept. */
static char *normalize_message(const char *m) {
  strbuf sb = {0};
  bool space = false;
  for (const char *p = m; *p; p++) {
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
      space = sb.len > 0;
      continue;
    }
    if (*p >= '0' && *p <= '9' && (p == m || !ident_char(p[-1]))) {
      while (p[1] >= '0' && p[1] <= '9') p++;
      if (!ident_char(p[1])) continue; /* a number, not the start of a name */
    }
    if (space) sb_appendc(&sb, ' ');
    space = false;
    sb_appendc(&sb, *p);
  }
  return sb_take(&sb);
}

static uint64_t finding_hash(const diag *d, const char *srcroot) {
  char *path = report_display_path(d->loc.file, srcroot);
  /* a merged finding is the same finding whichever other places it lists */
  char *msg = normalize_message(d->own_message ? d->own_message : d->message);
  uint64_t h = hash_bytes(d->rule, strlen(d->rule) + 1, 0);
  h = hash_bytes(path, strlen(path) + 1, h);
  h = hash_bytes(msg, strlen(msg) + 1, h);
  free(path);
  free(msg);
  return h;
}

char **report_fingerprints(const report_input *r) {
  size_t n = r->diags->len;
  char **out = xcalloc(n + 1, sizeof *out);
  uint64_t *hashes = xcalloc(n + 1, sizeof *hashes);
  for (size_t i = 0; i < n; i++) hashes[i] = finding_hash(&r->diags->items[i], report_srcroot(r));
  /* Equal hashes in one file (the same call made twice in one function) are told
   * apart by their order in the file, which survives lines moving. */
  for (size_t i = 0; i < n; i++) {
    unsigned occurrence = 1;
    for (size_t k = 0; k < i; k++) occurrence += hashes[k] == hashes[i];
    out[i] = xasprintf("%016llx:%u", (unsigned long long)hashes[i], occurrence);
  }
  free(hashes);
  return out;
}

void report_fingerprints_free(char **fps, size_t n) {
  if (!fps) return;
  for (size_t i = 0; i < n; i++) free(fps[i]);
  free(fps);
}
