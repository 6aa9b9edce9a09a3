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
void suppressions_each_unknown(const suppressions *s, bool (*known)(const char *id),
                               void (*fn)(unsigned line, const char *id, void *ctx), void *ctx);

#endif
