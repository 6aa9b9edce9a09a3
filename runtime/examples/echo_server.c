/* echo_server: a TCP echo server on libcalm. One task per connection in a bounded task
 * group (a full group holds back accepting: backpressure), every wait under a deadline
 * (an idle client is dropped), and a graceful stop on SIGINT/SIGTERM. */
#define _GNU_SOURCE /* accept4, getopt_long under -std=c11 */
#include <arpa/inet.h>
#include <calm.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    ACCEPT_WAKE_MS = 1000,    /* the accept loop's wait; it simply waits again */
    SHUTDOWN_GRACE_MS = 2000, /* how long open connections get to close */
    BUFFER_SIZE = 16384,
};

struct server {
    int port;              /* 0: any free port, printed once listening */
    int64_t max_clients;   /* connections served at once */
    int64_t idle_ms;       /* a client silent this long is dropped */
    calm_loop *loop;
    int listen_fd;
    int stopping;          /* a stop signal arrived */
    int status;            /* the server task's outcome */
};

static const char usage[] =
    "usage: echo_server [--port N] [--max-clients N] [--idle-timeout MS]\n"
    "  listens on 127.0.0.1 (port 0, the default: any free port, printed on stdout)\n";

static int parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

/* Returns 0, 1 when only help was asked for, or -1 after saying what is wrong. */
static int parse_options(int argc, char **argv, struct server *s)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"max-clients", required_argument, NULL, 'm'},
        {"idle-timeout", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int64_t port = 0;
    s->max_clients = 64;
    s->idle_ms = 30000;
    int c, index = 0;
    while ((c = getopt_long(argc, argv, "", longopts, &index)) != -1) {
        int bad = 0;
        switch (c) {
        case 'p': bad = parse_int(optarg, 0, 65535, &port); break;
        case 'm': bad = parse_int(optarg, 1, 100000, &s->max_clients); break;
        case 'i': bad = parse_int(optarg, 1, INT32_MAX, &s->idle_ms); break;
        case 'h': fputs(usage, stdout); return 1;
        default: fputs(usage, stderr); return -1;
        }
        if (bad) {
            fprintf(stderr, "echo_server: bad value '%s' for --%s\n", optarg, longopts[index].name);
            return -1;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return -1;
    }
    s->port = (int)port;
    return 0;
}

/* Opens a non-blocking listening socket on 127.0.0.1:port and stores the port it got.
 * Returns the descriptor or a negative errno. */
static int listen_on_loopback(int *port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 128) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        int status = -errno;
        close(fd);
        return status;
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

/* ---- one connection ------------------------------------------------------------------- */

/* Writes all of buf, waiting for room until deadline. Context: task. */
static int write_all(int fd, const char *buf, size_t len, calm_time deadline)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n >= 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
        int status = calm_wait_fd(fd, CALM_WRITABLE, deadline);
        if (status < 0)
            return status;
    }
    return 0;
}

/* Echoes until the client closes or stays idle past idle_ms. Returns 0 at the end of the
 * conversation, a negative errno on a socket error, or the wait's status. */
static int echo(int fd, int64_t idle_ms)
{
    char buf[BUFFER_SIZE];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n > 0) {
            int status = write_all(fd, buf, (size_t)n, calm_after(idle_ms));
            if (status == 0)
                status = calm_yield(); /* a client that never pauses must not starve the rest */
            if (status < 0)
                return status;
            continue;
        }
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
        int status = calm_wait_fd(fd, CALM_READABLE, calm_after(idle_ms));
        if (status < 0)
            return status;
    }
}

struct connection {
    struct server *server;
    int fd;
};

/* Task (group member): serves one connection and closes it. A client's trouble (reset,
 * idle too long) ends only its own connection; cancellation is returned. */
static int serve_client(void *arg)
{
    struct connection *conn = arg;
    int status = echo(conn->fd, conn->server->idle_ms);
    calm_close(conn->fd);
    free(conn);
    if (status == CALM_ECANCELED)
        return status;
    if (status == CALM_ETIMEDOUT)
        fprintf(stderr, "echo_server: idle client dropped\n");
    else if (status < 0)
        fprintf(stderr, "echo_server: client dropped: %s\n", calm_strerror(status));
    return 0;
}

/* ---- the server ------------------------------------------------------------------------ */

/* Accepts one connection, waiting for one until deadline. Returns the descriptor, or a
 * negative status (CALM_ETIMEDOUT when none came). Context: task. */
static int accept_client(int listen_fd, calm_time deadline)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno == ECONNABORTED || errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        int status = calm_wait_fd(listen_fd, CALM_READABLE, deadline);
        if (status < 0)
            return status;
    }
}

/* Hands a new connection to the group, waiting while max_clients are served. */
static int start_client(struct server *s, calm_group *clients, int fd)
{
    struct connection *conn = malloc(sizeof *conn);
    int status = conn ? 0 : -ENOMEM;
    if (conn) {
        *conn = (struct connection){s, fd};
        status = calm_group_spawn_named(clients, "serve_client", serve_client, conn,
                                        calm_after(s->idle_ms));
    }
    if (status < 0) {
        free(conn);
        calm_close(fd);
    }
    return status == CALM_ETIMEDOUT || status == -ENOMEM ? 0 : status; /* only that client lost */
}

/* Accepts connections until cancelled or a listening error. Context: task. */
static int accept_clients(struct server *s, calm_group *clients)
{
    for (;;) {
        int fd = accept_client(s->listen_fd, calm_after(ACCEPT_WAKE_MS));
        int status;
        if (fd >= 0)
            status = start_client(s, clients, fd);
        else if (fd == CALM_ETIMEDOUT)
            status = 0; /* nobody came: wait again */
        else if (fd == -EMFILE || fd == -ENFILE)
            status = calm_sleep(ACCEPT_WAKE_MS); /* let some connections close first */
        else
            status = fd;
        if (status < 0)
            return status;
    }
}

/* Task: the server. Accepts until stopped, then gives open connections a bounded grace
 * period to end (they are cancelled by the loop's shutdown) before it returns. */
static int run_server(void *arg)
{
    struct server *s = arg;
    calm_group *clients = calm_group_new(s->loop, (unsigned)s->max_clients);
    int status = clients ? accept_clients(s, clients) : -ENOMEM;
    if (clients) {
        calm_shield_enter();
        int waited = calm_group_wait(clients, calm_after(SHUTDOWN_GRACE_MS));
        calm_shield_exit();
        calm_group_free(clients);
        if (waited < 0 && waited != CALM_ECANCELED)
            fprintf(stderr, "echo_server: connections still open at exit: %s\n",
                    calm_strerror(waited));
    }
    calm_close(s->listen_fd);
    s->status = status;
    return status;
}

/* ---- main ------------------------------------------------------------------------------- */

/* Signal callback (loop): a stop request; main then shuts the loop down. */
static void on_stop_signal(calm_loop *loop, void *arg)
{
    struct server *s = arg;
    s->stopping = 1;
    calm_loop_stop(loop);
}

/* Listens, registers the stop signals and starts the server task. */
static int start_server(struct server *s)
{
    s->listen_fd = listen_on_loopback(&s->port);
    if (s->listen_fd < 0)
        return s->listen_fd;
    int status = calm_on_signal(s->loop, SIGINT, on_stop_signal, s);
    if (status == 0)
        status = calm_on_signal(s->loop, SIGTERM, on_stop_signal, s);
    calm_task *task = status == 0 ? calm_spawn_named(s->loop, "run_server", run_server, s) : NULL;
    if (task == NULL) {
        close(s->listen_fd);
        return status < 0 ? status : -ENOMEM;
    }
    calm_detach(task); /* its outcome lands in s->status */
    printf("echo_server: listening on 127.0.0.1:%d\n", s->port);
    return 0;
}

int main(int argc, char **argv)
{
    struct server s = {.status = -EINPROGRESS, .listen_fd = -1};
    int parsed = parse_options(argc, argv, &s);
    if (parsed != 0)
        return parsed < 0 ? 2 : 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-write is an EPIPE, not a crash */

    s.loop = calm_loop_new(NULL);
    if (s.loop == NULL) {
        perror("echo_server: calm_loop_new");
        return 1;
    }
    int status = start_server(&s);
    if (status == 0)
        status = calm_loop_run(s.loop);
    int down = calm_loop_shutdown(s.loop, calm_after(2 * SHUTDOWN_GRACE_MS));
    if (status == 0 && down < 0)
        status = down;
    calm_loop_free(s.loop);
    if (status == 0 && !(s.stopping && s.status == CALM_ECANCELED))
        status = s.status;
    if (status < 0)
        fprintf(stderr, "echo_server: %s\n", calm_strerror(status));
    else
        printf("echo_server: stopped\n");
    return status == 0 ? 0 : 1;
}
