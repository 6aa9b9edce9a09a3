/* Fuzzes the binary summary reader (parse workers' replies, cache entries, shards).
 * The first byte chooses how the rest is read: as a whole summary, or as a body behind
 * a header this target writes, so mutations reach the body instead of dying on a
 * length that no longer matches. What reads back must encode to the same bytes and
 * print as JSON (which walks every array through its indices). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lint/ir/summary_bin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *bin, size_t len) {
  char *err = NULL;
  ir_summary *s = ir_summary_from_bin(bin, len, NULL, &err);
  if ((s == NULL) == (err == NULL) || (err && strchr(err, '\n'))) abort();
  free(err);
  if (!s) return;
  size_t n;
  void *again = ir_summary_to_bin(s, NULL, s->includes != NULL, &n);
  ir_summary *back = ir_summary_from_bin(again, n, NULL, &err);
  if (!back) abort();
  char *a = ir_summary_to_json(s), *b = ir_summary_to_json(back);
  if (strcmp(a, b) != 0) abort();
  free(a);
  free(b);
  free(again);
  ir_summary_free(back);
  ir_summary_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) {
    check(data + 1, size - 1);
    return 0;
  }
  size_t body = size - 1, head = 4 + 4 + 1 + 8;
  uint8_t *bin = malloc(head + body);
  memcpy(bin, "CLMS", 4);
  for (int i = 0; i < 4; i++) bin[4 + i] = (uint8_t)(IR_SUMMARY_FORMAT >> (8 * i));
  bin[8] = 0; /* no build id */
  for (int i = 0; i < 8; i++) bin[9 + i] = (uint8_t)((uint64_t)body >> (8 * i));
  memcpy(bin + head, data + 1, body);
  check(bin, head + body);
  free(bin);
  return 0;
}
