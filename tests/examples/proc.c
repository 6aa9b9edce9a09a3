/* proc: child processes for the example tests (see proc.h). */
#define _GNU_SOURCE /* prctl, pipe2 under -std=c11 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t proc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void proc_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

int64_t proc_scaled_ms(int64_t ms)
{
    const char *scale = getenv("CALM_WATCHDOG_SCALE");
    long factor = scale ? strtol(scale, NULL, 10) : 1;
    return ms * (factor >= 1 ? factor : 1);
}

pid_t proc_start(char *const argv[], int *out_fd)
{
    int fds[2] = {-1, -1};
    if (out_fd && pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* die with the test, whatever way it ends */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(127);
        if (out_fd && dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    if (out_fd) {
        close(fds[1]);
        if (pid < 0)
            close(fds[0]);
        else
            *out_fd = fds[0];
    }
    return pid;
}

int proc_wait(pid_t pid, int64_t timeout_ms)
{
    int64_t deadline = proc_now_ms() + timeout_ms;
    for (;;) {
        int status;
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (done < 0 && errno != EINTR)
            return -1;
        if (proc_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        proc_sleep_ms(10);
    }
}

int proc_read_line(int fd, char *buf, size_t size, int64_t timeout_ms)
{
    int64_t deadline = proc_now_ms() + timeout_ms;
    size_t len = 0;
    while (len + 1 < size) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int64_t left = deadline - proc_now_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return -1;
        ssize_t n = read(fd, buf + len, 1);
        if (n <= 0)
            return -1;
        if (buf[len] == '\n')
            break;
        len++;
    }
    buf[len] = '\0';
    return (int)len;
}
