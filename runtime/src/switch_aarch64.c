/* switch_aarch64.c -- task context switch for aarch64 (AAPCS64): store x19-x30
 * and d8-d15 below the stack pointer, swap stack pointers, load, and return
 * through the saved link register (`ret`; x86-64 jumps instead, see
 * switch_x86_64.c, but this switch runs only under an emulator here, where no
 * timing could tell the two apart). */
#include "ctx.h"

#if defined(__aarch64__) && !defined(CALM_CTX_UCONTEXT)
#include <stdint.h>

__asm__(
    ".text\n"
    ".globl calm__ctx_jump\n"
    ".hidden calm__ctx_jump\n"
    ".type calm__ctx_jump,%function\n"
    ".p2align 4\n"
    "calm__ctx_jump:\n"
    "    sub sp, sp, #160\n"
    "    stp x19, x20, [sp, #0]\n"
    "    stp x21, x22, [sp, #16]\n"
    "    stp x23, x24, [sp, #32]\n"
    "    stp x25, x26, [sp, #48]\n"
    "    stp x27, x28, [sp, #64]\n"
    "    stp x29, x30, [sp, #80]\n"
    "    stp d8, d9, [sp, #96]\n"
    "    stp d10, d11, [sp, #112]\n"
    "    stp d12, d13, [sp, #128]\n"
    "    stp d14, d15, [sp, #144]\n"
    "    mov x2, sp\n"
    "    str x2, [x0]\n"
    "    mov sp, x1\n"
    "    ldp x19, x20, [sp, #0]\n"
    "    ldp x21, x22, [sp, #16]\n"
    "    ldp x23, x24, [sp, #32]\n"
    "    ldp x25, x26, [sp, #48]\n"
    "    ldp x27, x28, [sp, #64]\n"
    "    ldp x29, x30, [sp, #80]\n"
    "    ldp d8, d9, [sp, #96]\n"
    "    ldp d10, d11, [sp, #112]\n"
    "    ldp d12, d13, [sp, #128]\n"
    "    ldp d14, d15, [sp, #144]\n"
    "    add sp, sp, #160\n"
    "    ret\n"
    ".size calm__ctx_jump,.-calm__ctx_jump\n"
    /* First frame of every task: entry(arg) from x20/x19; entry never returns. */
    ".globl calm__ctx_start\n"
    ".hidden calm__ctx_start\n"
    ".type calm__ctx_start,%function\n"
    ".p2align 4\n"
    "calm__ctx_start:\n"
    "    .cfi_startproc\n"
    "    .cfi_undefined x30\n"
    "    mov x0, x19\n"
    "    blr x20\n"
    "    brk #0\n"
    "    .cfi_endproc\n"
    ".size calm__ctx_start,.-calm__ctx_start\n");

void calm__ctx_start(void);

void calm__ctx_make(calm__ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg)
{
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
    uint64_t *sp = (uint64_t *)(top - 160);
    int i;

    for (i = 0; i < 20; i++)
        sp[i] = 0;
    sp[0] = (uint64_t)(uintptr_t)arg;     /* x19 */
    sp[1] = (uint64_t)(uintptr_t)entry;   /* x20 */
    sp[10] = 0;                           /* x29: ends frame-pointer unwinding */
    sp[11] = (uint64_t)(uintptr_t)calm__ctx_start; /* x30 */
    ctx->sp = sp;
}
#endif
