/* The command line of calm-lint (DESIGN "calm-lint interface"). */
#ifndef CALM_LINT_OPTIONS_H
#define CALM_LINT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF, FORMAT_GITHUB, FORMAT_GITLAB } output_format;

typedef struct {
  const char *build_dir;      /* -p */
  output_format format;
  const char *config;         /* --config */
  const char **enable;        /* --enable: run only these rules */
  size_t nenable;
  const char **disable;       /* --disable: leave these out */
  size_t ndisable;
  int jobs;                   /* -j; 0: all cores */
  long timeout_per_file;      /* --timeout-per-file SECONDS; -1: the default, 0: none */
  const char *baseline;
  const char *write_baseline;
  const char *stdin_filename;
  const char *srcroot;        /* --srcroot: base of relative paths in SARIF, baselines; default: cwd */
  bool lsp;                   /* --lsp: serve the Language Server Protocol on stdio */
  const char *explain;
  bool list_rules, list_models, dump_ir, version, help;
  const char *output;         /* -o, --output: the report goes to this file, not stdout */
  bool quiet;                 /* --quiet: no summary, notes or progress on stderr */
  bool statistics;            /* --statistics: counts per rule instead of the findings */
  bool fix;                   /* --fix: apply the safe fixes, then report what remains */
  bool unsafe_fixes;          /* --unsafe-fixes: --fix applies the labelled unsafe ones too */
  int color;                  /* -1 auto, 0 never, 1 always */
  const char *cache_dir;      /* --cache-dir; default: .calm-lint-cache beside the database */
  bool no_cache;              /* --no-cache */
  bool pch;                   /* --pch: share precompiled headers between units (experimental) */
  bool cache_prune;           /* --cache-prune[=SIZE]: prune the cache and exit */
  unsigned long long cache_max_bytes; /* its SIZE; 0: the default cap */
  const char *emit_summaries; /* --emit-summaries DIR: write summaries, do not report */
  unsigned shard_index, shard_count; /* --shard I/N (1-based I); 0/0: every unit */
  bool link;                  /* --link: the inputs are summary files or directories of them */
  const char *emit_summary;   /* --emit-summary OUT: one unit, its compile command after -- */
  const char *depfile;        /* -MF FILE, with --emit-summary */
  const char **path_maps;     /* --path-map OLD=NEW (repeatable): summaries' paths rewritten */
  size_t npath_maps;
  bool exit_zero;             /* --exit-zero: findings do not make the status 1 */
  bool warnings_as_errors;    /* --warnings-as-errors[=GLOBS]: those warnings are errors */
  const char **wae;           /* its GLOBS (none: every rule) */
  size_t nwae;
  const char *show_config;    /* --show-config FILE: print FILE's effective settings and exit */
  const char **inputs;
  size_t ninputs;
  const char **flags;         /* after `--` */
  size_t nflags;
  bool have_flags;
} cli_options;

/* Parses argv into *o (pointers into argv; lists malloc'd). Returns 0, or -1 with
 * *error set (malloc'd, one line). */
int options_parse(int argc, char **argv, cli_options *o, char **error);
void options_free(cli_options *o);

/* Splits "a,b,,c" into its non-empty parts (malloc'd array of malloc'd strings,
 * appended to *list). */
void split_ids(const char *text, const char ***list, size_t *n);

extern const char options_usage[];

#endif
