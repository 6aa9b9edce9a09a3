#ifndef NET_H
#define NET_H
#include <uv.h>
/* Starts the heartbeat timer on loop; 0 or a negative libuv error. */
int net_start(uv_loop_t *loop, uv_timer_t *timer);
#endif
