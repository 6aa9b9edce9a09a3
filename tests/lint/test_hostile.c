/* Hostile input: reads that would block or grow without bound, writes through
 * symlinks and onto devices, duplicate JSON keys, numbers out of range, keys that
 * carry control characters into an error line. Every case must end quickly with one
 * clear error, and leak nothing. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../../lint/base/base.h"
#include "../../lint/driver/config.h"
#include "../../lint/graph/models.h"
#include "../../lint/ir/ir.h"
#include "../../lint/lsp/jsonrpc.h"
#include "unit.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Runs fn in a child with a time limit and (without ASan, which reserves address
 * space of its own) a memory limit, so a read that blocks or grows without bound fails
 * the test instead of taking the machine down. True if the child returned true. */
static bool bounded(bool (*fn)(void)) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    alarm(10);
    if (!UNDER_ASAN) {
      struct rlimit lim = {(rlim_t)2 << 30, (rlim_t)2 << 30};
      setrlimit(RLIMIT_AS, &lim);
    }
    _exit(fn() ? 0 : 1);
  }
  int st;
  if (waitpid(pid, &st, 0) != pid) return false;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static char *scratch_path(const char *name) { return xasprintf("%s/%s", unit_scratch(), name); }

/* ---- bounded reads ---- */

static bool read_dev_zero(void) {
  char *why = NULL;
  char *text = file_read_limited("/dev/zero", 0, NULL, &why);
  bool ok = !text && errno == EINVAL && why && strstr(why, "not a regular file (a character device)");
  free(text);
  free(why);
  return ok;
}

static bool read_fifo(void) {
  char *fifo = scratch_path("input.fifo");
  unlink(fifo);
  if (mkfifo(fifo, 0600) != 0) return false;
  /* a writer that never writes: a plain read would wait for it forever */
  int w = open(fifo, O_RDWR | O_NONBLOCK);
  char *text = file_read(fifo, NULL);
  bool ok = !text && errno == EINVAL;
  char *why = file_check(fifo, 0);
  ok = ok && why && strstr(why, "a FIFO");
  free(why);
  if (w >= 0) close(w);
  unlink(fifo);
  free(fifo);
  free(text);
  return ok;
}

static void test_read_refuses_devices_and_fifos(void) {
  CU_ASSERT(bounded(read_dev_zero));
  CU_ASSERT(bounded(read_fifo));
  char *why = NULL;
  char *text = file_read_limited(unit_scratch(), 0, NULL, &why);
  CU_ASSERT_PTR_NULL(text);
  CU_ASSERT(why && strstr(why, "a directory"));
  free(why);
  free(text);
}

static void test_read_size_limit(void) {
  char *path = unit_write("big.json", "0123456789");
  size_t len = 0;
  char *why = NULL;
  char *text = file_read_limited(path, 10, &len, &why);
  CU_ASSERT_PTR_NOT_NULL(text);
  CU_ASSERT_EQUAL(len, 10);
  CU_ASSERT_PTR_NULL(why);
  free(text);
  text = file_read_limited(path, 9, &len, &why);
  CU_ASSERT_PTR_NULL(text);
  CU_ASSERT_EQUAL(errno, EFBIG);
  CU_ASSERT(why && strstr(why, "larger than the 9 byte limit"));
  free(why);
  why = file_check(path, 9);
  CU_ASSERT(why && strstr(why, "limit"));
  free(why);
  CU_ASSERT_PTR_NULL(file_check(path, 10));
  why = NULL;
  CU_ASSERT_PTR_NULL(file_read_limited("/nonexistent/x", 0, NULL, &why));
  CU_ASSERT(why && strstr(why, "No such file"));
  free(why);
  free(path);
}

/* ---- writes ---- */

static void test_write_through_symlink(void) {
  char *real = unit_write("real-baseline.json", "old\n");
  chmod(real, 0640);
  char *link = scratch_path("link-baseline.json");
  unlink(link);
  CU_ASSERT_EQUAL(symlink("real-baseline.json", link), 0);
  char *why = NULL;
  CU_ASSERT_EQUAL(file_write_atomic(link, "new\n", 4, true, &why), 0);
  CU_ASSERT_PTR_NULL(why);
  struct stat st;
  CU_ASSERT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode)); /* the link stays a link */
  CU_ASSERT(stat(real, &st) == 0 && (st.st_mode & 0777) == 0640);
  char *text = file_read(real, NULL);
  CU_ASSERT(text && strcmp(text, "new\n") == 0);
  free(text);
  /* without following, the link itself is replaced */
  CU_ASSERT_EQUAL(file_write_atomic(link, "own\n", 4, false, &why), 0);
  CU_ASSERT(lstat(link, &st) == 0 && S_ISREG(st.st_mode));
  text = file_read(real, NULL);
  CU_ASSERT(text && strcmp(text, "new\n") == 0);
  free(text);
  free(link);
  free(real);
}

/* A FIFO in the scratch directory stands for /dev/full: a test of a writer that is
 * still wrong must not replace a device of the machine. */
static char *scratch_fifo(const char *name) {
  char *fifo = scratch_path(name);
  unlink(fifo);
  if (mkfifo(fifo, 0600) != 0) CU_FAIL("mkfifo");
  return fifo;
}

static bool still_fifo(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISFIFO(st.st_mode);
}

static void test_write_refuses_devices(void) {
  char *fifo = scratch_fifo("target.fifo");
  char *why = NULL;
  CU_ASSERT_EQUAL(file_write_atomic(fifo, "x", 1, true, &why), -1);
  CU_ASSERT(why && strstr(why, "not a regular file (a FIFO)"));
  CU_ASSERT(still_fifo(fifo));
  free(why);
  char *link = scratch_path("fifo-link");
  unlink(link);
  CU_ASSERT_EQUAL(symlink("target.fifo", link), 0);
  why = NULL;
  CU_ASSERT_EQUAL(file_write_atomic(link, "x", 1, true, &why), -1);
  CU_ASSERT(why && strstr(why, "not a regular file"));
  CU_ASSERT(still_fifo(fifo));
  free(why);
  why = NULL;
  CU_ASSERT_EQUAL(file_write_atomic(fifo, "x", 1, false, &why), -1);
  free(why);
  why = NULL;
  CU_ASSERT_EQUAL(file_write_atomic(unit_scratch(), "x", 1, false, &why), -1);
  CU_ASSERT(why && strstr(why, "a directory"));
  free(why);
  unlink(fifo);
  free(fifo);
  free(link);
}

/* ---- messages ---- */

static void test_escape(void) {
  char *e = text_escape("a\nb\x1b[31m'\"\\\xff", 100);
  CU_ASSERT_STRING_EQUAL(e, "a\\nb\\x1b[31m\\'\\\"\\\\\\xff");
  free(e);
  e = text_escape("abcdef", 3);
  CU_ASSERT_STRING_EQUAL(e, "abc...");
  free(e);
}

/* ---- JSON edges ---- */

static char *config_error(const char *name, const char *text) {
  char *path = unit_write(name, text);
  lint_config c;
  char *err = NULL;
  if (config_load(path, &c, &err) == 0) config_free(&c);
  free(path);
  return err;
}

static void test_config_duplicates_and_keys(void) {
  /* each of these leaked the first value before */
  char *err = config_error("dup-functions.json", "{\"functions\": {\"f\": {\"blocking\": true}},\n"
                                                 " \"functions\": {\"g\": {\"blocking\": true}}}");
  CU_ASSERT(err && strstr(err, "configuration key 'functions' is given twice"));
  free(err);
  err = config_error("dup-models.json", "{\"model_files\": [\"a.json\"], \"model_files\": [\"b.json\"]}");
  CU_ASSERT(err && strstr(err, "configuration key 'model_files' is given twice"));
  free(err);
  /* a key with a newline and a terminal escape is echoed escaped, on one line */
  err = config_error("ctl-key.json", "{\"bad\\nkey\\u001b[31m\": 1}");
  CU_ASSERT(err && strstr(err, "unknown configuration key 'bad\\nkey\\x1b[31m'"));
  CU_ASSERT(err && !strchr(err, '\n') && !strchr(err, '\x1b'));
  free(err);
  err = config_error("ctl-rule.json", "{\"enable\": [\"x\\ny\"]}");
  CU_ASSERT(err && strstr(err, "unknown rule 'x\\ny'"));
  free(err);
  err = config_error("ctl-model.json", "{\"models\": {\"disable\": [\"glib\", \"x\\u001b[2J\"]}}");
  CU_ASSERT(err && strstr(err, "'x\\x1b[2J' in models.disable is not a model name"));
  free(err);
}

static char *model_error(const char *json) {
  model_db *db = model_db_new();
  char *err = NULL;
  if (model_db_load(db, json, "m.json", &err) == 0) CU_ASSERT_PTR_NULL(err);
  model_db_free(db);
  return err;
}

static void test_model_duplicates_and_numbers(void) {
  char *err = model_error("{\"model\": \"m\", \"functions\": {\"reg\": {"
                          "\"callbacks\": [{\"arg\": 1, \"context\": \"loop\"}],"
                          "\"callbacks\": [{\"arg\": 2, \"context\": \"loop\"}]}}}");
  CU_ASSERT(err && strstr(err, "function property 'callbacks' is given twice in reg"));
  free(err);
  err = model_error("{\"model\": \"m\", \"functions\": {\"w\": {\"blocking\": {\"when\": {\"arg\": 0, \"is\": \"null\"}},"
                    "\"blocking\": {\"when\": {\"arg\": 1, \"is\": \"null\"}}}}}");
  CU_ASSERT(err && strstr(err, "'blocking' is given twice"));
  free(err);
  err = model_error("{\"model\": \"m\", \"functions\": {}, \"functions\": {}}");
  CU_ASSERT(err && strstr(err, "model key 'functions' is given twice"));
  free(err);
  /* numbers that do not fit were cast to int: undefined behaviour */
  static const char *const out_of_range[] = {"1e300", "-1e300", "2147483648", "-2147483649", "1.5"};
  for (size_t i = 0; i < sizeof out_of_range / sizeof *out_of_range; i++) {
    char *json = xasprintf("{\"model\": \"m\", \"cancel_status\": %s}", out_of_range[i]);
    err = model_error(json);
    CU_ASSERT(err && strstr(err, "'cancel_status' must be an integer"));
    free(err);
    free(json);
  }
  err = model_error("{\"model\": \"m\", \"cancel_status\": -2147483648}");
  CU_ASSERT_PTR_NULL(err);
  free(err);
  err = model_error("{\"model\": \"m\", \"functions\": {\"f\": {\"blocking\": {\"when\": {\"arg\": 0, \"equals\": 1e300}}}}}");
  CU_ASSERT(err && strstr(err, "'equals' must be a 64-bit integer"));
  free(err);
  err = model_error("{\"model\": \"m\", \"functions\": {\"f\": {\"blocking\": {\"when\": {\"arg\": 0, \"equals\": -125}}}}}");
  CU_ASSERT_PTR_NULL(err);
  free(err);
  /* a function name with control characters is escaped in the error */
  err = model_error("{\"model\": \"m\", \"functions\": {\"f\\n\\u001b\": {\"nope\": 1}}}");
  CU_ASSERT(err && strstr(err, "unknown function property 'nope' in f\\n\\x1b"));
  CU_ASSERT(err && !strchr(err, '\n'));
  free(err);
}

/* ---- language server framing ---- */

static const char valid_msg[] = "Content-Length: 17\r\n\r\n{\"method\": \"ok\"}\n";

/* A reader over a pipe fed by a child that writes `prefix`, `fill` bytes of 'x',
 * then `suffix`, and closes. */
static pid_t feed(rpc_reader *r, const char *prefix, size_t fill, const char *suffix) {
  int p[2];
  if (pipe(p) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    bool ok = write(p[1], prefix, strlen(prefix)) == (ssize_t)strlen(prefix);
    while (ok && fill) {
      size_t n = fill < sizeof chunk ? fill : sizeof chunk;
      ok = write(p[1], chunk, n) == (ssize_t)n;
      fill -= n;
    }
    ok = ok && write(p[1], suffix, strlen(suffix)) == (ssize_t)strlen(suffix);
    _exit(ok ? 0 : 1);
  }
  close(p[1]);
  rpc_reader_init(r, p[0]);
  return pid;
}

static void finish(rpc_reader *r, pid_t pid) {
  close(r->fd);
  rpc_reader_free(r);
  int st;
  waitpid(pid, &st, 0);
}

/* Reads one result; with a problem, checks that it mentions `expect`. */
static int next(rpc_reader *r, const char *expect) {
  cJSON *msg = NULL;
  int rc;
  /* 0: no whole message yet (a big body arrives in many reads) */
  for (int tries = 0; (rc = rpc_read(r, 10000, &msg)) == 0 && tries < 100000; tries++) {
  }
  if (rc == 1) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "method");
    CU_ASSERT(cJSON_IsString(m) && strcmp(m->valuestring, "ok") == 0);
  }
  if (rc == 2 && expect) CU_ASSERT(r->problem && strstr(r->problem, expect));
  if (rc == 2 && expect && !(r->problem && strstr(r->problem, expect)))
    fprintf(stderr, "problem: %s (expected %s)\n", r->problem ? r->problem : "(none)", expect);
  cJSON_Delete(msg);
  return rc;
}

static void test_rpc_huge_length(void) {
  rpc_reader r;
  pid_t pid = feed(&r, "Content-Length: 99999999999\r\n\r\n{}", 0, "");
  CU_ASSERT_EQUAL(next(&r, "99999999999 bytes is over the 64 MiB limit"), 2);
  CU_ASSERT_EQUAL(next(&r, "ended inside a message"), 2);
  CU_ASSERT_EQUAL(next(&r, NULL), -1);
  finish(&r, pid);
}

static void test_rpc_oversized_body_is_skipped(void) {
  rpc_reader r;
  size_t big = ((size_t)64 << 20) + 1;
  char *header = xasprintf("Content-Length: %zu\r\n\r\n", big);
  pid_t pid = feed(&r, header, big, valid_msg);
  CU_ASSERT_EQUAL(next(&r, "over the 64 MiB limit: skipped"), 2);
  CU_ASSERT_EQUAL(next(&r, NULL), 1); /* the message after it is read */
  CU_ASSERT(r.cap < ((size_t)4 << 20)); /* the big body was never held */
  CU_ASSERT_EQUAL(next(&r, NULL), -1);
  finish(&r, pid);
  free(header);
}

static void test_rpc_bad_headers_resync(void) {
  rpc_reader r;
  pid_t pid = feed(&r, "Content-Type: x\r\n\r\n{\"a\": 1}Content-Length: -5\r\n\r\n", 0,
                   "\r\nContent-Length: 3\r\n\r\nnot"
                   "Content-Length: 17\r\n\r\n{\"method\": \"ok\"}\n");
  CU_ASSERT_EQUAL(next(&r, "without a valid Content-Length"), 2);
  CU_ASSERT_EQUAL(next(&r, "not JSON"), 2);
  CU_ASSERT_EQUAL(next(&r, NULL), 1);
  CU_ASSERT_EQUAL(next(&r, NULL), -1);
  finish(&r, pid);
}

/* ---- deep syntax trees ---- */


ir_summary *unit_parse(const char *name, const char *code);

/* `return g(), g(), ..., last();` of 20 000 terms: lowered on the 8 MiB main stack, which
 * the recursion once overflowed; the terms nearest the top are still seen. (Commas, not
 * `+`: a sum is evaluated as a constant at every level, which takes seconds.) */
static bool lower_deep_expression(void) {
  if (UNDER_ASAN) return true; /* its frames and its speed, not the guard, would be measured */
  strbuf sb = {0};
  sb_printf(&sb, "int g(void);\nint last(void);\nint f(void) {\n  return ");
  for (int i = 0; i < 20000; i++) sb_printf(&sb, "g(), ");
  sb_printf(&sb, "last();\n}\n");
  ir_summary *s = unit_parse("deep.c", sb.data);
  sb_free(&sb);
  bool ok = !s->failed && s->nfuncs == 1 && strcmp(s->funcs[0].name, "f") == 0;
  bool seen = false;
  for (unsigned i = 0; ok && i < s->funcs[0].ncalls; i++) seen |= strcmp(s->funcs[0].calls[i].callee_name, "last") == 0;
  ir_summary_free(s);
  return ok && seen;
}

static void test_deep_expression_lowered(void) { CU_ASSERT(bounded(lower_deep_expression)); }

/* Dead code after a return starts a block at its first operation (here the constant's
 * assignment), hundreds of times, so the block list grows while an operation is added to it (found by tests/fuzz/csource.py;
 * ASan saw the stale block list). */
static bool lower_dead_code(void) {
  strbuf sb = {0};
  sb_printf(&sb, "int g(int);\nint f(int x) {\n");
  for (int i = 0; i < 300; i++) sb_printf(&sb, "  if (x == %d) { return 1; int y%d = %d; x = g(y%d); }\n", i, i, i, i);
  sb_printf(&sb, "  return x;\n}\n");
  ir_summary *s = unit_parse("dead.c", sb.data);
  sb_free(&sb);
  bool ok = !s->failed && s->nfuncs == 1 && s->funcs[0].ncalls == 300;
  ir_summary_free(s);
  return ok;
}

static void test_dead_code_lowered(void) { CU_ASSERT(bounded(lower_dead_code)); }

/* ---- through the binary ---- */

static char *out_text, *err_text;

/* Runs `calm-lint ARGS` in the scratch directory with a time limit and, without
 * ASan, a memory limit; returns the exit status (124: timed out). */
static int lint(const char *args) {
  return unit_run_lint(UNDER_ASAN ? "timeout 30" : "ulimit -v 4000000; timeout 30", args, &out_text, &err_text);
}

static size_t lines(const char *s) {
  size_t n = 0;
  for (; s && *s; s++) n += *s == '\n';
  return n;
}

static const char *bad_c = "#include <unistd.h>\n"
                           "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                           "  sleep(1);\n"
                           "}\n";

/* A database whose entries include a FIFO and /dev/zero beside a good file. */
static void hostile_database(void) {
  char *db = xasprintf("[{\"directory\": \"%1$s\", \"file\": \"fifo.c\", \"command\": \"cc -c fifo.c\"},\n"
                       " {\"directory\": \"%1$s\", \"file\": \"/dev/zero\", \"command\": \"cc -x c -c /dev/zero\"},\n"
                       " {\"directory\": \"%1$s\", \"file\": \"bad.c\", \"command\": \"cc -c bad.c\"}]\n",
                       unit_scratch());
  char *dir = scratch_path("hdb");
  mkdir(dir, 0777);
  free(dir);
  free(unit_write("hdb/compile_commands.json", db));
  free(db);
  free(unit_write("bad.c", bad_c));
  char *fifo = scratch_path("fifo.c");
  unlink(fifo);
  mkfifo(fifo, 0600);
  free(fifo);
}

static void test_cli_database_entries(void) {
  hostile_database();
  CU_ASSERT_EQUAL(lint("-p hdb --format json"), 2);
  CU_ASSERT(out_text && strstr(out_text, "not a regular file (a FIFO)"));
  CU_ASSERT(out_text && strstr(out_text, "not a regular file (a character device)"));
  CU_ASSERT(out_text && strstr(out_text, "\"rule\":\t\"blocking-in-loop\"")); /* the good unit is still linted */
  /* a FIFO named on the command line is not read either */
  CU_ASSERT_EQUAL(lint("fifo.c --"), 2);
  CU_ASSERT_EQUAL(lines(err_text), 1);
  CU_ASSERT(err_text && strstr(err_text, "fifo.c: not a regular file (a FIFO)"));
  /* nor is an endless standard input kept */
  CU_ASSERT_EQUAL(lint("--stdin-filename bad.c bad.c -- < /dev/zero"), 2);
  CU_ASSERT(err_text && strstr(err_text, "standard input is larger than the 256 MiB limit"));
  CU_ASSERT_EQUAL(lines(err_text), 1);
}

static void test_cli_database_file(void) {
  char *dir = scratch_path("bigdb");
  mkdir(dir, 0777);
  char *db = scratch_path("bigdb/compile_commands.json");
  /* sparse: 300 MiB that take no room, over the 256 MiB limit */
  int fd = open(db, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CU_ASSERT(fd >= 0 && ftruncate(fd, (off_t)300 << 20) == 0);
  if (fd >= 0) close(fd);
  CU_ASSERT_EQUAL(lint("-p bigdb"), 2);
  CU_ASSERT(err_text && strstr(err_text, "larger than the 256 MiB limit"));
  CU_ASSERT_EQUAL(lines(err_text), 1);
  /* a broken database: one line of ours, none of libclang's YAML excerpts */
  free(unit_write("bigdb/compile_commands.json", "[{\"directory\": \"/tmp\", \"file\": \"a.c\", \"bogus\": 1}]"));
  CU_ASSERT_EQUAL(lint("-p bigdb"), 2);
  CU_ASSERT_EQUAL(lines(err_text), 1);
  CU_ASSERT(err_text && strstr(err_text, "calm-lint: error:") == err_text);
  free(db);
  free(dir);
}

static void test_cli_config_model_baseline(void) {
  free(unit_write("bad.c", bad_c));
  char *fifo = scratch_path("config.fifo");
  unlink(fifo);
  mkfifo(fifo, 0600);
  CU_ASSERT_EQUAL(lint("--config config.fifo bad.c --"), 2);
  CU_ASSERT(err_text && strstr(err_text, "cannot read configuration config.fifo: not a regular file (a FIFO)"));
  CU_ASSERT_EQUAL(lines(err_text), 1);
  free(unit_write("zero-model.json", "{\"model_files\": [\"/dev/zero\"]}"));
  CU_ASSERT_EQUAL(lint("--config zero-model.json bad.c --"), 2);
  CU_ASSERT(err_text && strstr(err_text, "cannot read model file /dev/zero: not a regular file"));
  CU_ASSERT_EQUAL(lines(err_text), 1);
  free(unit_write("fifo-model.json", "{\"model_files\": [\"config.fifo\"]}"));
  CU_ASSERT_EQUAL(lint("--config fifo-model.json bad.c --"), 2);
  CU_ASSERT(err_text && strstr(err_text, "a FIFO"));
  CU_ASSERT_EQUAL(lint("--baseline /dev/zero bad.c --"), 2);
  CU_ASSERT(err_text && strstr(err_text, "cannot read baseline /dev/zero: not a regular file"));
  CU_ASSERT_EQUAL(lines(err_text), 1);
  CU_ASSERT_EQUAL(lint("--baseline config.fifo bad.c --"), 2);
  CU_ASSERT_EQUAL(lines(err_text), 1);
  unlink(fifo);
  free(fifo);
}

static void test_cli_write_baseline(void) {
  free(unit_write("bad.c", bad_c));
  char *real = unit_write("kept.json", "{}\n");
  char *link = scratch_path("kept-link.json");
  unlink(link);
  CU_ASSERT_EQUAL(symlink("kept.json", link), 0);
  CU_ASSERT_EQUAL(lint("--write-baseline kept-link.json bad.c --"), 0);
  struct stat st;
  CU_ASSERT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
  char *text = file_read(real, NULL);
  CU_ASSERT(text && strstr(text, "\"fingerprint\""));
  free(text);
  CU_ASSERT_EQUAL(lint("--baseline kept-link.json bad.c --"), 0);
  char *fifo = scratch_fifo("full.fifo");
  CU_ASSERT_EQUAL(lint("--write-baseline full.fifo bad.c --"), 2);
  CU_ASSERT(err_text && strstr(err_text, "full.fifo: not a regular file (a FIFO)"));
  CU_ASSERT_EQUAL(lines(err_text), 1);
  CU_ASSERT(still_fifo(fifo));
  unlink(fifo);
  free(fifo);
  free(link);
  free(real);
}

static void test_cli_cache_entry_is_a_device(void) {
  /* an editor run: b.c's summary comes from the cache beside the database */
  char *db = xasprintf("[{\"directory\": \"%1$s\", \"file\": \"%1$s/ca.c\", \"command\": \"cc -c ca.c\"},\n"
                       " {\"directory\": \"%1$s\", \"file\": \"%1$s/cb.c\", \"command\": \"cc -c cb.c\"}]\n",
                       unit_scratch());
  char *dir = scratch_path("cdb");
  mkdir(dir, 0777);
  free(unit_write("cdb/compile_commands.json", db));
  free(unit_write("ca.c", bad_c));
  free(unit_write("cb.c", "int helper(void) { return 1; }\n"));
  char *cache = scratch_path("cdb/.calm-lint-cache");
  mkdir(cache, 0777);
  char *file = scratch_path("cb.c");
  /* cb.c's entry is the one a first run writes (ca.c, the buffer, is never stored) */
  CU_ASSERT_EQUAL(lint("-p cdb --stdin-filename ca.c < ca.c"), 1);
  char *entry = NULL;
  DIR *d = opendir(cache);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL)
    if (e->d_name[0] != '.' && !entry) entry = xasprintf("%s/%s", cache, e->d_name);
  if (d) closedir(d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
  unlink(entry);
  CU_ASSERT_EQUAL(symlink("/dev/zero", entry), 0);
  CU_ASSERT_EQUAL(lint("-p cdb --stdin-filename ca.c < ca.c"), 1);
  /* the entry was not read, and was replaced by a real one */
  struct stat st;
  CU_ASSERT(lstat(entry, &st) == 0 && S_ISREG(st.st_mode));
  CU_ASSERT_EQUAL(lint("-p cdb --stdin-filename ca.c < ca.c"), 1);
  free(entry);
  free(file);
  free(cache);
  free(dir);
  free(db);
}

static void test_cli_lsp_framing_error(void) {
  free(unit_write("lsp-in.txt", "Content-Length: 99999999999\r\n\r\n{}"));
  /* it used to exit at once, saying nothing */
  CU_ASSERT_EQUAL(lint("--lsp < lsp-in.txt"), 1);
  CU_ASSERT(err_text && strstr(err_text, "calm-lint: lsp: a message of 99999999999 bytes is over the 64 MiB limit"));
  CU_ASSERT(out_text && strstr(out_text, "\"window/logMessage\"") && strstr(out_text, "99999999999 bytes"));
}

/* ---- one unit never kills the run ---- */

/* 50 good units, each with one finding, beside one that overflows any stack (a million
 * nested unary minuses), one that crashes libclang and one that never finishes (clang
 * compiles its overflow_stack pragma to an endless loop). */
static void contain_tree(void) {
  char *dir = scratch_path("contain");
  mkdir(dir, 0777);
  free(dir);
  for (int i = 0; i < 50; i++) {
    char *name = xasprintf("contain/good%02d.c", i);
    char *text = xasprintf("#include <unistd.h>\n"
                           "__attribute__((annotate(\"calm::async\"))) void cb%02d(void) {\n"
                           "  sleep(1);\n"
                           "}\n",
                           i);
    free(unit_write(name, text));
    free(text);
    free(name);
  }
  strbuf deep = {0};
  sb_printf(&deep, "int deep(int n) { return ");
  for (int i = 0; i < 1000000; i++) sb_appendn(&deep, "- ", 2);
  sb_printf(&deep, "n; }\n");
  free(unit_write("contain/deep.c", deep.data));
  sb_free(&deep);
  free(unit_write("contain/crash.c", "#pragma clang __debug crash\nint crash;\n"));
  free(unit_write("contain/spin.c", "#pragma clang __debug overflow_stack\nint spin;\n"));
}

/* The error of the unit whose file name ends in `file`, or NULL. */
static const char *error_of(const cJSON *errors, const char *file) {
  const cJSON *e;
  cJSON_ArrayForEach(e, errors) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "file");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    size_t n = strlen(file), len = cJSON_IsString(f) ? strlen(f->valuestring) : 0;
    if (len >= n && strcmp(f->valuestring + len - n, file) == 0 && cJSON_IsString(m)) return m->valuestring;
  }
  return NULL;
}

static void test_cli_one_unit_never_kills_the_run(void) {
  contain_tree();
  /* it used to die of SIGSEGV with nothing printed, or hang; 8 s leaves deep.c time
   * to overflow its stack on a loaded machine before the timeout takes it */
  CU_ASSERT_EQUAL(lint("--format json --timeout-per-file 8 -j2 contain --"), 2);
  cJSON *root = cJSON_Parse(out_text ? out_text : "");
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  const cJSON *diags = cJSON_GetObjectItemCaseSensitive(root, "diagnostics");
  const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
  CU_ASSERT_EQUAL(cJSON_GetArraySize(diags), 50);
  for (int i = 0; i < 50; i++) { /* every good unit's finding, once */
    char *file = xasprintf("good%02d.c", i);
    int seen = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, diags) {
      const cJSON *f = cJSON_GetObjectItemCaseSensitive(d, "file");
      seen += cJSON_IsString(f) && strstr(f->valuestring, file) != NULL;
    }
    CU_ASSERT_EQUAL(seen, 1);
    free(file);
  }
  CU_ASSERT_EQUAL(cJSON_GetArraySize(errors), 3);
  const char *deep = error_of(errors, "/deep.c"), *crash = error_of(errors, "/crash.c");
  const char *spin = error_of(errors, "/spin.c");
  CU_ASSERT(deep && strstr(deep, "stack overflow"));
  CU_ASSERT(crash && strstr(crash, "libclang crashed"));
  CU_ASSERT(spin && strcmp(spin, "timed out after 8 s") == 0);
  cJSON_Delete(root);
  /* the same bytes whatever the number of job slots */
  char *first = out_text ? xstrdup(out_text) : NULL;
  CU_ASSERT_EQUAL(lint("--format json --timeout-per-file 8 -j1 contain --"), 2);
  CU_ASSERT(first && out_text && strcmp(first, out_text) == 0);
  free(first);
}

static void test_cli_timeout_option(void) {
  CU_ASSERT_EQUAL(lint("--timeout-per-file soon x.c --"), 2);
  CU_ASSERT(err_text && strstr(err_text, "--timeout-per-file needs seconds from 0 to 86400, not 'soon'"));
}

void unit_register_hostile(void) {
  CU_pSuite s = CU_add_suite("hostile", NULL, NULL);
  CU_add_test(s, "reads refuse devices, FIFOs and directories", test_read_refuses_devices_and_fifos);
  CU_add_test(s, "reads stop at the size limit", test_read_size_limit);
  CU_add_test(s, "writes through a symlink replace its target", test_write_through_symlink);
  CU_add_test(s, "writes refuse devices and directories", test_write_refuses_devices);
  CU_add_test(s, "escaped keys stay on one line", test_escape);
  CU_add_test(s, "configuration: duplicate keys, keys with control characters", test_config_duplicates_and_keys);
  CU_add_test(s, "models: duplicate keys, numbers out of range", test_model_duplicates_and_numbers);
  CU_add_test(s, "lsp: a Content-Length of 99999999999 is reported", test_rpc_huge_length);
  CU_add_test(s, "lsp: a body over 64 MiB is skipped, the next message read", test_rpc_oversized_body_is_skipped);
  CU_add_test(s, "lsp: headers without a length are skipped", test_rpc_bad_headers_resync);
  CU_add_test(s, "database entries that are a FIFO or a device", test_cli_database_entries);
  CU_add_test(s, "a database over the limit, a broken one in one line", test_cli_database_file);
  CU_add_test(s, "configuration, model file and baseline that are not files", test_cli_config_model_baseline);
  CU_add_test(s, "a summary cache entry that is /dev/zero", test_cli_cache_entry_is_a_device);
  CU_add_test(s, "lsp: the server says why it cannot read a message", test_cli_lsp_framing_error);
  CU_add_test(s, "--write-baseline through a symlink and onto a FIFO", test_cli_write_baseline);
  CU_add_test(s, "an expression of 20 000 terms is lowered", test_deep_expression_lowered);
  CU_add_test(s, "code after a return, 300 times over, is lowered", test_dead_code_lowered);
  CU_add_test(s, "a unit that overflows the stack, crashes or never ends is one error", test_cli_one_unit_never_kills_the_run);
  CU_add_test(s, "--timeout-per-file takes seconds", test_cli_timeout_option);
}
