/* LSP framing: "Content-Length: N\r\n\r\n" then N bytes of JSON. Other headers
 * (Content-Type) are accepted and ignored. */
#define _GNU_SOURCE
#include "jsonrpc.h"

#include <errno.h>
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
  memset(r, 0, sizeof *r);
}

/* Returns the body length of a complete header block at the start of the buffer,
 * with *header_len set, 0 if more input is needed, -1 on a malformed header. */
static long parse_header(const rpc_reader *r, size_t *header_len) {
  const char *end = memmem(r->buf, r->len, "\r\n\r\n", 4);
  if (!end) return r->len > 8192 ? -1 : 0;
  *header_len = (size_t)(end - r->buf) + 4;
  long length = -1;
  for (const char *line = r->buf; line < end;) {
    const char *eol = memmem(line, (size_t)(end - line) + 2, "\r\n", 2);
    if (strncasecmp(line, "Content-Length:", 15) == 0) length = strtol(line + 15, NULL, 10);
    line = eol + 2;
  }
  return length < 0 || (unsigned long)length > MAX_MESSAGE ? -1 : length;
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
    size_t header = 0;
    long body = r->len ? parse_header(r, &header) : 0;
    if (body < 0) return -1;
    if (header && r->len >= header + (size_t)body) {
      *msg = cJSON_ParseWithLength(r->buf + header, (size_t)body);
      memmove(r->buf, r->buf + header + body, r->len - header - (size_t)body);
      r->len -= header + (size_t)body;
      if (*msg) return 1;
      continue; /* not JSON: skip it, as a server must not die of one bad message */
    }
    if (r->eof) return -1;
    int rc = fill(r, timeout_ms);
    if (rc <= 0) return rc;
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
