/* Implementation of the small shared helpers declared in base.h. */
#define _GNU_SOURCE
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void out_of_memory(void) {
  fputs("calm-lint: error: out of memory\n", stderr);
  exit(2);
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) out_of_memory();
  return p;
}

void *xcalloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) out_of_memory();
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) out_of_memory();
  return q;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n) {
  char *d = xmalloc(n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *xasprintf(const char *fmt, ...) {
  strbuf sb = {0};
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  return sb_take(&sb);
}

/* ---- strbuf ---- */

static void sb_grow(strbuf *sb, size_t extra) {
  if (sb->len + extra + 1 <= sb->cap) return;
  size_t cap = sb->cap ? sb->cap * 2 : 64;
  while (cap < sb->len + extra + 1) cap *= 2;
  sb->data = xrealloc(sb->data, cap);
  sb->cap = cap;
}

void sb_appendn(strbuf *sb, const char *s, size_t n) {
  sb_grow(sb, n);
  memcpy(sb->data + sb->len, s, n);
  sb->len += n;
  sb->data[sb->len] = '\0';
}

void sb_append(strbuf *sb, const char *s) { sb_appendn(sb, s, strlen(s)); }

void sb_appendc(strbuf *sb, char c) { sb_appendn(sb, &c, 1); }

void sb_vprintf(strbuf *sb, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return;
  sb_grow(sb, (size_t)n);
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
  sb->len += (size_t)n;
}

void sb_printf(strbuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(sb, fmt, ap);
  va_end(ap);
}

char *sb_take(strbuf *sb) {
  char *s = sb->data ? sb->data : xstrdup("");
  sb->data = NULL;
  sb->len = sb->cap = 0;
  return s;
}

void sb_free(strbuf *sb) {
  free(sb->data);
  sb->data = NULL;
  sb->len = sb->cap = 0;
}

/* ---- hashing, string map and pool (open addressing, linear probing) ---- */

const char *first_duplicate(const char *const *s, size_t n) {
  if (n < 2) return NULL;
  strmap *seen = strmap_new();
  const char *dup = NULL;
  for (size_t i = 0; i < n && !dup; i++) {
    void *unused;
    if (strmap_get(seen, s[i], &unused)) dup = s[i];
    else strmap_put(seen, s[i], NULL);
  }
  strmap_free(seen);
  return dup;
}

uint64_t hash_bytes(const void *data, size_t n, uint64_t seed) {
  const unsigned char *p = data;
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t hash_fast(const void *data, size_t n, uint64_t seed) {
  const unsigned char *p = data;
  uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  uint64_t w = 0;
  memcpy(&w, p, n);
  return hash_mix(h ^ w);
}

typedef struct {
  char *key;
  size_t keylen;
  uint64_t hash;
  void *value;
  size_t order; /* insertion index, for deterministic iteration */
} map_slot;

struct strmap {
  map_slot *slots; /* capacity is a power of two */
  size_t cap, len;
  VEC(size_t) order; /* slot index of each entry in insertion order */
};

strmap *strmap_new(void) {
  strmap *m = xcalloc(1, sizeof *m);
  m->cap = 16;
  m->slots = xcalloc(m->cap, sizeof *m->slots);
  return m;
}

static map_slot *map_find(const strmap *m, const char *key, size_t n, uint64_t h) {
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    map_slot *s = &m->slots[i];
    if (!s->key) return s;
    if (s->hash == h && s->keylen == n && memcmp(s->key, key, n) == 0) return s;
  }
}

static void map_rehash(strmap *m) {
  map_slot *old = m->slots;
  size_t oldcap = m->cap;
  m->cap *= 2;
  m->slots = xcalloc(m->cap, sizeof *m->slots);
  for (size_t i = 0; i < oldcap; i++) {
    if (!old[i].key) continue;
    map_slot *s = map_find(m, old[i].key, old[i].keylen, old[i].hash);
    *s = old[i];
    m->order.items[s->order] = (size_t)(s - m->slots);
  }
  free(old);
}

static map_slot *map_lookup_n(const strmap *m, const char *key, size_t n) {
  map_slot *s = map_find(m, key, n, hash_fast(key, n, 0));
  return s->key ? s : NULL;
}

bool strmap_get(const strmap *m, const char *key, void **value) {
  map_slot *s = map_lookup_n(m, key, strlen(key));
  if (!s) return false;
  if (value) *value = s->value;
  return true;
}

static map_slot *map_insert_n(strmap *m, const char *key, size_t n, bool *fresh) {
  if ((m->len + 1) * 4 > m->cap * 3) map_rehash(m);
  uint64_t h = hash_fast(key, n, 0);
  map_slot *s = map_find(m, key, n, h);
  *fresh = !s->key;
  if (*fresh) {
    s->key = xstrndup(key, n);
    s->keylen = n;
    s->hash = h;
    s->order = m->order.len;
    VEC_PUSH(m->order, (size_t)(s - m->slots));
    m->len++;
  }
  return s;
}

void strmap_put(strmap *m, const char *key, void *value) {
  bool fresh;
  map_slot *s = map_insert_n(m, key, strlen(key), &fresh);
  s->value = value;
}

size_t strmap_len(const strmap *m) { return m->len; }

void strmap_each(const strmap *m, bool (*fn)(const char *, void *, void *), void *ctx) {
  for (size_t i = 0; i < m->order.len; i++) {
    map_slot *s = &m->slots[m->order.items[i]];
    if (!fn(s->key, s->value, ctx)) return;
  }
}

void strmap_free(strmap *m) {
  if (!m) return;
  for (size_t i = 0; i < m->cap; i++) free(m->slots[i].key);
  free(m->slots);
  VEC_FREE(m->order);
  free(m);
}

typedef struct {
  const void *key; /* NULL: empty */
  void *value;
} ptr_slot;

struct ptrmap {
  ptr_slot *slots; /* capacity is a power of two */
  size_t cap, len;
};

ptrmap *ptrmap_new(void) {
  ptrmap *m = xcalloc(1, sizeof *m);
  m->cap = 16;
  m->slots = xcalloc(m->cap, sizeof *m->slots);
  return m;
}

static ptr_slot *ptr_find(const ptrmap *m, const void *key) {
  size_t mask = m->cap - 1;
  for (size_t i = hash_mix((uint64_t)(uintptr_t)key) & mask;; i = (i + 1) & mask)
    if (m->slots[i].key == key || !m->slots[i].key) return &m->slots[i];
}

bool ptrmap_get(const ptrmap *m, const void *key, void **value) {
  const ptr_slot *s = ptr_find(m, key);
  if (!s->key) return false;
  if (value) *value = s->value;
  return true;
}

void ptrmap_put(ptrmap *m, const void *key, void *value) {
  if ((m->len + 1) * 2 > m->cap) {
    ptr_slot *old = m->slots;
    size_t oldcap = m->cap;
    m->cap *= 2;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < oldcap; i++)
      if (old[i].key) *ptr_find(m, old[i].key) = old[i];
    free(old);
  }
  ptr_slot *s = ptr_find(m, key);
  if (!s->key) m->len++;
  s->key = key;
  s->value = value;
}

void ptrmap_free(ptrmap *m) {
  if (!m) return;
  free(m->slots);
  free(m);
}

struct strpool {
  strmap *map; /* the key copy is the interned string */
};

strpool *strpool_new(void) {
  strpool *p = xmalloc(sizeof *p);
  p->map = strmap_new();
  return p;
}

const char *strpool_internn(strpool *p, const char *s, size_t n) {
  bool fresh;
  map_slot *slot = map_insert_n(p->map, s, n, &fresh);
  return slot->key;
}

const char *strpool_intern(strpool *p, const char *s) {
  return s ? strpool_internn(p, s, strlen(s)) : NULL;
}

void strpool_free(strpool *p) {
  if (!p) return;
  strmap_free(p->map);
  free(p);
}

/* ---- paths ---- */

char *path_join(const char *dir, const char *name) {
  if (name[0] == '/' || !dir || !dir[0]) return xstrdup(name);
  size_t n = strlen(dir);
  return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

char *path_dirname(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return xstrdup(".");
  if (slash == path) return xstrdup("/");
  return xstrndup(path, (size_t)(slash - path));
}

char *path_normalize(const char *path) {
  bool abs = path[0] == '/';
  VEC(const char *) parts = {0};
  VEC(size_t) lens = {0};
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    const char *start = p;
    while (*p && *p != '/') p++;
    size_t n = (size_t)(p - start);
    if (n == 0 || (n == 1 && start[0] == '.')) continue;
    if (n == 2 && start[0] == '.' && start[1] == '.') {
      if (parts.len && !(lens.items[lens.len - 1] == 2 && parts.items[parts.len - 1][0] == '.' &&
                         parts.items[parts.len - 1][1] == '.')) {
        parts.len--;
        lens.len--;
        continue;
      }
      if (abs) continue;
    }
    VEC_PUSH(parts, start);
    VEC_PUSH(lens, n);
  }
  strbuf sb = {0};
  if (abs) sb_appendc(&sb, '/');
  for (size_t i = 0; i < parts.len; i++) {
    if (i) sb_appendc(&sb, '/');
    sb_appendn(&sb, parts.items[i], lens.items[i]);
  }
  if (sb.len == 0) sb_appendc(&sb, '.');
  VEC_FREE(parts);
  VEC_FREE(lens);
  return sb_take(&sb);
}

char *path_absolute(const char *path, const char *base) {
  if (path[0] == '/') return path_normalize(path);
  char *owned = NULL;
  if (!base) {
    owned = getcwd(NULL, 0);
    if (!owned) owned = xstrdup("/");
    base = owned;
  }
  char *joined = path_join(base, path);
  char *norm = path_normalize(joined);
  free(joined);
  free(owned);
  return norm;
}

bool path_is_under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  if (strncmp(path, dir, n) != 0) return false;
  return path[n] == '/' || path[n] == '\0' || (n == 1 && dir[0] == '/');
}

bool path_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *path_find_upward(const char *start, const char *name) {
  char *dir = path_is_dir(start) ? path_absolute(start, NULL) : NULL;
  if (!dir) {
    char *abs = path_absolute(start, NULL);
    dir = path_dirname(abs);
    free(abs);
  }
  for (;;) {
    char *candidate = path_join(dir, name);
    if (path_is_file(candidate)) {
      free(dir);
      return candidate;
    }
    free(candidate);
    if (strcmp(dir, "/") == 0) break;
    char *up = path_dirname(dir);
    free(dir);
    dir = up;
  }
  free(dir);
  return NULL;
}

char *uri_encode_path(const char *path) {
  static const char hex[] = "0123456789ABCDEF";
  strbuf sb = {0};
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
      sb_appendc(&sb, (char)*p);
    } else {
      sb_appendc(&sb, '%');
      sb_appendc(&sb, hex[*p >> 4]);
      sb_appendc(&sb, hex[*p & 15]);
    }
  }
  if (!sb.data) return xstrdup("");
  return sb_take(&sb);
}

void text_position(const char *text, size_t offset, unsigned *line, unsigned *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < offset && text[i]; i++) {
    if (text[i] == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}

static const char *file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a plain file";
}

static size_t effective_limit(size_t limit) { return limit ? limit : FILE_LIMIT_DEFAULT; }

static char *limit_reason(size_t limit) {
  if (limit >= (1u << 20) && limit % (1u << 20) == 0) return xasprintf("larger than the %zu MiB limit", limit >> 20);
  return xasprintf("larger than the %zu byte limit", limit);
}

/* NULL if `st` is a regular file within `limit`, else the reason with *err set. */
static char *stat_reason(const struct stat *st, size_t limit, int *err) {
  if (!S_ISREG(st->st_mode)) {
    *err = EINVAL;
    return xasprintf("not a regular file (%s)", file_kind(st->st_mode));
  }
  if ((uintmax_t)st->st_size > limit) {
    *err = EFBIG;
    return limit_reason(limit);
  }
  return NULL;
}

static char *errno_reason(int *err) {
  *err = errno;
  return xstrdup(strerror(*err));
}

static char *fail_with(char **why, char *reason, int err) {
  if (why) *why = reason;
  else free(reason);
  errno = err;
  return NULL;
}

static char *check_path(const char *path, size_t limit, int *err) {
  struct stat st;
  if (stat(path, &st) != 0) return errno_reason(err);
  return stat_reason(&st, limit, err);
}

char *file_check(const char *path, size_t limit) {
  int err;
  return check_path(path, effective_limit(limit), &err);
}

char *file_read_limited(const char *path, size_t limit, size_t *len, char **why) {
  if (why) *why = NULL;
  limit = effective_limit(limit);
  /* stat before open: opening a FIFO waits for a writer, and opening some devices
   * has effects of its own */
  int err = 0;
  char *reason = check_path(path, limit, &err);
  if (reason) return fail_with(why, reason, err);
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    reason = errno_reason(&err);
    return fail_with(why, reason, err);
  }
  /* again on what was opened: the path may have been replaced in between */
  struct stat st;
  reason = fstat(fd, &st) != 0 ? errno_reason(&err) : stat_reason(&st, limit, &err);
  if (reason) {
    close(fd);
    return fail_with(why, reason, err);
  }
  /* a file may grow while it is read, or claim size 0 (/proc): read to the end, within the limit */
  size_t cap = (size_t)st.st_size + 1, n = 0;
  if (cap < 4096) cap = 4096;
  char *buf = xmalloc(cap);
  for (;;) {
    if (n + 1 == cap) {
      if (n >= limit + 1) break;
      cap = cap * 2 > limit + 2 ? limit + 2 : cap * 2;
      buf = xrealloc(buf, cap);
    }
    ssize_t got = read(fd, buf + n, cap - n - 1);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      reason = errno_reason(&err);
      close(fd);
      free(buf);
      return fail_with(why, reason, err);
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  close(fd);
  if (n > limit) {
    free(buf);
    return fail_with(why, limit_reason(limit), EFBIG);
  }
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

char *file_read(const char *path, size_t *len) { return file_read_limited(path, 0, len, NULL); }

/* The file a chain of symlinks at `path` ends at (which need not exist yet). */
static char *resolve_links(const char *path, char **why) {
  char *cur = xstrdup(path);
  for (int depth = 0;; depth++) {
    struct stat st;
    if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
    if (depth == 40) {
      free(cur);
      *why = xstrdup(strerror(ELOOP));
      return NULL;
    }
    char target[4096];
    ssize_t n = readlink(cur, target, sizeof target - 1);
    if (n < 0) {
      *why = xstrdup(strerror(errno));
      free(cur);
      return NULL;
    }
    target[n] = '\0';
    char *dir = path_dirname(cur);
    char *next = target[0] == '/' ? xstrdup(target) : path_join(dir, target);
    free(dir);
    free(cur);
    cur = next;
  }
}

int file_write_atomic(const char *path, const char *data, size_t len, bool follow_links, char **why) {
  *why = NULL;
  char *target = follow_links ? resolve_links(path, why) : xstrdup(path);
  if (!target) return -1;
  struct stat st;
  bool exists = (follow_links ? stat(target, &st) : lstat(target, &st)) == 0;
  if (exists && !S_ISREG(st.st_mode) && !(!follow_links && S_ISLNK(st.st_mode))) {
    *why = xasprintf("not a regular file (%s)", file_kind(st.st_mode));
    free(target);
    return -1;
  }
  /* mkstemp: a new file of our own (O_EXCL), never one a link at a guessable name points to */
  char *tmp = xasprintf("%s.XXXXXX", target);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    *why = xstrdup(strerror(errno));
    free(tmp);
    free(target);
    return -1;
  }
  mode_t mode;
  if (exists && S_ISREG(st.st_mode)) {
    mode = st.st_mode & 07777;
  } else {
    mode_t mask = umask(0); /* the mode a plain creat() would give */
    umask(mask);
    mode = 0666 & ~mask;
  }
  int err = fchmod(fd, mode) != 0 ? errno : 0;
  for (size_t off = 0; !err && off < len;) {
    ssize_t n = write(fd, data + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    else off += (size_t)n;
  }
  if (close(fd) != 0 && !err) err = errno;
  if (!err && rename(tmp, target) != 0) err = errno;
  if (err) {
    unlink(tmp);
    *why = xstrdup(strerror(err));
  }
  free(tmp);
  free(target);
  return err ? -1 : 0;
}

char *text_escape(const char *s, size_t max) {
  strbuf sb = {0};
  size_t i = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++, i++) {
    if (i == max) {
      sb_append(&sb, "...");
      break;
    }
    switch (*p) {
    case '\n': sb_append(&sb, "\\n"); break;
    case '\r': sb_append(&sb, "\\r"); break;
    case '\t': sb_append(&sb, "\\t"); break;
    case '\\': sb_append(&sb, "\\\\"); break;
    case '\'': sb_append(&sb, "\\'"); break;
    case '"': sb_append(&sb, "\\\""); break;
    default:
      if (*p < 0x20 || *p > 0x7e) sb_printf(&sb, "\\x%02x", *p);
      else sb_appendc(&sb, (char)*p);
    }
  }
  if (!sb.data) return xstrdup("");
  return sb_take(&sb);
}

int stderr_silence(void) {
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  if (saved < 0) return -1;
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null < 0 || dup2(null, STDERR_FILENO) < 0) {
    if (null >= 0) close(null);
    close(saved);
    return -1;
  }
  close(null);
  return saved;
}

void stderr_restore(int saved) {
  if (saved < 0) return;
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
}

int cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}
