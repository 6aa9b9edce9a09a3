/* Fuzzes the language server's framing: every message in the input is read or
 * reported, the reader never stops early or loops, and a problem is one line. */
#include "fuzz_input.h"

#include <string.h>

#include "../../lint/base/base.h"
#include "../../lint/lsp/jsonrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = fuzz_input_fd(data, size);
  rpc_reader r;
  rpc_reader_init(&r, fd);
  /* each round consumes a message, a problem or input: more rounds than bytes is a loop */
  size_t rounds = 0;
  for (;; rounds++) {
    if (rounds > size + 16) abort();
    cJSON *msg = NULL;
    int rc = rpc_read(&r, 0, &msg);
    cJSON_Delete(msg);
    if (rc == 2 && (!r.problem || strchr(r.problem, '\n'))) abort();
    if (rc < 0) break;
  }
  rpc_reader_free(&r);
  close(fd);
  return 0;
}
