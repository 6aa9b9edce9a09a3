/* Front-end arguments that mean what they mean to clang in the compile command's
 * directory. libclang's `-working-directory` cannot be given to the driver: it chdir()s
 * the process, and parse threads share the process. So the driver sees a path made
 * absolute where clang would resolve it against its working directory and finds it
 * there, and anything else as written (`-include unistd.h`, a missing file), so clang's
 * own search goes on and its error names what was written. The compiler proper gets the
 * directory as its working directory (`-Xclang -working-directory`, no chdir()), so what
 * is kept as written is looked up there, not in the linter's own directory. */
#include "flags.h"

#include <clang-c/Index.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Response files nested deeper than this are a loop (clang reports recursion too). */
#define MAX_RESPONSE_DEPTH 32
/* More arguments than this from response files is a runaway input, not a command. */
#define MAX_EXPANDED_ARGS 1000000

typedef struct {
  const char **items;
  size_t len, cap;
} arg_vec;

static void push(arg_vec *v, const char *s) {
  if (v->len + 1 >= v->cap) {
    v->cap = v->cap ? v->cap * 2 : 16;
    v->items = xrealloc(v->items, v->cap * sizeof *v->items);
  }
  v->items[v->len++] = s;
  v->items[v->len] = NULL;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

size_t flags_split_response(const char *text, char ***out) {
  VEC(char *) toks = {0};
  strbuf tok = {0}; /* an empty token (`""` alone) is no argument, as in LLVM */
  const char *p = text;
  if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
  for (; *p; p++) {
    char c = *p;
    if (c == '\\' && p[1]) {
      sb_appendc(&tok, *++p);
    } else if (c == '"' || c == '\'') {
      for (p++; *p && *p != c; p++) {
        if (*p == '\\' && p[1]) p++;
        sb_appendc(&tok, *p);
      }
      if (!*p) break;
    } else if (is_blank(c)) {
      if (tok.len) VEC_PUSH(toks, sb_take(&tok));
    } else {
      sb_appendc(&tok, c);
    }
  }
  if (tok.len) VEC_PUSH(toks, sb_take(&tok));
  sb_free(&tok);
  *out = toks.items;
  return toks.len;
}

/* Appends `args` to `dst` (strings from `pool`) with every readable `@file` replaced by
 * its tokens. clang's driver reads a relative name against its working directory, also
 * inside a response file. A name that cannot be read sets *error and is dropped, or
 * with `keep`, stays an argument for a later reading to report. */
static void expand(const char *const *args, size_t n, const char *dir, int depth, bool keep, arg_vec *dst,
                   strpool *pool, char **error) {
  for (size_t i = 0; i < n; i++) {
    const char *a = args[i];
    if (a[0] != '@' || a[1] == '\0') {
      push(dst, strpool_intern(pool, a));
      continue;
    }
    char *problem = NULL, **toks = NULL, *why = NULL;
    size_t ntoks = 0, len;
    char *path = a[1] == '/' ? xstrdup(a + 1) : path_join(dir, a + 1);
    char *text = depth < MAX_RESPONSE_DEPTH ? file_read_limited(path, FILE_LIMIT_CONFIG, &len, &why) : NULL;
    free(path);
    if (depth >= MAX_RESPONSE_DEPTH)
      problem = xasprintf("response files nest more than %d deep at '%s'", MAX_RESPONSE_DEPTH, a);
    else if (!text)
      problem = xasprintf("cannot read response file '%s': %s", a, why ? why : "unreadable");
    else if ((ntoks = flags_split_response(text, &toks)) + dst->len > MAX_EXPANDED_ARGS)
      problem = xasprintf("response file '%s' expands to too many arguments", a);
    else
      expand((const char *const *)toks, ntoks, dir, depth + 1, keep, dst, pool, error);
    if (problem) {
      if (*error) free(problem);
      else *error = problem;
      if (keep) push(dst, strpool_intern(pool, a));
    }
    for (size_t k = 0; k < ntoks; k++) free(toks[k]);
    free(toks);
    free(text);
    free(why);
  }
}

char **flags_expand_response_files(const char *const *argv, size_t argc, const char *directory, size_t *nout) {
  strpool *pool = strpool_new();
  arg_vec v = {0};
  char *error = NULL;
  expand(argv, argc, directory, 0, true, &v, pool, &error);
  char **out = xcalloc(v.len + 1, sizeof *out);
  for (size_t i = 0; i < v.len; i++) out[i] = xstrdup(v.items[i]);
  *nout = v.len;
  free(v.items);
  free(error);
  strpool_free(pool);
  return out;
}

/* How clang reads the value of a path-taking flag. */
typedef enum {
  ARG_NONE,        /* an option that only looks like one of the others: no path */
  ARG_DIR,         /* a search directory */
  ARG_DIR_SYSROOT, /* a search directory; a leading '=' stands for the sysroot when one is given */
  ARG_FILE,        /* a file looked up in the working directory first (-include: then as `#include "..."`) */
  ARG_SYSROOT,     /* the sysroot: system directories are found under it */
  ARG_PREFIX,      /* -iprefix: a string prefix of the -iwithprefix values after it */
  ARG_WITH_PREFIX, /* -iwithprefix: the current prefix followed by the value, as one string */
} arg_kind;

typedef struct {
  const char *name;
  arg_kind kind;
  bool joined;   /* `-Ivalue` */
  bool separate; /* `-I value` */
} arg_spec;

/* clang picks the longest option name that matches, so `-include-pch` is not `-include`
 * with the value `-pch`, nor `-isystem-after` `-isystem`: the table holds both. */
static const arg_spec specs[] = {
    {"-I", ARG_DIR_SYSROOT, true, true},
    {"-I-", ARG_NONE, false, false},
    {"-iquote", ARG_DIR_SYSROOT, true, true},
    {"-isystem", ARG_DIR_SYSROOT, true, true},
    {"-idirafter", ARG_DIR_SYSROOT, true, true},
    {"-isystem-after", ARG_DIR, true, true},
    {"-cxx-isystem", ARG_DIR, true, true},
    {"-iwithsysroot", ARG_DIR, true, true}, /* an absolute value is under the sysroot, a relative one is not */
    {"-F", ARG_DIR, true, true},
    {"-iframework", ARG_DIR, true, true},
    {"-iframeworkwithsysroot", ARG_DIR, true, true},
    {"-include", ARG_FILE, true, true},
    {"-imacros", ARG_FILE, true, true},
    {"-include-pch", ARG_FILE, false, true},
    {"-isysroot", ARG_SYSROOT, true, true},
    {"--sysroot", ARG_SYSROOT, false, true},
    {"--sysroot=", ARG_SYSROOT, true, false},
    {"-iprefix", ARG_PREFIX, true, true},
    {"-iwithprefix", ARG_WITH_PREFIX, true, true},
    {"-iwithprefixbefore", ARG_WITH_PREFIX, true, true},
    {"-resource-dir", ARG_DIR, false, true},
    {"-resource-dir=", ARG_DIR, true, false},
};

/* The spec of `a` (longest match) and where its joined value starts, or NULL. */
static const arg_spec *match(const char *a, const char **joined_value) {
  const arg_spec *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
    size_t len = strlen(specs[i].name);
    if (len <= best_len || strncmp(a, specs[i].name, len) != 0) continue;
    bool exact = a[len] == '\0';
    if (exact ? !specs[i].separate && specs[i].kind != ARG_NONE : !specs[i].joined) continue;
    best = &specs[i];
    best_len = len;
  }
  *joined_value = best && a[best_len] ? a + best_len : NULL;
  return best;
}

static bool exists(const char *path, bool dir) {
  struct stat st;
  return stat(path, &st) == 0 && (dir ? S_ISDIR(st.st_mode) : true);
}

static bool has_dotdot(const char *p) {
  for (const char *s = strstr(p, ".."); s; s = strstr(s + 1, ".."))
    if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0')) return true;
  return false;
}

/* `value` against `dir` as the kernel resolves it: lexically tidied unless a `..`
 * could step out of a symlink, where tidying would change the meaning. */
static char *join(const char *dir, const char *value) {
  return has_dotdot(value) ? path_join(dir, value) : path_absolute(value, dir);
}

/* The value to give the driver: absolute where clang would find it in `dir`, else as written. */
static const char *resolve(const arg_spec *s, const char *value, const char *dir, bool have_sysroot,
                           const char *prefix, flags_args *out) {
  if (value[0] == '/' || s->kind == ARG_NONE) return value;
  if (s->kind == ARG_DIR_SYSROOT && value[0] == '=' && have_sysroot) return value;
  if (s->kind == ARG_WITH_PREFIX && prefix && prefix[0]) return value; /* appended to the prefix, not a path */
  if (s->kind == ARG_PREFIX) {
    /* a string prefix, not a path: join without tidying, so "inc/" + "x" stays "inc/x" */
    char *abs = xasprintf("%s/%s", dir, value);
    const char *v = strpool_intern(out->pool, abs);
    free(abs);
    return v;
  }
  char *plain = path_join(dir, value);
  bool there = exists(plain, s->kind != ARG_FILE);
  free(plain);
  if (!there) return value;
  char *abs = join(dir, value);
  const char *v = strpool_intern(out->pool, abs);
  free(abs);
  return v;
}

static bool has_sysroot(const char *const *args, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const char *v;
    const arg_spec *s = match(args[i], &v);
    if (s && s->kind == ARG_SYSROOT) return true;
  }
  return false;
}

static bool has_resource_dir(const char *const *args, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strncmp(args[i], "-resource-dir", strlen("-resource-dir")) == 0) return true;
  return false;
}

/* clang-cl reads `-F...`, `-I...` and the rest with its own rules: its paths are left to
 * the compiler's working directory alone. */
static bool cl_mode(const char *const *args, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(args[i], "--driver-mode=cl") == 0) return true;
  return false;
}

/* A `-working-directory` in the command moves the directory everything is relative to;
 * it is taken out (the driver would chdir() the shared process) and its value returned. */
static const char *working_directory(const char **args, size_t *n, const char *dir, flags_args *out) {
  static const char name[] = "-working-directory";
  size_t m = 0;
  const char *wd = dir;
  for (size_t i = 0; i < *n; i++) {
    const char *a = args[i], *v = NULL;
    if (strncmp(a, name, sizeof name - 1) == 0) {
      const char *rest = a + sizeof name - 1;
      if (*rest == '\0' && i + 1 < *n) v = args[++i];
      else if (*rest) v = *rest == '=' ? rest + 1 : rest;
    }
    if (!v) {
      args[m++] = a;
      continue;
    }
    char *abs = path_absolute(v, wd);
    wd = strpool_intern(out->pool, abs);
    free(abs);
  }
  *n = m;
  args[m] = NULL;
  return wd;
}

/* libclang may name its resource directory (builtin headers such as stddef.h) relative
 * to the process's directory; the compiler's working directory would then move it.
 * Found once by including stddef.h: NULL when libclang's own name is absolute. */
static pthread_once_t resource_once = PTHREAD_ONCE_INIT;
static char *resource_dir;

static void note_stddef(CXFile file, CXSourceLocation *stack, unsigned depth, CXClientData data) {
  (void)stack;
  char **found = data;
  if (depth != 1 || *found) return;
  CXString name = clang_getFileName(file);
  const char *n = clang_getCString(name);
  size_t len = n ? strlen(n) : 0;
  if (len >= strlen("/stddef.h") && strcmp(n + len - strlen("/stddef.h"), "/stddef.h") == 0) *found = xstrdup(n);
  clang_disposeString(name);
}

static void find_resource_dir(void) {
  static const char probe[] = "/calm-lint-resource-probe.c", text[] = "#include <stddef.h>\n";
  struct CXUnsavedFile uf = {probe, text, sizeof text - 1};
  const char *args[] = {"-w"};
  CXIndex index = clang_createIndex(0, 0);
  CXTranslationUnit tu = NULL;
  char *stddef = NULL;
  if (clang_parseTranslationUnit2(index, probe, args, 1, &uf, 1, CXTranslationUnit_None, &tu) == CXError_Success) {
    clang_getInclusions(tu, note_stddef, &stddef);
    clang_disposeTranslationUnit(tu);
  }
  clang_disposeIndex(index);
  if (stddef && stddef[0] != '/') {
    char *abs = path_absolute(stddef, NULL), *inc = path_dirname(abs);
    resource_dir = path_dirname(inc);
    free(inc);
    free(abs);
  }
  free(stddef);
}

void flags_build(const compile_job *job, flags_args *out) {
  memset(out, 0, sizeof *out);
  out->pool = strpool_new();
  arg_vec raw = {0}, argv = {0};
  expand((const char *const *)job->args, job->nargs, job->directory, 0, false, &raw, out->pool, &out->error);

  /* what came out of response files passes the database's filter too */
  size_t nflags;
  char **flags = compdb_filter_flags(raw.items, raw.len, job->file, job->directory, &nflags);
  free(raw.items);
  const char **args = xcalloc(nflags + 1, sizeof *args);
  for (size_t i = 0; i < nflags; i++) args[i] = strpool_intern(out->pool, flags[i]);
  for (size_t i = 0; i < nflags; i++) free(flags[i]);
  free(flags);

  const char *dir = working_directory(args, &nflags, job->directory, out);
  bool sysroot = has_sysroot(args, nflags), cl = cl_mode(args, nflags), own_resources = has_resource_dir(args, nflags);
  const char *prefix = NULL;
  for (size_t i = 0; i < nflags; i++) {
    const char *a = args[i], *value;
    const arg_spec *s = cl ? NULL : match(a, &value);
    if (!s || s->kind == ARG_NONE || (!value && i + 1 >= nflags)) { /* a missing value: clang reports it */
      push(&argv, a);
      continue;
    }
    const char *v = resolve(s, value ? value : args[i + 1], dir, sysroot, prefix, out);
    if (s->kind == ARG_PREFIX) prefix = v;
    if (value) {
      char *joined = xasprintf("%.*s%s", (int)(value - a), a, v);
      push(&argv, v == value ? a : strpool_intern(out->pool, joined));
      free(joined);
    } else {
      push(&argv, a);
      push(&argv, v);
      i++;
    }
  }
  free(args);
  if (!own_resources) pthread_once(&resource_once, find_resource_dir);
  if (!own_resources && resource_dir) {
    push(&argv, "-resource-dir");
    push(&argv, resource_dir);
  }
  push(&argv, "-Xclang");
  push(&argv, "-working-directory");
  push(&argv, "-Xclang");
  push(&argv, dir);
  push(&argv, "-w");
  out->argv = argv.items;
  out->argc = (int)argv.len;
}

void flags_args_free(flags_args *a) {
  free(a->argv);
  strpool_free(a->pool);
  free(a->error);
  memset(a, 0, sizeof *a);
}
