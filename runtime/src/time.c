/* time.c -- the monotonic clock in milliseconds and the status messages. */
#include <string.h>
#include <time.h>

#include "internal.h"

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

int64_t calm__clock_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Statuses with a meaning of their own in calm; the rest are plain errno values. */
#define CALM__STATUS_MAP(X)                                   \
    X(0, "ok")                                                \
    X(CALM_ECANCELED, "cancelled")                            \
    X(CALM_ETIMEDOUT, "deadline passed")                      \
    X(CALM_ECLOSED, "closed")                                 \
    X(CALM_EWORKER, "process-pool worker died")               \
    X(CALM_ENOTASK, "must be called from a task")             \
    X(CALM_EDEADLK, "deadlock: nothing can wake the waiting tasks")

const char *calm_strerror(int status)
{
    static const char unknown[] = "unknown status";

#define CALM__CASE(code, msg) \
    if (status == (code))     \
        return msg;
    CALM__STATUS_MAP(CALM__CASE)
#undef CALM__CASE
    if (status < 0 && status > -4096)
        return strerrordesc_np(-status) ? strerrordesc_np(-status) : unknown;
    return unknown;
}
