/* Editor runs: --stdin-filename with a compile database analyses the rest of the
 * project for chains that cross files, caches its summaries, notices a changed
 * header, and reports only the buffer's findings. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "../../lint/base/base.h"
#include "../../lint/lsp/actions.h"
#include "../../lint/lsp/check.h"
#include "../../lint/lsp/deps.h"
#include "../../lint/lsp/text.h"
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

/* Writes `name` under the test's directory, stamped 2 s back: a file stamped within
 * 20 ms of a parse's start may have changed under it and keeps its includers out of
 * the cache, so a lint started right after the write would cache nothing. Changes are
 * still seen: the cache goes by content. */
static void put(const char *name, const char *text) {
  char *path = xasprintf("%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs(text, f);
  fclose(f);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct timespec times[2] = {{now.tv_sec - 2, now.tv_nsec}, {now.tv_sec - 2, now.tv_nsec}};
  CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path, times, 0), 0);
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

static void register_lsp_tests(CU_pSuite s); /* the language server's, at the end */

void unit_register_editor(void) {
  CU_pSuite s = CU_add_suite("editor", NULL, NULL);
  CU_add_test(s, "--stdin-filename: cross-file chains, cache, changed header", test_stdin_cross_file_and_cache);
  CU_add_test(s, "file URIs", test_file_uris);
  register_lsp_tests(s);
}

/* ---- the language server: document text in UTF-16 positions, NOLINT edits, includes ---- */

static char *edited(const char *text, unsigned sl, unsigned sc, unsigned el, unsigned ec, const char *insert) {
  char *t = xstrdup(text), *error = NULL;
  if (text_apply_edit(&t, sl, sc, el, ec, insert, &error) != 0) {
    free(t);
    return error; /* the message, to compare */
  }
  CU_ASSERT_PTR_NULL(error);
  return t;
}

#define CHECK_EDIT(text, sl, sc, el, ec, insert, want)                                                      \
  do {                                                                                                       \
    char *got_ = edited(text, sl, sc, el, ec, insert);                                                       \
    CU_ASSERT_STRING_EQUAL(got_, want);                                                                      \
    free(got_);                                                                                              \
  } while (0)

static void test_lsp_text_edits(void) {
  /* é is one UTF-16 unit in two bytes, ☃ one in three, 𝄞 two in four */
  CHECK_EDIT("a\xc3\xa9" "b\n", 0, 2, 0, 3, "X", "a\xc3\xa9X\n");
  CHECK_EDIT("\xe2\x98\x83\xf0\x9d\x84\x9ez\n", 0, 3, 0, 4, "Y", "\xe2\x98\x83\xf0\x9d\x84\x9eY\n");
  /* inside a surrogate pair: the character's start, never half of its bytes */
  CHECK_EDIT("\xf0\x9d\x84\x9ez", 0, 1, 0, 1, "|", "|\xf0\x9d\x84\x9ez");
  /* \r\n and a lone \r each end one line */
  CHECK_EDIT("a\r\nb\rc\n", 2, 0, 2, 1, "C", "a\r\nb\rC\n");
  CHECK_EDIT("a\r\nb\n", 0, 1, 1, 0, "", "ab\n");
  /* a character past the line's end is its end, also before a CRLF */
  CHECK_EDIT("ab\r\ncd", 0, 99, 0, 99, "!", "ab!\r\ncd");
  /* across lines, and at the empty last line */
  CHECK_EDIT("one\ntwo\nthree\n", 0, 1, 2, 2, "-", "o-ree\n");
  CHECK_EDIT("x\n", 1, 0, 1, 0, "y\n", "x\ny\n");
  /* a byte that starts no UTF-8 sequence counts as one unit */
  CHECK_EDIT("\xff\xc3(q", 0, 2, 0, 3, "", "\xff\xc3q");
  /* errors, and the text left as it was */
  CHECK_EDIT("x\n", 2, 0, 2, 0, "z", "an edit at line 3 is past the end of the document (2 lines)");
  CHECK_EDIT("abc", 0, 2, 0, 1, "z", "an edit ends (line 1, character 1) before it starts (line 1, character 2)");
  CU_ASSERT_EQUAL(text_lsp_character("x\n\t\xc3\xa9\xf0\x9d\x84\x9e;\n", 2, 8), 4);
  CU_ASSERT_EQUAL(text_lsp_character("ab\n", 1, 40), 2); /* past the line's end */
  CU_ASSERT_EQUAL(text_lsp_character(NULL, 3, 5), 4);
}

/* The edit's range and text, as "line:from-to text". */
static char *nolint(const char *text, unsigned line, const char *rule) {
  cJSON *e = action_nolint_edit(text, line, rule);
  if (!e) return xstrdup("none");
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "range");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "start"), *en = cJSON_GetObjectItemCaseSensitive(r, "end");
  char *out = xasprintf("%d:%d-%d:%d %s", cJSON_GetObjectItemCaseSensitive(st, "line")->valueint,
                        cJSON_GetObjectItemCaseSensitive(st, "character")->valueint,
                        cJSON_GetObjectItemCaseSensitive(en, "line")->valueint,
                        cJSON_GetObjectItemCaseSensitive(en, "character")->valueint,
                        cJSON_GetObjectItemCaseSensitive(e, "newText")->valuestring);
  cJSON_Delete(e);
  return out;
}

#define CHECK_NOLINT(text, line, want)                                                                       \
  do {                                                                                                       \
    char *got_ = nolint(text, line, "blocking-in-loop");                                                     \
    CU_ASSERT_STRING_EQUAL(got_, want);                                                                      \
    free(got_);                                                                                              \
  } while (0)

static void test_lsp_nolint_edits(void) {
  CHECK_NOLINT("x;\n  sleep(1);   \n", 1, "1:11-1:14   // NOLINT(blocking-in-loop)");
  CHECK_NOLINT("/* \xe2\x98\x83 */ sleep(1);\r\n", 0, "0:17-0:17   // NOLINT(blocking-in-loop)");
  CHECK_NOLINT("sleep(1); // NOLINT(unawaited-task)\n", 0, "0:34-0:34 , blocking-in-loop");
  CHECK_NOLINT("sleep(1); // NOLINT( )\n", 0, "0:21-0:21 , blocking-in-loop");
  /* markers for other lines are not this line's list */
  CHECK_NOLINT("f(); // NOLINTNEXTLINE(x) NOLINTBEGIN(y)\n", 0,
               "0:40-0:40   // NOLINT(blocking-in-loop)");
  /* a line comment before a continuation would swallow the macro's next line */
  CHECK_NOLINT("#define NAP() \\\n  sleep(1)\n", 0, "0:14-0:14 /* NOLINT(blocking-in-loop) */ ");
  CHECK_NOLINT("\n", 0, "0:0-0:0 // NOLINT(blocking-in-loop)");
  CHECK_NOLINT("one line", 3, "none");
}

static void test_lsp_includes(void) {
  char *d = xasprintf("%s/lsp-inc", unit_scratch());
  char *mk = xasprintf("mkdir -p '%s/sub'", d);
  CU_ASSERT_EQUAL_FATAL(system(mk), 0);
  free(mk);
  char *a = xasprintf("%s/a.h", d), *b = xasprintf("%s/sub/b.h", d), *c = xasprintf("%s/sub/c.h", d);
  char *main_c = xasprintf("%s/main.c", d), *other = xasprintf("%s/other.h", d);
  FILE *f = fopen(a, "w");
  fputs("#pragma once\n  #  include \"sub/b.h\"\n", f);
  fclose(f);
  f = fopen(b, "w");
  fputs("#include \"c.h\"\n#include \"../a.h\"\n", f); /* a cycle back to a.h */
  fclose(f);
  deps_graph *g = deps_graph_new(NULL);
  const char *text = "#include <stdio.h>\n#include \"a.h\"\n";
  const char *targets[] = {other, a, c};
  CU_ASSERT(deps_includes(g, main_c, text, targets + 1, 1));
  CU_ASSERT(deps_includes(g, main_c, text, targets + 2, 1)); /* through a.h and sub/b.h */
  CU_ASSERT(!deps_includes(g, main_c, text, targets, 1));
  CU_ASSERT(deps_includes(g, main_c, text, targets, 3));
  CU_ASSERT(deps_includes(g, main_c, "#include <sub/c.h>\n", targets + 2, 1)); /* below an include path */
  CU_ASSERT(!deps_includes(g, main_c, "// #include \"a.h\"\n", targets + 1, 1));
  deps_graph_set_changed(g, targets, 1);
  CU_ASSERT(!deps_graph_depends(g, main_c));
  deps_graph_free(g);
  /* the call graph: u1 calls f (u2), u2 calls h (u3); u4 stands apart */
  const char *dump =
      "{\"main_file\":\"/p/u1.c\",\"functions\":[{\"usr\":\"c:@F@e\",\"calls\":[{\"usr\":\"c:@F@f\"}]}]}\n"
      "{\"main_file\":\"/p/u2.c\",\"functions\":[{\"usr\":\"c:@F@f\",\"calls\":[{\"usr\":\"c:@F@h\"}]}]}\n"
      "not json\n"
      "{\"main_file\":\"/p/u3.c\",\"functions\":[{\"usr\":\"c:@F@h\",\"calls\":[]}]}\n"
      "{\"main_file\":\"/p/u4.c\",\"functions\":[{\"usr\":\"c:@F@k\",\"calls\":[{\"usr\":\"c:@F@e2\"}]}]}\n";
  g = deps_graph_new(dump);
  const char *u1[] = {"/p/u1.c"}, *u3[] = {"/p/u3.c"}, *u4[] = {"/p/u4.c"}, *u1_u4[] = {"/p/u4.c", "/p/u1.c"};
  deps_graph_set_changed(g, u1, 1);
  CU_ASSERT(deps_graph_depends(g, "/p/u3.c")); /* a caller's caller */
  CU_ASSERT(!deps_graph_depends(g, "/p/u4.c"));
  CU_ASSERT(!deps_graph_depends(g, "/p/u1.c")); /* its own file on disk is not its text */
  CU_ASSERT(!deps_graph_depends(g, "/p/none.c"));
  deps_graph_set_changed(g, u3, 1);
  CU_ASSERT(deps_graph_depends(g, "/p/u1.c")); /* a callee's callee */
  deps_graph_set_changed(g, u4, 1);
  CU_ASSERT(!deps_graph_depends(g, "/p/u1.c"));
  CU_ASSERT(!deps_graph_depends(g, "/p/u2.c"));
  deps_graph_set_changed(g, u1_u4, 2);
  CU_ASSERT(deps_graph_depends(g, "/p/u2.c"));
  deps_graph_free(g);
  free(a), free(b), free(c), free(main_c), free(other), free(d);
}

static void register_lsp_tests(CU_pSuite s) {
  CU_add_test(s, "lsp: incremental edits in UTF-16 positions", test_lsp_text_edits);
  CU_add_test(s, "lsp: NOLINT quick-fix edits", test_lsp_nolint_edits);
  CU_add_test(s, "lsp: includes and the call graph of a change", test_lsp_includes);
}
