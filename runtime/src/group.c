/* group.c -- task groups (structured concurrency): members run at most `limit`
 * at a time, the first failure cancels the rest and is what calm_group_wait
 * returns, and nothing outlives the group unseen. */
#include <errno.h>

#include "internal.h"

struct calm_group {
    calm_loop *loop;
    unsigned limit;                       /* members allowed to run at once */
    unsigned running;                     /* members not yet finished */
    int failure;                          /* first member status != 0 */
    int cancelled;                        /* members were told to stop */
    int freed;                            /* calm_group_free called with members left */
    calm__list members;
    calm__list spawners;                  /* tasks in calm_group_spawn waiting for room */
    calm__list waiters;                   /* tasks in calm_group_wait */
};

calm_group *calm_group_new(calm_loop *loop, unsigned limit)
{
    calm_group *g;

    if (limit == 0) {
        errno = EINVAL;
        return NULL;
    }
    g = calm__calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    g->loop = loop;
    g->limit = limit;
    calm__list_init(&g->members);
    calm__list_init(&g->spawners);
    calm__list_init(&g->waiters);
    return g;
}

void calm_group_cancel(calm_group *g)
{
    calm__list *n;

    g->cancelled = 1;
    for (n = g->members.next; n != &g->members; n = n->next)
        calm_cancel(calm__container_of(n, calm_task, group_node));
    /* spawners must learn that no more members are wanted */
    calm__wake_all(&g->spawners, CALM_ECANCELED);
}

/* Both spawns; site taken at entry, before any wait lets another spawn record its own. */
static int calm__group_spawn(calm_group *g, const char *name, calm_task_fn fn, void *arg,
                             calm_time deadline, const calm__site *site)
{
    calm_task *self = calm__current();
    calm_task *t;
    int rc;

    for (;;) {
        rc = self ? calm__check(self) : 0;
        if (rc != 0)
            return rc;
        if (g->cancelled)
            return CALM_ECANCELED;
        if (g->running < g->limit)
            break;
        if (self == NULL)
            return -EAGAIN;
        if (calm__deadline_passed(g->loop, deadline))
            return CALM_ETIMEDOUT;
        calm__list_push(&g->spawners, &self->wait_node);
        rc = calm__suspend(self, deadline, CALM_ETIMEDOUT);
        if (rc != 0)
            return rc;
    }
    t = calm__spawn(g->loop, name, fn, arg, site);
    if (t == NULL)
        return -ENOMEM;
    t->owned = 1;
    t->group = g;
    calm__list_push(&g->members, &t->group_node);
    g->running++;
    return 0;
}

/* The names in parentheses: calm.h makes them macros that record the call site. */
int (calm_group_spawn_named)(calm_group *g, const char *name, calm_task_fn fn, void *arg,
                             calm_time deadline)
{
    calm__site site;

    calm__site_take(&site);
    return calm__group_spawn(g, name, fn, arg, deadline, &site);
}

int (calm_group_spawn)(calm_group *g, calm_task_fn fn, void *arg, calm_time deadline)
{
    calm__site site;

    calm__site_take(&site);
    return calm__group_spawn(g, NULL, fn, arg, deadline, &site);
}

static void calm__group_release(calm_group *g)
{
    calm__free(g);
}

void calm__group_member_done(calm_group *g, calm_task *t)
{
    int status = t->result;

    calm__list_remove(&t->group_node);
    g->running--;
    calm__task_free(t);
    if (status != 0 && g->failure == 0 && !(g->cancelled && status == CALM_ECANCELED)) {
        g->failure = status;
        calm_group_cancel(g);
    }
    if (!calm__list_empty(&g->spawners))
        calm__wake(calm__container_of(g->spawners.next, calm_task, wait_node), 0);
    if (g->running == 0) {
        calm__wake_all(&g->waiters, 0);
        if (g->freed)
            calm__group_release(g);
    }
}

void calm__group_member_drop(calm_group *g, calm_task *t)
{
    calm__list_remove(&t->group_node);
    t->group = NULL;
    if (--g->running == 0 && g->freed)
        calm__group_release(g);
}

int calm_group_wait(calm_group *g, calm_time deadline)
{
    calm_task *self = calm__current();
    int rc;

    if (self == NULL)
        return CALM_ENOTASK;
    rc = calm__check(self);
    while (rc == 0 && g->running > 0) {
        if (calm__deadline_passed(g->loop, deadline)) {
            rc = CALM_ETIMEDOUT;
            break;
        }
        calm__list_push(&g->waiters, &self->wait_node);
        rc = calm__suspend(self, deadline, CALM_ETIMEDOUT);
    }
    if (rc != 0) {
        calm_group_cancel(g);
        return rc;
    }
    return g->failure;
}

void calm_group_free(calm_group *g)
{
    if (g == NULL)
        return;
    calm__wake_all(&g->spawners, CALM_ECLOSED);
    calm__wake_all(&g->waiters, CALM_ECLOSED);
    if (g->running > 0) {
        calm_group_cancel(g);
        g->freed = 1;
        return;
    }
    calm__group_release(g);
}
