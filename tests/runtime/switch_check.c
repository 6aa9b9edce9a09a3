/* switch_check.c -- a standalone check of the task context switch: integer and
 * floating-point callee-saved registers survive switches at depth, tasks run
 * on a stack aligned as the ABI wants, and a cancelled task ends with
 * CALM_ECANCELED. No CUnit, so it also runs under an
 * emulator for other architectures (the aarch64 switch under qemu-aarch64). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "calm.h"

static double depth_sum(double a, int depth)
{
    double x = a * 1.5, y = a + 2.25, z = a - 0.5, r;

    if (depth == 0)
        return calm_yield() == 0 ? a : -1e9;
    r = depth_sum(a + 1, depth - 1);
    return r + x + y + z;
}

/* The ABI's 16-byte stack alignment at every call: the first frame of a task
 * starts on a stack the switch prepared, and a slip there shows in every frame
 * (compilers place a 16-byte aligned local by the stack pointer, trusting it). */
__attribute__((noinline)) static int frame_aligned(void)
{
    _Alignas(16) volatile char probe[16];
    uintptr_t at = (uintptr_t)probe;

    probe[0] = 1;
    __asm__("" : "+r"(at));               /* or the compiler folds the test to true */
    return (at & 15) == 0;
}

static int worker(void *arg)
{
    long id = (long)arg, i;
    double first = depth_sum((double)id, 12);

    if (!frame_aligned()) {
        fprintf(stderr, "switch_check: task %ld runs on a misaligned stack\n", id);
        return -2000 - (int)id;
    }

    for (i = 0; i < 200; i++)
        if (depth_sum((double)id, 12) != first)
            return -1000 - (int)id;
    return (int)id;
}

static int sleeper(void *arg)
{
    (void)arg;
    return calm_sleep(60000);
}

static int bad;

static int check_main(void *arg)
{
    calm_loop *loop = arg;
    calm_task *t[8], *s;
    long i;
    int r = 0, rc;

    for (i = 0; i < 8; i++)
        t[i] = calm_spawn(loop, worker, (void *)i);
    for (i = 0; i < 8; i++) {
        int rc = t[i] ? calm_await(t[i], calm_after(30000), &r) : -ENOMEM;
        if (rc == CALM_ECANCELED)
            return rc;
        if (rc != 0 || r != i) {
            fprintf(stderr, "switch_check: task %ld returned %d (%d)\n", i, r, rc);
            bad++;
        }
    }
    s = calm_spawn(loop, sleeper, NULL);
    if (s == NULL)
        return -ENOMEM;
    r = calm_sleep(5);
    calm_cancel(s);
    if (r != 0) {
        calm_detach(s);
        return r;
    }
    r = 0;
    rc = calm_await(s, calm_after(5000), &r);
    if (rc != 0)
        return rc;
    if (r != CALM_ECANCELED) {
        fprintf(stderr, "switch_check: cancelled task returned %d\n", r);
        bad++;
    }
    return 0;
}

int main(void)
{
    calm_loop *loop;
    calm_task *t;
    int rc;

    alarm(120);                           /* emulators are slow; a hang still fails */
    loop = calm_loop_new(NULL);
    if (loop == NULL)
        return 1;
    t = calm_spawn(loop, check_main, loop);
    if (t == NULL)
        return 1;
    calm_detach(t);
    rc = calm_loop_run(loop);
    calm_loop_free(loop);
    printf("switch_check: %s\n", rc == 0 && bad == 0 ? "ok" : "FAILED");
    return rc == 0 && bad == 0 ? 0 : 1;
}
