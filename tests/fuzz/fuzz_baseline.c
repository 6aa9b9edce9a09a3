/* Fuzzes baseline files: applying one to a small list of findings. */
#include "fuzz_input.h"

#include <string.h>

#include "../../lint/base/base.h"
#include "../../lint/report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = fuzz_input_fd(data, size);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  diag_list diags = {0};
  ir_loc a = {"/src/a.c", 3, 5, 3, 9}, b = {"/src/b.c", 10, 1, 10, 4};
  diag_add(&diags, "blocking-in-loop", SEV_WARNING, a, xstrdup("blocking call 'sleep' in loop callback 'cb'"));
  diag_add(&diags, "unawaited-task", SEV_WARNING, b, xstrdup("task handle of 'calm_spawn' is dropped"));
  report_input in = {.diags = &diags, .files = 2, .functions = 2, .cwd = "/src"};
  char *err = NULL;
  if (baseline_apply(path, &diags, &in, &err) != 0 && (!err || strchr(err, '\n'))) abort();
  free(err);
  diag_list_free(&diags);
  close(fd);
  return 0;
}
