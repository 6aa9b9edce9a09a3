/* Small shared helpers of calm-lint: checked allocation, growable arrays, string
 * buffers, an interning string pool, a string map and path utilities. */
#ifndef CALM_LINT_BASE_H
#define CALM_LINT_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Allocation that cannot fail: out of memory ends calm-lint with status 2, since a
 * linter that runs on must not report a partial answer as a complete one. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable array: declare `VEC(T) v = {0};`, push with VEC_PUSH(v, x). */
#define VEC(T) struct { T *items; size_t len, cap; }
#define VEC_RESERVE(v, n)                                                        \
  do {                                                                           \
    if ((v).len + (n) > (v).cap) {                                               \
      size_t vec_cap_ = (v).cap ? (v).cap * 2 : 8;                               \
      while (vec_cap_ < (v).len + (n)) vec_cap_ *= 2;                            \
      (v).items = xrealloc((v).items, vec_cap_ * sizeof(*(v).items));            \
      (v).cap = vec_cap_;                                                        \
    }                                                                            \
  } while (0)
#define VEC_PUSH(v, x)                                                           \
  do {                                                                           \
    VEC_RESERVE(v, 1);                                                           \
    (v).items[(v).len++] = (x);                                                  \
  } while (0)
#define VEC_FREE(v) do { free((v).items); (v).items = NULL; (v).len = (v).cap = 0; } while (0)

/* A growable NUL-terminated string. */
typedef struct {
  char *data;
  size_t len, cap;
} strbuf;
void sb_append(strbuf *sb, const char *s);
void sb_appendn(strbuf *sb, const char *s, size_t n);
void sb_appendc(strbuf *sb, char c);
void sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(strbuf *sb, const char *fmt, va_list ap);
char *sb_take(strbuf *sb); /* returns the string (never NULL) and resets the buffer */
void sb_free(strbuf *sb);

/* An interning pool: equal strings share one copy, which lives as long as the pool. */
typedef struct strpool strpool;
strpool *strpool_new(void);
const char *strpool_intern(strpool *p, const char *s);
const char *strpool_internn(strpool *p, const char *s, size_t n);
void strpool_free(strpool *p);

/* A map from string keys (copied) to pointer-sized values. */
typedef struct strmap strmap;
strmap *strmap_new(void);
bool strmap_get(const strmap *m, const char *key, void **value);
void strmap_put(strmap *m, const char *key, void *value); /* replaces */
size_t strmap_len(const strmap *m);
/* Visits entries in insertion order; stops when fn returns false. */
void strmap_each(const strmap *m, bool (*fn)(const char *key, void *value, void *ctx), void *ctx);
void strmap_free(strmap *m);

/* A map from addresses (not copied, never NULL) to pointer-sized values: a memo of
 * what was looked up for an interned string, found without reading the string. */
typedef struct ptrmap ptrmap;
ptrmap *ptrmap_new(void);
bool ptrmap_get(const ptrmap *m, const void *key, void **value);
void ptrmap_put(ptrmap *m, const void *key, void *value); /* replaces */
void ptrmap_free(ptrmap *m);

/* The first string of `s` that also appears earlier, or NULL (JSON objects with a
 * key given twice, which a parser keeps as two members). */
const char *first_duplicate(const char *const *s, size_t n);

uint64_t hash_bytes(const void *data, size_t n, uint64_t seed); /* FNV-1a, 64 bit */
/* A hash for in-memory tables only (word at a time, several times faster than
 * hash_bytes on long keys); never store it: it may change between builds. */
uint64_t hash_fast(const void *data, size_t n, uint64_t seed);
/* Mixes one 64-bit value into a well-spread one (splitmix64's finaliser). */
static inline uint64_t hash_mix(uint64_t h) {
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

/* Paths. Returned strings are malloc'd. */
char *path_join(const char *dir, const char *name);
char *path_dirname(const char *path);
char *path_absolute(const char *path, const char *base); /* lexical: no symlinks resolved */
char *path_normalize(const char *path);                  /* removes ".", "..", "//" lexically */
bool path_is_under(const char *path, const char *dir);
bool path_is_dir(const char *path);
bool path_is_file(const char *path);
/* Walks from `start` (a file or directory) up to the root; returns the first
 * `dir/name` that exists as a file, or NULL. */
char *path_find_upward(const char *start, const char *name);

/* Percent-encodes a path for a URI: everything but unreserved characters and '/'.
 * Malloc'd. */
char *uri_encode_path(const char *path);

/* Line and column (1-based) of byte `offset` in `text`, for error messages. */
void text_position(const char *text, size_t offset, unsigned *line, unsigned *col);

/* Size limits of what calm-lint reads: generous for real inputs, small enough that a
 * runaway input (a corrupted cache entry, a huge file behind a symlink) fails fast. */
#define FILE_LIMIT_DEFAULT ((size_t)256 << 20) /* sources, compile databases, baselines, cache entries */
#define FILE_LIMIT_CONFIG ((size_t)16 << 20)   /* configurations and model files */

/* Reads a whole regular file of at most `limit` bytes (0: FILE_LIMIT_DEFAULT) into a
 * NUL-terminated buffer. Anything but a regular file (a FIFO, /dev/zero, a directory)
 * is refused before it is read, so a read never blocks or grows without bound.
 * Returns NULL on failure with errno set (EINVAL: not a regular file, EFBIG: over the
 * limit, else open's or read's) and, if `why` is not NULL, *why a malloc'd one-line
 * reason for an error message. */
char *file_read_limited(const char *path, size_t limit, size_t *len, char **why);
/* file_read_limited with the default limit and no reason. */
char *file_read(const char *path, size_t *len);
/* The same checks for a file another library will read (libclang reads compile
 * databases and sources itself): NULL if `path` is a regular file of at most `limit`
 * bytes (0: the default), else a malloc'd one-line reason. */
char *file_check(const char *path, size_t limit);

/* Replaces the regular file `path` with `len` bytes of `data`: written to a new
 * temporary file beside the target and renamed over it, so a reader never sees half
 * a file and an interrupted run leaves the old one whole. With `follow_links`, a
 * symlink at `path` is resolved and the file it points to is replaced (the link
 * stays); without, the link itself is replaced. A target that exists and is not a
 * regular file (/dev/full, a directory) is refused. An existing file keeps its mode.
 * Returns 0, or -1 with *why set to a malloc'd one-line reason. */
int file_write_atomic(const char *path, const char *data, size_t len, bool follow_links, char **why);

/* `s` made safe to echo in a one-line message: control characters, quotes, backslashes
 * and bytes above 0x7e are escaped as in C (\n, \x1b), and text beyond `max` bytes
 * is cut with "...". Malloc'd. */
char *text_escape(const char *s, size_t max);

/* Points file descriptor 2 at /dev/null until stderr_restore(saved), for library
 * calls that print their own diagnostics on stderr (libclang's compile-database
 * reader) where calm-lint prints a better one-line error. Returns the saved
 * descriptor (-1: nothing was changed). Not for use while other threads write stderr. */
int stderr_silence(void);
void stderr_restore(int saved);

int cpu_count(void);

#endif
