/* signal.c -- signals as loop callbacks through a self-pipe: the handler only
 * writes the signal number, so it works whatever threads the program runs and
 * never calls anything unsafe; the loop reads the pipe and runs the callbacks. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

struct calm__sighandler {
    calm__sighandler *next;
    int signum;
    calm_callback cb;
    void *arg;
};

/* write end of the owning loop's self-pipe, per signal; -1 when unowned */
static atomic_int calm__sig_fd[NSIG];
static struct sigaction calm__sig_old[NSIG];
static atomic_int calm__sig_init;

static void calm__sig_handler(int signum)
{
    int saved = errno;
    int fd = atomic_load(&calm__sig_fd[signum]);
    unsigned char b = (unsigned char)signum;

    if (fd >= 0 && write(fd, &b, 1) < 0) {
        /* pipe full: the loop already has signals to read */
    }
    errno = saved;
}

static void calm__sig_table_init(void)
{
    int i, expected = 0;

    if (!atomic_compare_exchange_strong(&calm__sig_init, &expected, 1))
        return;
    for (i = 0; i < NSIG; i++)
        atomic_store(&calm__sig_fd[i], -1);
}

static void calm__on_sigpipe(calm_loop *loop, calm__io *io, uint32_t events)
{
    unsigned char buf[64];
    ssize_t n, i;

    (void)io;
    (void)events;
    while ((n = read(loop->sigpipe[0], buf, sizeof(buf))) > 0) {
        for (i = 0; i < n; i++) {
            calm__sighandler *h;
            for (h = loop->sighandlers; h != NULL; h = h->next) {
                int64_t t0;
                if (h->signum != buf[i])
                    continue;
                t0 = loop->debug ? calm__clock_us() : 0;
                h->cb(loop, h->arg);
                if (loop->debug)
                    calm__debug_slow(loop, "signal callback", (const void *)h->cb, NULL,
                                     (calm__clock_us() - t0) / 1000);
            }
        }
    }
}

static int calm__sigpipe_open(calm_loop *loop)
{
    int rc;

    if (loop->sigpipe[0] >= 0)
        return 0;
    if (pipe2(loop->sigpipe, O_NONBLOCK | O_CLOEXEC) < 0)
        return -errno;
    loop->sig_io.on_event = calm__on_sigpipe;
    rc = calm__epoll_add(loop, loop->sigpipe[0], EPOLLIN, &loop->sig_io);
    if (rc < 0) {
        close(loop->sigpipe[0]);
        close(loop->sigpipe[1]);
        loop->sigpipe[0] = loop->sigpipe[1] = -1;
    }
    return rc;
}

int calm_on_signal(calm_loop *loop, int signum, calm_callback cb, void *arg)
{
    calm__sighandler *h = NULL, *o;
    int rc, owner;

    if (signum <= 0 || signum >= NSIG || signum > 255 || cb == NULL || signum == SIGKILL ||
        signum == SIGSTOP)
        return -EINVAL;
    calm__sig_table_init();
    owner = atomic_load(&calm__sig_fd[signum]);
    if (owner >= 0 && owner != loop->sigpipe[1])
        return -EBUSY;
    rc = calm__sigpipe_open(loop);
    if (rc < 0)
        return rc;
    h = calm__malloc(sizeof(*h));
    if (h == NULL)
        return -ENOMEM;
    h->signum = signum;
    h->cb = cb;
    h->arg = arg;
    for (o = loop->sighandlers; o != NULL; o = o->next)
        if (o->signum == signum)
            break;
    if (o == NULL) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = calm__sig_handler;
        sa.sa_flags = SA_RESTART;
        sigfillset(&sa.sa_mask);
        atomic_store(&calm__sig_fd[signum], loop->sigpipe[1]);
        if (sigaction(signum, &sa, &calm__sig_old[signum]) < 0) {
            rc = -errno;
            atomic_store(&calm__sig_fd[signum], -1);
            calm__free(h);
            return rc;
        }
    }
    h->next = loop->sighandlers;
    loop->sighandlers = h;
    return 0;
}

void calm__signals_free(calm_loop *loop)
{
    while (loop->sighandlers != NULL) {
        calm__sighandler *h = loop->sighandlers, *o;
        loop->sighandlers = h->next;
        for (o = loop->sighandlers; o != NULL; o = o->next)
            if (o->signum == h->signum)
                break;
        if (o == NULL) {
            sigaction(h->signum, &calm__sig_old[h->signum], NULL);
            atomic_store(&calm__sig_fd[h->signum], -1);
        }
        calm__free(h);
    }
    if (loop->sigpipe[0] >= 0) {
        close(loop->sigpipe[0]);
        close(loop->sigpipe[1]);
        loop->sigpipe[0] = loop->sigpipe[1] = -1;
    }
}

/* The process pool's children must not run the parent's handlers. */
void calm__signals_reset_child(void)
{
    int i;

    if (!atomic_load(&calm__sig_init))
        return;
    for (i = 1; i < NSIG; i++) {
        if (atomic_load(&calm__sig_fd[i]) >= 0) {
            signal(i, SIG_DFL);
            atomic_store(&calm__sig_fd[i], -1);
        }
    }
}
