/* Reading compile_commands.json through libclang's CXCompilationDatabase, and the
 * flag filter that keeps foreign code out of the linter's process. */
#include "compdb.h"

#include <clang-c/CXCompilationDatabase.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base.h"

void compile_job_init(compile_job *job, const char *file, const char *directory, char **args, size_t nargs) {
  job->file = xstrdup(file);
  job->directory = xstrdup(directory);
  job->args = args;
  job->nargs = nargs;
}

compile_job *compile_job_copy(const compile_job *job) {
  compile_job *c = xcalloc(1, sizeof *c);
  char **args = xcalloc(job->nargs + 1, sizeof *args);
  for (size_t i = 0; i < job->nargs; i++) args[i] = xstrdup(job->args[i]);
  compile_job_init(c, job->file, job->directory, args, job->nargs);
  return c;
}

void compile_job_clear(compile_job *job) {
  for (size_t i = 0; i < job->nargs; i++) free(job->args[i]);
  free(job->args);
  free(job->file);
  free(job->directory);
  memset(job, 0, sizeof *job);
}

void compile_job_free(compile_job *job) {
  if (!job) return;
  compile_job_clear(job);
  free(job);
}

static bool starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static bool is_wrapper(const char *argv0) {
  const char *base = strrchr(argv0, '/');
  base = base ? base + 1 : argv0;
  return strcmp(base, "ccache") == 0 || strcmp(base, "sccache") == 0 || strcmp(base, "distcc") == 0 ||
         strcmp(base, "icecc") == 0;
}

/* Flags whose value is the next argument, dropped together with it. */
static bool drops_with_value(const char *a) {
  static const char *const flags[] = {"-o", "-MF", "-MT", "-MQ", "--serialize-diagnostics", "-load", NULL};
  for (int i = 0; flags[i]; i++)
    if (strcmp(a, flags[i]) == 0) return true;
  return false;
}

static bool drops_alone(const char *a) {
  static const char *const exact[] = {"-c", "-M", "-MM", "-MD", "-MMD", "-MG", "-MP", "-pedantic-errors",
                                      "-fcolor-diagnostics", "-fno-color-diagnostics", NULL};
  static const char *const prefixes[] = {"-fplugin=", "-fpass-plugin=", "-fplugin-arg-", "-Werror", "-save-temps",
                                         "-fdiagnostics-color", "-fsanitize", "-o", NULL};
  for (int i = 0; exact[i]; i++)
    if (strcmp(a, exact[i]) == 0) return true;
  for (int i = 0; prefixes[i]; i++)
    if (starts_with(a, prefixes[i])) return true;
  return false;
}

/* -Xclang options that load a plugin, and how many -Xclang values follow them. */
static int xclang_plugin_values(const char *a) {
  if (strcmp(a, "-load") == 0 || strcmp(a, "-plugin") == 0 || strcmp(a, "-add-plugin") == 0) return 1;
  if (starts_with(a, "-plugin-arg-")) return 1;
  if (starts_with(a, "-load=") || starts_with(a, "-add-plugin=") || starts_with(a, "-plugin=") ||
      starts_with(a, "-fpass-plugin=") || starts_with(a, "-fplugin="))
    return 0;
  return -1;
}

/* clang-cl hands a `/clang:X` (or `-clang:X`) argument to the clang driver as X. */
static const char *unwrap(const char *a) {
  return starts_with(a, "/clang:") || starts_with(a, "-clang:") ? a + strlen("/clang:") : a;
}

/* At argv[i], a value for the compiler proper (`-Xclang V`, `-Xclang=V`): sets *value
 * and returns how many arguments it spans, else 0. */
static size_t xclang_at(const char *const *argv, size_t argc, size_t i, const char **value) {
  if (i >= argc) return 0;
  const char *a = unwrap(argv[i]);
  if (strcmp(a, "-Xclang") == 0 && i + 1 < argc) {
    *value = unwrap(argv[i + 1]);
    return 2;
  }
  if (starts_with(a, "-Xclang=")) {
    *value = a + strlen("-Xclang=");
    return 1;
  }
  return 0;
}

/* An LLVM option (the value of -mllvm) that loads a library: -load, -load=lib.so,
 * -load-pass-plugin=..., with one dash or two. */
static bool llvm_loads(const char *o) {
  while (*o == '-') o++;
  return starts_with(o, "load") || strstr(o, "plugin") != NULL;
}

/* At argv[i], how many arguments make up a flag that would load code into the linter
 * (a plugin, a pass plugin, an LLVM -load, a clang config file, which can hold any of
 * them), else 0. */
static size_t loads_code(const char *const *argv, size_t argc, size_t i) {
  const char *a = unwrap(argv[i]), *v;
  if (strcmp(a, "--config") == 0) return i + 1 < argc ? 2 : 1;
  if (starts_with(a, "--config=") || starts_with(a, "--config-system-dir=") || starts_with(a, "--config-user-dir="))
    return 1;
  if (starts_with(a, "-fplugin=") || starts_with(a, "-fpass-plugin=") || starts_with(a, "-fplugin-arg-")) return 1;
  if (strcmp(a, "-mllvm") == 0 && i + 1 < argc) {
    const char *o = unwrap(argv[i + 1]);
    if (!llvm_loads(o)) return 0;
    /* `-mllvm -load -mllvm lib.so`: the library is the next -mllvm value */
    if (!strchr(o, '=') && i + 3 < argc && strcmp(unwrap(argv[i + 2]), "-mllvm") == 0) return 4;
    return 2;
  }
  size_t n = xclang_at(argv, argc, i, &v);
  if (!n) return 0;
  if (strcmp(v, "-mllvm") == 0) { /* the same through -Xclang, each word wrapped */
    const char *o;
    size_t w = xclang_at(argv, argc, i + n, &o);
    if (!w || !llvm_loads(o)) return 0;
    n += w;
    const char *m, *lib;
    size_t wm = strchr(o, '=') ? 0 : xclang_at(argv, argc, i + n, &m);
    size_t wl = wm && strcmp(m, "-mllvm") == 0 ? xclang_at(argv, argc, i + n + wm, &lib) : 0;
    return wl ? n + wm + wl : n;
  }
  int values = xclang_plugin_values(v);
  if (values < 0) return 0;
  for (int k = 0; k < values; k++) {
    const char *x;
    size_t w = xclang_at(argv, argc, i + n, &x);
    if (!w) break;
    n += w;
  }
  return n;
}

static bool same_file(const char *arg, const char *file, const char *directory) {
  if (strcmp(arg, file) == 0) return true;
  char *abs = path_absolute(arg, directory);
  bool same = strcmp(abs, file) == 0;
  free(abs);
  return same;
}

char **compdb_filter_flags(const char *const *argv, size_t argc, const char *file, const char *directory,
                           size_t *nout) {
  char **out = xcalloc(argc + 1, sizeof *out);
  size_t n = 0;
  for (size_t i = 0; i < argc; i++) {
    size_t skip = loads_code(argv, argc, i);
    if (skip) {
      i += skip - 1;
      continue;
    }
    const char *v;
    size_t pair = xclang_at(argv, argc, i, &v);
    if (pair) { /* kept whole, so its value is not read as a driver flag below */
      for (size_t k = 0; k < pair; k++) out[n++] = xstrdup(argv[i + k]);
      i += pair - 1;
      continue;
    }
    const char *a = unwrap(argv[i]);
    if (drops_with_value(a)) {
      i++;
      continue;
    }
    if (drops_alone(a)) continue;
    if (a[0] != '-' && file && same_file(a, file, directory)) continue;
    out[n++] = xstrdup(argv[i]);
  }
  out[n] = NULL;
  *nout = n;
  return out;
}

char **compdb_filter_args(const char *const *argv, size_t argc, const char *file, const char *directory,
                          size_t *nout) {
  size_t i = 0;
  if (argc > 0 && is_wrapper(argv[0])) i++;
  if (i < argc && argv[i][0] != '-') i++; /* the compiler */
  return compdb_filter_flags(argv + i, argc - i, file, directory, nout);
}

/* A precise message for a database that does not parse. */
static char *json_error(const char *path) {
  size_t len;
  char *text = file_read(path, &len);
  if (!text) return xasprintf("cannot read compile database %s", path);
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
  char *msg;
  if (!root) {
    const char *at = cJSON_GetErrorPtr();
    unsigned line, col;
    text_position(text, at && at >= text ? (size_t)(at - text) : 0, &line, &col);
    msg = xasprintf("%s:%u:%u: invalid JSON in compile database", path, line, col);
  } else if (!cJSON_IsArray(root)) {
    msg = xasprintf("%s: compile database is not a JSON array", path);
  } else {
    msg = xasprintf("%s: compile database entries need \"directory\", \"file\" and \"command\" or \"arguments\"",
                    path);
  }
  cJSON_Delete(root);
  free(text);
  return msg;
}

int compdb_load(const char *dir, compdb *out, char **error) {
  memset(out, 0, sizeof *out);
  *error = NULL;
  char *path = path_join(dir, "compile_commands.json");
  if (!path_is_file(path)) {
    *error = xasprintf("no compile_commands.json in %s (configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON, "
                       "or pass flags after --)", dir);
    free(path);
    return -1;
  }
  /* libclang reads the file whole, so the size limit is checked first */
  char *why = file_check(path, FILE_LIMIT_DEFAULT);
  if (why) {
    *error = xasprintf("cannot read compile database %s: %s", path, why);
    free(why);
    free(path);
    return -1;
  }
  CXCompilationDatabase_Error err;
  /* libclang prints YAML excerpts of a broken file on stderr; json_error says it in one line */
  int saved = stderr_silence();
  CXCompilationDatabase db = clang_CompilationDatabase_fromDirectory(dir, &err);
  stderr_restore(saved);
  if (err != CXCompilationDatabase_NoError || !db) {
    *error = json_error(path);
    free(path);
    return -1;
  }
  CXCompileCommands cmds = clang_CompilationDatabase_getAllCompileCommands(db);
  unsigned n = clang_CompileCommands_getSize(cmds);
  if (n == 0) {
    /* libclang reads a malformed file as empty: tell the two apart */
    size_t len;
    char *text = file_read(path, &len);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    bool really_empty = root && cJSON_IsArray(root) && cJSON_GetArraySize(root) == 0;
    cJSON_Delete(root);
    free(text);
    if (!really_empty) {
      *error = json_error(path);
      clang_CompileCommands_dispose(cmds);
      clang_CompilationDatabase_dispose(db);
      free(path);
      return -1;
    }
  }
  out->path = path;
  out->jobs = xcalloc(n ? n : 1, sizeof *out->jobs); /* never moves: the index points into it */
  out->index = strmap_new();
  for (unsigned i = 0; i < n; i++) {
    CXCompileCommand cmd = clang_CompileCommands_getCommand(cmds, i);
    CXString d = clang_CompileCommand_getDirectory(cmd);
    CXString f = clang_CompileCommand_getFilename(cmd);
    const char *directory = clang_getCString(d);
    char *file = path_absolute(clang_getCString(f), directory);
    unsigned argc = clang_CompileCommand_getNumArgs(cmd);
    const char **argv = xcalloc(argc + 1, sizeof *argv);
    CXString *strs = xcalloc(argc + 1, sizeof *strs);
    for (unsigned a = 0; a < argc; a++) {
      strs[a] = clang_CompileCommand_getArg(cmd, a);
      argv[a] = clang_getCString(strs[a]);
    }
    size_t nargs;
    char **args = compdb_filter_args(argv, argc, file, directory, &nargs);
    /* the same file compiled twice (two targets): the first entry wins */
    if (!compdb_find(out, file)) {
      compile_job *job = &out->jobs[out->njobs++];
      compile_job_init(job, file, directory, args, nargs);
      strmap_put(out->index, job->file, job);
    } else {
      for (size_t k = 0; k < nargs; k++) free(args[k]);
      free(args);
    }
    for (unsigned a = 0; a < argc; a++) clang_disposeString(strs[a]);
    free(strs);
    free(argv);
    free(file);
    clang_disposeString(d);
    clang_disposeString(f);
  }
  clang_CompileCommands_dispose(cmds);
  clang_CompilationDatabase_dispose(db);
  return 0;
}

void compdb_free(compdb *db) {
  for (size_t i = 0; i < db->njobs; i++) compile_job_clear(&db->jobs[i]);
  free(db->jobs);
  free(db->path);
  strmap_free(db->index);
  memset(db, 0, sizeof *db);
}

const compile_job *compdb_find(const compdb *db, const char *file) {
  void *job;
  return db->index && strmap_get(db->index, file, &job) ? job : NULL;
}

static size_t common_prefix_dirs(const char *a, const char *b) {
  size_t n = 0, last = 0;
  while (a[n] && a[n] == b[n]) {
    if (a[n] == '/') last = n;
    n++;
  }
  return last;
}

compile_job *compdb_infer(const compdb *db, const char *file) {
  const compile_job *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < db->njobs; i++) {
    size_t len = common_prefix_dirs(db->jobs[i].file, file);
    if (!best || len > best_len) {
      best = &db->jobs[i];
      best_len = len;
    }
  }
  if (!best) return NULL;
  compile_job *job = compile_job_copy(best);
  free(job->file);
  job->file = xstrdup(file);
  return job;
}
