/* --show-config: a file's effective settings and where each came from, as text
 * (one `name = value  # origin` line each) or JSON; the text is rendered from the
 * JSON, so the two never disagree. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../../rules/rule.h"
#include "../base/base.h"
#include "config.h"

#define AT_DEFAULT "default"

/* An origin or path as shown: relative to `cwd` when under it. */
static const char *shown_path(const char *s, const char *cwd) {
  size_t n = cwd ? strlen(cwd) : 0;
  if (n > 1 && strncmp(s, cwd, n) == 0 && s[n] == '/') return s + n + 1;
  return s;
}

static cJSON *setting(cJSON *value, const char *origin, const char *cwd) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "value", value);
  cJSON_AddStringToObject(o, "origin", shown_path(origin, cwd));
  return o;
}

static cJSON *show_entries(const config_entry *e, size_t n, const char *name, const char *cwd, const char *file) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, name, shown_path(e[i].text, cwd));
    if (e[i].base) cJSON_AddStringToObject(o, "base", shown_path(e[i].base, cwd));
    if (e[i].rules) {
      cJSON *rules = cJSON_AddArrayToObject(o, "rules");
      for (size_t k = 0; k < e[i].nrules; k++) cJSON_AddItemToArray(rules, cJSON_CreateString(e[i].rules[k]));
    }
    if (e[i].base) cJSON_AddBoolToObject(o, "matches", config_entry_matches(&e[i], file));
    cJSON_AddStringToObject(o, "origin", shown_path(e[i].origin, cwd));
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

static cJSON *show_json(const lint_config *c, const config_cli *cli, const char *file, const char *cwd) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "file", shown_path(file, cwd));
  cJSON *chain = cJSON_AddArrayToObject(root, "configuration");
  for (size_t i = 0; c && i < c->nchain; i++) cJSON_AddItemToArray(chain, cJSON_CreateString(shown_path(c->chain[i], cwd)));
  const config_entry *ex = config_excluded(c, file);
  char *ex_at = ex ? xasprintf("%s (exclude \"%s\")", ex->origin, ex->text) : NULL;
  cJSON_AddItemToObject(root, "excluded", setting(cJSON_CreateBool(ex != NULL), ex ? ex_at : AT_DEFAULT, cwd));
  free(ex_at);
  bool cold = c && c->cold_warning;
  cJSON_AddItemToObject(root, "cold_roots", setting(cJSON_CreateString(cold ? "warning" : "note"),
                                                    c && c->cold_origin ? c->cold_origin : AT_DEFAULT, cwd));
  bool tests_loud = c && c->test_warning;
  cJSON_AddItemToObject(root, "test_code", setting(cJSON_CreateString(tests_loud ? "warning" : "note"),
                                                   c && c->test_code_origin ? c->test_code_origin : AT_DEFAULT, cwd));
  cJSON_AddItemToObject(root, "fix_deadline_ms",
                        setting(cJSON_CreateNumber((double)(c && c->fix_deadline_ms ? c->fix_deadline_ms
                                                                                    : RULE_FIX_DEADLINE_MS)),
                                c && c->fix_deadline_origin ? c->fix_deadline_origin : AT_DEFAULT, cwd));
  cJSON_AddItemToObject(root, "max_guesses",
                        setting(cJSON_CreateNumber(c && c->max_guesses_origin ? c->max_guesses : RULE_MAX_GUESSES),
                                c && c->max_guesses_origin ? c->max_guesses_origin : AT_DEFAULT, cwd));
  cJSON_AddItemToObject(root, "docs_url",
                        setting(c && c->docs_url ? cJSON_CreateString(c->docs_url) : cJSON_CreateNull(),
                                c && c->docs_url_origin ? c->docs_url_origin : AT_DEFAULT, cwd));
  cJSON_AddItemToObject(root, "home_url",
                        setting(c && c->home_url ? cJSON_CreateString(c->home_url) : cJSON_CreateNull(),
                                c && c->home_url_origin ? c->home_url_origin : AT_DEFAULT, cwd));
  cJSON *rules = cJSON_AddArrayToObject(root, "rules");
  for (unsigned r = 0; r < lint_rule_count; r++) {
    config_verdict v = config_decide(c, cli, file, r, false, lint_rules[r]->severity);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "rule", lint_rules[r]->id);
    cJSON_AddItemToObject(o, "enabled", setting(cJSON_CreateBool(v.on), v.on_at, cwd));
    char *ig_at = v.ignored_at ? xasprintf("%s (per-file-ignores)", v.ignored_at) : NULL;
    cJSON_AddItemToObject(o, "ignored", setting(cJSON_CreateBool(v.ignored_at != NULL), ig_at ? ig_at : AT_DEFAULT, cwd));
    free(ig_at);
    cJSON_AddItemToObject(o, "severity", setting(cJSON_CreateString(severity_name(v.sev)), v.sev_at, cwd));
    cJSON_AddItemToArray(rules, o);
  }
  cJSON_AddItemToObject(root, "exclude", show_entries(c ? c->exclude : NULL, c ? c->nexclude : 0, "glob", cwd, file));
  cJSON_AddItemToObject(root, "per-file-ignores",
                        show_entries(c ? c->ignores : NULL, c ? c->nignores : 0, "glob", cwd, file));
  if (c) {
    cJSON_AddItemToObject(root, "test-paths", show_entries(c->test_paths, c->ntest_paths, "glob", cwd, file));
  } else {
    /* no configuration: the default globs stand under the working directory */
    config_entry *d = xcalloc(config_default_ntest_paths, sizeof *d);
    for (size_t i = 0; i < config_default_ntest_paths; i++)
      d[i] = (config_entry){(char *)config_default_test_paths[i], AT_DEFAULT, (char *)cwd, 0, NULL, 0};
    cJSON_AddItemToObject(root, "test-paths", show_entries(d, cwd ? config_default_ntest_paths : 0, "glob", cwd, file));
    free(d);
  }
  cJSON_AddItemToObject(root, "models.disable",
                        show_entries(c ? c->models_disable : NULL, c ? c->nmodels_disable : 0, "model", cwd, file));
  cJSON_AddItemToObject(root, "model_files",
                        show_entries(c ? c->model_files : NULL, c ? c->nmodel_files : 0, "path", cwd, file));
  cJSON_AddItemToObject(root, "functions",
                        show_entries(c ? c->function_names : NULL, c ? c->nfunction_names : 0, "name", cwd, file));
  return root;
}

/* One `name = value  # origin` line. */
static void show_line(strbuf *sb, const char *name, const char *value, const char *origin) {
  int n = (int)(strlen(name) + strlen(value) + 3);
  sb_printf(sb, "%s = %s%*s  # %s\n", name, value, n < 44 ? 44 - n : 0, "", origin);
}

static void show_list(strbuf *sb, const cJSON *arr, const char *name, const char *key) {
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    strbuf v = {0};
    sb_append(&v, cJSON_GetObjectItem(it, key)->valuestring);
    const cJSON *rules = cJSON_GetObjectItem(it, "rules"), *rule;
    if (rules) {
      sb_append(&v, ":");
      cJSON_ArrayForEach(rule, rules) sb_printf(&v, " %s", rule->valuestring);
    }
    const cJSON *m = cJSON_GetObjectItem(it, "matches");
    if (cJSON_IsTrue(m)) sb_append(&v, " (matches)");
    show_line(sb, name, v.data, cJSON_GetObjectItem(it, "origin")->valuestring);
    sb_free(&v);
  }
}

static const char *origin_of(const cJSON *o, const char *key) {
  return cJSON_GetObjectItem(cJSON_GetObjectItem(o, key), "origin")->valuestring;
}

char *config_show(const lint_config *c, const config_cli *cli, const char *file, const char *cwd, bool json) {
  cJSON *root = show_json(c, cli, file, cwd);
  if (json) {
    char *text = cJSON_Print(root);
    char *out = xasprintf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(root);
    return out;
  }
  strbuf sb = {0};
  sb_printf(&sb, "# settings for %s\n", cJSON_GetObjectItem(root, "file")->valuestring);
  strbuf chain = {0};
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "configuration")) sb_printf(&chain, "%s%s", chain.len ? ", then " : "", it->valuestring);
  show_line(&sb, "configuration", chain.len ? chain.data : "none", chain.len ? "the base first" : "no .calm-lint.json upward");
  sb_free(&chain);
  show_line(&sb, "excluded", cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "excluded"), "value")) ? "yes" : "no",
            origin_of(root, "excluded"));
  show_line(&sb, "cold_roots", cJSON_GetObjectItem(cJSON_GetObjectItem(root, "cold_roots"), "value")->valuestring,
            origin_of(root, "cold_roots"));
  show_line(&sb, "test_code", cJSON_GetObjectItem(cJSON_GetObjectItem(root, "test_code"), "value")->valuestring,
            origin_of(root, "test_code"));
  char *ms = xasprintf("%.0f", cJSON_GetObjectItem(cJSON_GetObjectItem(root, "fix_deadline_ms"), "value")->valuedouble);
  show_line(&sb, "fix_deadline_ms", ms, origin_of(root, "fix_deadline_ms"));
  free(ms);
  char *mg = xasprintf("%.0f", cJSON_GetObjectItem(cJSON_GetObjectItem(root, "max_guesses"), "value")->valuedouble);
  show_line(&sb, "max_guesses", mg, origin_of(root, "max_guesses"));
  free(mg);
  static const char *const urls[] = {"docs_url", "home_url"};
  for (int u = 0; u < 2; u++) {
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(root, urls[u]), "value");
    show_line(&sb, urls[u], cJSON_IsString(v) ? v->valuestring : "none", origin_of(root, urls[u]));
  }
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "rules")) {
    const char *id = cJSON_GetObjectItem(it, "rule")->valuestring;
    bool on = cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(it, "enabled"), "value"));
    bool ignored = cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(it, "ignored"), "value"));
    char *name = xasprintf("rules.%s", id);
    show_line(&sb, name, on && !ignored ? "on" : "off", on && ignored ? origin_of(it, "ignored") : origin_of(it, "enabled"));
    free(name);
    name = xasprintf("severity.%s", id);
    show_line(&sb, name, cJSON_GetObjectItem(cJSON_GetObjectItem(it, "severity"), "value")->valuestring,
              origin_of(it, "severity"));
    free(name);
  }
  show_list(&sb, cJSON_GetObjectItem(root, "exclude"), "exclude", "glob");
  show_list(&sb, cJSON_GetObjectItem(root, "per-file-ignores"), "per-file-ignores", "glob");
  show_list(&sb, cJSON_GetObjectItem(root, "test-paths"), "test-paths", "glob");
  show_list(&sb, cJSON_GetObjectItem(root, "models.disable"), "models.disable", "model");
  show_list(&sb, cJSON_GetObjectItem(root, "model_files"), "model_files", "path");
  show_list(&sb, cJSON_GetObjectItem(root, "functions"), "functions", "name");
  cJSON_Delete(root);
  return sb_take(&sb);
}
