/* Parsing a translation unit and walking its function definitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "frontend.h"
#include "lower.h"
#include "pch.h"

#define MAX_ERRORS 10

typedef struct {
  lower_files *files;
  ir_summary *sum;
} walk_ctx;

static enum CXChildVisitResult visit_top(CXCursor c, CXCursor parent, CXClientData data) {
  (void)parent;
  walk_ctx *w = data;
  enum CXCursorKind k = clang_getCursorKind(c);
  if (k == CXCursor_LinkageSpec) return CXChildVisit_Recurse;
  bool var = k == CXCursor_VarDecl;
  if ((k != CXCursor_FunctionDecl && !var) || !clang_isCursorDefinition(c)) return CXChildVisit_Continue;
  CXSourceLocation loc = clang_getCursorLocation(c);
  if (clang_Location_isInSystemHeader(loc)) return CXChildVisit_Continue;
  CXFile file;
  clang_getFileLocation(loc, &file, NULL, NULL, NULL);
  if (!file) return CXChildVisit_Continue;
  if (var) lower_global(w->files, w->sum, c);
  else lower_function(w->files, w->sum, c);
  return CXChildVisit_Continue;
}

/* Arguments clang's driver rejects ("unknown argument: '-fno-foo'"), so the parse
 * can be retried without them: gcc-only flags are common in compile databases. */
static size_t unknown_arguments(CXTranslationUnit tu, char ***out) {
  size_t n = 0;
  unsigned nd = clang_getNumDiagnostics(tu);
  *out = NULL;
  for (unsigned i = 0; i < nd; i++) {
    CXDiagnostic d = clang_getDiagnostic(tu, i);
    CXString s = clang_getDiagnosticSpelling(d);
    const char *msg = clang_getCString(s);
    const char *p = strstr(msg, "unknown argument: '");
    if (p) {
      p += strlen("unknown argument: '");
      const char *q = strchr(p, '\'');
      if (q) {
        *out = xrealloc(*out, (n + 1) * sizeof **out);
        (*out)[n++] = xstrndup(p, (size_t)(q - p));
      }
    }
    clang_disposeString(s);
    clang_disposeDiagnostic(d);
  }
  return n;
}

static void record_errors(ir_summary *sum, CXTranslationUnit tu) {
  unsigned nd = clang_getNumDiagnostics(tu), kept = 0;
  for (unsigned i = 0; i < nd; i++) {
    CXDiagnostic d = clang_getDiagnostic(tu, i);
    if (clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error) {
      sum->failed = true;
      if (kept++ < MAX_ERRORS) {
        ir_loc loc = {0};
        CXFile file;
        clang_getFileLocation(clang_getDiagnosticLocation(d), &file, &loc.line, &loc.col, NULL);
        CXString name = clang_getFileName(file);
        loc.file = file ? clang_getCString(name) : NULL;
        /* a position in no file (the command line's `-include`, clang's <built-in>) is no
         * position in the main file: the error is the unit's, with no line */
        if (!file) loc.line = loc.col = 0;
        loc.end_line = loc.line;
        loc.end_col = loc.col;
        CXString s = clang_getDiagnosticSpelling(d);
        ir_summary_add_error(sum, loc, clang_getCString(s));
        clang_disposeString(s);
        clang_disposeString(name);
      }
    }
    clang_disposeDiagnostic(d);
  }
}

/* Every file the parse read (headers, also those a macro named), for the summary
 * cache: a change to any of them may change the summary; and for the lowering, which
 * tells header functions apart by what was entered before them (one walk for both:
 * each walks every source location entry of the unit). */
static void note_inclusion(CXFile file, CXSourceLocation *stack, unsigned depth, CXClientData data) {
  walk_ctx *w = data;
  lower_files_note_inclusion(w->files, file, stack, depth);
  if (depth == 0) return; /* the main file */
  CXString name = clang_getFileName(file);
  const char *n = clang_getCString(name);
  if (n && *n) ir_summary_add_include(w->sum, n);
  clang_disposeString(name);
}

static const char *parse_error_name(enum CXErrorCode e) {
  switch (e) {
  case CXError_Crashed: return "libclang crashed while parsing";
  case CXError_InvalidArguments: return "invalid arguments for libclang";
  case CXError_ASTReadError: return "libclang could not read the AST";
  default: return "libclang failed to parse";
  }
}

/* Errors, inclusions and the IR of every definition of `tu` into `sum`. */
static void lower_unit(CXTranslationUnit tu, ir_summary *sum, const char **argv, int argc) {
  record_errors(sum, tu);
  walk_ctx w = {lower_files_new(tu), sum};
  clang_getInclusions(tu, note_inclusion, &w);
  if (!sum->failed) lower_files_share(w.files, argv, argc); /* errors may have changed what a header defines */
  clang_visitChildren(clang_getTranslationUnitCursor(tu), visit_top, &w);
  lower_files_free(w.files);
}

/* The summary of a PCH's directives, for pch_acquire. */
static ir_summary *lower_prefix(CXTranslationUnit tu, const char *file, const char **argv, int argc) {
  ir_summary *sum = ir_summary_new(file);
  lower_unit(tu, sum, argv, argc);
  return sum;
}

/* `job` parsed on `pch`: what the PCH defines comes from its summary, lowered once,
 * and the rest from this parse, in the order a parse without the PCH visits them
 * (the PCH's directives come first in the unit). NULL when clang refuses the PCH or
 * the unit has errors on it: the caller parses without, so errors read as they would. */
static ir_summary *parse_on_pch(const compile_job *job, const pch_ready *pch) {
  CXTranslationUnit tu = NULL;
  if (clang_parseTranslationUnit2(pch_index(), job->file, pch->argv, pch->argc, NULL, 0, CXTranslationUnit_KeepGoing,
                                  &tu) != CXError_Success ||
      !tu)
    return NULL;
  bool clean = true;
  for (unsigned i = 0, nd = clang_getNumDiagnostics(tu); i < nd && clean; i++) {
    CXDiagnostic d = clang_getDiagnostic(tu, i);
    clean = clang_getDiagnosticSeverity(d) < CXDiagnostic_Error;
    clang_disposeDiagnostic(d);
  }
  ir_summary *sum = NULL;
  if (clean) {
    sum = ir_summary_new(job->file);
    lower_copy_summary(sum, pch->summary);
    for (unsigned i = 0; i < pch->summary->nincludes; i++) ir_summary_add_include(sum, pch->summary->includes[i]);
    lower_unit(tu, sum, pch->argv, pch->argc); /* the PCH is in the flags: the header memo keeps these apart */
  }
  clang_disposeTranslationUnit(tu);
  return sum;
}

ir_summary *frontend_parse(CXIndex index, const compile_job *job, const char *unsaved, size_t unsaved_len) {
  flags_args fa;
  flags_build(job, &fa);
  const pch_ready *pch = unsaved || fa.error ? NULL : pch_acquire(job, fa.argv, fa.argc, lower_prefix);
  ir_summary *sum = pch ? parse_on_pch(job, pch) : NULL;
  if (sum) {
    flags_args_free(&fa);
    return sum;
  }
  sum = ir_summary_new(job->file);
  if (fa.error) {
    ir_loc loc = {job->file, 0, 0, 0, 0};
    sum->failed = true;
    ir_summary_add_error(sum, loc, fa.error);
  }
  int argc = fa.argc;
  const char **argv = fa.argv;
  struct CXUnsavedFile uf = {job->file, unsaved, (unsigned long)unsaved_len};
  unsigned options = CXTranslationUnit_KeepGoing;
  CXTranslationUnit tu = NULL;
  enum CXErrorCode err =
      clang_parseTranslationUnit2(index, job->file, argv, argc, unsaved ? &uf : NULL, unsaved ? 1 : 0, options, &tu);
  if (err == CXError_Success && tu) {
    char **unknown;
    size_t nunknown = unknown_arguments(tu, &unknown);
    if (nunknown) {
      int m = 0;
      for (int i = 0; i < argc; i++) {
        bool drop = false;
        for (size_t k = 0; k < nunknown && !drop; k++) drop = strcmp(argv[i], unknown[k]) == 0;
        if (!drop) argv[m++] = argv[i];
      }
      argc = m;
      clang_disposeTranslationUnit(tu);
      tu = NULL;
      err = clang_parseTranslationUnit2(index, job->file, argv, argc, unsaved ? &uf : NULL, unsaved ? 1 : 0, options,
                                        &tu);
      for (size_t k = 0; k < nunknown; k++) free(unknown[k]);
    }
    free(unknown);
  }
  if (err != CXError_Success || !tu) {
    ir_loc loc = {job->file, 0, 0, 0, 0};
    sum->failed = true;
    ir_summary_add_error(sum, loc, parse_error_name(err));
    goto done;
  }
  lower_unit(tu, sum, argv, argc);
  if (pch && !sum->failed) pch_refused(job); /* clean without it: its other units would fail on it too */
  clang_disposeTranslationUnit(tu);
done:
  flags_args_free(&fa);
  return sum;
}

const char *frontend_version(void) {
  static char version[160];
  if (!version[0]) {
    CXString v = clang_getClangVersion();
    const char *text = clang_getCString(v);
    snprintf(version, sizeof version, "%s", text && text[0] ? text : "libclang");
    clang_disposeString(v);
  }
  return version;
}
