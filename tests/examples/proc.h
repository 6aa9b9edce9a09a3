/* proc: child processes for the example tests. Every child dies with the test (so a
 * failed test leaves nothing running) and every wait is bounded. */
#ifndef CALM_TESTS_PROC_H
#define CALM_TESTS_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* Scales a test timeout by $CALM_WATCHDOG_SCALE (slow CI machines, sanitizers). */
int64_t proc_scaled_ms(int64_t ms);

/* Starts argv[0] with argv. With out_fd non-NULL, the child's stdout is a pipe whose read
 * end is stored there; otherwise the child shares the test's stdout. Returns the pid, or
 * -1 with errno set. */
pid_t proc_start(char *const argv[], int *out_fd);

/* Waits up to timeout_ms for pid to end. Returns its exit status (0-255), 128 + signal
 * when a signal ended it, or -1 on timeout (the child is then killed and reaped). */
int proc_wait(pid_t pid, int64_t timeout_ms);

/* Reads one line (without its newline) from fd into buf within timeout_ms. Returns its
 * length or -1. */
int proc_read_line(int fd, char *buf, size_t size, int64_t timeout_ms);

/* Milliseconds on the monotonic clock; sleeping. */
int64_t proc_now_ms(void);
void proc_sleep_ms(int64_t ms);

#endif
