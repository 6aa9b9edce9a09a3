/* Editor runs: --stdin-filename with a compile database analyses the rest of the
 * project for chains that cross files, caches its summaries, notices a changed
 * header, and reports only the buffer's findings. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../../lint/base/base.h"
#include "../../lint/lsp/check.h"
#include "unit.h"

static char *out_text, *dir;

static int lint_in(const char *args) {
  free(out_text);
  char *cmd = xasprintf("cd '%s' && '%s' %s >ed-out.txt 2>/dev/null", dir, unit_calm_lint, args);
  int st = system(cmd);
  free(cmd);
  char *o = xasprintf("%s/ed-out.txt", dir);
  out_text = file_read(o, NULL);
  free(o);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void put(const char *name, const char *text) {
  char *path = xasprintf("%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs(text, f);
  fclose(f);
  free(path);
}

static size_t cache_entries(void) {
  char *cmd = xasprintf("ls '%s/build/.calm-lint-cache' | grep -c '\\.calm$' > '%s/count.txt'", dir, dir);
  if (system(cmd) == -1) return 0;
  free(cmd);
  char *p = xasprintf("%s/count.txt", dir);
  char *t = file_read(p, NULL);
  size_t n = t ? strtoul(t, NULL, 10) : 0;
  free(t);
  free(p);
  return n;
}

static void test_stdin_cross_file_and_cache(void) {
  dir = xasprintf("%s/editor", unit_scratch());
  char *mk = xasprintf("mkdir -p '%s/build'", dir);
  CU_ASSERT_EQUAL_FATAL(system(mk), 0);
  free(mk);
  /* on_tick (other.c) calls helper (buf.c); whether on_tick runs on the loop is
   * decided by reg.h, which buf.c does not include */
  put("reg.h", "#define MAYBE_ASYNC\n");
  put("other.c", "#include \"reg.h\"\nvoid helper(void);\nMAYBE_ASYNC void on_tick(void) { helper(); }\n");
  put("buf.c", "#include <unistd.h>\nvoid helper(void) {\n  (void)0;\n}\n");
  char *db = xasprintf("[{\"directory\": \"%s\", \"file\": \"other.c\", \"arguments\": [\"cc\", \"-c\", \"other.c\"]},\n"
                       " {\"directory\": \"%s\", \"file\": \"buf.c\", \"arguments\": [\"cc\", \"-c\", \"buf.c\"]}]\n",
                       dir, dir);
  put("build/compile_commands.json", db);
  free(db);
  const char *edited = "#include <unistd.h>\nvoid helper(void) {\n  sleep(1);\n}\n";
  put("edited.txt", edited);
  CU_ASSERT_EQUAL(lint_in("-p build --stdin-filename buf.c < edited.txt"), 0); /* not on the loop yet */
  CU_ASSERT_EQUAL(cache_entries(), 1); /* other.c cached; the buffer never is */
  put("reg.h", "#define MAYBE_ASYNC __attribute__((annotate(\"calm::async\")))\n");
  CU_ASSERT_EQUAL(lint_in("-p build --stdin-filename buf.c < edited.txt"), 1); /* the header change is seen */
  CU_ASSERT(strstr(out_text, "buf.c:3:3: warning: blocking call 'sleep' in 'helper', reached from") != NULL);
  CU_ASSERT(strstr(out_text, "other.c:3:") != NULL); /* the chain crosses files */
  char *first = xstrdup(out_text);
  CU_ASSERT_EQUAL(lint_in("-p build --stdin-filename buf.c < edited.txt"), 1); /* from the cache now */
  CU_ASSERT_STRING_EQUAL(first, out_text);
  free(first);
  /* findings elsewhere are not the buffer's: other.c's own blocking call stays out */
  put("other.c", "#include \"reg.h\"\n#include <unistd.h>\nvoid helper(void);\n"
                 "MAYBE_ASYNC void on_tick(void) { usleep(1); helper(); }\n");
  CU_ASSERT_EQUAL(lint_in("-p build --stdin-filename buf.c < edited.txt"), 1);
  CU_ASSERT(strstr(out_text, "blocking call 'usleep'") == NULL);
  CU_ASSERT(strstr(out_text, "'sleep'") != NULL);
  free(out_text);
  out_text = NULL;
  free(dir);
}

/* The Language Server names documents by file:// URI; paths with spaces and
 * non-ASCII names must survive the round trip. */
static void test_file_uris(void) {
  char *u = uri_from_path("/tmp/my project/caf\xc3\xa9.c");
  CU_ASSERT_STRING_EQUAL(u, "file:///tmp/my%20project/caf%C3%A9.c");
  char *p = uri_to_path(u);
  CU_ASSERT_STRING_EQUAL(p, "/tmp/my project/caf\xc3\xa9.c");
  free(p);
  free(u);
  p = uri_to_path("file://localhost/src/a.c");
  CU_ASSERT_STRING_EQUAL(p, "/src/a.c");
  free(p);
  CU_ASSERT_PTR_NULL(uri_to_path("untitled:Untitled-1"));
  CU_ASSERT_PTR_NULL(uri_to_path("file://otherhost/src/a.c"));
}

void unit_register_editor(void) {
  CU_pSuite s = CU_add_suite("editor", NULL, NULL);
  CU_add_test(s, "--stdin-filename: cross-file chains, cache, changed header", test_stdin_cross_file_and_cache);
  CU_add_test(s, "file URIs", test_file_uris);
}
