/* Running calm-lint on one buffer and turning its JSON into LSP diagnostics. */
#define _GNU_SOURCE
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/base.h"
#include "text.h"

#ifndef CALM_SOURCE_DIR
#define CALM_SOURCE_DIR ""
#endif

/* ---- URIs ---- */

char *uri_from_path(const char *path) {
  char *encoded = uri_encode_path(path);
  char *uri = xasprintf("file://%s", encoded);
  free(encoded);
  return uri;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char *uri_to_path(const char *uri) {
  if (strncmp(uri, "file://", 7) != 0) return NULL;
  const char *p = uri + 7;
  if (*p != '/') { /* file://host/path: only the local host is ours */
    if (strncmp(p, "localhost/", 10) != 0) return NULL;
    p += 9;
  }
  strbuf sb = {0};
  for (; *p && *p != '?' && *p != '#'; p++) {
    if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
      sb_appendc(&sb, (char)(hexval(p[1]) * 16 + hexval(p[2])));
      p += 2;
    } else {
      sb_appendc(&sb, *p);
    }
  }
  return sb_take(&sb);
}

/* ---- running calm-lint ---- */

static char *self_path(void) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return xstrdup("calm-lint");
  buf[n] = '\0';
  return xstrdup(buf);
}

/* Calls the progress callback for each whole "done total" line in `sb`, keeping a
 * partial last line for the next read. */
static void take_progress(strbuf *sb, const check_progress *pr) {
  char *line = sb->data, *nl;
  while ((nl = memchr(line, '\n', sb->len - (size_t)(line - sb->data))) != NULL) {
    *nl = '\0';
    unsigned long done, total;
    if (sscanf(line, "%lu %lu", &done, &total) == 2 && pr && pr->fn) pr->fn((unsigned)done, (unsigned)total, pr->ctx);
    line = nl + 1;
  }
  size_t rest = sb->len - (size_t)(line - sb->data);
  memmove(sb->data, line, rest);
  sb->len = rest;
}

/* Runs argv with `input` on its stdin; collects stdout and stderr, and passes the
 * parse's progress (fd 3 of the child, CALM_LINT_PROGRESS_FD) on as it comes.
 * Returns the exit status, or -1 if it could not run. */
static int run_child(char **argv, const char *cwd, const char *input, const check_progress *progress, char **out,
                     char **err) {
  int in[2], o[2], e[2], pr[2];
  *out = *err = NULL;
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  if (pipe2(o, O_CLOEXEC) != 0) {
    close(in[0]), close(in[1]);
    return -1;
  }
  if (pipe2(e, O_CLOEXEC) != 0) {
    close(in[0]), close(in[1]), close(o[0]), close(o[1]);
    return -1;
  }
  if (pipe2(pr, O_CLOEXEC) != 0) {
    close(in[0]), close(in[1]), close(o[0]), close(o[1]), close(e[0]), close(e[1]);
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(o[1], 1);
    dup2(e[1], 2);
    /* last: only in[0] can have been fd 3, and it is copied by now */
    if (pr[1] == 3) fcntl(3, F_SETFD, 0);
    else dup2(pr[1], 3);
    setenv("CALM_LINT_PROGRESS_FD", "3", 1);
    if (cwd && chdir(cwd) != 0) _exit(127);
    execv(argv[0], argv);
    _exit(127);
  }
  close(in[0]);
  close(o[1]);
  close(e[1]);
  close(pr[1]);
  if (pid < 0) {
    close(in[1]), close(o[0]), close(e[0]), close(pr[0]);
    return -1;
  }
  /* calm-lint reads all of stdin before it writes anything, so the buffer can be
   * written whole first; stdout, stderr and the progress are then drained together */
  size_t len = strlen(input), off = 0;
  while (off < len) {
    ssize_t n = write(in[1], input + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += (size_t)n;
  }
  close(in[1]);
  strbuf sout = {0}, serr = {0}, sprog = {0};
  strbuf *bufs[3] = {&sout, &serr, &sprog};
  struct pollfd p[3] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}, {pr[0], POLLIN, 0}};
  int open_fds = 3;
  while (open_fds > 0) {
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 3; i++) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n > 0) {
        sb_appendn(bufs[i], buf, (size_t)n);
        if (i == 2) take_progress(&sprog, progress);
      } else if (n == 0 || errno != EINTR) {
        close(p[i].fd);
        p[i].fd = -1;
        open_fds--;
      }
    }
  }
  sb_free(&sprog);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  *out = sb_take(&sout);
  *err = sb_take(&serr);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- positions ---- */

typedef struct {
  const char *doc_path, *doc_text;
  strmap *texts; /* other files' text, read once per check */
} text_source;

static const char *text_of(text_source *ts, const char *path) {
  if (strcmp(path, ts->doc_path) == 0) return ts->doc_text;
  void *v;
  if (strmap_get(ts->texts, path, &v)) return v;
  char *t = file_read(path, NULL);
  strmap_put(ts->texts, path, t);
  return t;
}

static bool free_text(const char *key, void *value, void *ctx) {
  (void)key, (void)ctx;
  free(value);
  return true;
}

static cJSON *position(text_source *ts, const char *path, unsigned line, unsigned col) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddNumberToObject(p, "line", line ? line - 1 : 0);
  cJSON_AddNumberToObject(p, "character", text_lsp_character(text_of(ts, path), line, col));
  return p;
}

static unsigned num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) && v->valuedouble > 0 ? (unsigned)v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static cJSON *range(text_source *ts, const char *path, unsigned line, unsigned col, unsigned eline, unsigned ecol) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "start", position(ts, path, line, col));
  if (!eline || eline < line || (eline == line && ecol <= col)) eline = line, ecol = col + 1;
  cJSON_AddItemToObject(r, "end", position(ts, path, eline, ecol));
  return r;
}

/* The rule's doc as a file:// URI into the source tree calm-lint was built from,
 * when it is there; else NULL (codeDescription is then left out). */
static char *doc_href(const char *rule) {
  if (!CALM_SOURCE_DIR[0]) return NULL;
  char *md = xasprintf("%s/rules/%s.md", CALM_SOURCE_DIR, rule);
  char *href = path_is_file(md) ? uri_from_path(md) : NULL;
  free(md);
  return href;
}

static int lsp_severity(const char *s) {
  if (strcmp(s, "error") == 0) return 1;
  if (strcmp(s, "note") == 0) return 3;
  return 2;
}

/* A fix's edit as a TextEdit: an insertion keeps its empty range. */
static cJSON *text_edit(text_source *ts, const char *file, const cJSON *e) {
  cJSON *te = cJSON_CreateObject();
  cJSON *r = cJSON_AddObjectToObject(te, "range");
  unsigned line = num(e, "line"), eline = num(e, "end_line");
  cJSON_AddItemToObject(r, "start", position(ts, file, line, num(e, "column")));
  cJSON_AddItemToObject(r, "end", position(ts, file, eline ? eline : line, num(e, "end_column")));
  cJSON_AddStringToObject(te, "newText", str(e, "text"));
  return te;
}

/* The finding's fixes as code actions take them: a title, whether it is the one to
 * prefer (the first safe fix; an unsafe one changes behaviour and is only offered),
 * and a WorkspaceEdit's `changes`, TextEdits by URI. NULL without fixes. */
static cJSON *lsp_fixes(text_source *ts, const cJSON *d, const char *cwd) {
  const cJSON *fixes = cJSON_GetObjectItemCaseSensitive(d, "fixes");
  if (cJSON_GetArraySize(fixes) == 0) return NULL;
  cJSON *out = cJSON_CreateArray();
  bool preferred = false;
  const cJSON *f;
  cJSON_ArrayForEach(f, fixes) {
    cJSON *changes = cJSON_CreateObject();
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(f, "edits")) {
      char *file = path_absolute(str(e, "file"), cwd);
      char *uri = uri_from_path(file);
      cJSON *list = cJSON_GetObjectItemCaseSensitive(changes, uri);
      if (!list) list = cJSON_AddArrayToObject(changes, uri);
      cJSON_AddItemToArray(list, text_edit(ts, file, e));
      free(uri);
      free(file);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "title", str(f, "description"));
    bool safe = strcmp(str(f, "applicability"), "safe") == 0;
    cJSON_AddBoolToObject(o, "isPreferred", safe && !preferred);
    preferred |= safe;
    cJSON_AddItemToObject(o, "changes", changes);
    cJSON_AddItemToArray(out, o);
  }
  return out;
}

static cJSON *to_diagnostic(text_source *ts, const cJSON *d, const char *path, const char *cwd) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "range", range(ts, path, num(d, "line"), num(d, "column"), num(d, "end_line"),
                                          num(d, "end_column")));
  cJSON_AddNumberToObject(o, "severity", lsp_severity(str(d, "severity")));
  const char *rule = str(d, "rule");
  cJSON_AddStringToObject(o, "code", rule);
  /* the published page the configuration names (docs_url), else the source tree's */
  char *href = str(d, "help_uri")[0] ? xstrdup(str(d, "help_uri")) : doc_href(rule);
  if (href) cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "codeDescription"), "href", href);
  free(href);
  cJSON_AddStringToObject(o, "source", "calm-lint");
  cJSON_AddStringToObject(o, "message", str(d, "message"));
  cJSON *fixes = lsp_fixes(ts, d, cwd);
  if (fixes) cJSON_AddItemToObject(cJSON_AddObjectToObject(o, "data"), "fixes", fixes);
  /* the trace, then the other places of the same mistake */
  const char *lists[] = {"trace", "also"};
  cJSON *rel = NULL;
  for (int n = 0; n < 2; n++) {
    const cJSON *trace = cJSON_GetObjectItemCaseSensitive(d, lists[n]);
    if (cJSON_GetArraySize(trace) == 0) continue;
    if (!rel) rel = cJSON_AddArrayToObject(o, "relatedInformation");
    const cJSON *t;
    cJSON_ArrayForEach(t, trace) {
      char *file = path_absolute(str(t, "file"), cwd);
      char *uri = uri_from_path(file);
      cJSON *info = cJSON_CreateObject();
      cJSON *loc = cJSON_AddObjectToObject(info, "location");
      cJSON_AddStringToObject(loc, "uri", uri);
      cJSON_AddItemToObject(loc, "range", range(ts, file, num(t, "line"), num(t, "column"), 0, 0));
      cJSON_AddStringToObject(info, "message", str(t, "message"));
      cJSON_AddItemToArray(rel, info);
      free(uri);
      free(file);
    }
  }
  return o;
}

/* A parse error in the buffer shows where it is, so the user knows why findings
 * may be missing. */
static cJSON *error_diagnostic(text_source *ts, const cJSON *e, const char *path) {
  cJSON *o = cJSON_CreateObject();
  unsigned line = num(e, "line"), col = num(e, "column");
  cJSON_AddItemToObject(o, "range", range(ts, path, line ? line : 1, col ? col : 1, 0, 0));
  cJSON_AddNumberToObject(o, "severity", 1);
  cJSON_AddStringToObject(o, "source", "calm-lint");
  cJSON_AddStringToObject(o, "message", str(e, "message"));
  return o;
}

/* argv for calm-lint: args, then `extra` options before any `--` (after it everything
 * is a compiler flag), then `tail` at the very end. Room for `tail`'s one entry. */
static char **lint_argv(char *self, const char *const *args, int nargs, const char *const *extra, int nextra,
                        const char *tail) {
  char **argv = xcalloc((size_t)nargs + (size_t)nextra + 3, sizeof *argv);
  int k = 0;
  argv[k++] = self;
  for (int i = 0; i < nargs; i++) argv[k++] = (char *)args[i];
  int insert = k;
  for (int i = 1; i < k; i++)
    if (strcmp(argv[i], "--") == 0) insert = i;
  memmove(argv + insert + nextra, argv + insert, (size_t)(k - insert) * sizeof *argv);
  for (int i = 0; i < nextra; i++) argv[insert + i] = (char *)extra[i];
  k += nextra;
  if (tail) argv[k++] = (char *)tail;
  return argv;
}

char *check_dump_ir(const char *const *args, int nargs, const char *cwd) {
  char *self = self_path();
  const char *extra[] = {"--dump-ir", "--quiet"};
  char **argv = lint_argv(self, args, nargs, extra, 2, NULL);
  char *out, *err;
  run_child(argv, cwd, "", NULL, &out, &err);
  free(argv);
  free(self);
  free(err);
  if (out && !*out) {
    free(out);
    out = NULL;
  }
  return out;
}

cJSON *check_document(const char *path, const char *text, const char *const *args, int nargs, const char *cwd,
                      const check_progress *progress, char **log) {
  *log = NULL;
  char *self = self_path();
  cJSON *diags = cJSON_CreateArray();
  /* without a compile database (none found upward), the file is linted alone, with
   * no flags: better some findings than none */
  for (int attempt = 0; attempt < 2; attempt++) {
    bool have_flags = false;
    for (int i = 0; i < nargs; i++) have_flags |= strcmp(args[i], "--") == 0;
    const char *extra[] = {"--format", "json", "--stdin-filename", path};
    char **argv = lint_argv(self, args, nargs, extra, 4, attempt == 1 ? "--" : NULL);
    char *out, *err;
    int status = run_child(argv, cwd, text, progress, &out, &err);
    free(argv);
    cJSON *root = out && *out ? cJSON_Parse(out) : NULL;
    free(out);
    if (!root && attempt == 0 && !have_flags && status == 2) {
      free(err);
      continue;
    }
    if (!root) {
      free(*log);
      *log = err && *err ? xstrdup(err) : xasprintf("calm-lint exited with status %d and no output", status);
      free(err);
      break;
    }
    free(err);
    text_source ts = {path, text, strmap_new()};
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(root, "diagnostics")) {
      char *file = path_absolute(str(d, "file"), cwd);
      if (strcmp(file, path) == 0) cJSON_AddItemToArray(diags, to_diagnostic(&ts, d, path, cwd));
      free(file);
      /* an editor marks every place of a merged finding: each is a line to change */
      const cJSON *a;
      cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(d, "also")) {
        char *afile = path_absolute(str(a, "file"), cwd);
        if (strcmp(afile, path) == 0) {
          cJSON *place = cJSON_Duplicate(d, true);
          cJSON_DeleteItemFromObjectCaseSensitive(place, "also");
          cJSON_DeleteItemFromObjectCaseSensitive(place, "fixes");
          const char *keys[] = {"line", "column", "end_line", "end_column"};
          for (int k = 0; k < 4; k++)
            cJSON_ReplaceItemInObjectCaseSensitive(place, keys[k], cJSON_CreateNumber(num(a, keys[k])));
          cJSON_AddItemToArray(diags, to_diagnostic(&ts, place, path, cwd));
          cJSON_Delete(place);
        }
        free(afile);
      }
    }
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(root, "errors")) {
      char *file = path_absolute(str(d, "file"), cwd);
      if (strcmp(file, path) == 0) cJSON_AddItemToArray(diags, error_diagnostic(&ts, d, path));
      free(file);
    }
    strmap_each(ts.texts, free_text, NULL);
    strmap_free(ts.texts);
    cJSON_Delete(root);
    break;
  }
  free(self);
  return diags;
}
