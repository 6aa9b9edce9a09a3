/* The Language Server: lifecycle (initialize, shutdown, exit), open documents, and
 * when to lint them. Opening and saving lint at once; typing is debounced, so a
 * burst of changes costs one lint once the user pauses; a file changed on disk (a
 * watched file, or another document saved) re-lints the open documents that depend
 * on it. Lints that parse more than the buffer show their progress. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/base.h"
#include "actions.h"
#include "check.h"
#include "deps.h"
#include "jsonrpc.h"
#include "lsp.h"
#include "text.h"

#ifndef CALM_VERSION
#define CALM_VERSION "0"
#endif

#define DEBOUNCE_MS 300
#define REFRESH_MS 50 /* a save comes with a watched-file change of the same file: one refresh */

enum { ERR_INVALID_REQUEST = -32600, ERR_METHOD_NOT_FOUND = -32601, ERR_NOT_INITIALIZED = -32002 };

typedef struct {
  char *uri, *path, *text;
  int version;
  long long due; /* monotonic ms when to lint; 0: nothing pending */
  bool out_of_sync; /* an edit could not be applied: no lint until the whole text comes again */
  cJSON *diags;     /* as last published: for code actions and the files their traces name */
  bool edited;      /* since `diags` were made: their positions are not the text's */
} document;

typedef struct {
  const char *const *args;
  int nargs;
  char *cwd;       /* where lint runs: the workspace root, else our own directory */
  int debounce_ms;
  bool initialized, shutdown;
  bool can_progress; /* the client shows progress the server starts (window.workDoneProgress) */
  bool can_watch;    /* the client watches files for the server (dynamic registration) */
  int next_id;       /* of the requests the server sends */
  unsigned progress_runs;
  VEC(document) docs;
  VEC(char *) changed;  /* files changed on disk, not yet looked at */
  long long changed_due; /* when to look at them; 0: none */
} server;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static document *find_doc(server *s, const char *uri) {
  for (size_t i = 0; i < s->docs.len; i++)
    if (strcmp(s->docs.items[i].uri, uri) == 0) return &s->docs.items[i];
  return NULL;
}

static const char *jstr(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void log_message(int type, const char *text) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddNumberToObject(p, "type", type);
  cJSON_AddStringToObject(p, "message", text);
  rpc_write(1, rpc_notification("window/logMessage", p));
}

static void publish(document *d, cJSON *diagnostics) {
  cJSON_Delete(d->diags);
  d->diags = cJSON_Duplicate(diagnostics, 1);
  d->edited = false;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "uri", d->uri);
  cJSON_AddNumberToObject(p, "version", d->version);
  cJSON_AddItemToObject(p, "diagnostics", diagnostics);
  rpc_write(1, rpc_notification("textDocument/publishDiagnostics", p));
}

static void request(server *s, const char *method, cJSON *params) {
  cJSON *m = rpc_notification(method, params);
  cJSON_AddNumberToObject(m, "id", ++s->next_id);
  rpc_write(1, m);
}

/* ---- progress: $/progress under a token the server creates, one per build ---- */

typedef struct {
  server *s;
  char *token; /* NULL until the lint turns out to parse more than the buffer */
  unsigned done, total;
} progress_run;

static void send_progress(const progress_run *p, const char *kind, char *message, bool percentage) {
  cJSON *params = cJSON_CreateObject();
  cJSON_AddStringToObject(params, "token", p->token);
  cJSON *v = cJSON_AddObjectToObject(params, "value");
  cJSON_AddStringToObject(v, "kind", kind);
  if (strcmp(kind, "begin") == 0) {
    cJSON_AddStringToObject(v, "title", "calm-lint");
    cJSON_AddBoolToObject(v, "cancellable", 0);
  }
  cJSON_AddStringToObject(v, "message", message);
  if (percentage) cJSON_AddNumberToObject(v, "percentage", p->total ? p->done * 100 / p->total : 0);
  free(message);
  rpc_write(1, rpc_notification("$/progress", params));
}

static void on_progress(unsigned done, unsigned total, void *ctx) {
  progress_run *p = ctx;
  /* one unit is the buffer itself: that is every lint, not a build worth showing */
  if (!p->s->can_progress || total < 2) return;
  p->done = done;
  p->total = total;
  if (!p->token) {
    /* the create request is not waited for: the client reads it before what follows */
    p->token = xasprintf("calm-lint/summaries/%u", ++p->s->progress_runs);
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "token", p->token);
    request(p->s, "window/workDoneProgress/create", params);
    send_progress(p, "begin", xasprintf("building summaries: %u/%u units", done, total), true);
    return;
  }
  send_progress(p, "report", xasprintf("building summaries: %u/%u units", done, total), true);
}

static void lint_doc(server *s, document *d) {
  d->due = 0;
  if (d->out_of_sync) return;
  char *log = NULL;
  progress_run run = {s, NULL, 0, 0};
  check_progress progress = {on_progress, &run};
  cJSON *diags = check_document(d->path, d->text, s->args, s->nargs, s->cwd, &progress, &log);
  if (run.token) {
    char *message;
    if (log) {
      size_t n = strcspn(log, "\n");
      message = xasprintf("failed: %.*s", (int)n, log);
    } else if (run.done < run.total) {
      message = xasprintf("stopped after %u of %u units", run.done, run.total);
    } else {
      message = xasprintf("%u units", run.total);
    }
    send_progress(&run, "end", message, false);
    free(run.token);
  }
  if (log) {
    char *msg = xasprintf("calm-lint: %s: %s", d->path, log);
    log_message(1, msg);
    free(msg);
    free(log);
  }
  publish(d, diags);
}

static cJSON *capabilities(void) {
  cJSON *r = cJSON_CreateObject();
  cJSON *caps = cJSON_AddObjectToObject(r, "capabilities");
  cJSON *sync = cJSON_AddObjectToObject(caps, "textDocumentSync");
  cJSON_AddBoolToObject(sync, "openClose", 1);
  cJSON_AddNumberToObject(sync, "change", 2); /* incremental: a keystroke sends its edit, not the file */
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(sync, "save"), "includeText", 0);
  cJSON *actions = cJSON_AddObjectToObject(caps, "codeActionProvider");
  cJSON_AddItemToArray(cJSON_AddArrayToObject(actions, "codeActionKinds"), cJSON_CreateString("quickfix"));
  cJSON *info = cJSON_AddObjectToObject(r, "serverInfo");
  cJSON_AddStringToObject(info, "name", "calm-lint");
  cJSON_AddStringToObject(info, "version", CALM_VERSION);
  return r;
}

static void initialize(server *s, const cJSON *params) {
  const char *root = jstr(params, "rootUri");
  char *path = root ? uri_to_path(root) : NULL;
  if (!path && jstr(params, "rootPath")) path = xstrdup(jstr(params, "rootPath"));
  if (path && path_is_dir(path)) {
    free(s->cwd);
    s->cwd = path;
  } else {
    free(path);
  }
  const cJSON *opts = cJSON_GetObjectItemCaseSensitive(params, "initializationOptions");
  const cJSON *deb = cJSON_GetObjectItemCaseSensitive(opts, "debounce_ms");
  if (cJSON_IsNumber(deb) && deb->valuedouble >= 0 && deb->valuedouble <= 60000) s->debounce_ms = deb->valueint;
  const cJSON *caps = cJSON_GetObjectItemCaseSensitive(params, "capabilities");
  s->can_progress = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(caps, "window"), "workDoneProgress"));
  s->can_watch = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(caps, "workspace"), "didChangeWatchedFiles"),
      "dynamicRegistration"));
  s->initialized = true;
}

/* Asks the client to tell of changes to what a lint reads: sources, headers, the
 * compile database and the configuration. */
static void register_watchers(server *s) {
  static const char *const globs[] = {"**/*.c", "**/*.h", "**/compile_commands.json", "**/.calm-lint.json"};
  cJSON *params = cJSON_CreateObject();
  cJSON *reg = cJSON_CreateObject();
  cJSON_AddItemToArray(cJSON_AddArrayToObject(params, "registrations"), reg);
  cJSON_AddStringToObject(reg, "id", "calm-lint/watch");
  cJSON_AddStringToObject(reg, "method", "workspace/didChangeWatchedFiles");
  cJSON *watchers = cJSON_AddArrayToObject(cJSON_AddObjectToObject(reg, "registerOptions"), "watchers");
  for (size_t i = 0; i < sizeof globs / sizeof *globs; i++) {
    cJSON *w = cJSON_CreateObject();
    cJSON_AddStringToObject(w, "globPattern", globs[i]);
    cJSON_AddItemToArray(watchers, w);
  }
  request(s, "client/registerCapability", params);
}

static void open_doc(server *s, const cJSON *td) {
  const char *uri = jstr(td, "uri"), *text = jstr(td, "text");
  if (!uri || !text) return;
  char *path = uri_to_path(uri);
  if (!path) return; /* not a file on disk: nothing calm-lint can give flags for */
  document *d = find_doc(s, uri);
  if (!d) {
    document nd = {xstrdup(uri), path, NULL, 0, 0, false, NULL, false};
    VEC_PUSH(s->docs, nd);
    d = &s->docs.items[s->docs.len - 1];
  } else {
    free(path);
  }
  free(d->text);
  d->text = xstrdup(text);
  d->out_of_sync = false;
  d->edited = true;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(td, "version");
  d->version = cJSON_IsNumber(v) ? v->valueint : 0;
  d->due = now_ms();
}

static bool get_uint(const cJSON *o, const char *key, unsigned *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 4294967295.0) return false;
  *out = (unsigned)v->valuedouble;
  return true;
}

/* Applies one incremental change; NULL, or why it cannot be (malloc'd). */
static char *apply_change(document *d, const cJSON *range, const char *text) {
  const cJSON *start = cJSON_GetObjectItemCaseSensitive(range, "start");
  const cJSON *end = cJSON_GetObjectItemCaseSensitive(range, "end");
  unsigned sl, sc, el, ec;
  if (!get_uint(start, "line", &sl) || !get_uint(start, "character", &sc) || !get_uint(end, "line", &el) ||
      !get_uint(end, "character", &ec))
    return xstrdup("a change whose range is not two positions");
  char *error = NULL;
  text_apply_edit(&d->text, sl, sc, el, ec, text, &error);
  return error;
}

static void change_doc(server *s, const cJSON *params) {
  const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
  document *d = jstr(td, "uri") ? find_doc(s, jstr(td, "uri")) : NULL;
  if (!d) return;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(td, "version");
  if (cJSON_IsNumber(v)) d->version = v->valueint;
  d->edited = true;
  /* in order: each edit's range is in the text the ones before it left */
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(params, "contentChanges")) {
    const char *text = jstr(c, "text");
    const cJSON *range = cJSON_GetObjectItemCaseSensitive(c, "range");
    char *error = NULL;
    if (!text) {
      error = xstrdup("a change without text");
    } else if (!range) { /* the whole text: also what puts a document back in sync */
      free(d->text);
      d->text = xstrdup(text);
      d->out_of_sync = false;
    } else if (!d->out_of_sync) {
      error = apply_change(d, range, text);
    }
    if (error && !d->out_of_sync) {
      /* the client's text and ours now differ: findings at our positions would be
       * wrong, so none are shown until the whole text comes again */
      char *line = xasprintf("calm-lint: lsp: %s, version %d: %s; its findings are not shown until it is reopened",
                             d->path, d->version, error);
      fprintf(stderr, "%s\n", line);
      log_message(1, line);
      free(line);
      d->out_of_sync = true;
      publish(d, cJSON_CreateArray());
    }
    free(error);
  }
  d->due = d->out_of_sync ? 0 : now_ms() + s->debounce_ms;
}

/* A file changed on disk: the open documents that depend on it are looked at once
 * the burst of changes is over. */
static void file_changed(server *s, const char *path) {
  for (size_t i = 0; i < s->changed.len; i++)
    if (strcmp(s->changed.items[i], path) == 0) return;
  VEC_PUSH(s->changed, xstrdup(path));
  if (!s->changed_due) s->changed_due = now_ms() + REFRESH_MS;
}

static void save_doc(server *s, const cJSON *params) {
  const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
  document *d = jstr(td, "uri") ? find_doc(s, jstr(td, "uri")) : NULL;
  if (!d) return;
  const char *text = jstr(params, "text");
  if (text && strcmp(text, d->text) != 0) {
    free(d->text);
    d->text = xstrdup(text);
    d->edited = true;
  }
  if (text) d->out_of_sync = false;
  d->due = now_ms();
  file_changed(s, d->path); /* the others that depend on it */
}

static void watched_files(server *s, const cJSON *params) {
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(params, "changes")) {
    char *path = jstr(c, "uri") ? uri_to_path(jstr(c, "uri")) : NULL;
    if (path) file_changed(s, path);
    free(path);
  }
}

static bool is_named(const char *path, const char *name) {
  const char *slash = strrchr(path, '/');
  return strcmp(slash ? slash + 1 : path, name) == 0;
}

/* Whether a finding of `d` has a step in `path`: its chain runs through that file. */
static bool traced_through(const document *d, const char *path) {
  const cJSON *diag, *info;
  cJSON_ArrayForEach(diag, d->diags) {
    cJSON_ArrayForEach(info, cJSON_GetObjectItemCaseSensitive(diag, "relatedInformation")) {
      const char *uri = jstr(cJSON_GetObjectItemCaseSensitive(info, "location"), "uri");
      char *p = uri ? uri_to_path(uri) : NULL;
      bool hit = p && strcmp(p, path) == 0;
      free(p);
      if (hit) return true;
    }
  }
  return false;
}

/* Marks for a lint the open documents that depend on the files changed on disk:
 * all of them after a change to a compile database or configuration; else those
 * that include a changed file, whose findings' chains run through one, or whose
 * unit is linked by calls with a unit that is or includes one, in the project's IR
 * as it is now. */
static void refresh(server *s) {
  s->changed_due = 0;
  bool all = false;
  for (size_t i = 0; i < s->changed.len; i++)
    all |= is_named(s->changed.items[i], "compile_commands.json") || is_named(s->changed.items[i], ".calm-lint.json");
  /* a document saved with no other open is the common case: no graph is needed */
  bool others = false;
  for (size_t i = 0; i < s->docs.len && !others; i++) {
    others = true;
    for (size_t k = 0; k < s->changed.len && others; k++)
      others = strcmp(s->changed.items[k], s->docs.items[i].path) != 0;
  }
  deps_graph *g = NULL;
  if (!all && others) {
    char *dump = check_dump_ir(s->args, s->nargs, s->cwd);
    g = deps_graph_new(dump);
    free(dump);
    for (size_t i = 0; i < s->docs.len; i++) deps_graph_set_text(g, s->docs.items[i].path, s->docs.items[i].text);
    deps_graph_set_changed(g, (const char *const *)s->changed.items, s->changed.len);
  }
  long long t = now_ms();
  for (size_t i = 0; i < s->docs.len; i++) {
    document *d = &s->docs.items[i];
    bool dep = all || (g && deps_graph_depends(g, d->path));
    for (size_t k = 0; k < s->changed.len && !dep; k++) {
      const char *f = s->changed.items[k];
      if (strcmp(f, d->path) == 0) continue; /* the buffer, not the disk, is its text */
      dep = traced_through(d, f);
    }
    if (dep && !d->out_of_sync && (!d->due || d->due > t)) d->due = t;
  }
  deps_graph_free(g);
  for (size_t i = 0; i < s->changed.len; i++) free(s->changed.items[i]);
  s->changed.len = 0;
}

/* Whether the client's `only` list (none: every kind) takes quick fixes. */
static bool wants_quickfix(const cJSON *context) {
  const cJSON *only = cJSON_GetObjectItemCaseSensitive(context, "only");
  if (!cJSON_IsArray(only)) return true;
  const cJSON *k;
  cJSON_ArrayForEach(k, only) {
    if (cJSON_IsString(k) && (strcmp(k->valuestring, "quickfix") == 0 || k->valuestring[0] == '\0')) return true;
  }
  return false;
}

/* The quick fixes of the findings on the lines asked about. None while the text has
 * changed since the lint: the findings' lines and the fixes' ranges are those of an
 * older text, and the lint of the new one is at most a debounce away. */
static void code_action(server *s, const cJSON *id, const cJSON *params) {
  const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
  document *d = jstr(td, "uri") ? find_doc(s, jstr(td, "uri")) : NULL;
  const cJSON *range = cJSON_GetObjectItemCaseSensitive(params, "range");
  unsigned first = 0, last = 0;
  if (!d || d->out_of_sync || d->edited || !wants_quickfix(cJSON_GetObjectItemCaseSensitive(params, "context")) ||
      !get_uint(cJSON_GetObjectItemCaseSensitive(range, "start"), "line", &first) ||
      !get_uint(cJSON_GetObjectItemCaseSensitive(range, "end"), "line", &last)) {
    rpc_write(1, rpc_response(id, cJSON_CreateArray()));
    return;
  }
  rpc_write(1, rpc_response(id, actions_for_range(d->uri, d->text, d->diags, first, last)));
}

static void free_doc(document *d) {
  free(d->uri);
  free(d->path);
  free(d->text);
  cJSON_Delete(d->diags);
}

static void close_doc(server *s, const cJSON *params) {
  const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
  document *d = jstr(td, "uri") ? find_doc(s, jstr(td, "uri")) : NULL;
  if (!d) return;
  publish(d, cJSON_CreateArray()); /* a closed file keeps no stale marks */
  free_doc(d);
  *d = s->docs.items[--s->docs.len];
}

/* Handles one message. Returns -1 to go on, else the exit status. */
static int handle(server *s, const cJSON *msg) {
  const char *method = jstr(msg, "method");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
  if (!method) return -1; /* a response to something we never ask */
  if (strcmp(method, "exit") == 0) return s->shutdown ? 0 : 1;
  if (strcmp(method, "initialize") == 0) {
    initialize(s, params);
    rpc_write(1, rpc_response(id, capabilities()));
    return -1;
  }
  if (!s->initialized) {
    if (id) rpc_write(1, rpc_error(id, ERR_NOT_INITIALIZED, "initialize first"));
    return -1;
  }
  if (s->shutdown) {
    if (id) rpc_write(1, rpc_error(id, ERR_INVALID_REQUEST, "the server is shutting down"));
    return -1;
  }
  if (strcmp(method, "shutdown") == 0) {
    s->shutdown = true;
    rpc_write(1, rpc_response(id, NULL));
  } else if (strcmp(method, "initialized") == 0) {
    if (s->can_watch) register_watchers(s);
  } else if (strcmp(method, "textDocument/didOpen") == 0) {
    open_doc(s, cJSON_GetObjectItemCaseSensitive(params, "textDocument"));
  } else if (strcmp(method, "textDocument/didChange") == 0) {
    change_doc(s, params);
  } else if (strcmp(method, "textDocument/didSave") == 0) {
    save_doc(s, params);
  } else if (strcmp(method, "textDocument/didClose") == 0) {
    close_doc(s, params);
  } else if (strcmp(method, "workspace/didChangeWatchedFiles") == 0) {
    watched_files(s, params);
  } else if (strcmp(method, "textDocument/codeAction") == 0 && id) {
    code_action(s, id, params);
  } else if (id) {
    rpc_write(1, rpc_error(id, ERR_METHOD_NOT_FOUND, "method not supported by calm-lint"));
  } /* other notifications (initialized, $/cancelRequest, ...) need nothing */
  return -1;
}

int lsp_serve(const char *const *args, int n) {
  signal(SIGPIPE, SIG_IGN); /* a client that went away ends the loop through EOF */
  server s;
  memset(&s, 0, sizeof s);
  s.args = args;
  s.nargs = n;
  s.debounce_ms = DEBOUNCE_MS;
  s.cwd = getcwd(NULL, 0);
  if (!s.cwd) s.cwd = xstrdup("/");
  rpc_reader in;
  rpc_reader_init(&in, 0);
  int status = -1;
  while (status < 0) {
    long long due = s.changed_due;
    for (size_t i = 0; i < s.docs.len; i++)
      if (s.docs.items[i].due && (!due || s.docs.items[i].due < due)) due = s.docs.items[i].due;
    long long wait = due ? due - now_ms() : -1;
    if (due && wait < 0) wait = 0;
    cJSON *msg;
    int rc = rpc_read(&in, (int)(wait > 60000 ? 60000 : wait), &msg);
    if (rc == 2) {
      /* said where a person looks (the editor's log) and where a script does */
      char *line = xasprintf("calm-lint: lsp: %s", in.problem);
      fprintf(stderr, "%s\n", line);
      log_message(1, line);
      free(line);
      continue;
    }
    if (rc < 0) {
      status = 1; /* the client vanished without exit */
      break;
    }
    if (rc == 1) {
      status = handle(&s, msg);
      cJSON_Delete(msg);
      if (status >= 0) break;
      /* take every message already here before linting: the newest text wins */
      continue;
    }
    long long t = now_ms();
    if (s.changed_due && s.changed_due <= t && !s.shutdown) {
      refresh(&s);
      t = now_ms();
    }
    for (size_t i = 0; i < s.docs.len && !s.shutdown; i++)
      if (s.docs.items[i].due && s.docs.items[i].due <= t) lint_doc(&s, &s.docs.items[i]);
  }
  for (size_t i = 0; i < s.docs.len; i++) free_doc(&s.docs.items[i]);
  VEC_FREE(s.docs);
  for (size_t i = 0; i < s.changed.len; i++) free(s.changed.items[i]);
  VEC_FREE(s.changed);
  rpc_reader_free(&in);
  free(s.cwd);
  return status;
}
