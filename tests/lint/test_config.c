/* .calm-lint.json loading and rule selection; files built on files, exclude and
 * per-file globs, severities, typos, and what --show-config says of it all. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../lint/base/base.h"
#include "../../lint/driver/config.h"
#include "unit.h"

/* scratch/dir, created; malloc'd. */
static char *scratch_dir(const char *dir) {
  char *path = xasprintf("%s/%s", unit_scratch(), dir);
  char *cmd = xasprintf("mkdir -p '%s'", path);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  free(cmd);
  return path;
}

static lint_config load_ok(const char *name) {
  char *path = xasprintf("%s/%s", unit_scratch(), name);
  lint_config c;
  char *err = NULL;
  int rc = config_load(path, &c, &err);
  if (rc != 0) fprintf(stderr, "\n%s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  free(path);
  return c;
}

static char *load_error(const char *name) {
  char *path = xasprintf("%s/%s", unit_scratch(), name);
  lint_config c;
  char *err = NULL;
  if (config_load(path, &c, &err) == 0) config_free(&c);
  free(path);
  CU_ASSERT_PTR_NOT_NULL(err);
  CU_ASSERT(!err || !strchr(err, '\n'));
  return err ? err : xstrdup("");
}

static bool on(const lint_config *c, const char *rule) { return config_rule_enabled(c, NULL, 0, NULL, 0, rule); }

static void test_valid(void) {
  char *path = unit_write("good.json", "{\n  \"disable\": [\"unbounded-spawn\"],\n  \"models\": {\"disable\": [\"glib\"]},\n"
                                       "  \"functions\": {\"db_query\": {\"blocking\": true}},\n"
                                       "  \"model_files\": [\"extra.json\"]\n}\n");
  lint_config c;
  char *err = NULL;
  CU_ASSERT_EQUAL_FATAL(config_load(path, &c, &err), 0);
  CU_ASSERT_EQUAL(c.nmodels_disable, 1);
  CU_ASSERT_PTR_NOT_NULL(c.functions);
  CU_ASSERT_EQUAL_FATAL(c.nmodel_files, 1);
  CU_ASSERT(strstr(c.model_files[0].text, "/extra.json") != NULL && c.model_files[0].text[0] == '/');
  CU_ASSERT(!config_rule_enabled(&c, NULL, 0, NULL, 0, "unbounded-spawn"));
  CU_ASSERT(config_rule_enabled(&c, NULL, 0, NULL, 0, "blocking-in-loop"));
  config_free(&c);
  free(path);
}

static void test_invalid_json_position(void) {
  char *path = unit_write("bad.json", "{\n  \"disable\": [\"a\",\n  ]\n  oops\n}\n");
  lint_config c;
  char *err = NULL;
  CU_ASSERT_EQUAL(config_load(path, &c, &err), -1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(err);
  CU_ASSERT(strstr(err, "bad.json:3:") != NULL);
  CU_ASSERT(strchr(err, '\n') == NULL); /* one line */
  free(err);
  free(path);
}

static void test_unknown_key_and_rule(void) {
  char *path = unit_write("typo.json", "{\"disabel\": [\"x\"]}");
  lint_config c;
  char *err = NULL;
  CU_ASSERT_EQUAL(config_load(path, &c, &err), -1);
  CU_ASSERT(err && strstr(err, "unknown configuration key 'disabel'"));
  free(err);
  free(path);
  path = unit_write("rule.json", "{\"enable\": [\"blocking-in-lop\"]}");
  err = NULL;
  CU_ASSERT_EQUAL(config_load(path, &c, &err), -1);
  CU_ASSERT(err && strstr(err, "unknown rule 'blocking-in-lop'"));
  free(err);
  free(path);
}

static void test_enable_semantics(void) {
  const char *only[] = {"blocking-in-loop"};
  const char *off[] = {"blocking-in-loop"};
  CU_ASSERT(config_rule_enabled(NULL, NULL, 0, NULL, 0, "unawaited-task"));
  CU_ASSERT(config_rule_enabled(NULL, only, 1, NULL, 0, "blocking-in-loop"));
  CU_ASSERT(!config_rule_enabled(NULL, only, 1, NULL, 0, "unawaited-task"));
  CU_ASSERT(!config_rule_enabled(NULL, NULL, 0, off, 1, "blocking-in-loop"));
  CU_ASSERT(config_unknown_rule(only, 1) == NULL);
  const char *bad[] = {"all", "nope"};
  CU_ASSERT_STRING_EQUAL(config_unknown_rule(bad, 2), "nope");
}

static void test_globs(void) {
  CU_ASSERT(config_glob_match("tests/**", "tests/a.c"));
  CU_ASSERT(config_glob_match("tests/**", "tests/deep/er/a.c"));
  CU_ASSERT(!config_glob_match("tests/**", "src/tests.c"));
  CU_ASSERT(!config_glob_match("tests/**", "src/tests/a.c")); /* anchored at the configuration */
  CU_ASSERT(config_glob_match("vendor/*.c", "vendor/x.c"));
  CU_ASSERT(!config_glob_match("vendor/*.c", "vendor/sub/x.c"));
  CU_ASSERT(!config_glob_match("vendor/*.c", "vendor/x.h"));
  CU_ASSERT(config_glob_match("**/third_party/**", "third_party/z.c"));
  CU_ASSERT(config_glob_match("**/third_party/**", "a/b/third_party/c/z.c"));
  CU_ASSERT(!config_glob_match("**/third_party/**", "a/third_party_x/z.c"));
  CU_ASSERT(config_glob_match("vendor", "vendor/x.c"));    /* a directory: all under it */
  CU_ASSERT(config_glob_match("*_gen.c", "src/a/b_gen.c")); /* no '/': a name at any depth */
  CU_ASSERT(!config_glob_match("*_gen.c", "src/a/b_gen.h"));
  CU_ASSERT(config_glob_match("./src/?.c", "src/a.c"));
  CU_ASSERT(!config_glob_match("src/?.c", "src/ab.c"));
  CU_ASSERT(!config_glob_match("", "a.c"));
}

/* "inherit": the nearest .calm-lint.json above; "enable"/"disable" replace what the
 * parent gives, "extend-enable"/"extend-disable" add to it. */
static void test_inherit(void) {
  free(scratch_dir("inh/a"));
  free(scratch_dir("inh/b"));
  free(scratch_dir("inh/c"));
  free(scratch_dir("inh/d"));
  free(unit_write("inh/.calm-lint.json", "{\"disable\": [\"unbounded-spawn\"], \"cold_roots\": \"warning\"}"));
  free(unit_write("inh/a/.calm-lint.json", "{\"inherit\": true, \"extend-disable\": [\"missing-timeout\"]}"));
  free(unit_write("inh/b/.calm-lint.json", "{\"inherit\": true, \"disable\": [\"missing-timeout\"]}"));
  free(unit_write("inh/c/.calm-lint.json", "{\"inherit\": true, \"extend-enable\": [\"unbounded-*\"]}"));
  free(unit_write("inh/d/.calm-lint.json", "{\"disable\": [\"missing-timeout\"]}"));
  lint_config c = load_ok("inh/a/.calm-lint.json");
  CU_ASSERT(!on(&c, "unbounded-spawn") && !on(&c, "missing-timeout") && on(&c, "blocking-in-loop"));
  CU_ASSERT(c.cold_warning); /* a scalar the child does not give is the parent's */
  CU_ASSERT_EQUAL(c.nchain, 2);
  CU_ASSERT(c.nchain == 2 && strstr(c.chain[0], "inh/.calm-lint.json") && strstr(c.chain[1], "inh/a/.calm-lint.json"));
  config_free(&c);
  c = load_ok("inh/b/.calm-lint.json"); /* replaced: the parent's disable is gone */
  CU_ASSERT(on(&c, "unbounded-spawn") && !on(&c, "missing-timeout"));
  config_free(&c);
  c = load_ok("inh/c/.calm-lint.json"); /* enabled by name: back on */
  CU_ASSERT(on(&c, "unbounded-spawn"));
  config_free(&c);
  c = load_ok("inh/d/.calm-lint.json"); /* no "inherit": the parent does not count */
  CU_ASSERT(on(&c, "unbounded-spawn") && !c.cold_warning);
  CU_ASSERT_EQUAL(c.nchain, 1);
  config_free(&c);
  /* enable replaces; the command line still has the last word */
  free(unit_write("inh/a/.calm-lint.json", "{\"inherit\": true, \"enable\": [\"blocking-in-loop\"]}"));
  c = load_ok("inh/a/.calm-lint.json");
  CU_ASSERT(on(&c, "blocking-in-loop") && !on(&c, "unawaited-task"));
  const char *cli[] = {"unawaited-task"};
  CU_ASSERT(config_rule_enabled(&c, cli, 1, NULL, 0, "unawaited-task"));
  CU_ASSERT(!config_rule_enabled(&c, NULL, 0, cli, 1, "unawaited-task"));
  config_free(&c);
}

/* "extends": a path relative to the file, chains, and cycles named with the chain. */
static void test_extends(void) {
  free(scratch_dir("ext/base"));
  free(scratch_dir("ext/proj"));
  free(unit_write("ext/base/common.json", "{\"extends\": \"core.json\", \"extend-disable\": [\"unbounded-spawn\"]}"));
  free(unit_write("ext/base/core.json", "{\"disable\": [\"lock-across-await\"],\n \"severity\": {\"missing-timeout\": \"error\"}}"));
  free(unit_write("ext/proj/.calm-lint.json", "{\n  \"extends\": \"../base/common.json\",\n"
                                              "  \"severity\": {\"blocking-*\": \"note\"}\n}\n"));
  lint_config c = load_ok("ext/proj/.calm-lint.json");
  CU_ASSERT(!on(&c, "lock-across-await") && !on(&c, "unbounded-spawn") && on(&c, "missing-timeout"));
  CU_ASSERT_EQUAL_FATAL(c.nchain, 3);
  CU_ASSERT(strstr(c.chain[0], "core.json") && strstr(c.chain[1], "common.json"));
  diag_severity sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, NULL, "/x.c", "missing-timeout", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_ERROR);
  sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, NULL, "/x.c", "blocking-in-loop", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_NOTE);
  config_free(&c);
  /* a cycle: an error at the "extends" that closes it, naming every file on the way */
  free(unit_write("ext/base/core.json", "{\"disable\": [],\n \"extends\": \"common.json\"}"));
  char *err = load_error("ext/proj/.calm-lint.json");
  CU_ASSERT(strstr(err, "core.json:2:2: configuration files extend each other in a cycle: ") != NULL);
  CU_ASSERT(strstr(err, "common.json -> ") && strstr(err, "core.json -> ") && strstr(err, "common.json") != NULL);
  free(err);
  /* a file extending itself */
  free(unit_write("ext/self.json", "{\"extends\": \"./self.json\"}"));
  err = load_error("ext/self.json");
  CU_ASSERT(strstr(err, "in a cycle") != NULL);
  free(err);
  /* the file extended is missing: said where it is named */
  free(unit_write("ext/base/core.json", "{\n\n   \"extends\": \"gone.json\"}"));
  err = load_error("ext/proj/.calm-lint.json");
  CU_ASSERT(strstr(err, "core.json:3:4: cannot read configuration ") && strstr(err, "gone.json"));
  free(err);
  /* a name with a newline in it: the error is still one line */
  free(unit_write("ext/nl.json", "{\"extends\": \"bad\\nname.json\"}"));
  err = load_error("ext/nl.json");
  CU_ASSERT(strstr(err, "nl.json:1:2: cannot read configuration ") && strstr(err, "bad\\nname.json"));
  free(err);
  /* an error inside a parent names the parent, with its line and column */
  free(unit_write("ext/base/core.json", "{\n  \"severity\": {\"missing-timeout\": \"loud\"}}"));
  err = load_error("ext/proj/.calm-lint.json");
  CU_ASSERT(strstr(err, "core.json:2:16: the severity of 'missing-timeout' must be") != NULL);
  free(err);
}

/* Unknown keys and rule ids: the place, and the likely intended name. */
static void test_did_you_mean(void) {
  free(unit_write("dym1.json", "{\n  \"extend_disable\": []\n}"));
  char *err = load_error("dym1.json");
  CU_ASSERT(strstr(err, "dym1.json:2:3: unknown configuration key 'extend_disable' (did you mean 'extend-disable'?)") !=
            NULL);
  free(err);
  free(unit_write("dym2.json", "{\"frobnicate\": 1}"));
  err = load_error("dym2.json");
  CU_ASSERT(strstr(err, "dym2.json:1:2: unknown configuration key 'frobnicate' (expected one of enable, ") != NULL);
  free(err);
  free(unit_write("dym3.json", "{\"models\": {\"disable\": []},\n \"disable\": [\"unawaited-tsak\"]}"));
  err = load_error("dym3.json");
  CU_ASSERT(strstr(err, "dym3.json:2:14: unknown rule 'unawaited-tsak' (did you mean 'unawaited-task'?)") != NULL);
  free(err);
  free(unit_write("dym4.json", "{\"per-file-ignores\": {\"tests/**\": [\"zzz\"]}}"));
  err = load_error("dym4.json");
  CU_ASSERT(strstr(err, "dym4.json:1:36: unknown rule 'zzz' (see calm-lint --list-rules)") != NULL);
  free(err);
  free(unit_write("dym5.json", "{\"exclude\": \"vendor/**\"}"));
  err = load_error("dym5.json");
  CU_ASSERT(strstr(err, "dym5.json:1:2: 'exclude' must be a list of path globs") != NULL);
  free(err);
  free(unit_write("dym7.json", "{\"enable\": [],\n  \"enable\": []}"));
  err = load_error("dym7.json");
  CU_ASSERT(strstr(err, "dym7.json:2:3: configuration key 'enable' is given twice") != NULL);
  free(err);
  free(unit_write("dym8.json", "\n  [1]"));
  err = load_error("dym8.json");
  CU_ASSERT(strstr(err, "dym8.json:2:3: configuration must be a JSON object") != NULL);
  free(err);
  free(unit_write("dym9.json", "{\"models\": {\"disabel\": [\"glib\"]}}"));
  err = load_error("dym9.json");
  CU_ASSERT(strstr(err, "dym9.json:1:13: unknown key 'disabel' in 'models' (did you mean 'disable'?)") != NULL);
  free(err);
  free(unit_write("dym10.json", "{\"severity\": {\"missing-timeout\": \"eror\"}}"));
  err = load_error("dym10.json");
  CU_ASSERT(strstr(err, "dym10.json:1:15: the severity of 'missing-timeout' must be \"error\", \"warning\" or \"note\" "
                        "(did you mean 'error'?)") != NULL);
  free(err);
  free(unit_write("dym11.json", "{\"cold_roots\": \"warnign\"}"));
  err = load_error("dym11.json");
  CU_ASSERT(strstr(err, "dym11.json:1:2: 'cold_roots' must be \"note\" or \"warning\" (did you mean 'warning'?)") != NULL);
  free(err);
  free(unit_write("dym6.json", "{\"enable\": [\"nothing-*\"]}")); /* a glob must match a rule */
  err = load_error("dym6.json");
  CU_ASSERT(strstr(err, "unknown rule 'nothing-*'") != NULL);
  free(err);
  const char *ids[] = {"blocking-*", "all"};
  CU_ASSERT_PTR_NULL(config_unknown_rule(ids, 2));
  CU_ASSERT_STRING_EQUAL(config_closest_rule("blocking-in-lop"), "blocking-in-loop");
  CU_ASSERT_PTR_NULL(config_closest_rule("x"));
}

/* exclude and per-file-ignores: relative to the file that gives them, applied to
 * the path of the finding's file. */
static void test_exclude_and_ignores(void) {
  char *root = scratch_dir("pfi");
  free(scratch_dir("pfi/sub"));
  free(unit_write("pfi/.calm-lint.json", "{\"exclude\": [\"vendor/**\", \"**/third_party/**\"],\n"
                                         " \"per-file-ignores\": {\"tests/**\": [\"blocking-in-loop\"],"
                                         " \"include/*.h\": [\"all\"]},\n"
                                         " \"severity\": {\"unawaited-task\": \"note\"}}"));
  lint_config c = load_ok("pfi/.calm-lint.json");
  char *f = xasprintf("%s/vendor/lib/x.c", root);
  const config_entry *e = config_excluded(&c, f);
  CU_ASSERT(e && strcmp(e->text, "vendor/**") == 0 && strstr(e->origin, "pfi/.calm-lint.json:1:14"));
  free(f);
  f = xasprintf("%s/src/third_party/y.c", root);
  CU_ASSERT_PTR_NOT_NULL(config_excluded(&c, f));
  free(f);
  f = xasprintf("%s/src/vendor/y.c", root);
  CU_ASSERT_PTR_NULL(config_excluded(&c, f));
  free(f);
  CU_ASSERT_PTR_NULL(config_excluded(&c, "/elsewhere/vendor/z.c")); /* not under the configuration */
  diag_severity sev = SEV_WARNING;
  f = xasprintf("%s/tests/t.c", root);
  CU_ASSERT(!config_finding(&c, NULL, f, "blocking-in-loop", false, &sev));
  CU_ASSERT(config_finding(&c, NULL, f, "missing-timeout", false, &sev));
  free(f);
  f = xasprintf("%s/include/api.h", root);
  CU_ASSERT(!config_finding(&c, NULL, f, "missing-timeout", false, &sev));
  free(f);
  f = xasprintf("%s/src/a.c", root);
  CU_ASSERT(config_finding(&c, NULL, f, "blocking-in-loop", false, &sev));
  sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, NULL, f, "unawaited-task", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_NOTE);
  /* --warnings-as-errors: warnings only, of the rules it names */
  const char *globs[] = {"blocking-*"};
  config_cli cli = {NULL, 0, NULL, 0, true, globs, 1};
  sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, &cli, f, "blocking-in-loop", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_ERROR);
  sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, &cli, f, "missing-timeout", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_WARNING);
  sev = SEV_NOTE; /* reached only from cold roots: a note stays a note */
  CU_ASSERT(config_finding(&c, &cli, f, "blocking-in-loop", true, &sev));
  CU_ASSERT_EQUAL(sev, SEV_NOTE);
  cli.nwae = 0; /* every rule */
  sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, &cli, f, "missing-timeout", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_ERROR);
  free(f);
  /* a child that gives its own "exclude" replaces the parent's; "extend-exclude" adds */
  free(unit_write("pfi/sub/.calm-lint.json", "{\"inherit\": true, \"exclude\": [\"gen/*.c\"]}"));
  lint_config sub = load_ok("pfi/sub/.calm-lint.json");
  f = xasprintf("%s/sub/vendor/v.c", root);
  CU_ASSERT_PTR_NULL(config_excluded(&sub, f));
  free(f);
  f = xasprintf("%s/vendor/v.c", root);
  CU_ASSERT_PTR_NULL(config_excluded(&sub, f));
  free(f);
  config_free(&sub);
  free(unit_write("pfi/sub/.calm-lint.json", "{\"inherit\": true, \"extend-exclude\": [\"gen/*.c\"]}"));
  sub = load_ok("pfi/sub/.calm-lint.json");
  f = xasprintf("%s/sub/gen/g.c", root);
  CU_ASSERT_PTR_NOT_NULL(config_excluded(&sub, f));
  free(f);
  f = xasprintf("%s/sub/third_party/t.c", root); /* the parent's, relative to the parent */
  CU_ASSERT_PTR_NOT_NULL(config_excluded(&sub, f));
  free(f);
  f = xasprintf("%s/gen/g.c", root); /* the child's, relative to the child */
  CU_ASSERT_PTR_NULL(config_excluded(&sub, f));
  free(f);
  config_free(&sub);
  config_free(&c);
  free(root);
}

/* Test code: the default globs under the configuration's directory, "test-paths"
 * replacing them and "extend-test-paths" adding, and what it does to severities. */
static void test_test_code(void) {
  char *root = scratch_dir("tc");
  free(unit_write("tc/.calm-lint.json", "{}"));
  lint_config c = load_ok("tc/.calm-lint.json");
  const char *yes[] = {"test/a.c", "src/tests/b.c", "bench/c.c", "test_loop.c", "src/test-fs.c", "src/io_test.c",
                       "lib/testing/x.h"};
  const char *no[] = {"src/latest.c", "contest/a.c", "src/attest_io.c", "testdata.c", "src/protest.c"};
  const char *text, *origin;
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
    char *f = xasprintf("%s/%s", root, yes[i]);
    CU_ASSERT(config_test_code(&c, f, &text, &origin));
    free(f);
  }
  for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
    char *f = xasprintf("%s/%s", root, no[i]);
    if (config_test_code(&c, f, &text, &origin)) fprintf(stderr, "\n%s taken for test code by %s\n", no[i], text);
    CU_ASSERT(!config_test_code(&c, f, &text, &origin));
    free(f);
  }
  /* a directory named like a test above the configuration is not part of the project's paths */
  CU_ASSERT(!config_test_code(&c, "/srv/tests/other/a.c", &text, &origin));
  char *f = xasprintf("%s/test/a.c", root);
  CU_ASSERT(config_test_code(&c, f, &text, &origin) && strcmp(text, "test") == 0 && strcmp(origin, "default") == 0);
  /* the rules about a service's stalls, hangs and bursts speak at note severity there; the others do not */
  diag_severity sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, NULL, f, "blocking-in-loop", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_NOTE);
  const char *quiet[] = {"swallowed-cancel", "missing-timeout", "unbounded-spawn"};
  for (size_t i = 0; i < 3; i++) {
    sev = SEV_WARNING;
    CU_ASSERT(config_finding(&c, NULL, f, quiet[i], false, &sev));
    CU_ASSERT_EQUAL(sev, SEV_NOTE);
  }
  const char *loud[] = {"loop-call-off-loop", "unawaited-task", "lock-across-await", "unreleased-semaphore"};
  for (size_t i = 0; i < 4; i++) {
    sev = SEV_WARNING;
    CU_ASSERT(config_finding(&c, NULL, f, loud[i], false, &sev));
    CU_ASSERT_EQUAL(sev, SEV_WARNING);
  }
  /* --warnings-as-errors does not lift a note back */
  config_cli cli = {NULL, 0, NULL, 0, true, NULL, 0};
  sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, &cli, f, "blocking-in-loop", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_NOTE);
  char *src = xasprintf("%s/src/server.c", root);
  sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, NULL, src, "blocking-in-loop", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_WARNING);
  config_free(&c);
  /* "test_code": "warning" reports test code as any other */
  free(unit_write("tc/.calm-lint.json", "{\"test_code\": \"warning\"}"));
  c = load_ok("tc/.calm-lint.json");
  sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, NULL, f, "blocking-in-loop", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_WARNING);
  config_free(&c);
  /* "test-paths" replaces the defaults (anchored at its file), "extend-test-paths" adds */
  free(unit_write("tc/.calm-lint.json", "{\"test-paths\": [\"qa/**\"]}"));
  c = load_ok("tc/.calm-lint.json");
  CU_ASSERT(!config_test_code(&c, f, &text, &origin));
  char *qa = xasprintf("%s/qa/run.c", root);
  CU_ASSERT(config_test_code(&c, qa, &text, &origin) && strstr(origin, "tc/.calm-lint.json:1:"));
  sev = SEV_WARNING;
  CU_ASSERT(config_finding(&c, NULL, qa, "blocking-in-loop", false, &sev));
  CU_ASSERT_EQUAL(sev, SEV_NOTE);
  config_free(&c);
  free(unit_write("tc/.calm-lint.json", "{\"extend-test-paths\": [\"qa/**\"]}"));
  c = load_ok("tc/.calm-lint.json");
  CU_ASSERT(config_test_code(&c, f, &text, &origin));
  CU_ASSERT(config_test_code(&c, qa, &text, &origin));
  char *shown = config_show(&c, NULL, qa, root, false);
  CU_ASSERT(strstr(shown, "test_code = note") && strstr(shown, "test-paths = qa/** (matches)") &&
            strstr(shown, "severity.blocking-in-loop = note"));
  free(shown);
  config_free(&c);
  /* bad values say so at their place */
  free(unit_write("tc/bad1.json", "{\"test_code\": \"off\"}"));
  char *err = load_error("tc/bad1.json");
  CU_ASSERT(strstr(err, "'test_code' must be \"note\" or \"warning\"") != NULL);
  free(err);
  free(unit_write("tc/bad2.json", "{\"test-paths\": \"test\"}"));
  err = load_error("tc/bad2.json");
  CU_ASSERT(strstr(err, "'test-paths' must be a list of path globs") != NULL);
  free(err);
  free(qa);
  free(src);
  free(f);
  free(root);
}

/* "max_guesses": how many guessed indirect steps a reported chain may take. */
static void test_max_guesses(void) {
  char *root = scratch_dir("mg");
  free(unit_write("mg/.calm-lint.json", "{}"));
  lint_config c = load_ok("mg/.calm-lint.json");
  CU_ASSERT_PTR_NULL(c.max_guesses_origin); /* the default */
  char *f = xasprintf("%s/a.c", root);
  char *shown = config_show(&c, NULL, f, root, false);
  CU_ASSERT(strstr(shown, "max_guesses = 2 ") != NULL);
  free(shown);
  config_free(&c);
  free(unit_write("mg/.calm-lint.json", "{\"max_guesses\": 0}"));
  c = load_ok("mg/.calm-lint.json");
  CU_ASSERT_EQUAL(c.max_guesses, 0);
  CU_ASSERT(c.max_guesses_origin && strstr(c.max_guesses_origin, "mg/.calm-lint.json:1:2"));
  shown = config_show(&c, NULL, f, root, false);
  CU_ASSERT(strstr(shown, "max_guesses = 0 ") != NULL);
  free(shown);
  config_free(&c);
  /* beside another value of the same file, each keeps its own origin */
  free(unit_write("mg/.calm-lint.json", "{\"fix_deadline_ms\": 5000, \"max_guesses\": 1}"));
  c = load_ok("mg/.calm-lint.json");
  CU_ASSERT(c.max_guesses == 1 && c.max_guesses_origin && strstr(c.max_guesses_origin, ":1:27"));
  CU_ASSERT(c.fix_deadline_origin && strstr(c.fix_deadline_origin, ":1:2"));
  config_free(&c);
  free(unit_write("mg/bad.json", "{\"max_guesses\": -1}"));
  char *err = load_error("mg/bad.json");
  CU_ASSERT(strstr(err, "'max_guesses' must be a whole number from 0 to 64") != NULL);
  free(err);
  free(unit_write("mg/bad2.json", "{\"max_guesses\": 2.5}"));
  err = load_error("mg/bad2.json");
  CU_ASSERT(strstr(err, "'max_guesses' must be a whole number") != NULL);
  free(err);
  free(f);
  free(root);
}

/* --show-config: every setting with where it came from. */
static void test_show(void) {
  char *root = scratch_dir("show");
  free(scratch_dir("show/sub"));
  free(unit_write("show/.calm-lint.json", "{\n  \"disable\": [\"unbounded-spawn\"],\n  \"exclude\": [\"gen/**\"]\n}\n"));
  free(unit_write("show/sub/.calm-lint.json", "{\"inherit\": true,\n \"severity\": {\"missing-timeout\": \"error\"},\n"
                                              " \"per-file-ignores\": {\"t_*.c\": [\"blocking-in-loop\"]}}"));
  lint_config c = load_ok("show/sub/.calm-lint.json");
  char *file = xasprintf("%s/sub/t_one.c", root);
  const char *dis[] = {"lock-across-await"};
  config_cli cli = {NULL, 0, dis, 1, false, NULL, 0};
  char *text = config_show(&c, &cli, file, root, false);
  CU_ASSERT(strstr(text, "# settings for sub/t_one.c\n") != NULL);
  CU_ASSERT(strstr(text, "configuration = .calm-lint.json, then sub/.calm-lint.json") != NULL);
  CU_ASSERT(strstr(text, "rules.unbounded-spawn = off") && strstr(text, "# .calm-lint.json:2:15\n"));
  CU_ASSERT(strstr(text, "rules.blocking-in-loop = off") && strstr(text, "# sub/.calm-lint.json:3:23 (per-file-ignores)\n"));
  CU_ASSERT(strstr(text, "rules.lock-across-await = off") && strstr(text, "# command line (--disable)\n"));
  CU_ASSERT(strstr(text, "severity.missing-timeout = error") && strstr(text, "# sub/.calm-lint.json:2:15\n"));
  CU_ASSERT(strstr(text, "rules.unawaited-task = on ") != NULL);
  CU_ASSERT(strstr(text, "exclude = gen/**") != NULL);
  CU_ASSERT(strstr(text, "per-file-ignores = t_*.c: blocking-in-loop (matches)") != NULL);
  free(text);
  text = config_show(&c, &cli, file, root, true);
  cJSON *j = cJSON_Parse(text);
  CU_ASSERT_FATAL(cJSON_IsObject(j));
  CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "configuration")), 2);
  const cJSON *rules = cJSON_GetObjectItem(j, "rules"), *r;
  int seen = 0;
  cJSON_ArrayForEach(r, rules) {
    const char *id = cJSON_GetObjectItem(r, "rule")->valuestring;
    const cJSON *sev = cJSON_GetObjectItem(r, "severity");
    if (strcmp(id, "missing-timeout") == 0) {
      seen++;
      CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sev, "value")->valuestring, "error");
      CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sev, "origin")->valuestring, "sub/.calm-lint.json:2:15");
    }
    if (strcmp(id, "blocking-in-loop") == 0) {
      seen++;
      CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "ignored"), "value")));
      CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "enabled"), "value")));
    }
  }
  CU_ASSERT_EQUAL(seen, 2);
  cJSON_Delete(j);
  free(text);
  /* no configuration at all: the defaults */
  text = config_show(NULL, NULL, file, root, false);
  CU_ASSERT(strstr(text, "configuration = none") && strstr(text, "rules.unbounded-spawn = on "));
  free(text);
  free(file);
  config_free(&c);
  free(root);
}

void unit_register_config(void) {
  CU_pSuite s = CU_add_suite("config", NULL, NULL);
  CU_add_test(s, "valid configuration", test_valid);
  CU_add_test(s, "invalid JSON reports line and column", test_invalid_json_position);
  CU_add_test(s, "unknown key and unknown rule", test_unknown_key_and_rule);
  CU_add_test(s, "enable and disable", test_enable_semantics);
  CU_add_test(s, "path globs", test_globs);
  CU_add_test(s, "inherit: merging with the parent directory's", test_inherit);
  CU_add_test(s, "extends: chains and cycles", test_extends);
  CU_add_test(s, "unknown keys and rules: place and suggestion", test_did_you_mean);
  CU_add_test(s, "exclude, per-file-ignores, severity, warnings as errors", test_exclude_and_ignores);
  CU_add_test(s, "show-config: settings and their origins", test_show);
  CU_add_test(s, "test code: default globs, test-paths, test_code", test_test_code);
  CU_add_test(s, "max_guesses", test_max_guesses);
}
