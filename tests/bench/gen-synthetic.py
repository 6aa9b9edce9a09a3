#!/usr/bin/env python3
"""Writes a synthetic C project of N translation units and its compile_commands.json, for
measuring how calm-lint's steps after the parse grow with the program: every unit
includes one header of `static inline` helpers (a copy per unit), registers a loop
callback, calls into the next unit (chains across units), fills an ops table of function
pointers that another unit calls through, and every tenth unit blocks at the end of a
chain. The units are tiny, so the parse stays small next to what follows it.

usage: gen-synthetic.py N OUT_DIR     (then: calm-lint -p OUT_DIR, cxparse_multi -p OUT_DIR)
"""
import json
import os
import sys

HEADER = """\
#ifndef SYN_H
#define SYN_H
#include <stddef.h>
typedef struct calm_loop calm_loop;
typedef void (*calm_callback)(calm_loop *loop, void *arg);
int calm_call_soon(calm_loop *loop, calm_callback cb, void *arg);
unsigned int sleep(unsigned int seconds);

struct syn_ops {
  int (*step)(void *self, int n);
  void (*done)(void *self);
};
extern const struct syn_ops *syn_tables[];

static inline int syn_clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
static inline int syn_run(const struct syn_ops *ops, void *self, int n) {
  int r = ops->step(self, syn_clamp(n, 0, 100));
  if (r < 0) ops->done(self);
  return r;
}
static inline int syn_sum(const int *v, size_t n) {
  int s = 0;
  for (size_t i = 0; i < n; i++) s += v[i];
  return s;
}
%s
#endif
"""

UNIT = """\
#include "syn.h"

int unit_%(i)d_chain(int n);
int unit_%(next)d_chain(int n);

static int step_%(i)d(void *self, int n) {
  (void)self;
  return n > 0 ? unit_%(next)d_chain(n - 1) : 0;
}

static void done_%(i)d(void *self) { (void)self; }

const struct syn_ops ops_%(i)d = { .step = step_%(i)d, .done = done_%(i)d };

int unit_%(i)d_chain(int n) {
  int v[3] = {n, n + 1, n + 2};
  %(block)s
  return syn_run(syn_tables[%(other)d], NULL, syn_sum(v, 3));
}

static void on_ready_%(i)d(calm_loop *loop, void *arg) {
  (void)loop;
  unit_%(i)d_chain(syn_clamp((int)(size_t)arg, 0, 10));
}

void unit_%(i)d_start(calm_loop *loop) { calm_call_soon(loop, on_ready_%(i)d, NULL); }
"""

TABLES = """\
#include "syn.h"
%(decls)s
const struct syn_ops *syn_tables[] = {
%(items)s
};
"""


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n, out = int(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(os.path.join(out, "src"), exist_ok=True)
    # a few more helpers, so a header copy weighs what a real project's does
    extra = "\n".join(
        "static inline int syn_helper_%d(int a, int b) { if (a > b) return syn_clamp(a - b, 0, %d); return b - a; }"
        % (k, k) for k in range(40))
    with open(os.path.join(out, "src", "syn.h"), "w") as f:
        f.write(HEADER % extra)
    files = []
    for i in range(n):
        name = os.path.join(out, "src", "unit%05d.c" % i)
        block = "if (n == 0) sleep(1);" if i % 10 == 9 else ""
        with open(name, "w") as f:
            f.write(UNIT % {"i": i, "next": (i + 1) % n, "other": (i * 7 + 3) % n, "block": block})
        files.append(name)
    name = os.path.join(out, "src", "tables.c")
    with open(name, "w") as f:
        f.write(TABLES % {"decls": "\n".join("extern const struct syn_ops ops_%d;" % i for i in range(n)),
                          "items": ",\n".join("  &ops_%d" % i for i in range(n))})
    files.append(name)
    db = [{"directory": out, "file": f, "arguments": ["cc", "-std=c11", "-Isrc", "-c", f]} for f in files]
    with open(os.path.join(out, "compile_commands.json"), "w") as f:
        json.dump(db, f, indent=1)
    print("%d units in %s" % (len(files), out))


if __name__ == "__main__":
    main()
