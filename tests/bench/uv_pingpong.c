/* uv_pingpong: the libuv peer of calm_bench's ping-pong. Two streams on the ends of a
 * socketpair bounce one 64-byte message back and forth on one loop; prints messages per
 * second (each one-way message counts once). Usage: uv_pingpong [messages] */
#define _GNU_SOURCE /* socketpair, clock_gettime and the pthread types uv.h needs under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#define MSG_SIZE 64
#define READ_BUF_SIZE (64 * 1024) /* libuv's best case per PERF-NOTES */

struct side {
    uv_pipe_t pipe;
    uv_write_t write_req;
    char out[MSG_SIZE];   /* the message this side sends */
    size_t have;          /* bytes of the incoming message received so far */
    long *remaining;      /* messages still to send, shared by both sides */
    int failed;           /* a libuv call failed: stop and report */
};

static char read_buf[READ_BUF_SIZE];

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)handle;
    (void)suggested;
    *buf = uv_buf_init(read_buf, sizeof read_buf);
}

static void on_written(uv_write_t *req, int status)
{
    struct side *side = req->data;
    if (status < 0) {
        fprintf(stderr, "uv_pingpong: write: %s\n", uv_strerror(status));
        side->failed = 1;
        uv_stop(side->pipe.loop);
    }
}

static int send_message(struct side *side)
{
    uv_buf_t buf = uv_buf_init(side->out, MSG_SIZE);
    side->write_req.data = side;
    return uv_write(&side->write_req, (uv_stream_t *)&side->pipe, &buf, 1, on_written);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct side *side = stream->data;
    (void)buf;
    if (nread < 0) {
        fprintf(stderr, "uv_pingpong: read: %s\n", uv_strerror((int)nread));
        side->failed = 1;
        uv_stop(stream->loop);
        return;
    }
    side->have += (size_t)nread;
    while (side->have >= MSG_SIZE) {
        side->have -= MSG_SIZE;
        if (--*side->remaining <= 0) {
            uv_stop(stream->loop);
            return;
        }
        int rc = send_message(side);
        if (rc < 0) {
            fprintf(stderr, "uv_pingpong: uv_write: %s\n", uv_strerror(rc));
            side->failed = 1;
            uv_stop(stream->loop);
            return;
        }
    }
}

static int open_side(uv_loop_t *loop, struct side *side, int fd, long *remaining)
{
    memset(side->out, 'x', sizeof side->out);
    side->have = 0;
    side->remaining = remaining;
    side->failed = 0;
    int rc = uv_pipe_init(loop, &side->pipe, 0);
    if (rc == 0)
        rc = uv_pipe_open(&side->pipe, fd);
    if (rc == 0) {
        side->pipe.data = side;
        rc = uv_read_start((uv_stream_t *)&side->pipe, on_alloc, on_read);
    }
    return rc;
}

static double now_seconds(void)
{
    struct timespec ts;
    /* CALM_BENCH_CLOCK=cpu: the process's CPU time, for a machine shared with other work */
    static int cpu = -1;
    if (cpu < 0) {
        const char *clock = getenv("CALM_BENCH_CLOCK");
        cpu = clock != NULL && strcmp(clock, "cpu") == 0;
    }
    clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long messages = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    int fds[2];
    if (messages <= 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) {
        fprintf(stderr, "usage: uv_pingpong [messages]\n");
        return 2;
    }

    uv_loop_t loop;
    struct side a, b;
    long remaining = messages;
    int rc = uv_loop_init(&loop);
    if (rc == 0)
        rc = open_side(&loop, &a, fds[0], &remaining);
    if (rc == 0)
        rc = open_side(&loop, &b, fds[1], &remaining);
    if (rc == 0)
        rc = send_message(&a);
    if (rc < 0) {
        fprintf(stderr, "uv_pingpong: %s\n", uv_strerror(rc));
        return 1;
    }

    double start = now_seconds();
    uv_run(&loop, UV_RUN_DEFAULT);
    double elapsed = now_seconds() - start;

    uv_close((uv_handle_t *)&a.pipe, NULL);
    uv_close((uv_handle_t *)&b.pipe, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0 || a.failed || b.failed || remaining > 0) {
        fprintf(stderr, "uv_pingpong: run failed\n");
        return 1;
    }
    printf("%.0f\n", (double)messages / elapsed);
    return 0;
}
