/* Lowering of one function definition from the libclang AST to IR: variables,
 * call sites, and a control-flow graph of simple operations. */
#ifndef CALM_LINT_LOWER_H
#define CALM_LINT_LOWER_H

#include <clang-c/Index.h>

#include "../ir/ir.h"

/* Source text access shared by all functions of one translation unit. */
typedef struct lower_files lower_files;
lower_files *lower_files_new(CXTranslationUnit tu);
void lower_files_free(lower_files *files);
/* Tells `files` of one file the parse entered, in clang_getInclusions's order (the
 * unit's walk over its inclusions calls this for each): the memo of header functions
 * reads them when a unit defines one. */
void lower_files_note_inclusion(lower_files *files, CXFile file, const CXSourceLocation *stack, unsigned depth);

/* Lets the unit of `files` (parsed with front-end flags `argv`, and cleanly) take part
 * in the memo of header functions: a function defined in a header is lowered once per
 * process for all units with the same flags that read the same header text, and
 * copied into the summaries of the others. */
void lower_files_share(lower_files *files, const char *const *argv, int argc);
/* Releases the memo (at exit, or in tests). */
void lower_memo_free(void);

/* Appends to `dst` a copy of the functions, stores and refs of `src` (what a shared
 * precompiled header defines, lowered once, into each unit parsed on it). */
void lower_copy_summary(ir_summary *dst, const ir_summary *src);

/* File-location span of a cursor; false when it has no position in a file. */
bool lower_cursor_loc(lower_files *files, strpool *pool, CXCursor c, ir_loc *out);

/* Reads IR_ATTR_* annotations (and noreturn) of a function declaration. */
unsigned lower_function_attrs(CXCursor decl);

/* Adds to `sum` the function pointers that the initialiser of file-scope variable `var`
 * stores (`static const struct ops disk_ops = { .persist = disk_persist }`). */
void lower_global(lower_files *files, ir_summary *sum, CXCursor var);

/* Builds the IR of the function definition `fn` and adds it to `sum`. */
void lower_function(lower_files *files, ir_summary *sum, CXCursor fn);

#endif
