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

/* The explicit name, else the symbol, else fn as spelled at the spawn site (a
 * static function: exact unless a wrapper spawned it with its own parameter),
 * else the address. */
const char *calm__task_name(const calm_task *t, char *buf, size_t len)
{
    const char *name;

    if (t->name != NULL)
        return t->name;
    name = calm__fn_name((const void *)t->fn, buf, len);
    if (name == buf && t->fn_text != NULL)
        return t->fn_text;
    return name;
}

const char *calm__task_desc(const calm_task *t, char *buf, size_t len)
{
    char fnbuf[64];
    const char *name = calm__task_name(t, fnbuf, sizeof(fnbuf));

    if (t->site_file != NULL)
        snprintf(buf, len, "'%s' spawned at %s:%d", name, t->site_file, t->site_line);
    else
        snprintf(buf, len, "'%s'", name);
    return buf;
}

/* desc: a task's calm__task_desc, or NULL to name the callback fn. */
void calm__debug_slow(calm_loop *loop, const char *what, const void *fn, const char *desc,
                      int64_t ms)
{
    char buf[64];

    if (ms < loop->slow_ms)
        return;
    if (desc != NULL)
        calm__report(loop, 0, "slow %s %s ran %lld ms without yielding and stalled the loop",
                     what, desc, (long long)ms);
    else
        calm__report(loop, 0, "slow %s '%s' ran %lld ms without yielding and stalled the loop",
                     what, calm__fn_name(fn, buf, sizeof(buf)), (long long)ms);
}
