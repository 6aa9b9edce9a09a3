/* The command-line contract: exit statuses, one clear error line on bad input,
 * output that does not depend on -j, NO_COLOR, stdin buffers. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "../../lint/base/base.h"
#include "unit.h"

static char *out_text, *err_text;

/* Runs `calm-lint ARGS` in the scratch directory (sh syntax in args). */
static int lint(const char *args) { return unit_run_lint("NO_COLOR=", args, &out_text, &err_text); }

static size_t lines(const char *s) {
  size_t n = 0;
  for (; s && *s; s++) n += *s == '\n';
  return n;
}

static const char *bad_c = "#include <unistd.h>\n"
                           "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                           "  sleep(1);\n"
                           "}\n";
static const char *good_c = "int add(int a, int b) { return a + b; }\n";

static void setup_files(void) {
  free(unit_write("bad.c", bad_c));
  free(unit_write("good.c", good_c));
  free(unit_write("broken.c", "#include \"nope.h\"\nint x = ;\n"));
}

static void test_help_version_list(void) {
  CU_ASSERT_EQUAL(lint("--help"), 0);
  CU_ASSERT(strstr(out_text, "usage: calm-lint") != NULL);
  CU_ASSERT_EQUAL(lint("--version"), 0);
  CU_ASSERT_EQUAL(lint("--list-rules"), 0);
  CU_ASSERT(strstr(out_text, "blocking-in-loop") != NULL);
  CU_ASSERT_EQUAL(lint("--explain blocking-in-loop"), 0);
  CU_ASSERT(strstr(out_text, "## Why it matters") != NULL);
  CU_ASSERT_EQUAL(lint("--explain no-such-rule"), 2);
  CU_ASSERT_EQUAL(lines(err_text), 1);
}

static void test_usage_errors(void) {
  setup_files();
  CU_ASSERT_EQUAL(lint("--frobnicate bad.c --"), 2);
  CU_ASSERT_EQUAL(lines(err_text), 1);
  CU_ASSERT(strstr(err_text, "unknown option '--frobnicate'") != NULL);
  CU_ASSERT_EQUAL(lint("--enable blocking-in-lop bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "unknown rule 'blocking-in-lop'") != NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
  CU_ASSERT_EQUAL(lint("--format xml bad.c --"), 2);
  CU_ASSERT_EQUAL(lint("-j 0 bad.c --"), 2);
  CU_ASSERT_EQUAL(lint("missing.c --"), 2);
  CU_ASSERT(strstr(err_text, "missing.c: no such file") != NULL);
  CU_ASSERT_EQUAL(lint("-p /nonexistent-dir bad.c"), 2);
  CU_ASSERT(strstr(err_text, "compile_commands.json") != NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
}

static void test_missing_database(void) {
  setup_files();
  /* no database anywhere upward of /tmp and no flags */
  CU_ASSERT_EQUAL(lint("bad.c"), 2);
  CU_ASSERT(strstr(err_text, "no compile_commands.json found") != NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
}

static void test_bad_config(void) {
  setup_files();
  free(unit_write("broken-config.json", "{\n  \"disable\": [\n}\n"));
  CU_ASSERT_EQUAL(lint("--config broken-config.json bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "broken-config.json:3:") != NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
  /* errors cJSON cannot place point at the key or the value all the same */
  free(unit_write("typo-config.json", "{\n  \"disable\": [],\n  \"enabel\": [\"blocking-in-loop\"]\n}\n"));
  CU_ASSERT_EQUAL(lint("--config typo-config.json bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "typo-config.json:3:3: unknown configuration key 'enabel'") != NULL);
  free(unit_write("rule-config.json", "{\"disable\": [\n  \"blocking-in-lop\"]}\n"));
  CU_ASSERT_EQUAL(lint("--config rule-config.json bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "rule-config.json:2:3: unknown rule 'blocking-in-lop'") != NULL);
}

static void test_exit_statuses(void) {
  setup_files();
  CU_ASSERT_EQUAL(lint("good.c --"), 0);
  CU_ASSERT_STRING_EQUAL(out_text, "");
  CU_ASSERT_EQUAL(lint("bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "bad.c:3:3: warning: blocking call 'sleep'") != NULL);
  CU_ASSERT(strstr(out_text, "[blocking-in-loop]") != NULL);
  CU_ASSERT(strstr(out_text, "\033[") == NULL); /* not a terminal: no colour */
  CU_ASSERT_EQUAL(lint("--disable blocking-in-loop bad.c --"), 0);
  CU_ASSERT_EQUAL(lint("--color always bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "\033[") != NULL);
}

static void test_parse_error_keeps_findings(void) {
  setup_files();
  CU_ASSERT_EQUAL(lint("--format json bad.c broken.c good.c --"), 2);
  CU_ASSERT(strstr(out_text, "\"rule\":\t\"blocking-in-loop\"") != NULL);
  CU_ASSERT(strstr(out_text, "nope.h") != NULL);
  CU_ASSERT(strstr(out_text, "\"errors\":\t1") != NULL || strstr(out_text, "\"errors\":\t2") != NULL);
}

static void test_deterministic_across_jobs(void) {
  setup_files();
  for (int i = 0; i < 6; i++) {
    char *name = xasprintf("many%d.c", i);
    free(unit_write(name, bad_c));
    free(name);
  }
  CU_ASSERT_EQUAL(lint("--format json -j1 bad.c good.c many0.c many1.c many2.c many3.c many4.c many5.c --"), 1);
  char *one = xstrdup(out_text);
  CU_ASSERT_EQUAL(lint("--format json -j4 many5.c many4.c many3.c many2.c many1.c many0.c good.c bad.c --"), 1);
  CU_ASSERT_STRING_EQUAL(one, out_text);
  free(one);
}

static void test_stdin_buffer(void) {
  setup_files();
  /* the file on disk is clean; the editor's unsaved buffer is not */
  CU_ASSERT_EQUAL(lint("--stdin-filename good.c -- < bad.c"), 1);
  CU_ASSERT(strstr(out_text, "good.c:3:3: warning: blocking call 'sleep'") != NULL);
  /* the line quoted is the buffer's, not the one on disk */
  CU_ASSERT(strstr(out_text, "warning: blocking call 'sleep' in CALM_ASYNC function 'cb' stalls the event loop and "
                             "every other task on it [blocking-in-loop]\n  sleep(1);\n  ^~~~~~~~\n") != NULL);
}

/* A scratch project with a compile database: build/compile_commands.json listing
 * `listed` (a space-separated list of files under dir). */
static void project(const char *dir, const char *listed) {
  char *cmd = xasprintf("rm -rf '%s/%s' && mkdir -p '%s/%s/build'", unit_scratch(), dir, unit_scratch(), dir);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  free(cmd);
  strbuf db = {0};
  sb_append(&db, "[");
  char *copy = xstrdup(listed);
  bool first = true;
  for (char *f = strtok(copy, " "); f; f = strtok(NULL, " ")) {
    sb_printf(&db, "%s{\"directory\": \"%s/%s\", \"file\": \"%s\", \"arguments\": [\"cc\", \"-c\", \"%s\"]}",
              first ? "" : ",\n ", unit_scratch(), dir, f, f);
    first = false;
  }
  free(copy);
  sb_append(&db, "]\n");
  char *name = xasprintf("%s/build/compile_commands.json", dir);
  free(unit_write(name, db.data));
  free(name);
  sb_free(&db);
}

static size_t count(const char *s, const char *what) {
  size_t n = 0;
  for (const char *p = s ? strstr(s, what) : NULL; p; p = strstr(p + 1, what)) n++;
  return n;
}

/* A symlink loop under a directory input ends, and a file reached by two paths
 * (a link to it, the loop) is linted and reported once. */
static void test_directory_symlinks(void) {
  char *cmd = xasprintf("cd '%s' && rm -rf tree && mkdir -p tree/sub && ln -s .. tree/sub/up && ln -s sub tree/again",
                        unit_scratch());
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  free(cmd);
  free(unit_write("tree/sub/bad.c", bad_c));
  cmd = xasprintf("cd '%s/tree' && ln -s sub/bad.c alias.c", unit_scratch());
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  free(cmd);
  CU_ASSERT_EQUAL(lint("--format json tree --"), 1);
  CU_ASSERT_EQUAL(count(out_text, "\"rule\":"), 1);
  CU_ASSERT(strstr(out_text, "\"files\":\t1") != NULL);
  /* named twice, by two paths: one unit */
  CU_ASSERT_EQUAL(lint("--format json tree/sub/bad.c tree/alias.c --"), 1);
  CU_ASSERT(strstr(out_text, "\"files\":\t1") != NULL);
}

/* A directory whose .c files are not in the database is linted with borrowed flags,
 * and the user is told why. */
static void test_directory_not_in_database(void) {
  project("unlisted", "main.c");
  free(unit_write("unlisted/main.c", good_c));
  char *dir = xasprintf("unlisted/extra");
  char *cmd = xasprintf("mkdir -p '%s/%s'", unit_scratch(), dir);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  free(cmd);
  free(dir);
  free(unit_write("unlisted/extra/one.c", bad_c));
  free(unit_write("unlisted/extra/two.c", good_c));
  CU_ASSERT_EQUAL(lint("-p unlisted/build unlisted/extra"), 1);
  CU_ASSERT(strstr(out_text, "extra/one.c:3:3: warning: blocking call 'sleep'") != NULL);
  CU_ASSERT(strstr(err_text, "the 2 .c files under unlisted/extra are not in ") != NULL);
  CU_ASSERT(strstr(err_text, "no C translation units") == NULL);
}

/* Without a database an editor's buffer is linted alone, as the language server
 * does; naming files still needs a database or flags. */
static void test_stdin_without_database(void) {
  setup_files();
  CU_ASSERT_EQUAL(lint("--stdin-filename good.c < bad.c"), 1);
  CU_ASSERT(strstr(out_text, "good.c:3:3: warning: blocking call 'sleep'") != NULL);
  CU_ASSERT(strstr(err_text, "error:") == NULL);
  CU_ASSERT_EQUAL(lint("--stdin-filename good.c -p /nonexistent-dir < bad.c"), 2);
}

/* A header's functions run where the units that include it call them: a header on
 * the command line is linted in that context, as --stdin-filename lints it, and only
 * its own findings are reported. */
static void test_header_in_context(void) {
  project("hdr", "main.c");
  free(unit_write("hdr/util.h", "#include <unistd.h>\nstatic inline void nap(void) {\n  sleep(1);\n}\n"));
  free(unit_write("hdr/main.c", "#include <unistd.h>\n#include \"util.h\"\n"
                                "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n  nap();\n  usleep(1);\n}\n"));
  CU_ASSERT_EQUAL(lint("-p hdr/build hdr/util.h"), 1);
  CU_ASSERT(strstr(out_text, "util.h:3:3: warning: blocking call 'sleep' in 'nap', reached from") != NULL);
  CU_ASSERT(strstr(out_text, "'usleep'") == NULL); /* main.c's own finding is not the header's */
  char *cli = xstrdup(out_text);
  CU_ASSERT_EQUAL(lint("-p hdr/build --stdin-filename hdr/util.h < hdr/util.h"), 1);
  CU_ASSERT_STRING_EQUAL(cli, out_text); /* the same answer both ways */
  free(cli);
  /* without a database, a header alone is said to be alone */
  CU_ASSERT_EQUAL(lint("hdr/util.h --"), 0);
  CU_ASSERT(strstr(err_text, "util.h is linted alone") != NULL);
}

static void test_not_c_input(void) {
  setup_files();
  free(unit_write("notes.txt", "not C at all\n"));
  CU_ASSERT_EQUAL(lint("notes.txt --"), 2);
  CU_ASSERT(strstr(err_text, "notes.txt: not a C source file or header") != NULL);
  CU_ASSERT(strstr(out_text, ":0:0:") == NULL && strstr(err_text, ":0:0:") == NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
}

/* `--enable ''` named no rule and ran them all, while "enable": [] runs none */
static void test_enable_empty(void) {
  setup_files();
  CU_ASSERT_EQUAL(lint("--enable '' bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "--enable needs at least one rule id") != NULL);
  CU_ASSERT_EQUAL(lint("--enable ' , ' bad.c --"), 2);
}

static void test_list_rules_json(void) {
  CU_ASSERT_EQUAL(lint("--list-rules --format json"), 0);
  cJSON *root = cJSON_Parse(out_text);
  CU_ASSERT_FATAL(cJSON_IsArray(root));
  CU_ASSERT(cJSON_GetArraySize(root) >= 8);
  cJSON *first = cJSON_GetArrayItem(root, 0);
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(first, "id")->valuestring, "blocking-in-loop");
  CU_ASSERT(cJSON_IsString(cJSON_GetObjectItem(first, "severity")));
  CU_ASSERT(cJSON_IsString(cJSON_GetObjectItem(first, "summary")));
  cJSON_Delete(root);
}

/* --list-models reads the configuration a lint would (nearest upward, or --config):
 * a disabled model is not listed, a user model is; each with its description. */
static void test_list_models_config(void) {
  char *cmd = xasprintf("rm -rf '%s/models' && mkdir -p '%s/models'", unit_scratch(), unit_scratch());
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  free(cmd);
  free(unit_write("models/mylib.json", "{\"model\": \"mylib\", \"description\": \"my library's waits\",\n"
                                       " \"functions\": {\"my_wait\": {\"blocking\": true}}}\n"));
  free(unit_write("models/.calm-lint.json", "{\"models\": {\"disable\": [\"glib\"]}, \"model_files\": [\"mylib.json\"]}\n"));
  CU_ASSERT_EQUAL(lint("--list-models"), 0);
  CU_ASSERT(strstr(out_text, "glib ") != NULL); /* no configuration upward of the scratch dir */
  CU_ASSERT(strstr(out_text, "libuv      libuv 1.x: loop callbacks") != NULL);
  CU_ASSERT_EQUAL(lint("--list-models models"), 0);
  CU_ASSERT(strstr(out_text, "glib") == NULL);
  CU_ASSERT(strstr(out_text, "mylib      my library's waits (") != NULL);
  CU_ASSERT(strstr(out_text, "calm       libcalm: ") != NULL);
  char *was = xstrdup(out_text);
  CU_ASSERT_EQUAL(lint("--list-models --config models/.calm-lint.json"), 0);
  CU_ASSERT_STRING_EQUAL(was, out_text);
  free(was);
  CU_ASSERT_EQUAL(lint("--list-models --format json models"), 0);
  cJSON *root = cJSON_Parse(out_text);
  CU_ASSERT(cJSON_IsArray(root) && cJSON_GetArraySize(root) >= 8);
  cJSON_Delete(root);
}

static void test_nolint_counted(void) {
  free(unit_write("quiet.c", "#include <unistd.h>\n"
                             "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                             "  sleep(1); // NOLINT(blocking-in-loop)\n"
                             "}\n"));
  CU_ASSERT_EQUAL(lint("--format json quiet.c --"), 0);
  CU_ASSERT(strstr(out_text, "\"suppressed\":\t1") != NULL);
}

/* CI logs and hooks send stdout and stderr down one pipe: the summary line comes
 * after the findings, not in the middle of them. */
static void test_summary_after_findings(void) {
  setup_files();
  for (int i = 0; i < 6; i++) {
    char *name = xasprintf("many%d.c", i);
    free(unit_write(name, bad_c));
    free(name);
  }
  char *cmd = xasprintf("cd '%s' && NO_COLOR= '%s' bad.c many0.c many1.c many2.c many3.c many4.c many5.c -- "
                        "2>&1 | cat >both.txt",
                        unit_scratch(), unit_calm_lint);
  CU_ASSERT_EQUAL(system(cmd), 0);
  free(cmd);
  char *path = xasprintf("%s/both.txt", unit_scratch());
  char *both = file_read(path, NULL);
  free(path);
  CU_ASSERT_PTR_NOT_NULL_FATAL(both);
  const char *summary = strstr(both, "calm-lint: 7 findings");
  CU_ASSERT_PTR_NOT_NULL_FATAL(summary);
  CU_ASSERT(summary == both || summary[-1] == '\n');
  CU_ASSERT_PTR_NULL(strchr(summary, '\n') ? strstr(strchr(summary, '\n'), "warning:") : NULL);
  CU_ASSERT_EQUAL(lines(both), 7 * 6 + 1); /* each: head, line, caret, note, line, caret */
  free(both);
}

/* A chain past max_guesses is not reported, but the summary says how many were left
 * out, in text and JSON; a configuration that allows it reports it. */
static void test_withheld(void) {
  char *src = xasprintf("%s/tests/fixtures/loop-call-off-loop/guessed_chains.c", unit_source_dir);
  char *cmd = xasprintf("--enable loop-call-off-loop %s", src);
  CU_ASSERT_EQUAL(lint(cmd), 1);
  CU_ASSERT(strstr(err_text, "1 finding (0 suppressed, 1 withheld past max_guesses)") != NULL);
  free(cmd);
  cmd = xasprintf("--enable loop-call-off-loop --format json %s", src);
  lint(cmd);
  cJSON *root = cJSON_Parse(out_text);
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  cJSON *summary = cJSON_GetObjectItem(root, "summary");
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(summary, "withheld")->valueint, 1);
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(summary, "diagnostics")->valueint, 1);
  cJSON_Delete(root);
  free(cmd);
  free(src);
  src = xasprintf("%s/tests/fixtures/loop-call-off-loop/guesses_allowed/chains.c", unit_source_dir);
  cmd = xasprintf("--enable loop-call-off-loop %s", src);
  CU_ASSERT_EQUAL(lint(cmd), 1);
  CU_ASSERT(strstr(err_text, "2 findings (0 suppressed), 0 errors") != NULL);
  free(cmd);
  free(src);
}

/* A typo in NOLINT(...) silences nothing: the finding shows, and so does why. */
static void test_nolint_typo(void) {
  free(unit_write("typo.c", "#include <unistd.h>\n"
                            "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                            "  sleep(1); // NOLINT(blocking-in-lop)\n"
                            "  sleep(2); // NOLINT(blocking-*, unawaited-task)\n"
                            "  sleep(3); // NOLINT(bugprone-branch-clone, readability-*)\n"
                            "}\n"));
  CU_ASSERT_EQUAL(lint("typo.c --"), 1);
  CU_ASSERT(strstr(out_text, "typo.c:3:3: warning: blocking call 'sleep'") != NULL);
  CU_ASSERT(strstr(err_text, "calm-lint: warning: typo.c:3: NOLINT names 'blocking-in-lop', which is no rule") != NULL);
  CU_ASSERT(strstr(err_text, "typo.c:4:") == NULL); /* a glob that matches a rule is fine */
  CU_ASSERT(strstr(out_text, "typo.c:4:3") == NULL);
  /* clang-tidy's checks share NOLINT: not a typo here, and no finding of ours is silenced */
  CU_ASSERT(strstr(err_text, "typo.c:5:") == NULL);
  /* two calls of one function reached the same way: one finding, the second its note */
  CU_ASSERT(strstr(out_text, "typo.c:5:3: note: and here: 'sleep'") != NULL);
  CU_ASSERT(strstr(out_text, "(as does 1 more call in the same function, reached the same way: 'sleep')") != NULL);
}

/* Blocking calls of one function reached the same way are one finding at the first,
 * the others its notes; a silenced call is not among them, and when the first is
 * silenced the next one leads. Calls reached another way are findings of their own. */
static void test_merged_places(void) {
  free(unit_write("merged.c", "#include <unistd.h>\n"
                              "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n"
                              "  sleep(1);\n"
                              "  sleep(2); // NOLINT(blocking-in-loop)\n"
                              "  usleep(3);\n"
                              "}\n"
                              "__attribute__((annotate(\"calm::async\"))) void cb2(void) {\n"
                              "  sleep(4); // NOLINT(blocking-in-loop)\n"
                              "  usleep(5);\n"
                              "  usleep(6);\n"
                              "}\n"));
  CU_ASSERT_EQUAL(lint("merged.c --"), 1);
  CU_ASSERT(strstr(out_text, "merged.c:3:3: warning: blocking call 'sleep' in CALM_ASYNC function 'cb' stalls the event loop "
                             "and every other task on it (as does 1 more call in the same function, reached the same "
                             "way: 'usleep')") != NULL);
  CU_ASSERT(strstr(out_text, "merged.c:5:3: note: and here: 'usleep'") != NULL);
  CU_ASSERT(strstr(out_text, "merged.c:4:") == NULL);
  CU_ASSERT(strstr(out_text, "merged.c:8:") == NULL);
  CU_ASSERT(strstr(out_text, "merged.c:9:3: warning: blocking call 'usleep'") != NULL);
  CU_ASSERT(strstr(out_text, "merged.c:10:3: note: and here: 'usleep'") != NULL);
  CU_ASSERT(strstr(err_text, "2 findings (2 suppressed)") != NULL);
  /* JSON: the other places, with their spans */
  CU_ASSERT_EQUAL(lint("--format json merged.c --"), 1);
  cJSON *root = cJSON_Parse(out_text);
  CU_ASSERT_FATAL(root != NULL);
  const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "diagnostics"), 0);
  const cJSON *also = cJSON_GetObjectItem(d, "also");
  CU_ASSERT_EQUAL(cJSON_GetArraySize(also), 1);
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(also, 0), "line")->valueint, 5);
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(also, 0), "end_column")->valueint, 12);
  cJSON_Delete(root);
  /* SARIF: related locations */
  CU_ASSERT_EQUAL(lint("--format sarif merged.c --"), 1);
  CU_ASSERT(strstr(out_text, "\"relatedLocations\"") != NULL);
}

/* The progress line (on a terminal, eight units or more) names files by path: many
 * projects have a util.c in every directory. */
static void test_progress_paths(void) {
  char *cmd = xasprintf("cd '%s' && rm -rf prog && mkdir -p prog/net prog/disk", unit_scratch());
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  free(cmd);
  for (int i = 0; i < 8; i++) {
    char *name = xasprintf("prog/%s/util%d.c", i % 2 ? "net" : "disk", i);
    free(unit_write(name, good_c));
    free(name);
  }
  /* script(1) gives calm-lint a terminal */
  cmd = xasprintf("cd '%s' && script -qec \"'%s' -j1 prog --\" /dev/null >tty.txt 2>&1 </dev/null", unit_scratch(),
                  unit_calm_lint);
  CU_ASSERT_EQUAL(system(cmd), 0);
  free(cmd);
  char *path = xasprintf("%s/tty.txt", unit_scratch());
  free(out_text);
  out_text = file_read(path, NULL);
  free(path);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out_text);
  CU_ASSERT(strstr(out_text, "] prog/net/util1.c") != NULL);
  CU_ASSERT(strstr(out_text, "] prog/disk/util0.c") != NULL);
}

static void test_output_file_quiet_statistics(void) {
  setup_files();
  free(unit_write("also.c", "#include <stdlib.h>\n#include <unistd.h>\n"
                            "__attribute__((annotate(\"calm::async\"))) void cb2(void) {\n"
                            "  system(\"x\");\n  usleep(1);\n}\n"));
  /* -o: the report goes to the file, stdout stays empty, the status is the same */
  CU_ASSERT_EQUAL(lint("-o report.json --format json bad.c --"), 1);
  CU_ASSERT_STRING_EQUAL(out_text, "");
  char *path = xasprintf("%s/report.json", unit_scratch());
  char *report = file_read(path, NULL);
  free(path);
  CU_ASSERT(report && strstr(report, "\"rule\":\t\"blocking-in-loop\"") != NULL);
  free(report);
  CU_ASSERT_EQUAL(lint("-o /nonexistent-dir/report.txt bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "cannot write /nonexistent-dir/report.txt") != NULL);
  /* --quiet: the findings and nothing else */
  CU_ASSERT_EQUAL(lint("--quiet bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "bad.c:3:3: warning") != NULL);
  CU_ASSERT_STRING_EQUAL(err_text, "");
  /* --statistics: a count per rule, most first; the two calls of cb2 are one finding */
  CU_ASSERT_EQUAL(lint("--statistics bad.c also.c --"), 1);
  CU_ASSERT(strncmp(out_text, "     2  blocking-in-loop ", 25) == 0);
  CU_ASSERT_EQUAL(lines(out_text), 1);
  CU_ASSERT_EQUAL(lint("--statistics --format json bad.c also.c --"), 1);
  cJSON *root = cJSON_Parse(out_text);
  CU_ASSERT_FATAL(cJSON_IsArray(root));
  CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(root, 0), "count")->valueint, 2);
  cJSON_Delete(root);
  CU_ASSERT_EQUAL(lint("--statistics --format sarif bad.c --"), 2);
}

/* What only a cold root reaches is a note, which does not fail the run; a
 * configuration can make it a warning. */
static void test_cold_roots(void) {
  char *dir = xasprintf("%s/cold", unit_scratch());
  char *mk = xasprintf("mkdir -p '%s'", dir);
  CU_ASSERT_EQUAL_FATAL(system(mk), 0);
  free(mk);
  free(unit_write("cold/sig.c", "#include <unistd.h>\n#include <signal.h>\n#include <uv.h>\n"
                                "static void on_hup(uv_signal_t *h, int s) { (void)h; (void)s; sleep(1); }\n"
                                "int main(void) { uv_signal_t h; uv_signal_init(uv_default_loop(), &h);\n"
                                "  uv_signal_start(&h, on_hup, SIGHUP); return 0; }\n"));
  CU_ASSERT_EQUAL(lint("cold/sig.c --"), 0);
  CU_ASSERT(out_text && strstr(out_text, "note: blocking call 'sleep'"));
  free(unit_write("cold/.calm-lint.json", "{\"cold_roots\": \"warning\"}"));
  CU_ASSERT_EQUAL(lint("cold/sig.c --"), 1);
  CU_ASSERT(out_text && strstr(out_text, "warning: blocking call 'sleep'"));
  free(unit_write("cold/.calm-lint.json", "{\"cold_roots\": \"loud\"}"));
  CU_ASSERT_EQUAL(lint("cold/sig.c --"), 2);
  CU_ASSERT(err_text && strstr(err_text, "'cold_roots' must be"));
  free(dir);
}

/* ---- configuration as clang-tidy and Ruff users expect it ---- */

static void mkdirs(const char *dir) {
  char *cmd = xasprintf("mkdir -p '%s/%s'", unit_scratch(), dir);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  free(cmd);
}

static size_t occurrences(const char *s, const char *what) {
  size_t n = 0;
  for (const char *p = s; p && (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
  return n;
}

/* "inherit": a subdirectory's configuration builds on its parent's. */
static void test_config_inherit(void) {
  mkdirs("cw/sub");
  free(unit_write("cw/sub/bad.c", bad_c));
  free(unit_write("cw/.calm-lint.json", "{\"disable\": [\"blocking-in-loop\"]}"));
  free(unit_write("cw/sub/.calm-lint.json", "{\"severity\": {\"missing-timeout\": \"error\"}}"));
  CU_ASSERT_EQUAL(lint("cw/sub/bad.c --"), 1); /* the nearest file alone */
  free(unit_write("cw/sub/.calm-lint.json", "{\"inherit\": true, \"severity\": {\"missing-timeout\": \"error\"}}"));
  CU_ASSERT_EQUAL(lint("cw/sub/bad.c --"), 0);
  free(unit_write("cw/sub/.calm-lint.json", "{\"inherit\": true, \"extend-enable\": [\"blocking-in-loop\"]}"));
  CU_ASSERT_EQUAL(lint("cw/sub/bad.c --"), 1);
  free(unit_write("cw/sub/.calm-lint.json", "{\"inherit\": true,\n \"extend-enabel\": []}"));
  CU_ASSERT_EQUAL(lint("cw/sub/bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "cw/sub/.calm-lint.json:2:2: unknown configuration key 'extend-enabel' (did you mean "
                             "'extend-enable'?)") != NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
}

/* Rule globs on the command line; a parent's model file serves two children that
 * inherit it, loaded once. */
static void test_config_globs_and_models(void) {
  setup_files();
  CU_ASSERT_EQUAL(lint("--enable 'blocking-*' bad.c --"), 1);
  CU_ASSERT_EQUAL(lint("--enable 'unawaited-*,swallowed-*' bad.c --"), 0);
  CU_ASSERT_EQUAL(lint("--disable '*-in-loop' bad.c --"), 0);
  CU_ASSERT_EQUAL(lint("--enable 'nothing-*' bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "unknown rule 'nothing-*'") != NULL);
  mkdirs("cm/a");
  mkdirs("cm/b");
  free(unit_write("cm/mylib.json", "{\"model\": \"mylib\", \"functions\": {\"my_wait\": {\"blocking\": true}}}"));
  free(unit_write("cm/.calm-lint.json", "{\"model_files\": [\"mylib.json\"]}"));
  free(unit_write("cm/a/.calm-lint.json", "{\"inherit\": true}"));
  free(unit_write("cm/b/.calm-lint.json", "{\"inherit\": true, \"functions\": {\"my_poll\": {\"blocking\": true}}}"));
  const char *src = "void my_wait(void);\nvoid my_poll(void);\n"
                    "__attribute__((annotate(\"calm::async\"))) void cb(void) {\n  my_wait();\n  my_poll();\n}\n";
  free(unit_write("cm/a/x.c", src));
  free(unit_write("cm/b/y.c", src));
  CU_ASSERT_EQUAL(lint("cm/a/x.c cm/b/y.c --"), 1);
  CU_ASSERT(strstr(out_text, "cm/a/x.c:4:3: warning: blocking call 'my_wait'") != NULL);
  CU_ASSERT(strstr(out_text, "cm/b/y.c:4:3: warning: blocking call 'my_wait'") != NULL);
  CU_ASSERT(strstr(out_text, "cm/b/y.c:5:3: note: and here: 'my_poll'") != NULL);
}

/* "exclude": those units are not linted and not counted; one named on the command
 * line is left out too, and that is said once. */
static void test_config_exclude(void) {
  mkdirs("cx/src");
  mkdirs("cx/vendor");
  free(unit_write("cx/src/a.c", bad_c));
  free(unit_write("cx/vendor/v.c", bad_c));
  free(unit_write("cx/vendor/w.c", bad_c));
  free(unit_write("cx/.calm-lint.json", "{\"exclude\": [\"vendor/**\"]}"));
  CU_ASSERT_EQUAL(lint("cx --"), 1);
  CU_ASSERT(strstr(out_text, "cx/src/a.c:3:3: warning") != NULL);
  CU_ASSERT(strstr(out_text, "vendor") == NULL);
  CU_ASSERT(strstr(err_text, "in 1 translation unit\n") != NULL);
  CU_ASSERT_EQUAL(lint("cx/vendor/v.c cx/vendor/v.c ./cx/vendor/v.c --"), 0);
  CU_ASSERT_STRING_EQUAL(out_text, "");
  CU_ASSERT_EQUAL(occurrences(err_text, "calm-lint: note: cx/vendor/v.c is not linted: \"vendor/**\" at "
                                        "cx/.calm-lint.json:1:14 excludes it\n"), 1);
  CU_ASSERT_EQUAL(lines(err_text), 1);
  CU_ASSERT_EQUAL(lint("cx/vendor --"), 0); /* a directory all excluded: not silence */
  CU_ASSERT_STRING_EQUAL(out_text, "");
  CU_ASSERT(strstr(err_text, "calm-lint: note: the configuration excludes all 2 translation units of the inputs: "
                             "nothing is linted\n") != NULL);
  CU_ASSERT_EQUAL(lines(err_text), 1);
  CU_ASSERT_EQUAL(lint("--quiet cx/vendor/v.c --"), 0);
  CU_ASSERT_STRING_EQUAL(err_text, "");
  CU_ASSERT_EQUAL(lint("--stdin-filename cx/vendor/w.c -- < cx/vendor/w.c"), 0);
  CU_ASSERT_STRING_EQUAL(out_text, "");
  CU_ASSERT(strstr(err_text, "cx/vendor/w.c is not linted") != NULL);
}

/* "per-file-ignores" go by the path of the finding's file: a header's own. */
static void test_config_per_file_ignores(void) {
  mkdirs("cy/src");
  mkdirs("cy/include");
  mkdirs("cy/tests");
  free(unit_write("cy/include/h.h", "#include <unistd.h>\n"
                                    "__attribute__((annotate(\"calm::async\"))) static inline void hcb(void) {\n"
                                    "  sleep(1);\n}\n"));
  free(unit_write("cy/src/m.c", "#include \"../include/h.h\"\nvoid use(void) { hcb(); }\n"));
  free(unit_write("cy/tests/t.c", bad_c));
  free(unit_write("cy/.calm-lint.json", "{\"per-file-ignores\": {\"src/**\": [\"blocking-in-loop\"],"
                                        " \"tests/**\": [\"blocking-in-loop\"]}}"));
  CU_ASSERT_EQUAL(lint("cy/src/m.c cy/tests/t.c --"), 1);
  CU_ASSERT(strstr(out_text, "include/h.h:3:3: warning") != NULL);
  CU_ASSERT(strstr(out_text, "tests/t.c") == NULL);
  free(unit_write("cy/.calm-lint.json", "{\"per-file-ignores\": {\"include/*.h\": [\"all\"], \"tests/**\": [\"blocking-*\"]}}"));
  CU_ASSERT_EQUAL(lint("cy/src/m.c cy/tests/t.c --"), 0);
  CU_ASSERT_STRING_EQUAL(out_text, "");
}

/* "severity": a note never fails the run, an error or a warning does; and
 * --warnings-as-errors makes warnings errors in every format. */
static void test_config_severity(void) {
  mkdirs("cz");
  free(unit_write("cz/bad.c", bad_c));
  free(unit_write("cz/.calm-lint.json", "{\"severity\": {\"blocking-in-loop\": \"note\"}}"));
  CU_ASSERT_EQUAL(lint("cz/bad.c --"), 0);
  CU_ASSERT(strstr(out_text, "cz/bad.c:3:3: note: blocking call 'sleep'") != NULL);
  CU_ASSERT_EQUAL(lint("--warnings-as-errors cz/bad.c --"), 0); /* a note is no warning */
  free(unit_write("cz/.calm-lint.json", "{\"severity\": {\"blocking-in-loop\": \"error\"}}"));
  CU_ASSERT_EQUAL(lint("cz/bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "cz/bad.c:3:3: error: blocking call 'sleep'") != NULL);
  CU_ASSERT_EQUAL(lint("--format json cz/bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "\"severity\":\t\"error\"") != NULL);
  /* no configuration here */
  CU_ASSERT_EQUAL(lint("--warnings-as-errors bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "bad.c:3:3: error: blocking call 'sleep'") != NULL);
  CU_ASSERT_EQUAL(lint("--warnings-as-errors='blocking-*' --format json bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "\"severity\":\t\"error\"") != NULL);
  CU_ASSERT_EQUAL(lint("--warnings-as-errors=blocking-in-loop --format sarif bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "\"level\":\t\"error\"") != NULL);
  CU_ASSERT_EQUAL(lint("--warnings-as-errors --format github bad.c --"), 1);
  CU_ASSERT(strncmp(out_text, "::error ", 8) == 0);
  CU_ASSERT_EQUAL(lint("--warnings-as-errors=unawaited-task bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "bad.c:3:3: warning: blocking call 'sleep'") != NULL);
  CU_ASSERT_EQUAL(lint("--warnings-as-errors=blocking-in-lop bad.c --"), 2);
  CU_ASSERT(strstr(err_text, "unknown rule 'blocking-in-lop' (did you mean 'blocking-in-loop'?)") != NULL);
  CU_ASSERT_EQUAL(lint("--warnings-as-errors= bad.c --"), 2);
}

/* SARIF links a rule to its page and the tool to its home only where a configuration
 * says where they are; a URL that is no absolute URI, or a rule page without {rule},
 * is an error at its place. */
static void test_sarif_links(void) {
  mkdirs("su");
  free(unit_write("su/bad.c", bad_c));
  CU_ASSERT_EQUAL(lint("--format sarif su/bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "helpUri") == NULL && strstr(out_text, "informationUri") == NULL);
  free(unit_write("su/.calm-lint.json", "{\"docs_url\": \"https://docs.example.org/calm/{rule}.html\",\n"
                                        " \"home_url\": \"https://example.org/calm\"}"));
  CU_ASSERT_EQUAL(lint("--format sarif su/bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "\"helpUri\":\t\"https://docs.example.org/calm/blocking-in-loop.html\"") != NULL);
  CU_ASSERT(strstr(out_text, "\"helpUri\":\t\"https://docs.example.org/calm/missing-timeout.html\"") != NULL);
  CU_ASSERT(strstr(out_text, "\"informationUri\":\t\"https://example.org/calm\"") != NULL);
  CU_ASSERT_EQUAL(lint("--format json su/bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "\"help_uri\":\t\"https://docs.example.org/calm/blocking-in-loop.html\"") != NULL);
  CU_ASSERT_EQUAL(lint("--show-config su/bad.c"), 0);
  CU_ASSERT(strstr(out_text, "docs_url = https://docs.example.org/calm/{rule}.html") != NULL);
  CU_ASSERT(strstr(out_text, "# su/.calm-lint.json:1:2\n") != NULL);
  /* a parent's link survives a child that sets other values */
  mkdirs("su/kid");
  free(unit_write("su/kid/bad.c", bad_c));
  free(unit_write("su/kid/.calm-lint.json", "{\"inherit\": true, \"fix_deadline_ms\": 900, \"cold_roots\": \"note\"}"));
  CU_ASSERT_EQUAL(lint("--format sarif su/kid/bad.c --"), 1);
  CU_ASSERT(strstr(out_text, "\"helpUri\":\t\"https://docs.example.org/calm/blocking-in-loop.html\"") != NULL);
  free(unit_write("su/.calm-lint.json", "{\"docs_url\": \"https://docs.example.org/calm\"}"));
  CU_ASSERT_EQUAL(lint("--format sarif su/bad.c --"), 2);
  CU_ASSERT(err_text && strstr(err_text, "su/.calm-lint.json:1:2: ") && strstr(err_text, "needs {rule}"));
  free(unit_write("su/.calm-lint.json", "{\n  \"home_url\": \"example.org\"}"));
  CU_ASSERT_EQUAL(lint("--format sarif su/bad.c --"), 2);
  CU_ASSERT(err_text && strstr(err_text, "su/.calm-lint.json:2:3: ") && strstr(err_text, "absolute URL"));
}

/* --show-config FILE: each setting, and where it was set. */
static void test_show_config(void) {
  mkdirs("cs/sub");
  free(unit_write("cs/.calm-lint.json", "{\n  \"severity\": {\"blocking-in-loop\": \"error\"}\n}\n"));
  free(unit_write("cs/sub/.calm-lint.json", "{\"inherit\": true, \"exclude\": [\"gen/**\"]}"));
  CU_ASSERT_EQUAL(lint("--show-config cs/sub/gen/x.c --enable blocking-in-loop"), 0);
  CU_ASSERT(strstr(out_text, "# settings for cs/sub/gen/x.c\n") != NULL);
  CU_ASSERT(strstr(out_text, "configuration = cs/.calm-lint.json, then cs/sub/.calm-lint.json") != NULL);
  CU_ASSERT(strstr(out_text, "excluded = yes") && strstr(out_text, "# cs/sub/.calm-lint.json:1:31 (exclude \"gen/**\")\n"));
  CU_ASSERT(strstr(out_text, "severity.blocking-in-loop = error") && strstr(out_text, "# cs/.calm-lint.json:2:16\n"));
  CU_ASSERT(strstr(out_text, "rules.unawaited-task = off") && strstr(out_text, "# command line (--enable)\n"));
  CU_ASSERT_EQUAL(lint("--show-config cs/sub/gen/x.c --format json"), 0);
  cJSON *root = cJSON_Parse(out_text);
  CU_ASSERT_FATAL(cJSON_IsObject(root));
  const cJSON *ex = cJSON_GetObjectItem(root, "excluded");
  CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(ex, "value")));
  const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "rules"), 0);
  CU_ASSERT_FATAL(cJSON_IsObject(first));
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(first, "rule")->valuestring, "blocking-in-loop");
  const cJSON *sev = cJSON_GetObjectItem(first, "severity");
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sev, "value")->valuestring, "error");
  CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sev, "origin")->valuestring, "cs/.calm-lint.json:2:16");
  cJSON_Delete(root);
  CU_ASSERT_EQUAL(lint("--show-config bad.c"), 0); /* no configuration upward */
  CU_ASSERT(strstr(out_text, "configuration = none") != NULL);
  CU_ASSERT_EQUAL(lint("--show-config bad.c --config missing.json"), 2);
}

void unit_register_cli(void) {
  CU_pSuite s = CU_add_suite("cli", NULL, NULL);
  CU_add_test(s, "help, version, rules", test_help_version_list);
  CU_add_test(s, "usage errors are one line and status 2", test_usage_errors);
  CU_add_test(s, "missing compile database", test_missing_database);
  CU_add_test(s, "invalid configuration", test_bad_config);
  CU_add_test(s, "exit statuses and colour", test_exit_statuses);
  CU_add_test(s, "a parse error keeps other findings", test_parse_error_keeps_findings);
  CU_add_test(s, "output does not depend on -j", test_deterministic_across_jobs);
  CU_add_test(s, "unsaved buffer on stdin", test_stdin_buffer);
  CU_add_test(s, "NOLINT is counted", test_nolint_counted);
  CU_add_test(s, "the summary comes after the findings on a shared pipe", test_summary_after_findings);
  CU_add_test(s, "directories: symlink loops and links, each file once", test_directory_symlinks);
  CU_add_test(s, "directories: .c files not in the database", test_directory_not_in_database);
  CU_add_test(s, "--stdin-filename without a database", test_stdin_without_database);
  CU_add_test(s, "a header is linted in the context of its units", test_header_in_context);
  CU_add_test(s, "an input that is not C", test_not_c_input);
  CU_add_test(s, "--enable with no rule", test_enable_empty);
  CU_add_test(s, "--list-rules --format json", test_list_rules_json);
  CU_add_test(s, "--list-models reads the configuration", test_list_models_config);
  CU_add_test(s, "a typo in NOLINT is reported", test_nolint_typo);
  CU_add_test(s, "one mistake at several places is one finding", test_merged_places);
  CU_add_test(s, "findings past max_guesses are counted", test_withheld);
  CU_add_test(s, "the progress line names paths", test_progress_paths);
  CU_add_test(s, "-o FILE, --quiet, --statistics", test_output_file_quiet_statistics);
  CU_add_test(s, "cold roots: a note, or a warning by configuration", test_cold_roots);
  CU_add_test(s, "configuration: inherit", test_config_inherit);
  CU_add_test(s, "configuration: rule globs, a parent's models", test_config_globs_and_models);
  CU_add_test(s, "configuration: exclude", test_config_exclude);
  CU_add_test(s, "configuration: per-file-ignores by the finding's file", test_config_per_file_ignores);
  CU_add_test(s, "configuration: severity, --warnings-as-errors", test_config_severity);
  CU_add_test(s, "--show-config", test_show_config);
  CU_add_test(s, "SARIF helpUri and informationUri from the configuration", test_sarif_links);
}
