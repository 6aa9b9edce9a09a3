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
