/* switch_ucontext.c -- the portable context switch (makecontext/swapcontext),
 * used where no hand-written switch exists. swapcontext also saves the signal
 * mask, a system call per switch: correct everywhere, but slow. */
#include "ctx.h"

#ifdef CALM_CTX_UCONTEXT
#include <stdint.h>

/* makecontext passes int arguments only, so the pointers travel in halves. */
static void calm__ctx_trampoline(unsigned e_hi, unsigned e_lo, unsigned a_hi, unsigned a_lo)
{
    uintptr_t e = ((uintptr_t)e_hi << 16 << 16) | e_lo;
    uintptr_t a = ((uintptr_t)a_hi << 16 << 16) | a_lo;
    void (*entry)(void *) = (void (*)(void *))e;

    entry((void *)a);
}

void calm__ctx_make(calm__ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg)
{
    uintptr_t e = (uintptr_t)entry, a = (uintptr_t)arg;

    getcontext(&ctx->uc);
    ctx->uc.uc_stack.ss_sp = lo;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = NULL;
    makecontext(&ctx->uc, (void (*)(void))calm__ctx_trampoline, 4,
                (unsigned)(e >> 16 >> 16), (unsigned)e, (unsigned)(a >> 16 >> 16), (unsigned)a);
}

void calm__ctx_switch(calm__ctx *from, calm__ctx *to)
{
    swapcontext(&from->uc, &to->uc);
}
#endif
