/* The fixture harness: runs calm-lint over tests/fixtures/<rule>/ and compares its
 * findings with the expectations written in the fixtures themselves.
 *
 *   sleep(1);  // expect: blocking-in-loop       a finding of the rule on this line
 *   foo(a, b); // expect: blocking-in-loop, blocking-in-loop   two of them
 *   cb(x);     // expect-note: blocking-in-loop  some finding's trace passes here
 *   sleep(1);  // expect: blocking-in-loop(note) a finding at note severity (else: warning)
 *
 * Each .c file directly in the rule's directory is one program; each subdirectory
 * is one program of all its .c files (for chains across translation units). Only
 * the rule under test is enabled. A missing finding and an unexpected finding both
 * fail, and so does a fixture that does not parse. The places a merged finding stands
 * for (its "also": more calls of one function reached the same way) count as findings
 * at their own lines, so each line's marker says what is wrong there either way.
 *
 *   // fixture-flags: -I/usr/include/mariadb   (at the start of a line) compiler flags
 *                                             this program adds after the common ones
 *
 * usage: fixture_runner CALM_LINT RULE_DIR [compiler flags...] */
#define _GNU_SOURCE
#include <CUnit/Basic.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *calm_lint;
static const char *rule;
static char **flags;
static int nflags;

typedef struct {
  char *dir;     /* working directory for the run */
  char **files;  /* names relative to dir */
  int nfiles;
  char *name;    /* for the test name */
  char **extra;  /* flags from its fixture-flags lines, after the common ones */
  int nextra;
} program;

static program *programs;
static int nprograms;

static char *xstrdup_(const char *s) {
  char *d = strdup(s);
  if (!d) abort();
  return d;
}

static char *join(const char *a, const char *b) {
  char *s;
  if (asprintf(&s, "%s/%s", a, b) < 0) abort();
  return s;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char **list_dir(const char *dir, int *n) {
  DIR *d = opendir(dir);
  char **names = NULL;
  *n = 0;
  if (!d) return NULL;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    names = realloc(names, (size_t)(*n + 1) * sizeof *names);
    names[(*n)++] = xstrdup_(e->d_name);
  }
  closedir(d);
  if (*n) qsort(names, (size_t)*n, sizeof *names, cmp_names);
  return names;
}

static bool is_c(const char *name) {
  size_t n = strlen(name);
  return n > 2 && strcmp(name + n - 2, ".c") == 0;
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Collects the words of every line of the program's files that starts with
 * "// fixture-flags:". */
static void read_extra_flags(program *p) {
  static const char key[] = "// fixture-flags:";
  for (int f = 0; f < p->nfiles; f++) {
    char *path = join(p->dir, p->files[f]);
    FILE *in = fopen(path, "r");
    free(path);
    if (!in) continue;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, in) > 0) {
      if (strncmp(line, key, sizeof key - 1) != 0) continue;
      for (char *w = strtok(line + sizeof key - 1, " \t\n"); w; w = strtok(NULL, " \t\n")) {
        p->extra = realloc(p->extra, (size_t)(p->nextra + 1) * sizeof *p->extra);
        p->extra[p->nextra++] = xstrdup_(w);
      }
    }
    free(line);
    fclose(in);
  }
}

static void add_program(const char *dir, char **files, int nfiles, const char *name) {
  programs = realloc(programs, (size_t)(nprograms + 1) * sizeof *programs);
  programs[nprograms] = (program){xstrdup_(dir), files, nfiles, xstrdup_(name), NULL, 0};
  read_extra_flags(&programs[nprograms++]);
}

static void discover(const char *rule_dir) {
  int n;
  char **names = list_dir(rule_dir, &n);
  for (int i = 0; i < n; i++) {
    char *path = join(rule_dir, names[i]);
    if (is_dir(path)) {
      int m, k = 0;
      char **sub = list_dir(path, &m);
      char **files = calloc((size_t)m + 1, sizeof *files);
      for (int j = 0; j < m; j++) {
        if (is_c(sub[j])) files[k++] = sub[j];
        else free(sub[j]);
      }
      free(sub);
      if (k) add_program(path, files, k, names[i]);
      else free(files);
    } else if (is_c(names[i])) {
      char **files = calloc(2, sizeof *files);
      files[0] = xstrdup_(names[i]);
      add_program(rule_dir, files, 1, names[i]);
    }
    free(path);
    free(names[i]);
  }
  free(names);
}

/* Runs calm-lint in `dir` and returns its stdout. */
static char *run_lint_mode(const program *p, int *status, bool dump_ir);

static char *run_lint(const program *p, int *status) { return run_lint_mode(p, status, false); }

static char *run_lint_mode(const program *p, int *status, bool dump_ir) {
  int pipefd[2];
  if (pipe(pipefd) != 0) abort();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    close(pipefd[0]);
    close(pipefd[1]);
    if (chdir(p->dir) != 0) _exit(127);
    char **argv = calloc((size_t)(p->nfiles + nflags + p->nextra + 10), sizeof *argv);
    int a = 0;
    argv[a++] = (char *)calm_lint;
    argv[a++] = dump_ir ? "--dump-ir" : "--format=json";
    argv[a++] = "-j1";
    argv[a++] = "--enable";
    argv[a++] = (char *)rule;
    for (int i = 0; i < p->nfiles; i++) argv[a++] = p->files[i];
    argv[a++] = "--";
    for (int i = 0; i < nflags; i++) argv[a++] = flags[i];
    for (int i = 0; i < p->nextra; i++) argv[a++] = p->extra[i];
    argv[a] = NULL;
    execv(calm_lint, argv);
    _exit(127);
  }
  close(pipefd[1]);
  size_t len = 0, cap = 4096;
  char *out = malloc(cap);
  ssize_t r;
  while ((r = read(pipefd[0], out + len, cap - len - 1)) > 0) {
    len += (size_t)r;
    if (cap - len < 1024) out = realloc(out, cap *= 2);
  }
  out[len] = '\0';
  close(pipefd[0]);
  int st;
  waitpid(pid, &st, 0);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
  return out;
}

/* ---- traces exist as printed ---- */

/* A call the IR holds: where, in which function, to what (the callee's name, or for
 * an indirect call the callee's text). */
typedef struct {
  char *file;
  int line;
  const char *fn, *callee;
  bool indirect;
} ir_site;

typedef struct {
  cJSON **units;
  int nunits;
  ir_site *sites;
  int nsites;
} ir_index;

static void index_ir(const program *p, ir_index *ix) {
  int status;
  char *out = run_lint_mode(p, &status, true);
  for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
    cJSON *u = cJSON_Parse(line);
    if (!u) continue;
    ix->units = realloc(ix->units, (size_t)(ix->nunits + 1) * sizeof *ix->units);
    ix->units[ix->nunits++] = u;
    const cJSON *files = cJSON_GetObjectItem(u, "files"), *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(u, "functions")) {
      const cJSON *c;
      cJSON_ArrayForEach(c, cJSON_GetObjectItem(f, "calls")) {
        const cJSON *loc = cJSON_GetObjectItem(c, "loc");
        int fi = cJSON_GetArrayItem(loc, 0)->valueint;
        if (fi < 0) continue;
        ix->sites = realloc(ix->sites, (size_t)(ix->nsites + 1) * sizeof *ix->sites);
        ix->sites[ix->nsites++] = (ir_site){xstrdup_(cJSON_GetArrayItem(files, fi)->valuestring),
                                            cJSON_GetArrayItem(loc, 1)->valueint,
                                            cJSON_GetObjectItem(f, "name")->valuestring,
                                            cJSON_GetObjectItem(c, "name")->valuestring,
                                            cJSON_GetObjectItem(c, "usr") == NULL};
      }
    }
  }
  free(out);
}

static void index_free(ir_index *ix) {
  for (int i = 0; i < ix->nsites; i++) free(ix->sites[i].file);
  free(ix->sites);
  for (int i = 0; i < ix->nunits; i++) cJSON_Delete(ix->units[i]);
  free(ix->units);
}

/* `file` as the IR names it: absolute. */
static bool same_file(const program *p, const char *ir_file, const char *file) {
  if (file[0] == '/') return strcmp(ir_file, file) == 0;
  char *abs = join(p->dir, file);
  bool same = strcmp(ir_file, abs) == 0;
  free(abs);
  return same;
}

static bool site_exists(const program *p, const ir_index *ix, const char *file, int line, const char *fn,
                        const char *callee, bool indirect) {
  for (int i = 0; i < ix->nsites; i++) {
    const ir_site *s = &ix->sites[i];
    if (s->line == line && strcmp(s->callee, callee) == 0 && (!fn || strcmp(s->fn, fn) == 0) &&
        (!indirect || s->indirect) && same_file(p, s->file, file))
      return true;
  }
  return false;
}

/* The quoted names of a note, in order: 'a' calls 'b' through 'c' -> a, b, c. */
static int quoted(const char *msg, char names[4][128]) {
  int n = 0;
  for (const char *q = strchr(msg, '\''); q && n < 4; q = strchr(q, '\'')) {
    const char *end = strchr(q + 1, '\'');
    if (!end) break;
    snprintf(names[n++], sizeof names[0], "%.*s", (int)(end - q - 1), q + 1);
    q = end + 1;
  }
  return n;
}

/* Every step a finding prints must be in the IR as printed: a call step is a call of
 * that function to that callee (or through that pointer) at that line; a registration
 * step is a call to the registering API there. */
static bool check_traces(const program *p, const cJSON *root) {
  ir_index ix = {0};
  bool ok = true, indexed = false;
  const cJSON *d, *t;
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(root, "diagnostics")) cJSON_ArrayForEach(t, cJSON_GetObjectItem(d, "trace")) {
    const char *msg = cJSON_GetObjectItem(t, "message")->valuestring;
    const char *file = cJSON_GetObjectItem(t, "file")->valuestring;
    int line = cJSON_GetObjectItem(t, "line")->valueint;
    char names[4][128];
    int n = quoted(msg, names);
    bool call_step = n >= 2 && strstr(msg, "' calls '");
    bool through = call_step && n >= 3 && strstr(msg, "' through '");
    bool reg_step = n >= 2 && strstr(msg, ": passed to '");
    if (!call_step && !reg_step) continue;
    if (!indexed) index_ir(p, &ix), indexed = true;
    bool exists = through     ? site_exists(p, &ix, file, line, names[0], names[2], true)
                  : call_step ? site_exists(p, &ix, file, line, names[0], names[1], false)
                              : site_exists(p, &ix, file, line, NULL, names[1], false);
    if (!exists) {
      fprintf(stderr, "\n  %s: trace step not in the IR as printed: %s:%d: %s", p->name, file, line, msg);
      ok = false;
    }
  }
  index_free(&ix);
  return ok;
}

/* Expectation markers: how many findings (or notes) of `rule` each line expects. */
typedef struct {
  char *file;
  int line;
  int count;
  bool note;     /* a trace step, not a finding */
  bool sev_note; /* a finding at note severity */
  int seen;
} mark;

typedef struct {
  mark *items;
  int len;
} marks;

static void add_mark(marks *m, const char *file, int line, bool note, bool sev_note) {
  for (int i = 0; i < m->len; i++)
    if (m->items[i].line == line && m->items[i].note == note && m->items[i].sev_note == sev_note &&
        strcmp(m->items[i].file, file) == 0) {
      m->items[i].count++;
      return;
    }
  m->items = realloc(m->items, (size_t)(m->len + 1) * sizeof *m->items);
  m->items[m->len++] = (mark){xstrdup_(file), line, 1, note, sev_note, 0};
}

static void read_marks(const program *p, marks *m) {
  for (int f = 0; f < p->nfiles; f++) {
    char *path = join(p->dir, p->files[f]);
    FILE *in = fopen(path, "r");
    free(path);
    if (!in) continue;
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    while (getline(&line, &cap, in) > 0) {
      lineno++;
      const char *keys[] = {"expect-note:", "expect:"};
      for (int k = 0; k < 2; k++) {
        const char *at = strstr(line, keys[k]);
        if (!at || (k == 1 && at > line && at[-1] == '-')) continue;
        if (k == 1 && strstr(line, "expect-note:")) continue;
        const char *q = at + strlen(keys[k]);
        while (*q) {
          while (*q == ' ' || *q == ',' || *q == '\t') q++;
          const char *start = q;
          while (*q && *q != ',' && *q != ' ' && *q != '\n' && *q != '\t' && *q != '*') q++;
          size_t n = strlen(rule);
          bool named = q > start && (size_t)(q - start) >= n && strncmp(start, rule, n) == 0;
          if (named && (size_t)(q - start) == n) add_mark(m, p->files[f], lineno, k == 0, false);
          else if (named && k == 1 && (size_t)(q - start) == n + 6 && strncmp(start + n, "(note)", 6) == 0)
            add_mark(m, p->files[f], lineno, false, true);
          if (*q == '*' || *q == '\n') break;
        }
      }
    }
    free(line);
    fclose(in);
  }
}

static mark *find_mark(marks *m, const char *file, int line, bool note, bool sev_note) {
  for (int i = 0; i < m->len; i++)
    if (m->items[i].line == line && m->items[i].note == note && (note || m->items[i].sev_note == sev_note) &&
        strcmp(m->items[i].file, file) == 0)
      return &m->items[i];
  return NULL;
}

static void check_program(const program *p) {
  int status;
  char *out = run_lint(p, &status);
  cJSON *root = cJSON_Parse(out);
  if (!root) {
    fprintf(stderr, "\n  %s: calm-lint exited %d without JSON output:\n%s\n", p->name, status, out);
    CU_FAIL("calm-lint output is not JSON");
    free(out);
    return;
  }
  marks m = {0};
  read_marks(p, &m);
  bool ok = true;
  const cJSON *errors = cJSON_GetObjectItem(root, "errors");
  const cJSON *e;
  cJSON_ArrayForEach(e, errors) {
    fprintf(stderr, "\n  %s: parse error %s:%d: %s", p->name, cJSON_GetObjectItem(e, "file")->valuestring,
            cJSON_GetObjectItem(e, "line")->valueint, cJSON_GetObjectItem(e, "message")->valuestring);
    ok = false;
  }
  const cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(root, "diagnostics")) {
    const char *file = cJSON_GetObjectItem(d, "file")->valuestring;
    int line = cJSON_GetObjectItem(d, "line")->valueint;
    bool sev_note = strcmp(cJSON_GetObjectItem(d, "severity")->valuestring, "note") == 0;
    mark *mk = find_mark(&m, file, line, false, sev_note);
    if (mk && mk->seen < mk->count) {
      mk->seen++;
    } else {
      fprintf(stderr, "\n  %s: unexpected finding %s:%d (%s): %s", p->name, file, line, sev_note ? "note" : "warning",
              cJSON_GetObjectItem(d, "message")->valuestring);
      ok = false;
    }
    /* the other places a merged finding stands for are findings at their lines */
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(d, "also")) {
      const char *afile = cJSON_GetObjectItem(a, "file")->valuestring;
      int aline = cJSON_GetObjectItem(a, "line")->valueint;
      mark *am = find_mark(&m, afile, aline, false, sev_note);
      if (am && am->seen < am->count) {
        am->seen++;
      } else {
        fprintf(stderr, "\n  %s: unexpected finding %s:%d (%s), merged into %s:%d", p->name, afile, aline,
                sev_note ? "note" : "warning", file, line);
        ok = false;
      }
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(d, "trace")) {
      mark *nm =
          find_mark(&m, cJSON_GetObjectItem(t, "file")->valuestring, cJSON_GetObjectItem(t, "line")->valueint, true, false);
      if (nm) nm->seen = nm->count;
    }
  }
  for (int i = 0; i < m.len; i++) {
    if (m.items[i].seen < m.items[i].count) {
      fprintf(stderr, "\n  %s: missing %s %s:%d (expected %d, got %d)", p->name,
              m.items[i].note ? "trace note" : m.items[i].sev_note ? "finding at note severity" : "finding",
              m.items[i].file, m.items[i].line, m.items[i].count, m.items[i].seen);
      ok = false;
    }
    free(m.items[i].file);
  }
  free(m.items);
  if (!check_traces(p, root)) ok = false;
  int expected_status = 0;
  /* a note does not fail a run */
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(root, "diagnostics")) if (
      strcmp(cJSON_GetObjectItem(d, "severity")->valuestring, "note") != 0) expected_status = 1;
  if (status != expected_status && ok) {
    fprintf(stderr, "\n  %s: exit status %d, expected %d", p->name, status, expected_status);
    ok = false;
  }
  if (!ok) fputc('\n', stderr);
  CU_ASSERT(ok);
  cJSON_Delete(root);
  free(out);
}

static int current;
static void run_current(void) { check_program(&programs[current++]); }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s CALM_LINT RULE_DIR [compiler flags...]\n", argv[0]);
    return 2;
  }
  calm_lint = argv[1];
  const char *rule_dir = argv[2];
  const char *slash = strrchr(rule_dir, '/');
  rule = slash ? slash + 1 : rule_dir;
  flags = argv + 3;
  nflags = argc - 3;
  discover(rule_dir);
  if (nprograms == 0) {
    fprintf(stderr, "no fixtures in %s\n", rule_dir);
    return 1;
  }
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite suite = CU_add_suite(rule, NULL, NULL);
  for (int i = 0; i < nprograms; i++) CU_add_test(suite, programs[i].name, run_current);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
  CU_cleanup_registry();
  for (int i = 0; i < nprograms; i++) {
    for (int k = 0; k < programs[i].nfiles; k++) free(programs[i].files[k]);
    free(programs[i].files);
    for (int k = 0; k < programs[i].nextra; k++) free(programs[i].extra[k]);
    free(programs[i].extra);
    free(programs[i].dir);
    free(programs[i].name);
  }
  free(programs);
  return failed ? 1 : 0;
}
