/* Reading compile_commands.json, and the flag filter that keeps foreign code out of the
 * linter's process. The file is read here, not by libclang's CXCompilationDatabase:
 * that one expands `@response` files as it loads, with no limit (`@/dev/zero` ran it out
 * of memory, a FIFO hung it) and with nested names against the including file where
 * clang's driver reads them against the directory. They are expanded as flags.c reads
 * them. */
#include "compdb.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base.h"
#include "flags.h"

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

/* A "command" split as clang's JSON compilation database splits it on POSIX: blanks
 * separate, a backslash escapes the next character, single quotes keep everything,
 * double quotes keep everything but backslash escapes. */
static char **split_command(const char *s, size_t *n) {
  VEC(char *) out = {0};
  strbuf tok = {0};
  bool open = false; /* a token has begun, perhaps as an empty "" */
  for (; *s; s++) {
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
      if (open) VEC_PUSH(out, sb_take(&tok));
      open = false;
      continue;
    }
    open = true;
    if (*s == '\\' && s[1]) {
      sb_appendc(&tok, *++s);
    } else if (*s == '\'' || *s == '"') {
      char q = *s;
      for (s++; *s && *s != q; s++) {
        if (q == '"' && *s == '\\' && s[1]) s++;
        sb_appendc(&tok, *s);
      }
      if (!*s) break;
    } else {
      sb_appendc(&tok, *s);
    }
  }
  if (open) VEC_PUSH(out, sb_take(&tok));
  sb_free(&tok);
  VEC_PUSH(out, NULL);
  *n = out.len - 1;
  return out.items;
}

static bool ends_with(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && strncmp(s + n - k, suffix, k) == 0;
}

/* The driver mode the compiler's name implies, as libclang infers it for its own
 * database reader: clang-cl (any `...cl`) reads cl flags, `...++` compiles C++. The
 * compiler is dropped from the flags, so the mode has to be said. NULL: the default. */
static const char *driver_mode(const char *argv0) {
  const char *base = strrchr(argv0, '/');
  base = base ? base + 1 : argv0;
  size_t n = strlen(base);
  if (n > 4 && strcmp(base + n - 4, ".exe") == 0) n -= 4;
  size_t v = n; /* a version suffix: clang++-14, g++-12.2 */
  while (v > 0 && (base[v - 1] == '.' || (base[v - 1] >= '0' && base[v - 1] <= '9'))) v--;
  if (v > 0 && v < n && base[v - 1] == '-') n = v - 1;
  if (ends_with(base, n, "cl")) return "--driver-mode=cl";
  if (ends_with(base, n, "++")) return "--driver-mode=g++";
  return NULL;
}

/* One entry's command line, the compiler first: "arguments", else "command" split.
 * NULL if the entry has neither (or a non-string argument). */
static char **entry_argv(const cJSON *e, size_t *n) {
  const cJSON *arguments = cJSON_GetObjectItemCaseSensitive(e, "arguments");
  const cJSON *command = cJSON_GetObjectItemCaseSensitive(e, "command");
  if (cJSON_IsArray(arguments)) {
    size_t count = (size_t)cJSON_GetArraySize(arguments), k = 0;
    char **argv = xcalloc(count + 1, sizeof *argv);
    const cJSON *a;
    cJSON_ArrayForEach(a, arguments) {
      if (!cJSON_IsString(a)) {
        for (size_t i = 0; i < k; i++) free(argv[i]);
        free(argv);
        return NULL;
      }
      argv[k++] = xstrdup(a->valuestring);
    }
    *n = k;
    return argv;
  }
  return cJSON_IsString(command) ? split_command(command->valuestring, n) : NULL;
}

static void free_argv(char **argv, size_t n) {
  for (size_t i = 0; i < n; i++) free(argv[i]);
  free(argv);
}

/* Records `job` as the first entry under each directory of its path ("/", "/src/",
 * "/src/net/"), for compdb_infer. */
static void index_dirs(compdb *db, const compile_job *job) {
  for (const char *p = job->file; (p = strchr(p, '/')) != NULL; p++) {
    char *dir = xstrndup(job->file, (size_t)(p - job->file) + 1);
    if (!strmap_get(db->dirs, dir, NULL)) strmap_put(db->dirs, dir, (void *)job);
    free(dir);
  }
}

/* Adds one entry; false if it lacks "directory", "file" or a command. */
static bool add_entry(compdb *out, const cJSON *e, const char *db_dir) {
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "directory");
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "file");
  size_t argc;
  char **argv = cJSON_IsString(d) && cJSON_IsString(f) ? entry_argv(e, &argc) : NULL;
  if (!argv) return false;
  const char *mode = argc ? driver_mode(argv[0]) : NULL;
  for (size_t i = 1; mode && i < argc; i++)
    if (strncmp(argv[i], "--driver-mode=", strlen("--driver-mode=")) == 0) mode = NULL;
  if (mode) { /* said right after the compiler, where libclang puts it */
    argv = xrealloc(argv, (argc + 2) * sizeof *argv);
    memmove(argv + 2, argv + 1, (argc - 1) * sizeof *argv);
    argv[1] = xstrdup(mode);
    argc++;
  }
  char *directory = path_absolute(d->valuestring, db_dir);
  char *file = path_absolute(f->valuestring, directory);
  /* response files are read now, so the job (and the summary cache's key) holds their flags */
  size_t nexp;
  char **expanded = flags_expand_response_files((const char *const *)argv, argc, directory, &nexp);
  free_argv(argv, argc);
  argv = expanded;
  argc = nexp;
  size_t nargs;
  char **args = compdb_filter_args((const char *const *)argv, argc, file, directory, &nargs);
  /* the same file compiled twice (two targets): the first entry wins */
  if (!compdb_find(out, file)) {
    compile_job *job = &out->jobs[out->njobs++];
    compile_job_init(job, file, directory, args, nargs);
    strmap_put(out->index, job->file, job);
    index_dirs(out, job);
  } else {
    free_argv(args, nargs);
  }
  free_argv(argv, argc);
  free(file);
  free(directory);
  return true;
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
  size_t len;
  char *why = NULL;
  char *text = file_read_limited(path, FILE_LIMIT_DEFAULT, &len, &why);
  if (!text) {
    *error = xasprintf("cannot read compile database %s: %s", path, why ? why : "unreadable");
    free(why);
    free(path);
    return -1;
  }
  cJSON *root = cJSON_ParseWithOpts(text, NULL, 1);
  free(text);
  size_t n = cJSON_IsArray(root) ? (size_t)cJSON_GetArraySize(root) : 0;
  out->path = path;
  out->jobs = xcalloc(n ? n : 1, sizeof *out->jobs); /* never moves: the index points into it */
  out->index = strmap_new();
  out->dirs = strmap_new();
  bool ok = cJSON_IsArray(root);
  char *db_dir = path_absolute(dir, NULL); /* what a relative "directory" is relative to */
  for (const cJSON *e = ok ? root->child : NULL; ok && e; e = e->next)
    ok = cJSON_IsObject(e) && add_entry(out, e, db_dir);
  free(db_dir);
  cJSON_Delete(root);
  if (!ok) {
    *error = json_error(path);
    compdb_free(out);
    return -1;
  }
  return 0;
}

void compdb_free(compdb *db) {
  for (size_t i = 0; i < db->njobs; i++) compile_job_clear(&db->jobs[i]);
  free(db->jobs);
  free(db->path);
  strmap_free(db->index);
  strmap_free(db->dirs);
  memset(db, 0, sizeof *db);
}

const compile_job *compdb_find(const compdb *db, const char *file) {
  void *job;
  return db->index && strmap_get(db->index, file, &job) ? job : NULL;
}

/* The entry whose source shares the longest run of directories with `file`, the
 * first in the database among equals: the first entry under the deepest directory of
 * `file` that holds one (an index, not a scan: a directory of new files asks once per
 * file). */
compile_job *compdb_infer(const compdb *db, const char *file) {
  const compile_job *best = db->njobs ? &db->jobs[0] : NULL;
  size_t n = strlen(file);
  char *dir = xstrdup(file);
  for (size_t i = n; db->dirs && i-- > 0;) {
    if (dir[i] != '/') continue;
    dir[i + 1] = 0;
    void *job;
    if (strmap_get(db->dirs, dir, &job)) {
      best = job;
      break;
    }
  }
  free(dir);
  if (!best) return NULL;
  compile_job *job = compile_job_copy(best);
  free(job->file);
  job->file = xstrdup(file);
  return job;
}
