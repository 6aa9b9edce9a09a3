/* Parsing a translation unit and walking its function definitions. */
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "lower.h"

#define MAX_ERRORS 10

/* Flags whose value is a path, joined (`-Iinc`) or separate (`-I inc`). */
static const char *const path_flags[] = {"-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros",
                                         "-isysroot", "--sysroot", "-F", "-iprefix", "-iwithprefix", NULL};

/* Front-end arguments: relative paths made absolute against the compile command's
 * directory, and no warnings (only errors matter to the linter). libclang's own
 * `-working-directory` is not used: it changes the process's working directory,
 * which parse threads share. The returned strings are owned by *owned. */
static const char **build_args(const compile_job *job, int *argc, char ***owned, size_t *nowned) {
  const char **argv = xcalloc(job->nargs + 2, sizeof *argv);
  *owned = xcalloc(job->nargs + 1, sizeof **owned);
  *nowned = 0;
  int n = 0;
  for (size_t i = 0; i < job->nargs; i++) {
    const char *a = job->args[i];
    argv[n++] = a;
    for (int f = 0; path_flags[f]; f++) {
      size_t len = strlen(path_flags[f]);
      if (strncmp(a, path_flags[f], len) != 0) continue;
      const char *value = a[len] == '=' ? a + len + 1 : a + len;
      if (*value == '\0' && i + 1 < job->nargs && a[len] == '\0') {
        /* separate form: the next argument is the path */
        const char *next = job->args[i + 1];
        if (next[0] != '/') {
          char *abs = path_absolute(next, job->directory);
          (*owned)[(*nowned)++] = abs;
          argv[n++] = abs;
        } else {
          argv[n++] = next;
        }
        i++;
      } else if (*value && *value != '/') {
        char *abs = path_absolute(value, job->directory);
        char *joined = xasprintf("%.*s%s", (int)(value - a), a, abs);
        free(abs);
        (*owned)[(*nowned)++] = joined;
        argv[n - 1] = joined;
      }
      break;
    }
  }
  argv[n++] = "-w";
  *argc = n;
  return argv;
}

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

static const char *parse_error_name(enum CXErrorCode e) {
  switch (e) {
  case CXError_Crashed: return "libclang crashed while parsing";
  case CXError_InvalidArguments: return "invalid arguments for libclang";
  case CXError_ASTReadError: return "libclang could not read the AST";
  default: return "libclang failed to parse";
  }
}

ir_summary *frontend_parse(CXIndex index, const compile_job *job, const char *unsaved, size_t unsaved_len) {
  ir_summary *sum = ir_summary_new(job->file);
  int argc;
  char **owned;
  size_t nowned;
  const char **argv = build_args(job, &argc, &owned, &nowned);
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
  record_errors(sum, tu);
  walk_ctx w = {lower_files_new(tu), sum};
  clang_visitChildren(clang_getTranslationUnitCursor(tu), visit_top, &w);
  lower_files_free(w.files);
  clang_disposeTranslationUnit(tu);
done:
  for (size_t i = 0; i < nowned; i++) free(owned[i]);
  free(owned);
  free(argv);
  return sum;
}
