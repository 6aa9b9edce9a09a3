#include "net/net.h"

#include "store/store.h"

/* libuv runs this on the loop thread: the journal write blocks every other client */
static void on_tick(uv_timer_t *timer) {
  (void)timer;
  store_append("tick\n");
}

int net_start(uv_loop_t *loop, uv_timer_t *timer) {
  int rc = uv_timer_init(loop, timer);
  return rc ? rc : uv_timer_start(timer, on_tick, TICK_MS, TICK_MS);
}
