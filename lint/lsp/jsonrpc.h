/* JSON-RPC over a byte stream with LSP's Content-Length framing. */
#ifndef CALM_LINT_JSONRPC_H
#define CALM_LINT_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct {
  int fd;
  char *buf; /* bytes read and not yet consumed */
  size_t len, cap;
  size_t skip;   /* bytes of an oversized body still to drop */
  bool eof;
  char *problem; /* the last framing error, set when rpc_read returns 2 */
} rpc_reader;

void rpc_reader_init(rpc_reader *r, int fd);
void rpc_reader_free(rpc_reader *r);

/* Waits up to `timeout_ms` (-1: forever) for one message. Returns 1 with *msg set
 * (the caller deletes it), 0 on timeout, -1 at end of input, 2 after a framing error
 * (a body that is not JSON or over 64 MiB, a header without a valid Content-Length,
 * input that ends inside a message, a read error), with r->problem saying which in
 * one line: the caller logs it and reads on, past the bad message where the stream
 * allows. */
int rpc_read(rpc_reader *r, int timeout_ms, cJSON **msg);

/* Writes `msg` framed to `fd`; deletes it. Returns 0, or -1 if the peer is gone. */
int rpc_write(int fd, cJSON *msg);

/* Helpers building the three message shapes (`id` is copied). */
cJSON *rpc_response(const cJSON *id, cJSON *result);
cJSON *rpc_error(const cJSON *id, int code, const char *message);
cJSON *rpc_notification(const char *method, cJSON *params);

#endif
