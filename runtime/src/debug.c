/* debug.c -- reports to the loop's error handler: detached failures (always)
 * and the debug-mode checks that mirror calm-lint at run time (slow callbacks
 * and task steps, handles never owned, swallowed cancellations). */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

void calm__report(calm_loop *loop, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    loop->on_error(loop, status, msg, loop->on_error_arg);
}

/* The symbol name of a function, for messages; the address when the symbol
 * is not exported (link executables with -rdynamic to see static names). */
const char *calm__fn_name(const void *fn, char *buf, size_t len)
{
    Dl_info info;

    if (dladdr(fn, &info) != 0 && info.dli_sname != NULL && info.dli_saddr == fn)
        return info.dli_sname;
    snprintf(buf, len, "%p", fn);
    return buf;
}

const char *calm__task_name(const calm_task *t, char *buf, size_t len)
{
    if (t->name != NULL)
        return t->name;
    return calm__fn_name((const void *)t->fn, buf, len);
}

void calm__debug_slow(calm_loop *loop, const char *what, const void *fn, const char *name,
                      int64_t ms)
{
    char buf[64];

    if (ms < loop->slow_ms)
        return;
    calm__report(loop, 0, "slow %s '%s' ran %lld ms without yielding and stalled the loop",
                 what, name ? name : calm__fn_name(fn, buf, sizeof(buf)), (long long)ms);
}
