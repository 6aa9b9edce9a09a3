/* procpool.c -- calm_to_process: pre-forked worker processes, one socketpair
 * each, length-prefixed messages both ways. A worker that dies fails only the
 * job it held (CALM_EWORKER) and is replaced; a caller that gives up kills the
 * worker running its job, so a hung job never holds a slot for ever. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* request: fn (8 bytes), input length (8), input; reply: status (8), length (8), output */
#define CALM__HDR 16

typedef struct calm__proc calm__proc;

typedef struct calm__pjob {
    calm__list node;                      /* in the pool queue until a worker takes it */
    calm_process_fn fn;
    const void *in;
    size_t in_len;
    calm_task *task;                      /* waiting task; NULL once it gave up */
    calm__proc *proc;                     /* worker running it */
    int completed;                        /* status/out are final */
    int status;
    void *out;                            /* malloc'd, handed to the caller */
    size_t out_len;
} calm__pjob;

struct calm__proc {
    calm__io io;
    calm__procpool *pool;
    calm__proc *next_dead;
    pid_t pid;
    int fd;                               /* our end of the socketpair */
    int dead;                             /* exited, killed or unreachable */
    calm__pjob *job;
    unsigned char whdr[CALM__HDR];
    size_t sent;                          /* request bytes written */
    unsigned char rhdr[CALM__HDR];
    size_t rgot;                          /* reply header bytes read */
    unsigned char *rbuf;                  /* reply body */
    size_t rlen, rbody;                   /* body length, bytes read */
};

struct calm__procpool {
    calm_loop *loop;
    unsigned n;
    calm__proc **procs;                   /* n slots; NULL: no worker (spawn failed) */
    calm__list queue;                     /* jobs waiting for a worker */
    calm__proc *dead;                     /* exited workers, freed outside poll batches */
};

static void calm__proc_event(calm_loop *loop, calm__io *io, uint32_t events);
static void calm__proc_kill(calm__procpool *pp, calm__proc *p);

/* ---- the worker process ------------------------------------------------------ */

static int calm__full_read(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int calm__full_write(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void calm__close_others(int keep)
{
    if (keep > 3)
        close_range(3, (unsigned)keep - 1, 0);
    close_range((unsigned)keep + 1, ~0U, 0);
}

/* Runs in the child: serve requests until the parent goes away. */
static void __attribute__((noreturn)) calm__proc_main(int fd, pid_t parent)
{
    sigset_t none;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    calm__signals_reset_child();
    signal(SIGINT, SIG_IGN);              /* a terminal ^C is the parent's to handle */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    calm__close_others(fd);
    for (;;) {
        unsigned char hdr[CALM__HDR];
        uint64_t fnbits, len, st, olen;
        calm_process_fn fn;
        void *in = NULL, *out = NULL;
        size_t out_len = 0;
        int status;

        if (calm__full_read(fd, hdr, sizeof(hdr)) < 0)
            _exit(0);
        memcpy(&fnbits, hdr, 8);
        memcpy(&len, hdr + 8, 8);
        fn = (calm_process_fn)(uintptr_t)fnbits;
        in = malloc(len ? len : 1);
        if (in == NULL || calm__full_read(fd, in, len) < 0)
            _exit(1);
        status = fn(in, len, &out, &out_len);
        if (out == NULL)
            out_len = 0;
        st = (uint64_t)(int64_t)status;
        olen = out_len;
        memcpy(hdr, &st, 8);
        memcpy(hdr + 8, &olen, 8);
        if (calm__full_write(fd, hdr, sizeof(hdr)) < 0 || calm__full_write(fd, out, out_len) < 0)
            _exit(1);
        free(in);
        free(out);
    }
}

/* ---- the parent side ------------------------------------------------------------ */

static calm__proc *calm__proc_spawn(calm__procpool *pp)
{
    calm__proc *p;
    int sv[2] = {-1, -1};
    pid_t parent = getpid();

    p = calm__calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    if (calm__alloc_should_fail())
        goto fail;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        goto fail;
    p->pid = fork();
    if (p->pid < 0)
        goto fail;
    if (p->pid == 0)
        calm__proc_main(sv[1], parent);
    close(sv[1]);
    sv[1] = -1;
    p->fd = sv[0];
    p->pool = pp;
    p->io.on_event = calm__proc_event;
    if (fcntl(p->fd, F_SETFL, O_NONBLOCK) < 0 ||
        calm__epoll_add(pp->loop, p->fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &p->io) < 0) {
        calm__proc_kill(pp, p);           /* reaped later, like any dead worker */
        return NULL;
    }
    return p;
fail:
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    calm__free(p);
    return NULL;
}

/* Frees a dead worker once it has been reaped. */
static void calm__proc_release(calm__proc *p)
{
    free(p->rbuf);
    calm__free(p);
}

/* Reaps the dead workers that have exited, without waiting; outside a poll
 * batch only, since events of the current batch may still point at them. */
static void calm__reap(calm__procpool *pp)
{
    calm__proc **pp_next = &pp->dead;

    if (pp->loop->in_poll)
        return;
    while (*pp_next != NULL) {
        calm__proc *p = *pp_next;
        if (waitpid(p->pid, NULL, WNOHANG) == 0) {
            pp_next = &p->next_dead;
            continue;
        }
        *pp_next = p->next_dead;
        calm__proc_release(p);
    }
}

/* Loop teardown only (outside calm_loop_run): every worker was sent SIGKILL,
 * so each wait is short. */
static void calm__reap_all(calm__procpool *pp)
{
    while (pp->dead != NULL) {
        calm__proc *p = pp->dead;
        pp->dead = p->next_dead;
        waitpid(p->pid, NULL, 0);
        calm__proc_release(p);
    }
}

static void calm__job_finish(calm__pjob *job, int status)
{
    job->status = status;
    job->completed = 1;
    job->proc = NULL;
    if (job->task != NULL) {
        calm__wake(job->task, 0);         /* the task frees the job */
        return;
    }
    free(job->out);
    calm__free(job);
}

static void calm__dispatch(calm__procpool *pp);

static void calm__proc_kill(calm__procpool *pp, calm__proc *p)
{
    unsigned i;

    if (p->dead)
        return;
    p->dead = 1;
    kill(p->pid, SIGKILL);
    close(p->fd);                         /* also leaves the epoll set */
    if (p->job != NULL) {
        if (pp->loop->debug && p->job->task != NULL)
            calm__report(pp->loop, CALM_EWORKER, "process-pool worker %d died running a job",
                         (int)p->pid);
        calm__job_finish(p->job, CALM_EWORKER);
        p->job = NULL;
    }
    for (i = 0; i < pp->n; i++)
        if (pp->procs[i] == p)
            pp->procs[i] = NULL;
    p->next_dead = pp->dead;
    pp->dead = p;
}

static void calm__proc_send(calm__procpool *pp, calm__proc *p)
{
    calm__pjob *job = p->job;
    size_t total;

    if (job == NULL || p->dead)
        return;
    total = CALM__HDR + job->in_len;
    while (p->sent < total) {
        struct iovec iov[2];
        struct msghdr msg;
        int cnt = 0;
        ssize_t n;

        if (p->sent < CALM__HDR) {
            iov[cnt].iov_base = p->whdr + p->sent;
            iov[cnt++].iov_len = CALM__HDR - p->sent;
            iov[cnt].iov_base = (void *)job->in;
            iov[cnt++].iov_len = job->in_len;
        } else {
            iov[cnt].iov_base = (char *)job->in + (p->sent - CALM__HDR);
            iov[cnt++].iov_len = total - p->sent;
        }
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = iov;
        msg.msg_iovlen = (size_t)cnt;
        n = sendmsg(p->fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;                       /* the EPOLLOUT edge resumes it */
        if (n < 0) {
            calm__proc_kill(pp, p);
            return;
        }
        p->sent += (size_t)n;
    }
}

static void calm__proc_recv(calm__procpool *pp, calm__proc *p)
{
    for (;;) {
        ssize_t n;

        if (p->rgot < CALM__HDR) {
            n = recv(p->fd, p->rhdr + p->rgot, CALM__HDR - p->rgot, 0);
        } else {
            n = recv(p->fd, p->rbuf + p->rbody, p->rlen - p->rbody, 0);
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0 || p->job == NULL) {   /* EOF, error, or talking out of turn */
            calm__proc_kill(pp, p);
            return;
        }
        if (p->rgot < CALM__HDR) {
            p->rgot += (size_t)n;
            if (p->rgot == CALM__HDR) {
                uint64_t len;
                memcpy(&len, p->rhdr + 8, 8);
                p->rlen = len;
                p->rbody = 0;
                p->rbuf = NULL;
                if (len > 0) {
                    p->rbuf = calm__alloc_should_fail() ? NULL : malloc(len);
                    if (p->rbuf == NULL) {
                        /* cannot take the reply: the job fails, the worker is replaced */
                        calm__pjob *job = p->job;
                        p->job = NULL;
                        calm__job_finish(job, -ENOMEM);
                        calm__proc_kill(pp, p);
                        return;
                    }
                }
            }
        } else {
            p->rbody += (size_t)n;
        }
        if (p->rgot == CALM__HDR && p->rbody == p->rlen) {
            calm__pjob *job = p->job;
            uint64_t st;
            memcpy(&st, p->rhdr, 8);
            job->out = p->rbuf;
            job->out_len = p->rlen;
            p->rbuf = NULL;
            p->rgot = 0;
            p->job = NULL;
            calm__job_finish(job, (int)(int64_t)st);
            calm__dispatch(pp);
            if (p->dead)
                return;
        }
    }
}

static void calm__proc_event(calm_loop *loop, calm__io *io, uint32_t events)
{
    calm__proc *p = calm__container_of(io, calm__proc, io);
    calm__procpool *pp = p->pool;

    (void)loop;
    if (p->dead)
        return;
    if (events & EPOLLOUT)
        calm__proc_send(pp, p);
    if (!p->dead && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        calm__proc_recv(pp, p);
    if (!p->dead && (events & (EPOLLHUP | EPOLLERR)))
        calm__proc_kill(pp, p);
    calm__dispatch(pp);
}

/* Gives queued jobs to idle workers, replacing workers that died. */
static void calm__dispatch(calm__procpool *pp)
{
    unsigned i;

    for (i = 0; i < pp->n && !calm__list_empty(&pp->queue); i++) {
        calm__proc *p = pp->procs[i];
        calm__pjob *job;
        uint64_t fnbits, len;

        if (p == NULL) {
            p = pp->procs[i] = calm__proc_spawn(pp);
            if (p == NULL)
                continue;
        }
        if (p->job != NULL)
            continue;
        job = calm__container_of(pp->queue.next, calm__pjob, node);
        calm__list_remove(&job->node);
        job->proc = p;
        p->job = job;
        p->sent = 0;
        p->rgot = 0;
        fnbits = (uint64_t)(uintptr_t)job->fn;
        len = job->in_len;
        memcpy(p->whdr, &fnbits, 8);
        memcpy(p->whdr + 8, &len, 8);
        calm__proc_send(pp, p);
    }
}

/* Creates the pool on first use and makes sure at least one worker lives;
 * a pool whose workers cannot start stays empty and retries next time. */
static int calm__pool_start(calm_loop *loop)
{
    calm__procpool *pp = loop->procs;
    unsigned i, live = 0;

    if (pp == NULL) {
        pp = calm__calloc(1, sizeof(*pp));
        if (pp == NULL)
            return -ENOMEM;
        pp->procs = calm__calloc(loop->nprocs, sizeof(*pp->procs));
        if (pp->procs == NULL) {
            calm__free(pp);
            return -ENOMEM;
        }
        pp->loop = loop;
        pp->n = loop->nprocs;
        calm__list_init(&pp->queue);
        loop->procs = pp;
    }
    for (i = 0; i < pp->n; i++) {
        if (pp->procs[i] == NULL)
            pp->procs[i] = calm__proc_spawn(pp);
        live += pp->procs[i] != NULL;
    }
    return live > 0 ? 0 : -EAGAIN;
}

int calm_to_process(calm_process_fn fn, const void *in, size_t in_len,
                    void **out, size_t *out_len, calm_time deadline)
{
    calm_task *t;
    calm__procpool *pp;
    calm__pjob *job;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    rc = calm__enter(&t);
    if (rc != 0)
        return rc;
    if (calm__deadline_passed(t->loop, deadline))
        return CALM_ETIMEDOUT;
    rc = calm__pool_start(t->loop);
    if (rc < 0)
        return rc;
    pp = t->loop->procs;
    calm__reap(pp);
    job = calm__calloc(1, sizeof(*job));
    if (job == NULL)
        return -ENOMEM;
    job->fn = fn;
    job->in = in;
    job->in_len = in_len;
    job->task = t;
    calm__list_push(&pp->queue, &job->node);
    calm__dispatch(pp);

    t->loop->refs++;
    rc = calm__suspend(t, deadline, CALM_ETIMEDOUT);
    t->loop->refs--;
    if (job->completed) {
        if (rc == 0) {
            rc = job->status;
            if (out != NULL)
                *out = job->out;
            else
                free(job->out);
            if (out_len != NULL)
                *out_len = job->out_len;
        } else {
            free(job->out);
        }
        calm__free(job);
        return rc;
    }
    /* gave up early: a queued job is dropped, a running one dies with its worker */
    if (job->proc == NULL) {
        calm__list_remove(&job->node);
        calm__free(job);
    } else {
        job->task = NULL;
        calm__proc_kill(pp, job->proc);   /* finishes (frees) the job */
        calm__dispatch(pp);
    }
    return rc;
}

void calm__procpool_free(calm_loop *loop)
{
    calm__procpool *pp = loop->procs;
    unsigned i;

    if (pp == NULL)
        return;
    for (i = 0; i < pp->n; i++) {
        calm__proc *p = pp->procs[i];
        if (p == NULL)
            continue;
        if (p->job != NULL)
            p->job->task = NULL;          /* its task is going too: the job is ours to free */
        calm__proc_kill(pp, p);
    }
    while (!calm__list_empty(&pp->queue)) {
        calm__pjob *job = calm__container_of(pp->queue.next, calm__pjob, node);
        calm__list_remove(&job->node);
        calm__free(job);
    }
    calm__reap_all(pp);
    calm__free(pp->procs);
    calm__free(pp);
    loop->procs = NULL;
}
