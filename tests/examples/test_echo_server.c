/* test_echo_server: runs runtime/examples/echo_server on 127.0.0.1 and checks that it
 * echoes to several clients at once and stops cleanly on SIGTERM even with a client
 * still connected. usage: test_echo_server PATH-TO-echo_server */
#define _GNU_SOURCE /* sscanf of the port line, sockets under -std=c11 */
#include "proc.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *server_path;

#define EXPECT_EQ(actual, expected)                                                              \
    do {                                                                                         \
        long long actual_ = (actual), expected_ = (expected);                                    \
        if (actual_ != expected_)                                                                \
            fprintf(stderr, "\n%s:%d: %s is %lld, expected %s = %lld\n", __FILE__, __LINE__,     \
                    #actual, actual_, #expected, expected_);                                     \
        CU_ASSERT_EQUAL(actual_, expected_);                                                     \
    } while (0)

/* Starts the server and reads the port it listens on. Returns the pid, or -1. */
static pid_t start_server(int *port, int *out_fd, const char *idle_ms)
{
    char *argv[] = {(char *)server_path, "--port", "0", "--max-clients", "2", "--idle-timeout",
                    (char *)idle_ms, NULL};
    pid_t pid = proc_start(argv, out_fd);
    char line[128];
    if (pid < 0 || proc_read_line(*out_fd, line, sizeof line, proc_scaled_ms(10000)) < 0 ||
        sscanf(line, "echo_server: listening on 127.0.0.1:%d", port) != 1) {
        fprintf(stderr, "\necho_server did not say where it listens\n");
        return -1;
    }
    return pid;
}

static int connect_to(int port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Reads exactly len bytes within timeout_ms; returns the bytes read (short on EOF). */
static ssize_t read_exactly(int fd, char *buf, size_t len, int64_t timeout_ms)
{
    int64_t deadline = proc_now_ms() + timeout_ms;
    size_t have = 0;
    while (have < len) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int64_t left = deadline - proc_now_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        ssize_t n = read(fd, buf + have, len - have);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    return (ssize_t)have;
}

/* Sends message on fd and checks that the same bytes come back. */
static void expect_echo(int fd, const char *message)
{
    char back[256] = {0};
    size_t len = strlen(message);
    EXPECT_EQ(write(fd, message, len), (long long)len);
    EXPECT_EQ(read_exactly(fd, back, len, proc_scaled_ms(5000)), (long long)len);
    CU_ASSERT_STRING_EQUAL(back, message);
}

/* Two clients at once, each answered, then SIGTERM with one still connected. */
static void test_echoes_and_stops_on_sigterm(void)
{
    int port = 0, out = -1;
    pid_t pid = start_server(&port, &out, "30000");
    CU_ASSERT_FATAL(pid > 0);
    int a = connect_to(port), b = connect_to(port);
    CU_ASSERT_FATAL(a >= 0 && b >= 0);
    expect_echo(a, "hello from a");
    expect_echo(b, "hello from b");
    expect_echo(a, "a again, after b");
    close(b);

    EXPECT_EQ(kill(pid, SIGTERM), 0);
    EXPECT_EQ(proc_wait(pid, proc_scaled_ms(10000)), 0);
    char c;
    EXPECT_EQ(read_exactly(a, &c, 1, proc_scaled_ms(5000)), 0); /* the server closed it */
    close(a);
    close(out);
}

/* With --max-clients 2, a third client waits until a slot frees: the bound holds. */
static void test_third_client_waits_for_a_slot(void)
{
    int port = 0, out = -1;
    pid_t pid = start_server(&port, &out, "30000");
    CU_ASSERT_FATAL(pid > 0);
    int a = connect_to(port), b = connect_to(port);
    CU_ASSERT_FATAL(a >= 0 && b >= 0);
    expect_echo(a, "a holds a slot");
    expect_echo(b, "b holds the other");
    int c = connect_to(port); /* the kernel accepts it; the server does not serve it yet */
    CU_ASSERT_FATAL(c >= 0);
    char back[16] = {0};
    EXPECT_EQ(write(c, "c waits", 7), 7);
    EXPECT_EQ(read_exactly(c, back, 7, 300), 0);
    close(a);
    EXPECT_EQ(read_exactly(c, back, 7, proc_scaled_ms(5000)), 7);
    CU_ASSERT_STRING_EQUAL(back, "c waits");
    close(b);
    close(c);
    EXPECT_EQ(kill(pid, SIGTERM), 0);
    EXPECT_EQ(proc_wait(pid, proc_scaled_ms(10000)), 0);
    close(out);
}

/* Sends len bytes of a pattern and reads the echo at the same time (the server's socket
 * buffers fill long before a megabyte is through, so both directions must move). Returns
 * the bytes that came back equal to what was sent. */
static size_t echo_bulk(int fd, size_t len, int64_t timeout_ms)
{
    static char out[1 << 16], in[1 << 16];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (char)(i * 31 + 7);
    size_t sent = 0, received = 0;
    int64_t deadline = proc_now_ms() + timeout_ms;
    while (received < len && proc_now_ms() < deadline) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        if (pfd.revents & POLLOUT) {
            size_t offset = sent % sizeof out, chunk = sizeof out - offset;
            ssize_t n = send(fd, out + offset, chunk < len - sent ? chunk : len - sent, MSG_DONTWAIT);
            if (n > 0)
                sent += (size_t)n;
        }
        if (pfd.revents & POLLIN) {
            ssize_t n = recv(fd, in, sizeof in, MSG_DONTWAIT);
            if (n <= 0)
                break;
            for (ssize_t i = 0; i < n; i++, received++)
                if (in[i] != out[received % sizeof out])
                    return received;
        }
    }
    return received;
}

/* A megabyte through one connection: partial writes and waits for room on both sides. */
static void test_echoes_a_megabyte(void)
{
    int port = 0, out = -1;
    pid_t pid = start_server(&port, &out, "30000");
    CU_ASSERT_FATAL(pid > 0);
    int fd = connect_to(port);
    CU_ASSERT_FATAL(fd >= 0);
    EXPECT_EQ(echo_bulk(fd, 1 << 20, proc_scaled_ms(20000)), 1 << 20);
    close(fd);
    EXPECT_EQ(kill(pid, SIGTERM), 0);
    EXPECT_EQ(proc_wait(pid, proc_scaled_ms(10000)), 0);
    close(out);
}

/* A client that says nothing is dropped after the idle timeout; others are served. */
static void test_drops_idle_client(void)
{
    int port = 0, out = -1;
    pid_t pid = start_server(&port, &out, "300");
    CU_ASSERT_FATAL(pid > 0);
    int idle = connect_to(port);
    CU_ASSERT_FATAL(idle >= 0);
    char c;
    int64_t start = proc_now_ms();
    EXPECT_EQ(read_exactly(idle, &c, 1, proc_scaled_ms(5000)), 0);
    CU_ASSERT(proc_now_ms() - start >= 250);
    int busy = connect_to(port);
    CU_ASSERT_FATAL(busy >= 0);
    expect_echo(busy, "still serving");
    close(busy);
    close(idle);

    EXPECT_EQ(kill(pid, SIGINT), 0);
    EXPECT_EQ(proc_wait(pid, proc_scaled_ms(10000)), 0);
    close(out);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_echo_server PATH-TO-echo_server\n");
        return 2;
    }
    server_path = argv[1];
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)(proc_scaled_ms(120000) / 1000)); /* watchdog: a hang fails the test */
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite suite = CU_add_suite("echo_server", NULL, NULL);
    CU_add_test(suite, "echoes to two clients, stops on SIGTERM", test_echoes_and_stops_on_sigterm);
    CU_add_test(suite, "a third client waits for a slot", test_third_client_waits_for_a_slot);
    CU_add_test(suite, "echoes a megabyte", test_echoes_a_megabyte);
    CU_add_test(suite, "drops an idle client", test_drops_idle_client);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failures == 0 ? 0 : 1;
}
