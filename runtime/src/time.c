/* time.c -- the monotonic clock in milliseconds and status messages. */
#include <string.h>
#include <time.h>

#include "calm.h"

calm_time calm_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (calm_time)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

calm_time calm_after(int64_t ms)
{
    return calm_now() + ms;
}
