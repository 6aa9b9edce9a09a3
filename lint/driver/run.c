/* One run of calm-lint: options, inputs and compile flags, configuration and
 * models, the parallel parse, linking, the rules, suppressions, and output. */
#define _GNU_SOURCE
#include "run.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../rules/rule.h"
#include "../base/base.h"
#include "../frontend/compdb.h"
#include "../graph/program.h"
#include "../graph/source.h"
#include "../lsp/lsp.h"
#include "../report/report.h"
#include "cache.h"
#include "config.h"
#include "options.h"
#include "output.h"
#include "schedule.h"
#include "fix.h"
#include "suppress.h"

#ifndef CALM_VERSION
#define CALM_VERSION "0"
#endif

#define CONFIG_NAME ".calm-lint.json"
#define PROGRESS_MIN_UNITS 8

typedef struct {
  cli_options opt;
  char *cwd;
  char *srcroot; /* --srcroot made absolute, else cwd */
  VEC(compile_job) jobs;
  compdb db;
  bool have_db;
  char *stdin_text;
  size_t stdin_len;
  char *stdin_path;
  lint_config cli_config;
  bool have_cli_config;
  strmap *configs;     /* config path -> lint_config* ; "" key unused */
  strmap *config_of;   /* directory -> lint_config* that governs it (NULL: none) */
  model_db *models;
  strmap *job_ids;     /* path and device:inode of each job's file: a file reached twice is one job */
  bool context_run;    /* a header is an input: the whole database is parsed for context */
  strmap *named;       /* context_run: the files whose findings are reported */
  strmap *model_notes; /* model name -> its description (malloc'd), for --list-models */
  int status;
  double cpu_read, cpu_link, cpu_rules; /* --statistics: CPU seconds after the parse */
  path_map *maps;                       /* --path-map, made absolute (strings malloc'd) */
  size_t nmaps;
  unsigned withheld; /* findings whose chain took more guesses than max_guesses allows */
} run_state;

/* CPU seconds of this process (the parse workers are processes of their own), for
 * --statistics: the steps after the parse, each on its own. */
static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(run_state *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(run_state *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("calm-lint: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  r->status = 2;
}

/* ---- inputs ---- */

static bool has_ext(const char *name, const char *ext) {
  const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
  return dot && (!slash || dot > slash) && strcmp(dot, ext) == 0;
}

static bool is_source(const char *name) { return has_ext(name, ".c"); }
static bool is_header(const char *name) { return has_ext(name, ".h"); }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_job(const void *a, const void *b) {
  return strcmp(((const compile_job *)a)->file, ((const compile_job *)b)->file);
}

/* A file's identity, "device:inode": the same file reached by two paths (a symlink,
 * a loop of them) is one file. NULL when it cannot be stat'ed. */
static char *file_id(const char *path, struct stat *st_out) {
  struct stat st;
  if (stat(path, &st) != 0) return NULL;
  if (st_out) *st_out = st;
  return xasprintf("%" PRIuMAX ":%" PRIuMAX, (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
}

/* Every .c file under `dir`, sorted, skipping hidden directories. Each real
 * directory and file is visited once (`seen` holds their identities), so a symlink
 * loop ends and a file linked twice is listed once, under its first name. */
typedef VEC(char *) path_list;
typedef VEC(ir_summary *) summary_list;

static void list_sources(const char *dir, path_list *out, strmap *seen) {
  char *id = file_id(dir, NULL);
  if (!id || strmap_get(seen, id, NULL)) {
    free(id);
    return;
  }
  strmap_put(seen, id, NULL);
  free(id);
  DIR *d = opendir(dir);
  if (!d) return;
  VEC(char *) names = {0};
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    VEC_PUSH(names, path_join(dir, e->d_name));
  }
  closedir(d);
  if (names.len) qsort(names.items, names.len, sizeof *names.items, cmp_str);
  for (size_t i = 0; i < names.len; i++) {
    struct stat st;
    char *fid = file_id(names.items[i], &st);
    if (fid && S_ISDIR(st.st_mode)) {
      list_sources(names.items[i], out, seen);
    } else if (fid && S_ISREG(st.st_mode) && is_source(names.items[i]) && !strmap_get(seen, fid, NULL)) {
      strmap_put(seen, fid, NULL);
      VEC_PUSH(*out, names.items[i]);
      names.items[i] = NULL;
    }
    free(fid);
    free(names.items[i]);
  }
  VEC_FREE(names);
}

/* Whether `file` is already a job, by path or, for a file that exists, by identity;
 * when not, it is recorded under both (by path in the same map: a path is absolute,
 * an identity is not). */
static bool have_job(run_state *r, const char *file) {
  if (strmap_get(r->job_ids, file, NULL)) return true;
  strmap_put(r->job_ids, file, NULL);
  char *id = file_id(file, NULL);
  if (!id) return false;
  bool seen = strmap_get(r->job_ids, id, NULL);
  if (!seen) strmap_put(r->job_ids, id, NULL);
  free(id);
  return seen;
}

static void add_flag_job(run_state *r, const char *file) {
  if (have_job(r, file)) return;
  char **args = xcalloc(r->opt.nflags + 1, sizeof *args);
  for (size_t i = 0; i < r->opt.nflags; i++) args[i] = xstrdup(r->opt.flags[i]);
  compile_job job;
  compile_job_init(&job, file, r->cwd, args, r->opt.nflags);
  VEC_PUSH(r->jobs, job);
}

static void add_db_job(run_state *r, const char *file) {
  if (have_job(r, file)) return;
  const compile_job *known = compdb_find(&r->db, file);
  compile_job *job = known ? compile_job_copy(known) : compdb_infer(&r->db, file);
  if (!job) {
    fail(r, "%s is not in %s and no flags can be inferred for it", file, r->db.path);
    return;
  }
  VEC_PUSH(r->jobs, *job);
  free(job);
}

/* The .c files under a directory that the database does not list: linted with
 * borrowed flags, as a single file not in the database is, and the user is told. */
static void add_unlisted_sources(run_state *r, const char *abs, const char *shown) {
  path_list files = {0};
  strmap *seen = strmap_new();
  list_sources(abs, &files, seen);
  strmap_free(seen);
  if (files.len && !r->opt.quiet)
    fprintf(stderr,
            "calm-lint: note: the %zu .c file%s under %s %s not in %s: linted with flags borrowed from the "
            "nearest entries\n",
            files.len, files.len == 1 ? "" : "s", shown, files.len == 1 ? "is" : "are", r->db.path);
  for (size_t k = 0; k < files.len; k++) {
    if (r->status == 0) add_db_job(r, files.items[k]);
    free(files.items[k]);
  }
  VEC_FREE(files);
}

/* The compile database: -p, else compile_commands.json (or build/...) upward.
 * `required`: not finding one upward is an error (else false, silently). */
static bool find_database(run_state *r, bool required) {
  if (r->opt.build_dir) {
    char *err;
    if (compdb_load(r->opt.build_dir, &r->db, &err) != 0) {
      fail(r, "%s", err);
      free(err);
      return false;
    }
    return true;
  }
  const char *start = r->opt.ninputs ? r->opt.inputs[0] : r->stdin_path ? r->stdin_path : r->cwd;
  char *abs = path_absolute(start, r->cwd);
  char *dir = path_is_dir(abs) ? xstrdup(abs) : path_dirname(abs);
  free(abs);
  for (;;) {
    const char *subdirs[] = {"", "build"};
    for (int i = 0; i < 2; i++) {
      char *cand_dir = i == 0 ? xstrdup(dir) : path_join(dir, subdirs[i]);
      char *cand = path_join(cand_dir, "compile_commands.json");
      bool found = path_is_file(cand);
      free(cand);
      if (found) {
        char *err;
        int rc = compdb_load(cand_dir, &r->db, &err);
        free(cand_dir);
        free(dir);
        if (rc != 0) {
          fail(r, "%s", err);
          free(err);
          return false;
        }
        return true;
      }
      free(cand_dir);
    }
    if (strcmp(dir, "/") == 0) break;
    char *up = path_dirname(dir);
    free(dir);
    dir = up;
  }
  free(dir);
  if (required)
    fail(r, "no compile_commands.json found upward from %s; pass -p BUILD_DIR or compiler flags after --", start);
  return false;
}

static void gather_jobs(run_state *r) {
  if (!r->opt.have_flags) {
    /* an editor's buffer with no database anywhere is linted alone, as the language
     * server does: better some findings than none */
    bool alone_ok = r->stdin_path && !r->opt.build_dir && r->opt.ninputs == 0;
    if (find_database(r, !alone_ok)) r->have_db = true;
    else if (r->status) return;
  }
  bool named_source = false;
  VEC(char *) headers = {0};
  for (size_t i = 0; i < r->opt.ninputs && r->status == 0; i++) {
    char *abs = path_absolute(r->opt.inputs[i], r->cwd);
    if (path_is_dir(abs)) {
      size_t before = r->jobs.len;
      if (r->have_db) {
        for (size_t k = 0; k < r->db.njobs; k++)
          if (path_is_under(r->db.jobs[k].file, abs)) add_db_job(r, r->db.jobs[k].file);
        if (r->jobs.len == before) add_unlisted_sources(r, abs, r->opt.inputs[i]);
      } else {
        path_list files = {0};
        strmap *seen = strmap_new();
        list_sources(abs, &files, seen);
        strmap_free(seen);
        for (size_t k = 0; k < files.len; k++) {
          add_flag_job(r, files.items[k]);
          free(files.items[k]);
        }
        VEC_FREE(files);
      }
      if (r->jobs.len == before && r->status == 0) fail(r, "no C translation units under %s", r->opt.inputs[i]);
      named_source = true;
    } else if (path_is_file(abs)) {
      bool header = is_header(abs);
      if (!header && !is_source(abs) && !(r->have_db && compdb_find(&r->db, abs)))
        fail(r, "%s: not a C source file or header (calm-lint reads .c and .h files)", r->opt.inputs[i]);
      else if (r->have_db) add_db_job(r, abs);
      else add_flag_job(r, abs);
      if (header) VEC_PUSH(headers, xstrdup(r->opt.inputs[i]));
      else named_source = true;
    } else {
      /* a FIFO or a device is never read: say what it is */
      char *why = access(abs, F_OK) == 0 ? file_check(abs, 0) : NULL;
      fail(r, "%s: %s", r->opt.inputs[i], why ? why : "no such file or directory");
      free(why);
    }
    free(abs);
  }
  if (r->status == 0 && headers.len) {
    if (r->have_db) {
      /* A header's functions run in the contexts the units that include it give
       * them: the whole database is parsed (summaries cached), as for a header in an
       * editor, and only the named files' findings are reported. */
      r->context_run = true;
      r->named = strmap_new();
      for (size_t i = 0; i < r->jobs.len; i++) strmap_put(r->named, r->jobs.items[i].file, NULL);
      for (size_t k = 0; k < r->db.njobs; k++) add_db_job(r, r->db.jobs[k].file);
    } else if (!named_source && !r->opt.quiet) {
      fprintf(stderr,
              "calm-lint: note: %s is linted alone: without a compile database, name the .c files that include "
              "it to see its functions in their context\n",
              headers.items[0]);
    }
  }
  for (size_t i = 0; i < headers.len; i++) free(headers.items[i]);
  VEC_FREE(headers);
  if (r->status) return;
  if (r->stdin_path) {
    if (!is_source(r->stdin_path) && !is_header(r->stdin_path) && !(r->have_db && compdb_find(&r->db, r->stdin_path))) {
      fail(r, "%s: not a C source file or header (calm-lint reads .c and .h files)", r->opt.stdin_filename);
      return;
    }
    if (r->have_db) add_db_job(r, r->stdin_path);
    else add_flag_job(r, r->stdin_path);
    /* the rest of the project, for chains that cross files (summaries are cached) */
    if (r->have_db && r->opt.ninputs == 0)
      for (size_t k = 0; k < r->db.njobs; k++) add_db_job(r, r->db.jobs[k].file);
  } else if (r->opt.ninputs == 0 && r->have_db) {
    for (size_t k = 0; k < r->db.njobs; k++) add_db_job(r, r->db.jobs[k].file);
  } else if (r->opt.ninputs == 0) {
    fail(r, "no input files (name files or directories to lint)");
  }
  /* a stable order: results do not depend on the database's order (paths are unique) */
  if (r->jobs.len > 1) qsort(r->jobs.items, r->jobs.len, sizeof *r->jobs.items, cmp_job);
}

/* ---- configuration ---- */

static lint_config *load_config_file(run_state *r, const char *path) {
  void *v;
  if (strmap_get(r->configs, path, &v)) return v;
  lint_config *c = xcalloc(1, sizeof *c);
  char *err;
  if (config_load(path, c, &err) != 0) {
    fail(r, "%s", err);
    free(err);
    free(c);
    c = NULL;
  }
  strmap_put(r->configs, path, c);
  return c;
}

/* The configuration that governs `file`: --config, else the nearest upward. */
static lint_config *config_for(run_state *r, const char *file) {
  if (r->have_cli_config) return &r->cli_config;
  if (!file) return NULL;
  char *dir = path_dirname(file);
  void *v;
  if (strmap_get(r->config_of, dir, &v)) {
    free(dir);
    return v;
  }
  char *path = path_find_upward(dir, CONFIG_NAME);
  lint_config *c = path ? load_config_file(r, path) : NULL;
  strmap_put(r->config_of, dir, c);
  free(path);
  free(dir);
  return c;
}

static bool free_config_cb(const char *key, void *value, void *ctx) {
  (void)key;
  (void)ctx;
  if (value) {
    config_free(value);
    free(value);
  }
  return true;
}

/* --list-models: what each loaded model is, from its "description"; a disabled
 * model's entry is removed. */
static void set_model_note(run_state *r, const char *name, const char *text) {
  void *old;
  if (strmap_get(r->model_notes, name, &old)) free(old);
  strmap_put(r->model_notes, name, text ? xstrdup(text) : NULL);
}

static void note_model(run_state *r, const char *json, const char *origin) {
  cJSON *root = cJSON_Parse(json);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "model");
  const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
  if (cJSON_IsString(name)) {
    char *text = cJSON_IsString(desc) ? xstrdup(desc->valuestring) : xstrdup("");
    if (origin) {
      char *abs = path_absolute(origin, r->cwd);
      char *shown = report_display_path(abs, r->cwd);
      char *with = *text ? xasprintf("%s (%s)", text, shown) : xasprintf("(%s)", shown);
      free(shown);
      free(abs);
      free(text);
      text = with;
    }
    set_model_note(r, name->valuestring, text);
    free(text);
  }
  cJSON_Delete(root);
}

static void list_models(run_state *r) {
  cJSON *arr = r->opt.format == FORMAT_JSON ? cJSON_CreateArray() : NULL;
  for (const char *const *m = model_db_models(r->models); *m; m++) {
    void *note = NULL;
    if (!strmap_get(r->model_notes, *m, &note) || !note) continue; /* disabled */
    if (arr) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", *m);
      cJSON_AddStringToObject(o, "description", note);
      cJSON_AddItemToArray(arr, o);
    } else {
      printf("%-10s %s\n", *m, (const char *)note);
    }
  }
  if (arr) {
    char *text = cJSON_Print(arr);
    puts(text);
    cJSON_free(text);
    cJSON_Delete(arr);
  }
}

static bool free_note_cb(const char *key, void *value, void *ctx) {
  (void)key;
  (void)ctx;
  free(value);
  return true;
}

static void load_models(run_state *r) {
  r->models = model_db_new();
  char *err;
  if (model_db_load_builtin(r->models, &err) != 0) {
    fail(r, "%s", err);
    free(err);
    return;
  }
  if (r->opt.list_models)
    for (unsigned i = 0; i < calm_builtin_model_count; i++) note_model(r, calm_builtin_model_texts[i], NULL);
  VEC(lint_config *) configs = {0};
  strmap *loaded = strmap_new(); /* model files: two configurations may share a parent's */
  if (r->have_cli_config) VEC_PUSH(configs, &r->cli_config);
  else if (r->opt.list_models) {
    /* the configuration a lint of the inputs (else of the current directory) would use */
    for (size_t i = 0; i < (r->opt.ninputs ? r->opt.ninputs : 1); i++) {
      char *abs = path_absolute(r->opt.ninputs ? r->opt.inputs[i] : ".", r->cwd);
      char *probe = path_is_dir(abs) ? path_join(abs, "-") : xstrdup(abs);
      lint_config *c = config_for(r, probe);
      bool seen = false;
      for (size_t k = 0; k < configs.len && c; k++) seen |= configs.items[k] == c;
      if (c && !seen) VEC_PUSH(configs, c);
      free(probe);
      free(abs);
    }
  } else
    for (size_t i = 0; i < r->jobs.len; i++) {
      lint_config *c = config_for(r, r->jobs.items[i].file);
      bool seen = false;
      for (size_t k = 0; k < configs.len && c; k++) seen |= configs.items[k] == c;
      if (c && !seen) VEC_PUSH(configs, c);
    }
  for (size_t i = 0; i < configs.len && r->status == 0; i++) {
    lint_config *c = configs.items[i];
    for (size_t k = 0; k < c->nmodel_files && r->status == 0; k++) {
      const char *file = c->model_files[k].text;
      if (strmap_get(loaded, file, NULL)) continue;
      strmap_put(loaded, file, NULL);
      char *why = NULL;
      char *text = file_read_limited(file, FILE_LIMIT_CONFIG, NULL, &why);
      if (!text) {
        fail(r, "%s: cannot read model file %s: %s", c->model_files[k].origin, file, why);
        free(why);
        break;
      }
      if (model_db_load(r->models, text, file, &err) != 0) {
        fail(r, "%s", err);
        free(err);
      } else if (r->opt.list_models) {
        note_model(r, text, file);
      }
      free(text);
    }
    if (c->functions && r->status == 0) {
      char *name = xasprintf("config:%s", c->path);
      if (model_db_load_functions(r->models, c->functions, name, c->path, &err) != 0) {
        fail(r, "%s", err);
        free(err);
      } else if (r->opt.list_models) {
        char *d = xasprintf("the functions of %s", c->path);
        set_model_note(r, name, d);
        free(d);
      }
      free(name);
    }
    for (size_t k = 0; k < c->nmodels_disable && r->status == 0; k++) {
      if (!model_db_disable(r->models, c->models_disable[k].text))
        fail(r, "%s: unknown model '%s' in models.disable (see calm-lint --list-models)", c->models_disable[k].origin,
             c->models_disable[k].text);
      else if (r->opt.list_models)
        set_model_note(r, c->models_disable[k].text, NULL); /* left out: not listed */
    }
  }
  strmap_free(loaded);
  VEC_FREE(configs);
}

/* What the command line adds to every configuration. */
static config_cli cli_of(const cli_options *o) {
  config_cli cli = {o->enable, o->nenable, o->disable, o->ndisable, o->warnings_as_errors, o->wae, o->nwae};
  return cli;
}

/* Whether `file` was named on the command line (or is the editor's buffer). */
static bool named_input(run_state *r, const char *file) {
  if (r->stdin_path && strcmp(r->stdin_path, file) == 0) return true;
  bool named = false;
  for (size_t i = 0; i < r->opt.ninputs && !named; i++) {
    char *abs = path_absolute(r->opt.inputs[i], r->cwd);
    named = strcmp(abs, file) == 0;
    free(abs);
  }
  return named;
}

/* Leaves out the units an "exclude" glob of their configuration names: not parsed,
 * not counted. A file named on the command line is left out too, and that is said
 * once, so the user does not wonder why it has no findings. */
static void exclude_jobs(run_state *r) {
  size_t out = 0, named = 0;
  for (size_t i = 0; i < r->jobs.len; i++) {
    compile_job *j = &r->jobs.items[i];
    const config_entry *e = r->status == 0 ? config_excluded(config_for(r, j->file), j->file) : NULL;
    if (!e) {
      r->jobs.items[out++] = *j;
      continue;
    }
    bool is_named = named_input(r, j->file);
    named += is_named;
    if (is_named && !r->opt.quiet) {
      char *shown = report_display_path(j->file, r->cwd), *at = report_display_path(e->origin, r->cwd);
      fprintf(stderr, "calm-lint: note: %s is not linted: \"%s\" at %s excludes it\n", shown, e->text, at);
      free(shown);
      free(at);
    }
    compile_job_clear(j);
  }
  /* a directory whose every unit is excluded would otherwise end in silence */
  if (out == 0 && r->jobs.len > named && !r->opt.quiet)
    fprintf(stderr, "calm-lint: note: the configuration excludes all %zu translation units of the inputs: nothing is "
                    "linted\n", r->jobs.len);
  r->jobs.len = out;
}

/* --show-config FILE: its effective settings, and where each came from. */
static void show_config(run_state *r) {
  char *file = path_absolute(r->opt.show_config, r->cwd);
  char *probe = path_is_dir(file) ? path_join(file, "-") : xstrdup(file); /* a directory's own */
  lint_config *c = config_for(r, probe);
  free(probe);
  if (r->status == 0) {
    config_cli cli = cli_of(&r->opt);
    char *text = config_show(c, &cli, file, r->cwd, r->opt.format == FORMAT_JSON);
    fputs(text, stdout);
    free(text);
  }
  free(file);
}

/* ---- findings ---- */

typedef struct {
  char *path;
  suppressions *s;
  const char *file; /* the same path, alive as long as the findings (for new ones) */
} file_suppressions;

/* Whether a NOLINT id is no concern of a typo warning: a rule here, a glob matching
 * one, or another tool's check. */
static bool known_rule_pattern(const char *id) {
  if (strcmp(id, "*") == 0 || lint_rule_find(id) || suppressions_foreign_id(id)) return true;
  for (unsigned i = 0; i < lint_rule_count; i++)
    if (fnmatch(id, lint_rules[i]->id, 0) == 0) return true;
  return false;
}

typedef struct {
  const char *file;
  const char *cwd;
  path_list *out; /* the warnings, to print sorted */
} unknown_ctx;

static void note_unknown_rule(unsigned line, const char *id, void *arg) {
  unknown_ctx *u = arg;
  char *path = report_display_path(u->file, u->cwd);
  char *shown = report_utf8_text(id);
  VEC_PUSH(*u->out, xasprintf("calm-lint: warning: %s:%u: NOLINT names '%s', which is no rule: it silences nothing "
                              "(see calm-lint --list-rules)",
                              path, line, shown));
  free(shown);
  free(path);
}

typedef struct {
  lint_config *c;
  config_cli cli;
  const char *file;
  const char *cwd;
  diag_list *out;
} unused_ctx;

/* Whether a rule that `id` (a rule id or glob) names reports findings in the file. */
static bool rule_ran(const char *id, void *arg) {
  unused_ctx *u = arg;
  for (unsigned i = 0; i < lint_rule_count; i++) {
    diag_severity sev = SEV_WARNING;
    if (strcmp(lint_rules[i]->id, "unused-suppression") == 0) continue; /* its findings are never silenced */
    if (fnmatch(id, lint_rules[i]->id, 0) == 0 && config_finding(u->c, &u->cli, u->file, lint_rules[i]->id, false, &sev))
      return true;
  }
  return false;
}

static void add_unused(const suppression_unused *s, void *arg) {
  unused_ctx *u = arg;
  ir_loc at = {u->file, s->line, s->col, s->line, s->end_col};
  char *shown = s->id ? report_utf8_text(s->id) : NULL;
  char *msg = s->unknown ? xasprintf("%s names '%s', which is no rule: it silences nothing", s->marker, shown)
              : s->id    ? xasprintf("'%s' in this %s silences nothing: no finding of it is there", shown, s->marker)
                         : xasprintf("this %s silences nothing: no finding is there", s->marker);
  diag *d = diag_add(u->out, "unused-suppression", SEV_WARNING, at, msg);
  if (s->ncut) {
    diag_fix *f = diag_fix_add(d, s->whole ? xasprintf("remove the %s", s->marker) : xasprintf("remove '%s' from the list", shown), true);
    for (unsigned k = 0; k < s->ncut; k++) {
      ir_loc cut = {u->file, s->cut[k].line, s->cut[k].col, s->cut[k].end_line, s->cut[k].end_col};
      diag_fix_edit(f, cut, "");
    }
  }
  free(shown);
}

/* unused-suppression: the markers of every reported file (the findings' and each
 * unit's own) that silenced nothing of a rule that ran there. */
static void report_unused_suppressions(run_state *r, void *vcache, diag_list *diags) {
  VEC(file_suppressions) *cache = vcache;
  config_cli cli = cli_of(&r->opt);
  for (size_t i = 0; i < r->jobs.len; i++) {
    const char *file = r->jobs.items[i].file;
    if (r->stdin_path && strcmp(file, r->stdin_path) != 0) continue;
    if (r->context_run && !strmap_get(r->named, file, NULL)) continue;
    bool seen = false;
    for (size_t k = 0; k < cache->len && !seen; k++) seen = strcmp(cache->items[k].path, file) == 0;
    diag_severity sev = SEV_WARNING;
    lint_config *c = config_for(r, file);
    if (seen || config_excluded(c, file) || !config_finding(c, &cli, file, "unused-suppression", false, &sev)) continue;
    file_suppressions fs = {xstrdup(file), suppressions_parse(source_text(file)), file};
    VEC_PUSH(*cache, fs);
  }
  for (size_t k = 0; k < cache->len; k++) {
    const char *file = cache->items[k].file;
    lint_config *c = config_for(r, file);
    diag_severity sev = SEV_WARNING;
    if (!config_finding(c, &cli, file, "unused-suppression", false, &sev)) continue;
    unused_ctx u = {c, cli, file, r->cwd, diags};
    size_t from = diags->len;
    suppressions_each_unused(cache->items[k].s, "unused-suppression", known_rule_pattern, rule_ran, add_unused, &u);
    for (size_t j = from; j < diags->len; j++) diags->items[j].severity = sev;
  }
}

/* Marks suppressed findings and drops those the run does not report. A NOLINT that
 * names no rule, in a file with findings, is said on stderr: that typo is why a
 * finding the user meant to silence shows. */
static void filter_findings(run_state *r, diag_list *diags) {
  r->withheld = 0;
  VEC(file_suppressions) cache = {0};
  strmap *cached = strmap_new(); /* path -> 1 + its index in cache: one look-up a finding */
  path_list unknown = {0};
  size_t out = 0;
  for (size_t i = 0; i < diags->len; i++) {
    diag *d = &diags->items[i];
    if (r->stdin_path && (!d->loc.file || strcmp(d->loc.file, r->stdin_path) != 0)) {
      diag_clear(d); /* only the buffer's findings are the editor's business */
      continue;
    }
    if (r->context_run && (!d->loc.file || !strmap_get(r->named, d->loc.file, NULL))) {
      diag_clear(d); /* a unit parsed for context only */
      continue;
    }
    lint_config *c = config_for(r, d->loc.file);
    config_cli cli = cli_of(&r->opt);
    if (config_excluded(c, d->loc.file) || !config_finding(c, &cli, d->loc.file, d->rule, d->rarely, &d->severity)) {
      diag_clear(d); /* an excluded header, a rule that is off or ignored for the file */
      continue;
    }
    if (d->withheld) {
      r->withheld++;
      diag_clear(d);
      continue;
    }
    suppressions *s = NULL;
    void *at;
    if (d->loc.file && strmap_get(cached, d->loc.file, &at)) s = cache.items[(intptr_t)at - 1].s;
    if (!s && d->loc.file) {
      bool is_stdin = r->stdin_path && strcmp(r->stdin_path, d->loc.file) == 0;
      char *text = is_stdin ? NULL : file_read(d->loc.file, NULL);
      s = suppressions_parse(is_stdin ? r->stdin_text : text);
      free(text);
      unknown_ctx u = {d->loc.file, r->cwd, &unknown};
      diag_severity sev = SEV_WARNING; /* unused-suppression, when on, reports them instead */
      if (!config_finding(c, &cli, d->loc.file, "unused-suppression", false, &sev))
        suppressions_each_unknown(s, known_rule_pattern, note_unknown_rule, &u);
      file_suppressions fs = {xstrdup(d->loc.file), s, d->loc.file};
      VEC_PUSH(cache, fs);
      strmap_put(cached, d->loc.file, (void *)(intptr_t)cache.len);
    }
    d->suppressed = s && suppressions_use(s, d->loc.line, d->rule);
    diags->items[out++] = *d;
  }
  diags->len = out;
  report_unused_suppressions(r, &cache, diags);
  for (size_t k = 0; k < cache.len; k++) {
    free(cache.items[k].path);
    suppressions_free(cache.items[k].s);
  }
  VEC_FREE(cache);
  strmap_free(cached);
  if (unknown.len) qsort(unknown.items, unknown.len, sizeof *unknown.items, cmp_str);
  for (size_t k = 0; k < unknown.len; k++) {
    fprintf(stderr, "%s\n", unknown.items[k]);
    free(unknown.items[k]);
  }
  VEC_FREE(unknown);
}

static int cmp_error(const void *pa, const void *pb) {
  const report_error *a = pa, *b = pb;
  int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
  if (c) return c;
  if (a->line != b->line) return a->line < b->line ? -1 : 1;
  if (a->col != b->col) return a->col < b->col ? -1 : 1;
  return strcmp(a->message, b->message);
}

/* ---- informational commands ---- */

static void list_rules(output_format format) {
  if (format != FORMAT_JSON) {
    for (unsigned i = 0; i < lint_rule_count; i++)
      printf("%-22s %-8s %s\n", lint_rules[i]->id, severity_name(lint_rules[i]->severity), lint_rules[i]->summary);
    return;
  }
  cJSON *arr = cJSON_CreateArray();
  for (unsigned i = 0; i < lint_rule_count; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", lint_rules[i]->id);
    cJSON_AddStringToObject(o, "severity", severity_name(lint_rules[i]->severity));
    cJSON_AddStringToObject(o, "summary", lint_rules[i]->summary);
    cJSON_AddItemToArray(arr, o);
  }
  char *text = cJSON_Print(arr);
  puts(text);
  cJSON_free(text);
  cJSON_Delete(arr);
}

static int explain(const char *id) {
  const char *doc = lint_rule_doc(id);
  if (!lint_rule_find(id) || !doc) {
    fprintf(stderr, "calm-lint: error: unknown rule '%s' (see calm-lint --list-rules)\n", id);
    return 2;
  }
  fputs(doc, stdout);
  return 0;
}

/* ---- the run ---- */

static bool stdout_color(const cli_options *o) {
  if (o->color >= 0) return o->color == 1;
  if (o->output) return false; /* a file is not a terminal */
  const char *no = getenv("NO_COLOR");
  if (no && *no) return false;
  return isatty(STDOUT_FILENO) != 0;
}

/* The editor's buffer, within a source file's size limit (stdin may be /dev/zero);
 * NULL if it is larger. */
static char *read_stdin(size_t *len) {
  strbuf sb = {0};
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    if (sb.len + n > FILE_LIMIT_DEFAULT) {
      sb_free(&sb);
      return NULL;
    }
    sb_appendn(&sb, buf, n);
  }
  *len = sb.len;
  return sb_take(&sb);
}

/* The cache directory of this run: --cache-dir, else beside the compile database;
 * NULL with --no-cache or with neither. Malloc'd. */
static char *cache_dir_of(run_state *r) {
  if (r->opt.no_cache) return NULL;
  if (r->opt.cache_dir) return path_absolute(r->opt.cache_dir, r->cwd);
  if (!r->have_db) return NULL;
  char *db_file = path_absolute(r->db.path, r->cwd);
  char *db_dir = path_dirname(db_file);
  char *dir = path_join(db_dir, ".calm-lint-cache");
  free(db_dir);
  free(db_file);
  return dir;
}

/* Parses jobs[0..n) into sums[], reading unchanged units from the cache. */
static void parse_jobs(run_state *r, const compile_job *jobs, size_t n, ir_summary **sums) {
  unsaved_buffer u = {r->stdin_path, r->stdin_text, r->stdin_len};
  int threads = r->opt.jobs > 0 ? r->opt.jobs : cpu_count();
  bool progress = n >= PROGRESS_MIN_UNITS && !r->opt.quiet && isatty(STDERR_FILENO);
  char *cache_dir = cache_dir_of(r);
  size_t hits = 0;
  if (r->opt.timeout_per_file >= 0) schedule_set_timeout((unsigned)r->opt.timeout_per_file);
  schedule_set_pch(r->opt.pch);
  if (cache_dir) cache_parse(cache_dir, jobs, n, threads, &u, progress, sums, &hits);
  else schedule_parse(jobs, n, threads, r->stdin_path ? &u : NULL, progress, sums);
  free(cache_dir);
  /* how much a run re-parsed: a warm run that parses anything is a cache defect */
  if (r->opt.statistics)
    fprintf(stderr, "calm-lint: %zu translation unit%s parsed, %zu read from the cache\n", n - hits,
            n - hits == 1 ? "" : "s", hits);
}

/* ---- scale: pruning, shards, links, build actions ---- */

/* --cache-prune: the cache of --cache-dir, else the one beside the database. */
static void prune(run_state *r) {
  if (!r->opt.cache_dir && !r->opt.no_cache && find_database(r, true)) r->have_db = true;
  if (r->status) return;
  char *dir = cache_dir_of(r);
  if (!dir) {
    fail(r, "--cache-prune has no cache to prune (--no-cache)");
    return;
  }
  uint64_t cap = r->opt.cache_max_bytes ? r->opt.cache_max_bytes : CACHE_MAX_BYTES;
  size_t n = cache_prune(dir, CACHE_MAX_AGE_DAYS, cap);
  if (!r->opt.quiet) fprintf(stderr, "calm-lint: removed %zu file%s from %s\n", n, n == 1 ? "" : "s", dir);
  free(dir);
}

/* The summary file of `file` in a directory of summaries: named by the path, so every
 * shard names a unit alike and a re-emitted unit replaces its file. */
static char *summary_name(const char *dir, const char *file) {
  return xasprintf("%s/%016llx.calm", dir, (unsigned long long)hash_bytes(file, strlen(file), 0));
}

/* --emit-summaries DIR [--shard I/N]: the I-th share of the sorted units (every N-th,
 * so shares stay even when units differ in size by directory), parsed and written. */
static void emit_shard(run_state *r) {
  char *dir = path_absolute(r->opt.emit_summaries, r->cwd);
  make_dirs(dir);
  if (!path_is_dir(dir)) {
    fail(r, "cannot create the summary directory %s", dir);
    free(dir);
    return;
  }
  VEC(compile_job) mine = {0};
  for (size_t i = 0; i < r->jobs.len; i++)
    if (!r->opt.shard_count || i % r->opt.shard_count == r->opt.shard_index - 1) VEC_PUSH(mine, r->jobs.items[i]);
  ir_summary **sums = xcalloc(mine.len + 1, sizeof *sums);
  parse_jobs(r, mine.items, mine.len, sums);
  for (size_t i = 0; i < mine.len; i++) {
    if (r->nmaps && sums[i]) program_map_paths(sums[i], r->maps, r->nmaps);
    /* named by the path it is linked under, so either checkout's shard replaces it */
    char *path = summary_name(dir, r->nmaps && sums[i] ? sums[i]->main_file : mine.items[i].file), *why = NULL;
    if (r->status == 0 && summary_file_write(path, sums[i], &why) != 0) {
      fail(r, "%s", why);
      free(why);
    }
    free(path);
    ir_summary_free(sums[i]);
  }
  free(sums);
  VEC_FREE(mine);
  free(dir);
}

static void add_summary_file(run_state *r, const char *path, summary_list *list) {
  char *why = NULL;
  ir_summary *s = summary_file_read(path, &why);
  if (!s) {
    fail(r, "%s", why);
    free(why);
    return;
  }
  program_map_paths(s, r->maps, r->nmaps);
  VEC_PUSH(*list, s);
}

static int cmp_summary(const void *a, const void *b) {
  return strcmp((*(ir_summary *const *)a)->main_file, (*(ir_summary *const *)b)->main_file);
}

/* --link: every summary in the inputs (files, or directories whose *.calm files are
 * read), in the order of a plain run (by file); a unit found twice is linked once. */
static ir_summary **read_summaries(run_state *r) {
  summary_list list = {0};
  for (size_t i = 0; i < r->opt.ninputs && r->status == 0; i++) {
    char *abs = path_absolute(r->opt.inputs[i], r->cwd);
    if (path_is_dir(abs)) {
      DIR *d = opendir(abs);
      path_list names = {0};
      struct dirent *e;
      while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && has_ext(e->d_name, ".calm")) VEC_PUSH(names, path_join(abs, e->d_name));
      if (d) closedir(d);
      if (names.len) qsort(names.items, names.len, sizeof *names.items, cmp_str);
      if (!names.len) fail(r, "%s holds no summary files (*.calm)", r->opt.inputs[i]);
      for (size_t k = 0; k < names.len; k++) {
        if (r->status == 0) add_summary_file(r, names.items[k], &list);
        free(names.items[k]);
      }
      VEC_FREE(names);
    } else {
      add_summary_file(r, abs, &list);
    }
    free(abs);
  }
  if (list.len) qsort(list.items, list.len, sizeof *list.items, cmp_summary);
  size_t n = 0;
  for (size_t i = 0; i < list.len; i++) {
    if (n && strcmp(list.items[n - 1]->main_file, list.items[i]->main_file) == 0) {
      ir_summary_free(list.items[i]);
      continue;
    }
    list.items[n++] = list.items[i];
  }
  for (size_t i = 0; i < n; i++) {
    /* a job per unit, so configurations, suppressions and counts are a plain run's */
    compile_job job;
    compile_job_init(&job, list.items[i]->main_file, r->cwd, xcalloc(1, sizeof(char *)), 0);
    VEC_PUSH(r->jobs, job);
  }
  if (r->status) {
    for (size_t i = 0; i < n; i++) ir_summary_free(list.items[i]);
    for (size_t i = 0; i < r->jobs.len; i++) compile_job_clear(&r->jobs.items[i]);
    r->jobs.len = 0;
    VEC_FREE(list);
    return NULL;
  }
  VEC_RESERVE(list, 1); /* never NULL: an empty link is a run over no units */
  return list.items;
}

/* The source file of a compile command: the last argument naming a .c file that is
 * no option's value. NULL if there is none. */
static const char *command_source(const char *const *argv, size_t argc) {
  static const char *const valued[] = {"-o", "-MF", "-MT", "-MQ", "-I", "-D", "-U", "-include", "-imacros",
                                       "-isystem", "-iquote", "-idirafter", "-x", "-Xclang", "--sysroot"};
  const char *found = NULL;
  for (size_t i = 1; i < argc; i++) {
    bool value = false;
    for (size_t k = 0; k < sizeof valued / sizeof *valued && !value; k++) value = strcmp(argv[i - 1], valued[k]) == 0;
    if (!value && argv[i][0] != '-' && is_source(argv[i])) found = argv[i];
  }
  return found;
}

static void append_escaped(strbuf *sb, const char *path) {
  for (const char *p = path; *p; p++) {
    if (*p == ' ' || *p == '#' || *p == '\\') sb_appendc(sb, '\\');
    if (*p == '$') sb_appendc(sb, '$');
    sb_appendc(sb, *p);
  }
}

/* --emit-summary OUT [-MF DEP] -- COMMAND: one unit as a build action. The summary is
 * written whether or not the unit parses (the link reports its errors); the depfile
 * lists every file the parse read, so the build re-runs the action when one changes. */
static void emit_one(run_state *r) {
  const char *src = r->opt.ninputs == 1 ? r->opt.inputs[0] : command_source(r->opt.flags, r->opt.nflags);
  if (!src || r->opt.ninputs > 1) {
    fail(r, "--emit-summary needs one .c file in the compile command after --");
    return;
  }
  char *abs = path_absolute(src, r->cwd);
  char *file = path_normalize(abs);
  free(abs);
  size_t nargs;
  char **args = compdb_filter_args(r->opt.flags, r->opt.nflags, file, r->cwd, &nargs);
  compile_job job;
  compile_job_init(&job, file, r->cwd, args, nargs);
  ir_summary *s = NULL;
  r->opt.no_cache |= !r->opt.cache_dir; /* the build system is the cache here */
  parse_jobs(r, &job, 1, &s);
  if (s) program_map_paths(s, r->maps, r->nmaps); /* the depfile reads `includes`, which stay */
  char *out = path_absolute(r->opt.emit_summary, r->cwd), *why = NULL;
  if (summary_file_write(out, s, &why) != 0) {
    fail(r, "%s", why);
    free(why);
  }
  if (r->status == 0 && r->opt.depfile) {
    char **deps;
    size_t n = cache_dependencies(&job, s, &deps);
    strbuf sb = {0};
    append_escaped(&sb, r->opt.emit_summary);
    sb_append(&sb, ":");
    for (size_t i = 0; i < n; i++) {
      sb_append(&sb, " \\\n  ");
      append_escaped(&sb, deps[i]);
      free(deps[i]);
    }
    sb_append(&sb, "\n");
    free(deps);
    char *dep = path_absolute(r->opt.depfile, r->cwd);
    if (file_write_atomic(dep, sb.data, sb.len, true, &why) != 0) {
      fail(r, "%s", why);
      free(why);
    }
    free(dep);
    sb_free(&sb);
  }
  free(out);
  ir_summary_free(s);
  compile_job_clear(&job);
  free(file);
}

/* The rules' settings for a file, from its configuration. */
static void settings_of(const char *file, rule_settings *out, void *ctx) {
  lint_config *c = config_for(ctx, file);
  if (c && c->fix_deadline_ms) out->fix_deadline_ms = c->fix_deadline_ms;
  if (c && c->max_guesses_origin) out->max_guesses = c->max_guesses;
}

/* Links sums[], runs the rules and keeps the findings the run reports. */
static program *find(run_state *r, ir_summary **sums, diag_list *diags) {
  source_override(r->stdin_path, r->stdin_text); /* fixes read the buffer, not its file */
  rule_settings_provide(settings_of, r);
  double t0 = cpu_seconds();
  program *prog = program_link(sums, (unsigned)r->jobs.len, r->models);
  double t1 = cpu_seconds();
  for (unsigned i = 0; i < lint_rule_count; i++) lint_rules[i]->run(prog, diags);
  filter_findings(r, diags);
  diag_list_normalize(diags);
  r->cpu_link += t1 - t0;
  r->cpu_rules += cpu_seconds() - t1;
  return prog;
}

/* --fix: applies the fixes and lints again, a few rounds, since a fix that overlaps
 * another waits for the next one. Returns the fixes applied. */
#define FIX_ROUNDS 4
static long fix_rounds(run_state *r, ir_summary **sums, diag_list *diags, program **prog) {
  long total = 0;
  for (int round = 0; round < FIX_ROUNDS; round++) {
    char *why;
    long n = fix_apply(diags, r->opt.unsafe_fixes, r->stdin_path, &r->stdin_text, &r->stdin_len, &why);
    if (n < 0) {
      fail(r, "%s", why);
      free(why);
    }
    if (n <= 0) break;
    total += n;
    diag_list_free(diags);
    program_free(*prog);
    for (size_t i = 0; i < r->jobs.len; i++) ir_summary_free(sums[i]);
    memset(sums, 0, r->jobs.len * sizeof *sums);
    source_reset();
    parse_jobs(r, r->jobs.items, r->jobs.len, sums);
    *prog = find(r, sums, diags);
  }
  return total;
}

/* Links sums[] (one per job, taken over) and reports. */
static void lint(run_state *r, ir_summary **sums) {

  if (r->opt.dump_ir) {
    for (size_t i = 0; i < r->jobs.len; i++) {
      char *json = ir_summary_to_json(sums[i]);
      puts(json);
      free(json);
      ir_summary_free(sums[i]);
    }
    free(sums);
    return;
  }

  diag_list diags = {0};
  program *prog = find(r, sums, &diags);
  long fixed = r->opt.fix ? fix_rounds(r, sums, &diags, &prog) : 0;
  double t_report = cpu_seconds();
  unsigned nfns = prog->nfns;

  VEC(report_error) errors = {0};
  bool parse_failed = false;
  for (size_t i = 0; i < r->jobs.len; i++) {
    /* an editor asks about its buffer: other units' parse errors are not its own */
    if (r->stdin_path && strcmp(r->jobs.items[i].file, r->stdin_path) != 0) continue;
    if (r->context_run && !strmap_get(r->named, r->jobs.items[i].file, NULL)) continue;
    parse_failed |= sums[i]->failed;
    for (unsigned k = 0; k < sums[i]->nerrors; k++) {
      const ir_error *e = &sums[i]->errors[k];
      report_error re = {e->loc.file ? e->loc.file : sums[i]->main_file, e->loc.line, e->loc.col, e->message};
      VEC_PUSH(errors, re);
    }
  }
  if (errors.len) qsort(errors.items, errors.len, sizeof *errors.items, cmp_error);
  /* the same header error seen from several translation units is one error */
  size_t nerr = 0;
  for (size_t i = 0; i < errors.len; i++)
    if (nerr == 0 || cmp_error(&errors.items[nerr - 1], &errors.items[i]) != 0) errors.items[nerr++] = errors.items[i];

  indirect_stats ist = indirect_get_stats(prog->ind);
  report_input in = {&diags, errors.items, nerr, (unsigned)r->jobs.len, prog->nfns, r->cwd, r->srcroot, false,
                     r->stdin_path, r->stdin_text, ist.calls, ist.resolved, ist.targets, NULL, NULL, r->withheld};
  /* the links a report carries are the run's, not a file's: those of the configuration
   * governing the working directory, else the first unit's */
  char *here = xasprintf("%s/.", r->cwd);
  const lint_config *links = config_for(r, here);
  free(here);
  if (!links && r->jobs.len) links = config_for(r, r->jobs.items[0].file);
  in.docs_url = links ? links->docs_url : NULL;
  in.home_url = links ? links->home_url : NULL;
  if (r->opt.fix && !r->opt.quiet) fprintf(stderr, "calm-lint: applied %ld fix%s\n", fixed, fixed == 1 ? "" : "es");
  if (r->status == 2) {
    /* a file --fix could not write: said above */
  } else if (r->opt.fix && r->stdin_path) {
    /* an editor's --fix: the fixed buffer is the output, what remains goes to stderr */
    fwrite(r->stdin_text, 1, r->stdin_len, stdout);
    fflush(stdout);
    report_text(stderr, &in, false);
    r->status = parse_failed || in.nerrors ? 2 : report_count_failing(&in) ? 1 : 0;
  } else {
    r->status = output_findings(&r->opt, &diags, &in, parse_failed, stdout_color(&r->opt));
  }
  if (r->status == 1 && r->opt.exit_zero) r->status = 0;

  VEC_FREE(errors);
  diag_list_free(&diags);
  program_free(prog);
  source_reset();
  for (size_t i = 0; i < r->jobs.len; i++) ir_summary_free(sums[i]);
  free(sums);
  /* what the steps after the parse cost, which should grow linearly with the program */
  if (r->opt.statistics) {
    fprintf(stderr, "calm-lint: after the parse, CPU seconds: ");
    if (r->opt.link) fprintf(stderr, "%.3f reading summaries, ", r->cpu_read);
    fprintf(stderr, "%.3f linking, %.3f rules, %.3f report (%u functions)\n", r->cpu_link, r->cpu_rules,
            cpu_seconds() - t_report, nfns);
  }
}

int calm_lint_main(int argc, char **argv) {
  run_state r;
  memset(&r, 0, sizeof r);
  char *err;
  if (options_parse(argc, argv, &r.opt, &err) != 0) {
    fprintf(stderr, "calm-lint: error: %s\n", err);
    free(err);
    options_free(&r.opt);
    return 2;
  }
  if (r.opt.help) {
    fputs(options_usage, stdout);
    options_free(&r.opt);
    return 0;
  }
  if (r.opt.version) {
    printf("calm-lint %s\n", CALM_VERSION);
    options_free(&r.opt);
    return 0;
  }
  if (r.opt.lsp) {
    /* every other option is passed on to the lint of each document */
    const char **args = xcalloc((size_t)argc + 1, sizeof *args);
    int n = 0;
    for (int i = 1; i < argc; i++)
      if (strcmp(argv[i], "--lsp") != 0) args[n++] = argv[i];
    int rc = lsp_serve(args, n);
    free(args);
    options_free(&r.opt);
    return rc;
  }
  if (r.opt.list_rules) {
    list_rules(r.opt.format);
    options_free(&r.opt);
    return 0;
  }
  if (r.opt.explain) {
    int rc = explain(r.opt.explain);
    options_free(&r.opt);
    return rc;
  }
  const char *bad;
  if ((bad = config_unknown_rule(r.opt.enable, r.opt.nenable)) || (bad = config_unknown_rule(r.opt.disable, r.opt.ndisable)) ||
      (bad = config_unknown_rule(r.opt.wae, r.opt.nwae))) {
    const char *close = config_closest_rule(bad);
    if (close) fprintf(stderr, "calm-lint: error: unknown rule '%s' (did you mean '%s'?)\n", bad, close);
    else fprintf(stderr, "calm-lint: error: unknown rule '%s' (see calm-lint --list-rules)\n", bad);
    options_free(&r.opt);
    return 2;
  }

  r.cwd = getcwd(NULL, 0);
  if (!r.cwd) r.cwd = xstrdup("/");
  r.srcroot = r.opt.srcroot ? path_absolute(r.opt.srcroot, r.cwd) : xstrdup(r.cwd);
  if (r.opt.npath_maps) r.maps = xcalloc(r.opt.npath_maps, sizeof *r.maps);
  for (size_t i = 0; i < r.opt.npath_maps; i++) {
    const char *m = r.opt.path_maps[i], *eq = strchr(m, '=');
    char *from = xstrndup(m, (size_t)(eq - m));
    char *sides[2] = {path_absolute(from, r.cwd), path_absolute(eq + 1, r.cwd)};
    free(from);
    r.maps[i].from = path_normalize(sides[0]);
    r.maps[i].to = path_normalize(sides[1]);
    free(sides[0]);
    free(sides[1]);
  }
  r.nmaps = r.opt.npath_maps;
  /* libclang may change the process's directory while parsing (-working-directory):
   * every path used after the parse is made absolute first */
  char *baseline = r.opt.baseline ? path_absolute(r.opt.baseline, r.cwd) : NULL;
  char *write_baseline = r.opt.write_baseline ? path_absolute(r.opt.write_baseline, r.cwd) : NULL;
  char *output = r.opt.output ? path_absolute(r.opt.output, r.cwd) : NULL;
  r.opt.baseline = baseline;
  r.opt.write_baseline = write_baseline;
  r.opt.output = output;
  r.configs = strmap_new();
  r.config_of = strmap_new();
  r.job_ids = strmap_new();
  r.model_notes = strmap_new();
  if (r.opt.config) {
    if (config_load(r.opt.config, &r.cli_config, &err) != 0) {
      fail(&r, "%s", err);
      free(err);
    } else {
      r.have_cli_config = true;
    }
  }
  if (r.status == 0 && r.opt.stdin_filename) {
    r.stdin_path = path_absolute(r.opt.stdin_filename, r.cwd);
    r.stdin_text = read_stdin(&r.stdin_len);
    if (!r.stdin_text) fail(&r, "standard input is larger than the %zu MiB limit of a source file", FILE_LIMIT_DEFAULT >> 20);
  }
  ir_summary **sums = NULL;
  if (r.status == 0 && r.opt.show_config) {
    show_config(&r);
  } else if (r.status == 0 && r.opt.cache_prune) {
    prune(&r);
  } else if (r.status == 0 && r.opt.emit_summary) {
    emit_one(&r);
  } else if (r.status == 0 && r.opt.link) {
    double t0 = cpu_seconds();
    sums = read_summaries(&r);
    r.cpu_read = cpu_seconds() - t0;
  } else if (r.status == 0 && !r.opt.list_models) {
    gather_jobs(&r);
    if (r.status == 0) exclude_jobs(&r);
    if (r.status == 0 && r.opt.emit_summaries) emit_shard(&r);
  }
  if (r.status == 0 && !r.opt.show_config && !r.opt.cache_prune && !r.opt.emit_summary && !r.opt.emit_summaries) {
    load_models(&r);
    if (r.status == 0 && r.opt.list_models) {
      list_models(&r);
    } else if (r.status == 0) {
      if (!sums) {
        sums = xcalloc(r.jobs.len + 1, sizeof *sums);
        parse_jobs(&r, r.jobs.items, r.jobs.len, sums);
      }
      lint(&r, sums);
      sums = NULL;
    }
  }
  if (sums) {
    for (size_t i = 0; i < r.jobs.len; i++) ir_summary_free(sums[i]);
    free(sums);
  }

  int status = r.status;
  model_db_free(r.models);
  for (size_t i = 0; i < r.jobs.len; i++) compile_job_clear(&r.jobs.items[i]);
  VEC_FREE(r.jobs);
  if (r.have_db) compdb_free(&r.db);
  if (r.have_cli_config) config_free(&r.cli_config);
  strmap_each(r.configs, free_config_cb, NULL);
  strmap_free(r.configs);
  strmap_free(r.config_of);
  strmap_free(r.job_ids);
  if (r.named) strmap_free(r.named);
  strmap_each(r.model_notes, free_note_cb, NULL);
  strmap_free(r.model_notes);
  free(r.stdin_text);
  free(r.stdin_path);
  free(r.srcroot);
  for (size_t i = 0; i < r.nmaps; i++) {
    free((char *)r.maps[i].from);
    free((char *)r.maps[i].to);
  }
  free(r.maps);
  free(baseline);
  free(write_baseline);
  free(output);
  free(r.cwd);
  options_free(&r.opt);
  return status;
}
