/* The source text findings point at, for rules that offer fixes: a fix needs the exact
 * range of a token the IR does not keep (a CALM_FOREVER argument, a returned constant).
 * Files are read once per run; the editor's buffer stands in for its file. */
#ifndef CALM_LINT_SOURCE_H
#define CALM_LINT_SOURCE_H

#include "../ir/ir.h"

/* Makes `text` (borrowed until source_reset) the text of `path`: the buffer read on
 * stdin for --stdin-filename, which is not what the file on disk holds. */
void source_override(const char *path, const char *text);

/* The text of `path` as this run sees it, or NULL when it cannot be read. Valid until
 * source_reset. Loop thread only: rules run one after another. */
const char *source_text(const char *path);

/* Forgets every file read and the override (at the end of a run, or before a re-lint
 * after --fix changed the files). */
void source_reset(void);

/* Finds `needle` within `within` (its file, from its start to its end) as a whole token
 * (not part of a longer identifier or number). True when it is there exactly once, with
 * *out set to its range: a fix that cannot tell which occurrence to edit offers nothing. */
bool source_find_once(ir_loc within, const char *needle, ir_loc *out);

/* The text of `range` (malloc'd), or NULL when the file cannot be read or the range is
 * not in it. */
char *source_range_text(ir_loc range);

/* `r` with its end moved just past `c`, when `c` is the next character after it apart
 * from blanks on the same line (a call's `;`, ending its statement). */
bool source_extend_to(ir_loc r, char c, ir_loc *out);

/* The byte offset of 1-based `line`:`col` in `text`, or -1 when it is not there. */
long source_offset(const char *text, unsigned line, unsigned col);

#endif
