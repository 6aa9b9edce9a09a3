/* Command-line parsing. Accepts `--opt value` and `--opt=value`. */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base.h"

const char options_usage[] =
    "usage: calm-lint [options] [files or directories...] [-- compiler flags]\n"
    "\n"
    "  -p DIR                 build directory holding compile_commands.json\n"
    "                         (default: found upward from the inputs, also in build/)\n"
    "  --format FORMAT        text (default), json, sarif (SARIF 2.1.0), github\n"
    "                         (workflow annotations) or gitlab (Code Quality report)\n"
    "  --srcroot DIR          paths in SARIF, gitlab output and baselines are relative\n"
    "                         to DIR (default: the current directory)\n"
    "  --config FILE          configuration (default: nearest .calm-lint.json upward)\n"
    "  --enable IDS           run only these rules (comma list)\n"
    "  --disable IDS          leave these rules out (comma list)\n"
    "  -j N                   translation units parsed in parallel (default: all cores)\n"
    "  --timeout-per-file S   a unit whose parse takes longer than S seconds is stopped\n"
    "                         and reported as an error (default: 300; 0: no limit)\n"
    "  -o, --output FILE      write the report to FILE instead of stdout\n"
    "  --quiet                print only findings and errors: no summary, notes or progress\n"
    "  --statistics           print how many findings each rule has, not the findings\n"
    "  --fix                  apply the safe fixes findings offer, then report what\n"
    "                         remains; with --stdin-filename the fixed text goes to\n"
    "                         stdout and the findings left to stderr\n"
    "  --unsafe-fixes         with --fix, apply the unsafe fixes too (they change behaviour)\n"
    "  --baseline FILE        report only findings not in FILE\n"
    "  --write-baseline FILE  record today's findings in FILE\n"
    "  --stdin-filename PATH  lint the text on stdin as if it were PATH; with a compile\n"
    "                         database the other units are analysed too (cached)\n"
    "  --lsp                  run as a Language Server on stdin/stdout\n"
    "  --cache-dir DIR        the summary cache (default: .calm-lint-cache beside the\n"
    "                         compile database; none without one)\n"
    "  --no-cache             parse every unit, read and write no cache\n"
    "  --pch                  parse units that begin with the same #include lines on one\n"
    "                         precompiled header of them (experimental)\n"
    "  --cache-prune[=SIZE]   remove cache entries unused for 30 days, then the oldest\n"
    "                         until the cache fits in SIZE (default 512M), and exit\n"
    "  --emit-summaries DIR   parse the units and write their summaries to DIR; no report\n"
    "  --shard I/N            with --emit-summaries: only the I-th of N shares of the units\n"
    "  --link                 the inputs are summary files or directories of them: link\n"
    "                         and report as one run over their units\n"
    "  --emit-summary OUT     parse the one unit whose compile command follows `--` into\n"
    "                         OUT (a build action); -MF FILE writes a depfile\n"
    "  --path-map OLD=NEW     summaries read by --link (or written by --emit-summaries,\n"
    "                         --emit-summary) name files under directory OLD as under\n"
    "                         NEW: a checkout at another place; repeatable, last match wins\n"
    "  --exit-zero            exit 0 even if there are findings (errors still exit 2)\n"
    "  --warnings-as-errors[=IDS]\n"
    "                         report the warnings of these rules (ids or globs, comma\n"
    "                         list; default: every rule) as errors\n"
    "  --show-config FILE     print the settings that apply to FILE, each with where it\n"
    "                         was set (--format json: as JSON), and exit\n"
    "  --color auto|always|never\n"
    "  --list-rules           list the rules and exit (--format json: as JSON)\n"
    "  --list-models          list the API models the configuration loads and exit\n"
    "  --explain ID           print a rule's documentation and exit\n"
    "  --dump-ir              print the IR summaries as JSON instead of linting\n"
    "  --version, --help\n"
    "\n"
    "exit status: 0 no findings, 1 findings, 2 usage, configuration or parse errors\n";

void split_ids(const char *text, const char ***list, size_t *n) {
  const char *p = text;
  while (*p) {
    const char *start = p;
    while (*p && *p != ',') p++;
    const char *end = p;
    while (start < end && (*start == ' ')) start++;
    while (end > start && end[-1] == ' ') end--;
    if (end > start) {
      *list = xrealloc(*list, (*n + 1) * sizeof **list);
      (*list)[(*n)++] = xstrndup(start, (size_t)(end - start));
    }
    if (*p == ',') p++;
  }
}

/* Matches `--name value` or `--name=value`; advances *i past the value. */
static bool take_value(int argc, char **argv, int *i, const char *name, const char **value, char **error) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return false;
  if (a[n] == '=') {
    *value = a + n + 1;
    return true;
  }
  if (a[n] != '\0') return false;
  if (*i + 1 >= argc) {
    if (!*error) *error = xasprintf("option '%s' needs a value", name);
    *value = NULL;
    return true;
  }
  *value = argv[++*i];
  return true;
}

int options_parse(int argc, char **argv, cli_options *o, char **error) {
  memset(o, 0, sizeof *o);
  o->color = -1;
  o->timeout_per_file = -1;
  *error = NULL;
  for (int i = 1; i < argc && !*error; i++) {
    const char *a = argv[i], *v = NULL;
    if (strcmp(a, "--") == 0) {
      o->have_flags = true;
      o->nflags = (size_t)(argc - i - 1);
      o->flags = xcalloc(o->nflags + 1, sizeof *o->flags);
      for (size_t k = 0; k < o->nflags; k++) o->flags[k] = argv[i + 1 + (int)k];
      break;
    }
    if (take_value(argc, argv, &i, "-p", &v, error)) o->build_dir = v;
    else if (take_value(argc, argv, &i, "--format", &v, error)) {
      if (!v) break;
      if (strcmp(v, "text") == 0) o->format = FORMAT_TEXT;
      else if (strcmp(v, "json") == 0) o->format = FORMAT_JSON;
      else if (strcmp(v, "sarif") == 0) o->format = FORMAT_SARIF;
      else if (strcmp(v, "github") == 0) o->format = FORMAT_GITHUB;
      else if (strcmp(v, "gitlab") == 0) o->format = FORMAT_GITLAB;
      else *error = xasprintf("unknown output format '%s' (expected text, json, sarif, github or gitlab)", v);
    } else if (take_value(argc, argv, &i, "--config", &v, error)) o->config = v;
    else if (take_value(argc, argv, &i, "--enable", &v, error)) {
      size_t before = o->nenable;
      if (v) split_ids(v, &o->enable, &o->nenable);
      /* an empty list would silently mean every rule (and "enable": [] in a
       * configuration means none): neither is what the user wrote */
      if (v && o->nenable == before) *error = xasprintf("--enable needs at least one rule id (see --list-rules)");
    } else if (take_value(argc, argv, &i, "--disable", &v, error)) {
      if (v) split_ids(v, &o->disable, &o->ndisable);
    } else if (take_value(argc, argv, &i, "-j", &v, error)) {
      if (!v) break;
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || n < 1 || n > 1024) *error = xasprintf("-j needs a number of jobs from 1 to 1024, not '%s'", v);
      else o->jobs = (int)n;
    } else if (take_value(argc, argv, &i, "--timeout-per-file", &v, error)) {
      if (!v) break;
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || end == v || n < 0 || n > 86400)
        *error = xasprintf("--timeout-per-file needs seconds from 0 to 86400, not '%s'", v);
      else o->timeout_per_file = n;
    } else if (strncmp(a, "-j", 2) == 0 && a[2] >= '0' && a[2] <= '9') {
      char *end;
      long n = strtol(a + 2, &end, 10);
      if (*end || n < 1 || n > 1024) *error = xasprintf("-j needs a number of jobs from 1 to 1024, not '%s'", a + 2);
      else o->jobs = (int)n;
    } else if (take_value(argc, argv, &i, "-o", &v, error) || take_value(argc, argv, &i, "--output", &v, error))
      o->output = v;
    else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) o->quiet = true;
    else if (strcmp(a, "--statistics") == 0) o->statistics = true;
    else if (strcmp(a, "--fix") == 0) o->fix = true;
    else if (strcmp(a, "--unsafe-fixes") == 0) o->unsafe_fixes = true;
    else if (take_value(argc, argv, &i, "--baseline", &v, error)) o->baseline = v;
    else if (take_value(argc, argv, &i, "--write-baseline", &v, error)) o->write_baseline = v;
    else if (take_value(argc, argv, &i, "--stdin-filename", &v, error)) o->stdin_filename = v;
    else if (take_value(argc, argv, &i, "--srcroot", &v, error)) o->srcroot = v;
    else if (strcmp(a, "--lsp") == 0) o->lsp = true;
    else if (take_value(argc, argv, &i, "--cache-dir", &v, error)) o->cache_dir = v;
    else if (strcmp(a, "--no-cache") == 0) o->no_cache = true;
    else if (strcmp(a, "--pch") == 0) o->pch = true;
    else if (strcmp(a, "--cache-prune") == 0) o->cache_prune = true;
    else if (strncmp(a, "--cache-prune=", 14) == 0) {
      o->cache_prune = true;
      char *end;
      unsigned long long n = strtoull(a + 14, &end, 10);
      unsigned long long unit = *end == 'K' ? 1ull << 10 : *end == 'M' ? 1ull << 20 : *end == 'G' ? 1ull << 30 : 1;
      if (unit > 1) end++;
      if (end == a + 14 || *end || n == 0)
        *error = xasprintf("--cache-prune needs a size such as 100M or 2G, not '%s'", a + 14);
      else o->cache_max_bytes = n * unit;
    } else if (take_value(argc, argv, &i, "--emit-summaries", &v, error)) o->emit_summaries = v;
    else if (take_value(argc, argv, &i, "--shard", &v, error)) {
      if (!v) break;
      unsigned si, sn;
      char tail;
      if (sscanf(v, "%u/%u%c", &si, &sn, &tail) != 2 || sn == 0 || si == 0 || si > sn)
        *error = xasprintf("--shard needs I/N with 1 <= I <= N, not '%s'", v);
      else {
        o->shard_index = si;
        o->shard_count = sn;
      }
    } else if (strcmp(a, "--link") == 0) o->link = true;
    else if (take_value(argc, argv, &i, "--emit-summary", &v, error)) o->emit_summary = v;
    else if (take_value(argc, argv, &i, "-MF", &v, error)) o->depfile = v;
    else if (take_value(argc, argv, &i, "--path-map", &v, error)) {
      if (!v) break;
      const char *eq = strchr(v, '=');
      if (!eq || eq == v || !eq[1]) *error = xasprintf("--path-map needs OLD=NEW, two directories, not '%s'", v);
      o->path_maps = xrealloc(o->path_maps, (o->npath_maps + 1) * sizeof *o->path_maps);
      o->path_maps[o->npath_maps++] = v;
    }
    else if (strcmp(a, "--exit-zero") == 0) o->exit_zero = true;
    else if (strcmp(a, "--warnings-as-errors") == 0) o->warnings_as_errors = true;
    else if (strncmp(a, "--warnings-as-errors=", 21) == 0) {
      /* clang-tidy's spelling: the value only after '=', so a file name is never taken */
      o->warnings_as_errors = true;
      size_t before = o->nwae;
      split_ids(a + 21, &o->wae, &o->nwae);
      if (o->nwae == before) *error = xasprintf("--warnings-as-errors= needs at least one rule id or glob");
    } else if (take_value(argc, argv, &i, "--show-config", &v, error)) o->show_config = v;
    else if (take_value(argc, argv, &i, "--explain", &v, error)) o->explain = v;
    else if (take_value(argc, argv, &i, "--color", &v, error)) {
      if (!v) break;
      if (strcmp(v, "auto") == 0) o->color = -1;
      else if (strcmp(v, "always") == 0) o->color = 1;
      else if (strcmp(v, "never") == 0) o->color = 0;
      else *error = xasprintf("unknown --color value '%s' (expected auto, always or never)", v);
    } else if (strcmp(a, "--list-rules") == 0) o->list_rules = true;
    else if (strcmp(a, "--list-models") == 0) o->list_models = true;
    else if (strcmp(a, "--dump-ir") == 0) o->dump_ir = true;
    else if (strcmp(a, "--version") == 0) o->version = true;
    else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) o->help = true;
    else if (a[0] == '-' && a[1] != '\0') *error = xasprintf("unknown option '%s' (see --help)", a);
    else {
      o->inputs = xrealloc(o->inputs, (o->ninputs + 1) * sizeof *o->inputs);
      o->inputs[o->ninputs++] = a;
    }
  }
  if (!*error && o->unsafe_fixes && !o->fix) *error = xasprintf("--unsafe-fixes says which fixes --fix applies: give that too");
  if (!*error && o->fix && (o->write_baseline || o->link || o->emit_summary || o->emit_summaries || o->lsp))
    *error = xasprintf("--fix edits the files a lint reads: not with --write-baseline, --link, --emit-summary, "
                       "--emit-summaries or --lsp");
  if (!*error && o->statistics && o->format != FORMAT_TEXT && o->format != FORMAT_JSON)
    *error = xasprintf("--statistics prints text or json, not another format");
  if (!*error && o->shard_count && !o->emit_summaries)
    *error = xasprintf("--shard splits the work of --emit-summaries: give that too");
  if (!*error && o->depfile && !o->emit_summary) *error = xasprintf("-MF writes the depfile of --emit-summary");
  if (!*error && o->emit_summary && (!o->have_flags || o->nflags == 0))
    *error = xasprintf("--emit-summary needs the unit's compile command after --");
  if (!*error && (o->emit_summary || o->emit_summaries) && o->link)
    *error = xasprintf("--link reads summaries: it cannot also emit them");
  if (!*error && o->link && o->ninputs == 0) *error = xasprintf("--link needs summary files or directories");
  if (!*error && o->npath_maps && !o->link && !o->emit_summaries && !o->emit_summary)
    *error = xasprintf("--path-map rewrites the paths of summaries: give --link, --emit-summaries or --emit-summary");
  return *error ? -1 : 0;
}

void options_free(cli_options *o) {
  for (size_t i = 0; i < o->nenable; i++) free((char *)o->enable[i]);
  for (size_t i = 0; i < o->ndisable; i++) free((char *)o->disable[i]);
  for (size_t i = 0; i < o->nwae; i++) free((char *)o->wae[i]);
  free(o->enable);
  free(o->disable);
  free(o->wae);
  free(o->inputs);
  free(o->flags);
  free(o->path_maps);
  memset(o, 0, sizeof *o);
}
