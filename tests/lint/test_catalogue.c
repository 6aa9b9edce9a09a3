/* Every rule is in the registry, the code, the docs and the fixtures, with no
 * orphans either way, and every doc has the same headings. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../lint/base/base.h"
#include "../../rules/rule.h"
#include "unit.h"

static const char *const headings[] = {"## What it finds", "## Why it matters", "## Example", "## Fix",
                                       "## Suppression", "## Options", "## Known limits"};

static void test_each_rule_complete(void) {
  CU_ASSERT(lint_rule_count >= 8);
  for (unsigned i = 0; i < lint_rule_count; i++) {
    const char *id = lint_rules[i]->id;
    char *c = xasprintf("%s/rules/%s.c", unit_source_dir, id);
    char *md = xasprintf("%s/rules/%s.md", unit_source_dir, id);
    char *fx = xasprintf("%s/tests/fixtures/%s", unit_source_dir, id);
    if (!path_is_file(c)) fprintf(stderr, "\n  %s has no rules/%s.c", id, id);
    if (!path_is_file(md)) fprintf(stderr, "\n  %s has no rules/%s.md", id, id);
    if (!path_is_dir(fx)) fprintf(stderr, "\n  %s has no tests/fixtures/%s/", id, id);
    CU_ASSERT(path_is_file(c) && path_is_file(md) && path_is_dir(fx));
    char *text = file_read(md, NULL);
    const char *doc = lint_rule_doc(id);
    CU_ASSERT_PTR_NOT_NULL(doc);
    if (text && doc) CU_ASSERT_STRING_EQUAL(text, doc); /* the compiled-in doc is current */
    char *title = xasprintf("# %s\n", id);
    CU_ASSERT(text && strncmp(text, title, strlen(title)) == 0);
    const char *at = text;
    for (size_t h = 0; text && h < sizeof headings / sizeof *headings; h++) {
      const char *found = strstr(at, headings[h]);
      if (!found) fprintf(stderr, "\n  rules/%s.md lacks '%s' (or has it out of order)", id, headings[h]);
      CU_ASSERT(found != NULL);
      if (found) at = found;
    }
    CU_ASSERT_STRING_NOT_EQUAL(lint_rules[i]->summary, "");
    free(title);
    free(text);
    free(c);
    free(md);
    free(fx);
  }
}

static void check_orphans(const char *dir, const char *suffix, bool dirs) {
  DIR *d = opendir(dir);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char *path = path_join(dir, e->d_name);
    bool is_dir = path_is_dir(path);
    free(path);
    if (dirs != is_dir) continue;
    size_t n = strlen(e->d_name), sn = strlen(suffix);
    if (n <= sn || strcmp(e->d_name + n - sn, suffix) != 0) continue;
    char *id = xstrndup(e->d_name, n - sn);
    if (!strchr(id, '-')) {
      free(id);
      continue; /* rule.h, registry.c: not rules */
    }
    if (!lint_rule_find(id)) fprintf(stderr, "\n  %s/%s belongs to no registered rule", dir, e->d_name);
    CU_ASSERT_PTR_NOT_NULL(lint_rule_find(id));
    free(id);
  }
  closedir(d);
}

static void test_no_orphans(void) {
  char *rules = xasprintf("%s/rules", unit_source_dir), *fixtures = xasprintf("%s/tests/fixtures", unit_source_dir);
  check_orphans(rules, ".c", false);
  check_orphans(rules, ".md", false);
  check_orphans(fixtures, "", true);
  free(rules);
  free(fixtures);
}

void unit_register_catalogue(void) {
  CU_pSuite s = CU_add_suite("catalogue", NULL, NULL);
  CU_add_test(s, "each rule has code, doc and fixtures", test_each_rule_complete);
  CU_add_test(s, "no orphans", test_no_orphans);
}
