/* ctx.h -- saving and restoring a task's registers. A hand-written switch on
 * x86-64 and aarch64 (a few ns); ucontext elsewhere or when CALM_CTX_UCONTEXT
 * is defined at build time. */
#ifndef CALM_CTX_H
#define CALM_CTX_H

#include <stddef.h>

#if !defined(CALM_CTX_UCONTEXT) && !defined(__x86_64__) && !defined(__aarch64__)
#define CALM_CTX_UCONTEXT 1
#endif

#ifdef CALM_CTX_UCONTEXT
#include <ucontext.h>
typedef struct calm__ctx {
    ucontext_t uc;
} calm__ctx;
void calm__ctx_switch(calm__ctx *from, calm__ctx *to);
#elif defined(__x86_64__)
#include <stdint.h>
/* x86-64: the switch is inline assembly at its call site, with no call and no
 * return (see switch_x86_64.c for why). Everything but the stack and frame
 * pointers is declared clobbered, so the compiler itself keeps what is live. */
typedef struct calm__ctx {
    void *sp;                             /* stack pointer at the switch */
    void *pc;                             /* where the context resumes */
    void *fp;                             /* frame pointer (rbp) */
    uint32_t mxcsr;                       /* SSE control and status */
    uint16_t fpucw;                       /* x87 control word */
    void (*entry)(void *);                /* first switch only: entry(arg), so that */
    void *arg;                            /* making a context touches no stack page */
} calm__ctx;

#if defined(__AVX512F__)
#define CALM__CTX_CLOBBER_AVX512 , "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", \
    "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", \
    "xmm31", "k1", "k2", "k3", "k4", "k5", "k6", "k7"
#else
#define CALM__CTX_CLOBBER_AVX512
#endif

/* Saves the floating-point control words, the stack and frame pointers and the
 * resume address in *from, and jumps into to. The control words are loaded
 * only when they differ: loading them costs more than the rest of the switch
 * (ten times a yield here). MXCSR's six status flags are left out of the
 * comparison: they are not control bits (the ABI makes them caller-saved, so a
 * call such as calm_yield may change them), and any floating-point division
 * raises one, which would otherwise make every switch to and from that task
 * load them. */
static inline __attribute__((always_inline)) void calm__ctx_switch(calm__ctx *from, calm__ctx *to)
{
    __asm__ __volatile__(
        "stmxcsr %c[mx](%0)\n\t"
        "fnstcw %c[cw](%0)\n\t"
        "movl %c[mx](%0), %%eax\n\t"
        "xorl %c[mx](%1), %%eax\n\t"
        "testl $0xffc0, %%eax\n\t"
        "jne 2f\n\t"
        "movzwl %c[cw](%0), %%eax\n\t"
        "cmpw %c[cw](%1), %%ax\n\t"
        "jne 2f\n"
        "3:\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "movq %%rsp, %c[sp](%0)\n\t"
        "movq %%rbp, %c[fp](%0)\n\t"
        "movq %%rax, %c[pc](%0)\n\t"
        "movq %c[sp](%1), %%rsp\n\t"
        "movq %c[fp](%1), %%rbp\n\t"
        "jmpq *%c[pc](%1)\n"
        "2:\n\t"
        "ldmxcsr %c[mx](%1)\n\t"
        "fldcw %c[cw](%1)\n\t"
        "jmp 3b\n"
        "1:\n\t"
        : "+D"(from), "+S"(to)
        : [sp] "i"(offsetof(calm__ctx, sp)), [pc] "i"(offsetof(calm__ctx, pc)),
          [fp] "i"(offsetof(calm__ctx, fp)), [mx] "i"(offsetof(calm__ctx, mxcsr)),
          [cw] "i"(offsetof(calm__ctx, fpucw))
        : "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
          "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
          "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)",
          "st(3)", "st(4)", "st(5)", "st(6)", "st(7)", "memory", "cc" CALM__CTX_CLOBBER_AVX512);
}
#else
typedef struct calm__ctx {
    void *sp;                             /* stack pointer with the callee-saved registers on top */
} calm__ctx;
/* Saves the callee-saved registers on the current stack, stores the stack
 * pointer in *save_sp and resumes the context whose stack pointer is to_sp. */
void calm__ctx_jump(void **save_sp, void *to_sp);
static inline void calm__ctx_switch(calm__ctx *from, calm__ctx *to)
{
    calm__ctx_jump(&from->sp, to->sp);
}
#endif

/* Prepares ctx to call entry(arg) on the stack [lo, lo + size) when first
 * switched to. entry must never return. */
void calm__ctx_make(calm__ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg);

#endif /* CALM_CTX_H */
