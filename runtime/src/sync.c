/* sync.c -- the waiting primitives tasks share: semaphore, bounded queue and
 * event. Waiters queue in FIFO order; wake-ups hand the permit or item over
 * directly, so a woken task never has to compete for what it was given. */
#include <errno.h>

#include "internal.h"

/* Common start of a wait: the status to return at once, or 0 to go on. */
static int calm__begin(calm_task *t)
{
    return t ? calm__check(t) : 0;
}

/* ---- semaphore ------------------------------------------------------------- */

struct calm_sem {
    calm_loop *loop;
    unsigned permits;                     /* free permits */
    calm__list waiters;                   /* tasks in calm_sem_acquire */
};

calm_sem *calm_sem_new(calm_loop *loop, unsigned permits)
{
    calm_sem *s = calm__calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->loop = loop;
    s->permits = permits;
    calm__list_init(&s->waiters);
    return s;
}

int calm_sem_acquire(calm_sem *s, calm_time deadline)
{
    calm_task *t = calm__current();
    int rc = calm__begin(t);

    if (rc != 0)
        return rc;
    if (s->permits > 0 && calm__list_empty(&s->waiters)) {
        s->permits--;
        return 0;
    }
    if (t == NULL)
        return -EAGAIN;
    if (calm__deadline_passed(s->loop, deadline))
        return CALM_ETIMEDOUT;
    calm__list_push(&s->waiters, &t->wait_node);
    return calm__suspend(t, deadline, CALM_ETIMEDOUT);
}

void calm_sem_release(calm_sem *s)
{
    if (!calm__list_empty(&s->waiters))
        calm__wake(calm__container_of(s->waiters.next, calm_task, wait_node), 0);
    else
        s->permits++;
}

void calm_sem_free(calm_sem *s)
{
    if (s == NULL)
        return;
    calm__wake_all(&s->waiters, CALM_ECLOSED);
    calm__free(s);
}

/* ---- bounded queue ------------------------------------------------------------ */

struct calm_queue {
    calm_loop *loop;
    void **items;                         /* ring of capacity slots */
    size_t cap, head, len;
    int closed;
    calm__list getters;                   /* waiting while empty */
    calm__list putters;                   /* waiting while full; item in wait_item */
};

calm_queue *calm_queue_new(calm_loop *loop, size_t capacity)
{
    calm_queue *q = NULL;

    if (capacity == 0) {
        errno = EINVAL;
        goto fail;
    }
    q = calm__calloc(1, sizeof(*q));
    if (q == NULL)
        goto fail;
    q->items = calm__malloc(capacity * sizeof(void *));
    if (q->items == NULL)
        goto fail;
    q->loop = loop;
    q->cap = capacity;
    calm__list_init(&q->getters);
    calm__list_init(&q->putters);
    return q;
fail:
    calm__free(q);
    return NULL;
}

static void calm__queue_push(calm_queue *q, void *item)
{
    q->items[(q->head + q->len) % q->cap] = item;
    q->len++;
}

int calm_queue_put(calm_queue *q, void *item, calm_time deadline)
{
    calm_task *t = calm__current();
    int rc = calm__begin(t);

    if (rc != 0)
        return rc;
    if (q->closed)
        return CALM_ECLOSED;
    if (!calm__list_empty(&q->getters)) {
        calm_task *g = calm__container_of(q->getters.next, calm_task, wait_node);
        g->wait_item = item;
        calm__wake(g, 0);
        return 0;
    }
    if (q->len < q->cap && calm__list_empty(&q->putters)) {
        calm__queue_push(q, item);
        return 0;
    }
    if (t == NULL)
        return -EAGAIN;
    if (calm__deadline_passed(q->loop, deadline))
        return CALM_ETIMEDOUT;
    t->wait_item = item;
    calm__list_push(&q->putters, &t->wait_node);
    return calm__suspend(t, deadline, CALM_ETIMEDOUT);
}

int calm_queue_get(calm_queue *q, void **item, calm_time deadline)
{
    calm_task *t = calm__current();
    int rc = calm__begin(t);

    if (rc != 0)
        return rc;
    if (q->len > 0) {
        *item = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
        if (!calm__list_empty(&q->putters)) {
            calm_task *p = calm__container_of(q->putters.next, calm_task, wait_node);
            calm__queue_push(q, p->wait_item);
            calm__wake(p, 0);
        }
        return 0;
    }
    if (q->closed)
        return CALM_ECLOSED;
    if (t == NULL)
        return -EAGAIN;
    if (calm__deadline_passed(q->loop, deadline))
        return CALM_ETIMEDOUT;
    calm__list_push(&q->getters, &t->wait_node);
    rc = calm__suspend(t, deadline, CALM_ETIMEDOUT);
    if (rc == 0)
        *item = t->wait_item;
    return rc;
}

void calm_queue_close(calm_queue *q)
{
    q->closed = 1;
    calm__wake_all(&q->getters, CALM_ECLOSED);
    calm__wake_all(&q->putters, CALM_ECLOSED);
}

size_t calm_queue_len(const calm_queue *q)
{
    return q->len;
}

void calm_queue_free(calm_queue *q)
{
    if (q == NULL)
        return;
    calm_queue_close(q);
    calm__free(q->items);
    calm__free(q);
}

/* ---- event ------------------------------------------------------------------ */

struct calm_event {
    calm_loop *loop;
    int set;
    calm__list waiters;
};

calm_event *calm_event_new(calm_loop *loop)
{
    calm_event *ev = calm__calloc(1, sizeof(*ev));

    if (ev == NULL)
        return NULL;
    ev->loop = loop;
    calm__list_init(&ev->waiters);
    return ev;
}

void calm_event_set(calm_event *ev)
{
    ev->set = 1;
    calm__wake_all(&ev->waiters, 0);
}

void calm_event_clear(calm_event *ev)
{
    ev->set = 0;
}

int calm_event_is_set(const calm_event *ev)
{
    return ev->set;
}

int calm_event_wait(calm_event *ev, calm_time deadline)
{
    calm_task *t = calm__current();
    int rc = calm__begin(t);

    if (rc != 0)
        return rc;
    if (ev->set)
        return 0;
    if (t == NULL)
        return -EAGAIN;
    if (calm__deadline_passed(ev->loop, deadline))
        return CALM_ETIMEDOUT;
    calm__list_push(&ev->waiters, &t->wait_node);
    return calm__suspend(t, deadline, CALM_ETIMEDOUT);
}

void calm_event_free(calm_event *ev)
{
    if (ev == NULL)
        return;
    calm__wake_all(&ev->waiters, CALM_ECLOSED);
    calm__free(ev);
}
