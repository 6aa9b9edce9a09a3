/* Where a stdio stream comes from, and what a path is made from. A FILE * opened on a
 * file whose reads and writes do not wait (procfs and sysfs, which the kernel serves
 * from memory; a memory buffer) makes the stdio calls on it non-blocking too. */
#ifndef CALM_LINT_STREAMS_H
#define CALM_LINT_STREAMS_H

#include "program.h"

/* Whether `call` (in `f`) reads or writes a stream (its model's `stream_arg`) held in
 * a local variable that only calls opening streams that do not block set: a stream
 * whose open's `blocking` condition does not hold (`fopen("/proc/...")`, `fmemopen`), or
 * one over a descriptor in non-blocking mode (`fdopen(dup(fd))` of a libuv stream's
 * `uv_fileno`), where a write comes back short instead of waiting. Being given
 * `stdout` or `stderr` too is fine (writes there are the log, which the catalogue
 * leaves out). A parameter, a static, a variable whose address is taken or that is
 * assigned anything else may hold any stream: false. */
bool stream_never_blocks(const program *p, const ir_function *f, const ir_call *call);

/* Whether `cond` (a `blocking` condition of `call`'s model) holds for `call` in `f`, a
 * path argument that a `prefix` test reads taken as the literal it is formatted from
 * when it is a local made only that way (`xasprintf(&path, "/proc/%d/cmdline", pid);
 * fopen(path, "r")`: see path_literals in streams.c). */
bool stream_open_blocks(const program *p, const ir_function *f, const ir_call *call, const model_cond *cond);

#endif
