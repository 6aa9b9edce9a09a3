#include "net/net.h"

int main(void) {
  uv_loop_t *loop = uv_default_loop();
  uv_timer_t timer;
  if (net_start(loop, &timer) != 0) return 1;
  return uv_run(loop, UV_RUN_DEFAULT);
}
