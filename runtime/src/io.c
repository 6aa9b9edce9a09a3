/* io.c -- file descriptors: level-triggered watchers for callbacks, and
 * calm_wait_fd for tasks, which registers an fd once, edge-triggered, and keeps
 * it registered between waits: no epoll_ctl per message. Interest in writing is
 * added at the first wait for it and then kept: a socket that is only ever
 * waited on for reading gets no edge each time its peer reads (one event less
 * per epoll_wait in a request-reply exchange, and no wake-up work in the kernel). */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

enum { CALM__FD_NONE, CALM__FD_WATCH, CALM__FD_TASK };

struct calm__fd {
    calm__io io;
    calm_loop *loop;
    int fd;
    int mode;                             /* how the fd is registered with epoll */
    uint32_t interest;                    /* task mode: the epoll events registered */
    int ready;                            /* task mode: readiness no waiter has taken yet */
    int hup;                              /* task mode: error or hang-up seen, sticky */
    calm_watch *watch;                    /* watch mode */
    calm__list waiters;                   /* task mode: tasks in calm_wait_fd */
    calm__fd *next_dead;                  /* dropped during a poll batch */
};

struct calm_watch {
    calm_loop *loop;
    calm__fd *f;
    int events;
    calm_watch_fn cb;
    void *arg;
    int in_callback;                      /* stop inside cb defers the free */
    int stopped;
};

static int calm__to_revents(uint32_t ev)
{
    int r = 0;

    if (ev & (EPOLLIN | EPOLLRDHUP))
        r |= CALM_READABLE;
    if (ev & EPOLLOUT)
        r |= CALM_WRITABLE;
    if (ev & (EPOLLERR | EPOLLHUP))
        r |= CALM_ERROR | CALM_READABLE | CALM_WRITABLE;
    return r;
}

static void calm__fd_on_event(calm_loop *loop, calm__io *io, uint32_t events)
{
    calm__fd *f = calm__container_of(io, calm__fd, io);
    int revents = calm__to_revents(events);
    calm__list *n, *next;

    if (f->mode == CALM__FD_WATCH && f->watch != NULL) {
        calm_watch *w = f->watch;
        int64_t t0 = loop->debug ? calm__clock_us() : 0;
        w->in_callback = 1;
        w->cb(loop, f->fd, revents & (w->events | CALM_ERROR), w->arg);
        w->in_callback = 0;
        if (loop->debug)
            calm__debug_slow(loop, "fd callback", (const void *)w->cb, NULL,
                             (calm__clock_us() - t0) / 1000);
        if (w->stopped)
            calm__free(w);
        return;
    }
    if (f->mode != CALM__FD_TASK)
        return;
    if (revents & CALM_ERROR)
        f->hup = 1;
    f->ready |= revents & (CALM_READABLE | CALM_WRITABLE);
    for (n = f->waiters.next; n != &f->waiters; n = next) {
        calm_task *t = calm__container_of(n, calm_task, wait_node);
        next = n->next;
        if (f->hup || (t->wait_events & f->ready)) {
            f->ready &= ~t->wait_events;
            calm__wake(t, 0);
        }
    }
}

/* The state of fd, created on first use; NULL with errno when that fails. */
static calm__fd *calm__fd_get(calm_loop *loop, int fd)
{
    calm__fd *f;

    if (fd < 0) {
        errno = EBADF;
        return NULL;
    }
    if (fd >= loop->fds_len) {
        int len = loop->fds_len ? loop->fds_len : 64;
        calm__fd **v;
        while (len <= fd)
            len *= 2;
        v = calm__realloc(loop->fds, (size_t)len * sizeof(*v));
        if (v == NULL)
            return NULL;
        memset(v + loop->fds_len, 0, (size_t)(len - loop->fds_len) * sizeof(*v));
        loop->fds = v;
        loop->fds_len = len;
    }
    f = loop->fds[fd];
    if (f != NULL)
        return f;
    f = calm__calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->io.on_event = calm__fd_on_event;
    f->loop = loop;
    f->fd = fd;
    calm__list_init(&f->waiters);
    loop->fds[fd] = f;
    return f;
}

/* Removes the fd state; during a poll batch the memory waits for the batch
 * end because later events of the same batch may still point at it. */
static void calm__fd_drop(calm_loop *loop, calm__fd *f)
{
    loop->fds[f->fd] = NULL;
    f->mode = CALM__FD_NONE;
    if (loop->in_poll) {
        f->next_dead = loop->fds_dead;
        loop->fds_dead = f;
        return;
    }
    calm__free(f);
}

void calm__fds_flush(calm_loop *loop)
{
    while (loop->fds_dead != NULL) {
        calm__fd *f = loop->fds_dead;
        loop->fds_dead = f->next_dead;
        calm__free(f);
    }
}

static uint32_t calm__to_epoll(int events)
{
    return ((events & CALM_READABLE) ? EPOLLIN : 0) | ((events & CALM_WRITABLE) ? EPOLLOUT : 0);
}

calm_watch *calm_watch_fd(calm_loop *loop, int fd, int events, calm_watch_fn cb, void *arg)
{
    calm_watch *w = NULL;
    calm__fd *f;
    int err;

    if (cb == NULL || (events & (CALM_READABLE | CALM_WRITABLE)) == 0) {
        errno = EINVAL;
        return NULL;
    }
    f = calm__fd_get(loop, fd);
    if (f == NULL)
        return NULL;
    if (f->mode != CALM__FD_NONE) {
        errno = EEXIST;
        return NULL;
    }
    w = calm__calloc(1, sizeof(*w));
    if (w == NULL)
        goto fail;
    err = calm__epoll_add(loop, fd, calm__to_epoll(events), &f->io);
    if (err < 0) {
        errno = -err;
        goto fail;
    }
    w->loop = loop;
    w->f = f;
    w->events = events;
    w->cb = cb;
    w->arg = arg;
    f->mode = CALM__FD_WATCH;
    f->watch = w;
    loop->refs++;
    return w;
fail:
    err = errno;
    calm__free(w);
    calm__fd_drop(loop, f);
    errno = err;
    return NULL;
}

void calm_watch_stop(calm_watch *w)
{
    calm_loop *loop;

    if (w == NULL || w->stopped)
        return;
    loop = w->loop;
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->f->fd, NULL);
    loop->refs--;
    w->f->watch = NULL;
    calm__fd_drop(loop, w->f);
    w->stopped = 1;
    if (!w->in_callback)
        calm__free(w);
}

/* An fd closed without calm_close leaves the kernel without our registration,
 * and a new fd with the same number would then wait for ever (or to its
 * deadline). Checked after a timed-out wait, and before every wait in debug
 * mode; re-registers and reports (debug) what it finds. */
static void calm__fd_verify(calm_loop *loop, calm__fd *f)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = f->interest;
    ev.data.ptr = &f->io;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, f->fd, &ev) == 0 || errno != ENOENT)
        return;
    if (loop->debug)
        calm__report(loop, -EBADF, "fd %d was closed without calm_close while registered "
                     "for calm_wait_fd; registering it again", f->fd);
    f->ready = 0;
    f->hup = 0;
    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, f->fd, &ev);
}

/* The first wait for writing on a registered fd: from now on epoll reports
 * writability too. The kernel looks at the fd as it changes the interest, so a
 * socket with room already yields its edge at the next poll. */
static int calm__fd_add_out(calm_loop *loop, calm__fd *f)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = f->interest | EPOLLOUT;
    ev.data.ptr = &f->io;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, f->fd, &ev) < 0)
        return -errno;
    f->interest = ev.events;
    return 0;
}

int calm_wait_fd(int fd, int events, calm_time deadline)
{
    calm_task *t;
    calm_loop *loop;
    calm__fd *f;
    int rc = calm__enter(&t);

    if (rc != 0)
        return rc;
    loop = t->loop;
    events &= CALM_READABLE | CALM_WRITABLE;
    if (events == 0)
        return -EINVAL;
    f = calm__fd_get(loop, fd);
    if (f == NULL)
        return -errno;
    if (f->mode == CALM__FD_WATCH)
        return -EEXIST;
    if (f->mode == CALM__FD_NONE) {
        uint32_t interest = EPOLLIN | EPOLLRDHUP | EPOLLET | calm__to_epoll(events & CALM_WRITABLE);
        rc = calm__epoll_add(loop, fd, interest, &f->io);
        if (rc < 0) {
            calm__fd_drop(loop, f);
            return rc;
        }
        f->mode = CALM__FD_TASK;
        f->interest = interest;
    } else {
        if (loop->debug)
            calm__fd_verify(loop, f);
        if ((events & CALM_WRITABLE) && !(f->interest & EPOLLOUT) &&
            (rc = calm__fd_add_out(loop, f)) < 0)
            return rc;
    }
    /* an edge that came while nobody waited is not repeated by epoll */
    if (f->hup || (f->ready & events)) {
        f->ready &= ~events;
        return 0;
    }
    if (calm__deadline_passed(loop, deadline))
        return CALM_ETIMEDOUT;
    t->wait_events = events;
    calm__list_push(&f->waiters, &t->wait_node);
    loop->refs++;
    rc = calm__suspend(t, deadline, CALM_ETIMEDOUT);
    loop->refs--;
    if (rc == CALM_ETIMEDOUT && f == loop->fds[fd])
        calm__fd_verify(loop, f);
    return rc;
}

void calm_fd_forget(int fd)
{
    calm_loop *loop = calm__tls_loop;
    calm__fd *f;

    if (loop == NULL || fd < 0 || fd >= loop->fds_len || (f = loop->fds[fd]) == NULL ||
        f->mode != CALM__FD_TASK)
        return;
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
    calm__wake_all(&f->waiters, -EBADF);
    calm__fd_drop(loop, f);
}

int calm_close(int fd)
{
    calm_fd_forget(fd);
    return close(fd) < 0 ? -errno : 0;
}

void calm__fds_free(calm_loop *loop)
{
    int i;

    for (i = 0; i < loop->fds_len; i++) {
        calm__fd *f = loop->fds[i];
        if (f == NULL)
            continue;
        if (f->watch != NULL)
            calm__free(f->watch);
        calm__free(f);
    }
    calm__fds_flush(loop);
    calm__free(loop->fds);
    loop->fds = NULL;
    loop->fds_len = 0;
}
