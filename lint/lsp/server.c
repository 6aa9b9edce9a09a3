/* The Language Server: lifecycle (initialize, shutdown, exit), open documents, and
 * when to lint them. Opening and saving lint at once; typing is debounced, so a
 * burst of changes costs one lint once the user pauses. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/base.h"
#include "check.h"
#include "jsonrpc.h"
#include "lsp.h"

#ifndef CALM_VERSION
#define CALM_VERSION "0"
#endif

#define DEBOUNCE_MS 300

enum { ERR_INVALID_REQUEST = -32600, ERR_METHOD_NOT_FOUND = -32601, ERR_NOT_INITIALIZED = -32002 };

typedef struct {
  char *uri, *path, *text;
  int version;
  long long due; /* monotonic ms when to lint; 0: nothing pending */
} document;

typedef struct {
  const char *const *args;
  int nargs;
  char *cwd;       /* where lint runs: the workspace root, else our own directory */
  int debounce_ms;
  bool initialized, shutdown;
  VEC(document) docs;
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

static void publish(const document *d, cJSON *diagnostics) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "uri", d->uri);
  cJSON_AddNumberToObject(p, "version", d->version);
  cJSON_AddItemToObject(p, "diagnostics", diagnostics);
  rpc_write(1, rpc_notification("textDocument/publishDiagnostics", p));
}

static void lint_doc(server *s, document *d) {
  d->due = 0;
  char *log = NULL;
  cJSON *diags = check_document(d->path, d->text, s->args, s->nargs, s->cwd, &log);
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
  cJSON_AddNumberToObject(sync, "change", 1); /* full text: a C file is small and calm-lint reads it whole */
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(sync, "save"), "includeText", 0);
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
  s->initialized = true;
}

static void open_doc(server *s, const cJSON *td) {
  const char *uri = jstr(td, "uri"), *text = jstr(td, "text");
  if (!uri || !text) return;
  char *path = uri_to_path(uri);
  if (!path) return; /* not a file on disk: nothing calm-lint can give flags for */
  document *d = find_doc(s, uri);
  if (!d) {
    document nd = {xstrdup(uri), path, NULL, 0, 0};
    VEC_PUSH(s->docs, nd);
    d = &s->docs.items[s->docs.len - 1];
  } else {
    free(path);
  }
  free(d->text);
  d->text = xstrdup(text);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(td, "version");
  d->version = cJSON_IsNumber(v) ? v->valueint : 0;
  d->due = now_ms();
}

static void change_doc(server *s, const cJSON *params) {
  const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
  document *d = jstr(td, "uri") ? find_doc(s, jstr(td, "uri")) : NULL;
  if (!d) return;
  /* full sync: the last change holds the whole text */
  const cJSON *changes = cJSON_GetObjectItemCaseSensitive(params, "contentChanges");
  const cJSON *last = cJSON_GetArrayItem(changes, cJSON_GetArraySize(changes) - 1);
  const char *text = jstr(last, "text");
  if (!text) return;
  free(d->text);
  d->text = xstrdup(text);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(td, "version");
  if (cJSON_IsNumber(v)) d->version = v->valueint;
  d->due = now_ms() + s->debounce_ms;
}

static void save_doc(server *s, const cJSON *params) {
  const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
  document *d = jstr(td, "uri") ? find_doc(s, jstr(td, "uri")) : NULL;
  if (!d) return;
  const char *text = jstr(params, "text");
  if (text) {
    free(d->text);
    d->text = xstrdup(text);
  }
  d->due = now_ms();
}

static void close_doc(server *s, const cJSON *params) {
  const cJSON *td = cJSON_GetObjectItemCaseSensitive(params, "textDocument");
  document *d = jstr(td, "uri") ? find_doc(s, jstr(td, "uri")) : NULL;
  if (!d) return;
  publish(d, cJSON_CreateArray()); /* a closed file keeps no stale marks */
  free(d->uri);
  free(d->path);
  free(d->text);
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
  } else if (strcmp(method, "textDocument/didOpen") == 0) {
    open_doc(s, cJSON_GetObjectItemCaseSensitive(params, "textDocument"));
  } else if (strcmp(method, "textDocument/didChange") == 0) {
    change_doc(s, params);
  } else if (strcmp(method, "textDocument/didSave") == 0) {
    save_doc(s, params);
  } else if (strcmp(method, "textDocument/didClose") == 0) {
    close_doc(s, params);
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
    long long due = 0;
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
    for (size_t i = 0; i < s.docs.len && !s.shutdown; i++)
      if (s.docs.items[i].due && s.docs.items[i].due <= t) lint_doc(&s, &s.docs.items[i]);
  }
  for (size_t i = 0; i < s.docs.len; i++) {
    free(s.docs.items[i].uri);
    free(s.docs.items[i].path);
    free(s.docs.items[i].text);
  }
  VEC_FREE(s.docs);
  rpc_reader_free(&in);
  free(s.cwd);
  return status;
}
