/* Loading .calm-lint.json. Unknown keys are errors, so a typo does not silently
 * turn a check off. */
#define _GNU_SOURCE /* memmem */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../../rules/rule.h"
#include "../base/base.h"
#include "../graph/models.h"

const char *config_unknown_rule(const char *const *ids, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(ids[i], "all") != 0 && !lint_rule_find(ids[i])) return ids[i];
  return NULL;
}

static int string_list(const cJSON *v, const char ***out, size_t *n) {
  if (!cJSON_IsArray(v)) return -1;
  const cJSON *it;
  cJSON_ArrayForEach(it, v) {
    if (!cJSON_IsString(it)) return -1;
    *out = xrealloc(*out, (*n + 1) * sizeof **out);
    (*out)[(*n)++] = xstrdup(it->valuestring);
  }
  return 0;
}

/* A key given twice would leave one of its values unread, or read both into one
 * field: the first key that appears twice in `object`, or NULL. */
static const char *duplicate_key(const cJSON *object) {
  VEC(const char *) keys = {0};
  const cJSON *it;
  cJSON_ArrayForEach(it, object) VEC_PUSH(keys, it->string);
  const char *dup = first_duplicate(keys.items, keys.len);
  VEC_FREE(keys);
  return dup;
}

int config_load(const char *path, lint_config *c, char **error) {
  memset(c, 0, sizeof *c);
  *error = NULL;
  size_t len;
  char *why = NULL;
  char *text = file_read_limited(path, FILE_LIMIT_CONFIG, &len, &why);
  if (!text) {
    *error = xasprintf("cannot read configuration %s: %s", path, why);
    free(why);
    return -1;
  }
  int rc = config_parse(text, len, path, c, error);
  free(text);
  return rc;
}

/* `path:line:col` of the first `"s"` in the text, for an error about a key or a
 * value (cJSON keeps no positions); just `path` when it is not there as written. */
static char *place(const char *text, size_t len, const char *path, const char *s) {
  char *quoted = xasprintf("\"%s\"", s);
  const char *at = memmem(text, len, quoted, strlen(quoted));
  free(quoted);
  if (!at) return xstrdup(path);
  unsigned line, col;
  text_position(text, (size_t)(at - text), &line, &col);
  return xasprintf("%s:%u:%u", path, line, col);
}

int config_parse(const char *text, size_t len, const char *path, lint_config *c, char **error) {
  memset(c, 0, sizeof *c);
  *error = NULL;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
  if (!root) {
    unsigned line, col;
    const char *at = cJSON_GetErrorPtr();
    text_position(text, at && at >= text ? (size_t)(at - text) : len, &line, &col);
    *error = xasprintf("%s:%u:%u: invalid JSON in configuration", path, line, col);
    return -1;
  }
  c->path = xstrdup(path);
  c->dir = path_dirname(path);
  const char *dup;
  if (!cJSON_IsObject(root)) *error = xasprintf("%s: configuration must be a JSON object", path);
  else if ((dup = duplicate_key(root)) != NULL) {
    char *key = text_escape(dup, 64);
    *error = xasprintf("%s: configuration key '%s' is given twice", path, key);
    free(key);
  }
  const cJSON *it;
  if (!*error) cJSON_ArrayForEach(it, root) {
    const char *k = it->string;
    if (strcmp(k, "enable") == 0) {
      c->has_enable = true;
      if (string_list(it, &c->enable, &c->nenable)) *error = xasprintf("%s: 'enable' must be a list of rule ids", path);
    } else if (strcmp(k, "disable") == 0) {
      if (string_list(it, &c->disable, &c->ndisable)) *error = xasprintf("%s: 'disable' must be a list of rule ids", path);
    } else if (strcmp(k, "models") == 0) {
      const cJSON *dis = cJSON_GetObjectItemCaseSensitive(it, "disable");
      if (!cJSON_IsObject(it) || cJSON_GetArraySize(it) != (dis ? 1 : 0) ||
          (dis && string_list(dis, &c->models_disable, &c->nmodels_disable)))
        *error = xasprintf("%s: 'models' must be {\"disable\": [model names]}", path);
      /* an unknown name is echoed later: one that needs escaping is no model's */
      for (size_t m = 0; !*error && m < c->nmodels_disable; m++) {
        char *name = text_escape(c->models_disable[m], 64);
        if (strcmp(name, c->models_disable[m]) != 0)
          *error = xasprintf("%s: '%s' in models.disable is not a model name", path, name);
        free(name);
      }
    } else if (strcmp(k, "cold_roots") == 0) {
      if (cJSON_IsString(it) && strcmp(it->valuestring, "warning") == 0) c->cold_warning = true;
      else if (!cJSON_IsString(it) || strcmp(it->valuestring, "note") != 0)
        *error = xasprintf("%s: 'cold_roots' must be \"note\" or \"warning\"", path);
    } else if (strcmp(k, "functions") == 0) {
      if (!cJSON_IsObject(it)) *error = xasprintf("%s: 'functions' must be an object of function entries", path);
      else c->functions = cJSON_Duplicate(it, 1);
    } else if (strcmp(k, "model_files") == 0) {
      const char **files = NULL;
      size_t n = 0;
      if (string_list(it, &files, &n)) *error = xasprintf("%s: 'model_files' must be a list of paths", path);
      c->model_files = xcalloc(n + 1, sizeof *c->model_files);
      for (size_t i = 0; i < n; i++) {
        c->model_files[i] = path_absolute(files[i], c->dir);
        free((char *)files[i]);
      }
      c->nmodel_files = n;
      free(files);
    } else {
      char *key = text_escape(k, 64);
      char *where = place(text, len, path, k);
      *error = xasprintf("%s: unknown configuration key '%s' (expected enable, disable, models, cold_roots, "
                         "functions, model_files)", where, key);
      free(where);
      free(key);
    }
    if (*error) break;
  }
  cJSON_Delete(root);
  const char *bad_rule = NULL;
  if (!*error && ((bad_rule = config_unknown_rule(c->enable, c->nenable)) ||
                  (bad_rule = config_unknown_rule(c->disable, c->ndisable)))) {
    char *rule = text_escape(bad_rule, 64);
    char *where = place(text, len, path, bad_rule);
    *error = xasprintf("%s: unknown rule '%s' (see calm-lint --list-rules)", where, rule);
    free(where);
    free(rule);
  }
  if (*error) {
    config_free(c);
    return -1;
  }
  return 0;
}

void config_free(lint_config *c) {
  for (size_t i = 0; i < c->nenable; i++) free((char *)c->enable[i]);
  for (size_t i = 0; i < c->ndisable; i++) free((char *)c->disable[i]);
  for (size_t i = 0; i < c->nmodels_disable; i++) free((char *)c->models_disable[i]);
  for (size_t i = 0; i < c->nmodel_files; i++) free(c->model_files[i]);
  free(c->enable);
  free(c->disable);
  free(c->models_disable);
  free(c->model_files);
  cJSON_Delete(c->functions);
  free(c->path);
  free(c->dir);
  memset(c, 0, sizeof *c);
}

static bool listed(const char *const *ids, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(ids[i], id) == 0 || strcmp(ids[i], "all") == 0) return true;
  return false;
}

bool config_rule_enabled(const lint_config *c, const char *const *cli_enable, size_t ncli_enable,
                         const char *const *cli_disable, size_t ncli_disable, const char *id) {
  bool on = true;
  if (ncli_enable) on = listed(cli_enable, ncli_enable, id);
  else if (c && c->has_enable) on = listed(c->enable, c->nenable, id);
  if (c && listed(c->disable, c->ndisable, id) && !(ncli_enable && listed(cli_enable, ncli_enable, id))) on = false;
  if (listed(cli_disable, ncli_disable, id)) on = false;
  return on;
}
