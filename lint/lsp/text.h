/* Document text for the server: LSP positions count a line's characters in UTF-16
 * code units and end lines at \n, \r\n or \r; calm-lint counts 1-based bytes. These
 * convert between the two and apply an incremental edit to a buffer. */
#ifndef CALM_LINT_LSP_TEXT_H
#define CALM_LINT_LSP_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The bytes of 0-based `line`: sets *start and *end (the end excludes the line
 * break). Returns false if the text has fewer lines. A text of n line breaks has
 * n + 1 lines, the last possibly empty. */
bool text_line(const char *text, unsigned line, size_t *start, size_t *end);

/* UTF-16 code units in `n` bytes of UTF-8 (a 4-byte sequence is two, a byte that
 * starts no valid sequence one). */
unsigned text_utf16_units(const char *s, size_t n);

/* The byte offset within a line of `len` bytes at which `character` UTF-16 units
 * end: past the line's end it is the line's length (as LSP says), and inside a
 * surrogate pair it is the start of that character. */
size_t text_utf16_to_byte(const char *s, size_t len, unsigned character);

/* The LSP character of calm-lint's 1-based `line`:`byte_col` in `text`. `text` may
 * be NULL or have fewer lines: the byte column is then taken as is. */
unsigned text_lsp_character(const char *text, unsigned line, unsigned byte_col);

/* Replaces the LSP range (start line/character to end line/character) of *text by
 * `insert`, reallocating *text. Returns 0, or -1 with *error (malloc'd, one line)
 * and *text untouched when a line is past the document's end or the range ends
 * before it starts. */
int text_apply_edit(char **text, unsigned start_line, unsigned start_char, unsigned end_line, unsigned end_char,
                    const char *insert, char **error);

#endif
