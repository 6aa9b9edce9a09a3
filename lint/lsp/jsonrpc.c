/* LSP framing: "Content-Length: N\r\n\r\n" then N bytes of JSON. Other headers
 * (Content-Type) are accepted and ignored. A framing error is reported and, where
 * the stream allows, read past: a body that is too big is dropped as it arrives, a
 * header without a length is skipped up to the next Content-Length. */
#define _GNU_SOURCE
#include "jsonrpc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../base/base.h"

#define MAX_MESSAGE (64u << 20) /* a buffer bigger than this is not an editor's */

void rpc_reader_init(rpc_reader *r, int fd) {
  memset(r, 0, sizeof *r);
  r->fd = fd;
}

void rpc_reader_free(rpc_reader *r) {
  free(r->buf);
  free(r->problem);
  memset(r, 0, sizeof *r);
}

enum { HEADER_MORE, HEADER_OK, HEADER_BAD, HEADER_TOO_BIG };

/* Reads the header block at the start of the buffer: HEADER_OK with its length and
 * the body's, HEADER_MORE if it is not complete yet, HEADER_BAD if no body length can
 * be told, HEADER_TOO_BIG (lengths set) for a body over MAX_MESSAGE. */
static int parse_header(const rpc_reader *r, size_t *header_len, size_t *body_len) {
  const char *end = memmem(r->buf, r->len, "\r\n\r\n", 4);
  if (!end) return r->len > 8192 ? HEADER_BAD : HEADER_MORE;
  *header_len = (size_t)(end - r->buf) + 4;
  bool found = false;
  unsigned long long length = 0;
  for (const char *line = r->buf; line < end;) {
    const char *eol = memmem(line, (size_t)(end - line) + 2, "\r\n", 2);
    if ((size_t)(eol - line) > 15 && strncasecmp(line, "Content-Length:", 15) == 0) {
      const char *p = line + 15;
      while (p < eol && (*p == ' ' || *p == '\t')) p++;
      if (p == eol) return HEADER_BAD;
      length = 0;
      for (; p < eol && *p >= '0' && *p <= '9'; p++)
        length = length > ULLONG_MAX / 10 ? ULLONG_MAX : length * 10 + (unsigned)(*p - '0');
      while (p < eol && (*p == ' ' || *p == '\t')) p++;
      if (p != eol) return HEADER_BAD;
      found = true;
    }
    line = eol + 2;
  }
  if (!found) return HEADER_BAD;
  *body_len = length > SIZE_MAX ? SIZE_MAX : (size_t)length;
  return length > MAX_MESSAGE ? HEADER_TOO_BIG : HEADER_OK;
}

static void drop(rpc_reader *r, size_t n) {
  memmove(r->buf, r->buf + n, r->len - n);
  r->len -= n;
}

/* After a header that gives no length, the next message starts at the next line
 * that begins with "Content-Length:" (the header every client sends first): drop
 * what comes before. Always drops at least one byte, so a bad header cannot repeat. */
static void resync(rpc_reader *r) {
  static const char key[] = "content-length:";
  size_t k = sizeof key - 1;
  for (size_t i = 1; i < r->len; i++) {
    if (r->buf[i - 1] != '\n') continue;
    size_t n = r->len - i < k ? r->len - i : k; /* the key, or the start of it at the end */
    if (strncasecmp(r->buf + i, key, n) == 0) {
      drop(r, i);
      return;
    }
  }
  drop(r, r->len);
}

static void set_problem(rpc_reader *r, char *problem) {
  free(r->problem);
  r->problem = problem;
}

static int fill(rpc_reader *r, int timeout_ms) {
  struct pollfd p = {r->fd, POLLIN, 0};
  int n = poll(&p, 1, timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -1;
  if (n == 0) return 0;
  if (r->len + 65536 > r->cap) {
    r->cap = (r->len + 65536) * 2;
    r->buf = xrealloc(r->buf, r->cap);
  }
  ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len - 1);
  if (got < 0) return errno == EINTR || errno == EAGAIN ? 0 : -1;
  if (got == 0) {
    r->eof = true;
    return -1;
  }
  r->len += (size_t)got;
  return 1;
}

int rpc_read(rpc_reader *r, int timeout_ms, cJSON **msg) {
  *msg = NULL;
  for (;;) {
    if (r->skip) {
      /* the body of a message too big to keep is dropped as it arrives */
      size_t n = r->skip < r->len ? r->skip : r->len;
      drop(r, n);
      r->skip -= n;
    }
    size_t header = 0, body = 0;
    int h = r->skip || !r->len ? HEADER_MORE : parse_header(r, &header, &body);
    if (h == HEADER_OK && r->len >= header + body) {
      *msg = cJSON_ParseWithLength(r->buf + header, body);
      drop(r, header + body);
      if (*msg) return 1;
      /* not JSON: skip it, as a server must not die of one bad message */
      set_problem(r, xasprintf("a message body of %zu bytes is not JSON: skipped", body));
      return 2;
    }
    if (h == HEADER_TOO_BIG) {
      drop(r, header);
      r->skip = body;
      set_problem(r, xasprintf("a message of %zu bytes is over the %u MiB limit: skipped", body, MAX_MESSAGE >> 20));
      return 2;
    }
    if (h == HEADER_BAD) {
      resync(r);
      set_problem(r, xstrdup("a message header without a valid Content-Length: skipped to the next header"));
      return 2;
    }
    if (r->eof) {
      if (r->len || r->skip) {
        set_problem(r, xstrdup("the input ended inside a message"));
        r->len = r->skip = 0;
        return 2;
      }
      return -1;
    }
    int rc = fill(r, timeout_ms);
    if (rc < 0 && !r->eof) {
      set_problem(r, xasprintf("cannot read the client's messages: %s", strerror(errno)));
      r->eof = true;
      r->len = r->skip = 0;
      return 2;
    }
    if (rc < 0) continue; /* end of input: said above, once what is buffered is looked at */
    if (rc == 0) return 0;
    /* more bytes arrived: once they make a whole message it is returned at once */
    timeout_ms = 0;
  }
}

int rpc_write(int fd, cJSON *msg) {
  char *body = cJSON_PrintUnformatted(msg);
  cJSON_Delete(msg);
  char *framed = xasprintf("Content-Length: %zu\r\n\r\n%s", strlen(body), body);
  cJSON_free(body);
  size_t len = strlen(framed), off = 0;
  int rc = 0;
  while (off < len) {
    ssize_t n = write(fd, framed + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      rc = -1;
      break;
    }
    off += (size_t)n;
  }
  free(framed);
  return rc;
}

static cJSON *base_message(const cJSON *id) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "jsonrpc", "2.0");
  cJSON_AddItemToObject(m, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
  return m;
}

cJSON *rpc_response(const cJSON *id, cJSON *result) {
  cJSON *m = base_message(id);
  cJSON_AddItemToObject(m, "result", result ? result : cJSON_CreateNull());
  return m;
}

cJSON *rpc_error(const cJSON *id, int code, const char *message) {
  cJSON *m = base_message(id);
  cJSON *e = cJSON_AddObjectToObject(m, "error");
  cJSON_AddNumberToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", message);
  return m;
}

cJSON *rpc_notification(const char *method, cJSON *params) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "jsonrpc", "2.0");
  cJSON_AddStringToObject(m, "method", method);
  cJSON_AddItemToObject(m, "params", params);
  return m;
}
