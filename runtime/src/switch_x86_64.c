/* switch_x86_64.c -- the first frame of an x86-64 task (System V ABI); the
 * switch itself is inline assembly in ctx.h. Why inline, with no call and no
 * return: a `ret` into another task is well predicted only while every task
 * suspends through the same chain of calls, and a `call` that never returns
 * (`pop; jmp`) leaves the return predictor one entry off, so every later
 * return of the resumed task misses (31.9 ns per yield against 11.3 with
 * `ret`). A plain jump touches no return prediction: each return after the
 * switch is the one the resumed task's own calls pushed. The floating-point
 * control words (MXCSR and the x87 control word, callee-saved in the ABI) are
 * kept per task, so one task's rounding mode is not another's. */
#include "ctx.h"

#if defined(__x86_64__) && !defined(CALM_CTX_UCONTEXT)
#include <stdint.h>

/* the offsets the first frame reads */
_Static_assert(offsetof(calm__ctx, entry) == 32, "calm__ctx_start reads entry at 32");
_Static_assert(offsetof(calm__ctx, arg) == 40, "calm__ctx_start reads arg at 40");

__asm__(
    /* First frame of every task: the switch left the context's own address in
     * rbp (its fp), whence entry and arg; entry never returns. */
    ".text\n"
    ".globl calm__ctx_start\n"
    ".hidden calm__ctx_start\n"
    ".type calm__ctx_start,@function\n"
    ".p2align 4\n"
    "calm__ctx_start:\n"
    "    .cfi_startproc\n"
    "    .cfi_undefined rip\n"
    "    movq 32(%rbp), %rax\n"
    "    movq 40(%rbp), %rdi\n"
    "    xorl %ebp, %ebp\n"
    "    callq *%rax\n"
    "    ud2\n"
    "    .cfi_endproc\n"
    ".size calm__ctx_start,.-calm__ctx_start\n");

void calm__ctx_start(void);

void calm__ctx_make(calm__ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg)
{
    uint32_t mxcsr;
    uint16_t fpucw;

    /* a task starts with the floating-point controls of the thread that made it */
    __asm__ __volatile__("stmxcsr %0" : "=m"(mxcsr));
    __asm__ __volatile__("fnstcw %0" : "=m"(fpucw));
    /* 16-byte aligned, so that entry sees a normally aligned call frame; the
     * stack is first written by the call in calm__ctx_start */
    ctx->sp = (void *)(((uintptr_t)lo + size) & ~(uintptr_t)15);
    ctx->pc = (void *)calm__ctx_start;
    ctx->fp = ctx;
    ctx->mxcsr = mxcsr;
    ctx->fpucw = fpucw;
    ctx->entry = entry;
    ctx->arg = arg;
}
#endif
