/* Implementation of the small shared helpers declared in base.h. */
#define _GNU_SOURCE
#include "base.h"

#include <errno.h>
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

uint64_t hash_bytes(const void *data, size_t n, uint64_t seed) {
  const unsigned char *p = data;
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
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
  map_slot *s = map_find(m, key, n, hash_bytes(key, n, 0));
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
  uint64_t h = hash_bytes(key, n, 0);
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

char *file_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  strbuf sb = {0};
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_appendn(&sb, buf, n);
  int err = ferror(f) ? errno : 0;
  fclose(f);
  if (err) {
    sb_free(&sb);
    errno = err;
    return NULL;
  }
  if (len) *len = sb.len;
  return sb_take(&sb);
}

int cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}
