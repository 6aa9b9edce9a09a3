/* NOLINT comments (clang-tidy's habit): NOLINT(ids) on the line, NOLINTNEXTLINE(ids)
 * above it, NOLINTBEGIN(ids) ... NOLINTEND(ids) around a region. Without a list, or
 * with `*`, every rule is silenced. */
#ifndef CALM_LINT_SUPPRESS_H
#define CALM_LINT_SUPPRESS_H

#include <stdbool.h>

typedef struct suppressions suppressions;

/* Scans source text once. Never fails; malformed markers are ignored. */
suppressions *suppressions_parse(const char *text);
void suppressions_free(suppressions *s);

/* Whether a finding of `rule` on 1-based `line` is silenced. */
bool suppressions_match(const suppressions *s, unsigned line, const char *rule);

/* Calls fn with the marker's line for each rule id (or glob) a marker names that
 * `known` rejects: a typo there silences nothing. In marker order. */
/* Whether `id` (a name or glob in a NOLINT list) is another tool's: clang-tidy shares
 * the NOLINT comments, so `NOLINT(bugprone-branch-clone)` or `NOLINT(readability-*)`
 * is neither a typo of a rule here nor a suppression left unused. */
bool suppressions_foreign_id(const char *id);

void suppressions_each_unknown(const suppressions *s, bool (*known)(const char *id),
                               void (*fn)(unsigned line, const char *id, void *ctx), void *ctx);

/* Whether a finding of `rule` on `line` is silenced, as suppressions_match, and notes
 * which marker and which of its rule ids silenced it, for suppressions_each_unused. */
bool suppressions_use(suppressions *s, unsigned line, const char *rule);

/* A text span to delete: 1-based line:col to end_line:end_col (just past it). */
typedef struct {
  unsigned line, col, end_line, end_col;
} suppression_span;

/* A suppression that silences nothing (Ruff's RUF100): a whole marker, or one rule id
 * of its list. */
typedef struct {
  unsigned line, col, end_col; /* the marker, from "NOLINT" through its ')' */
  const char *marker;          /* "NOLINT", "NOLINTNEXTLINE" or "NOLINTBEGIN" */
  const char *id;              /* the rule id or glob at fault; NULL: the whole marker */
  bool unknown;                /* `id` names no rule */
  const char *list;            /* the marker's list without blanks, or NULL (every rule) */
  suppression_span cut[2];     /* what removing it deletes: the comment (or the line it
                                  is alone on), or the id and its comma; BEGIN and END */
  unsigned ncut;               /* 0: no exact removal (the comment says more than it) */
  bool whole;                  /* the cuts remove the marker, not just `id` */
} suppression_unused;

/* Calls fn for each suppression that silenced nothing since the parse, in marker
 * order: a whole marker when none of its ids silenced anything, else each id that
 * did not. `known` says whether an id names a rule (or a glob matches one); `ran`
 * whether some rule it names ran on the file: an id whose rules did not run is not
 * judged, nor one naming `self` (the rule that reports these). */
void suppressions_each_unused(const suppressions *s, const char *self, bool (*known)(const char *id),
                              bool (*ran)(const char *id, void *ctx), void (*fn)(const suppression_unused *u, void *ctx),
                              void *ctx);

#endif
