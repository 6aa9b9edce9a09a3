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
