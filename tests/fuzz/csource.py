#!/usr/bin/env python3
"""The C-source target: generated C programs linted end to end.

Writes batches of small random C programs (deep nesting, long chains, huge functions,
odd declarations, event-loop callbacks that block) and runs calm-lint over each batch.
A batch fails if the run does not finish in time, exits with a signal or a status other
than 0, 1 or 2, prints JSON that does not parse, or reports a unit that crashed,
overflowed the stack or timed out: containment hides those from users, not from here.
The failing batch is kept for reproduction.

usage: csource.py CALM_LINT [SECONDS] [--seed N] [--keep DIR]
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

BATCH = 12
RUN_LIMIT = 120  # seconds for one batch; a unit may take at most RUN_LIMIT / 2
BAD_REASONS = ("crashed", "stack overflow", "timed out", "worker")

HEADER = """#include <stddef.h>
#include <unistd.h>
#define ASYNC __attribute__((annotate("calm::async")))
struct node { struct node *next; int v; unsigned bits : 3; int tail[]; };
typedef int (*op_fn)(int);
typedef op_fn (*op_maker)(void);
int g(int x);
int h(void);
"""


class Gen:
    def __init__(self, rng):
        self.r = rng
        self.n = 0

    def name(self, base):
        self.n += 1
        return "%s%d" % (base, self.n)

    def expr(self, depth):
        r = self.r
        if depth <= 0 or r.random() < 0.2:
            return r.choice(["x", "1", "0", "g(x)", "h()", "(int)sizeof(struct node)", "'a'", "-x", "!x"])
        k = r.randrange(9)
        a, b = self.expr(depth - 1), self.expr(0)
        if k == 0:
            return "(%s %s %s)" % (a, r.choice("+-*&|^<>"), b)
        if k == 1:
            return "(%s ? %s : %s)" % (self.expr(depth - 1), a, b)
        if k == 2:
            return "g(%s)" % a
        if k == 3:
            return "(%s && %s)" % (a, b)
        if k == 4:
            return "((int (*)(int))g)(%s)" % a
        if k == 5:
            return "({ int t_ = %s; t_ + %s; })" % (a, b)
        if k == 6:
            return "_Generic(%s, int: %s, default: 0)" % (a, b)
        if k == 7:
            return "(x = %s, %s)" % (a, b)
        return "((struct node){.v = %s}).v" % a

    def chain(self):
        r = self.r
        n = r.choice([10, 100, 1000, 3000])
        k = r.randrange(4)
        if k == 0:
            return " + ".join(["x"] * n)
        if k == 1:
            return "g(" * min(n, 200) + "x" + ")" * min(n, 200)
        if k == 2:
            return "p" + "->next" * n + "->v"
        return "- " * n + "x"

    def stmt(self, depth):
        r = self.r
        if depth <= 0 or r.random() < 0.25:
            return r.choice(["x = %s;" % self.expr(2), "g(x);", "if (x) return x;", ";",
                             "sleep(1);", "{ int y = x; (void)y; }"])
        # one branch goes deep, the others stay shallow: the size grows with depth, not 2^depth
        k = r.randrange(8)
        body = self.stmt(depth - 1)
        if k == 0:
            return "if (%s) { %s } else { %s }" % (self.expr(2), body, self.stmt(0))
        if k == 1:
            return "while (%s) { %s break; }" % (self.expr(1), body)
        if k == 2:
            return "for (int i = 0; i < x; i++) { %s continue; }" % body
        if k == 3:
            return "switch (x) { case 0: %s break; case 1 ... 3: x++; default: %s }" % (body, self.stmt(0))
        if k == 4:
            lab = self.name("L")
            return "{ goto %s; %s %s: x--; }" % (lab, body, lab)
        if k == 5:
            return "do { %s } while (0);" % body
        if k == 6:
            return "{ %s %s }" % (body, self.stmt(0))
        return "{ int t = %s; x += t; %s }" % (self.expr(2), body)

    def nested_ifs(self, n):
        return "if (x) " * n + "x++;"

    def function(self):
        r = self.r
        name = self.name("f")
        attr = "ASYNC " if r.random() < 0.3 else ""
        parts = []
        shape = r.randrange(5)
        if shape == 0:  # deep nesting
            parts.append(self.stmt(r.choice([5, 20, 100])))
        elif shape == 1:  # long chains
            parts.append("x = %s;" % self.chain())
        elif shape == 2:  # a huge function
            parts.extend(self.stmt(1) for _ in range(r.choice([200, 1000, 3000])))
        elif shape == 3:
            parts.append(self.nested_ifs(r.choice([50, 500, 2000])))
        else:
            parts.extend(self.stmt(4) for _ in range(10))
        body = "\n  ".join(parts)
        return "%sint %s(int x, struct node *p) {\n  (void)p;\n  %s\n  return x;\n}\n" % (attr, name, body)

    def odd_declarations(self):
        r = self.r
        decls = [
            "static int krstyle(a, b) int a; char *b; { return a + (b != 0); }",
            "op_fn (*pick(int which))(int) { (void)which; return 0; }",
            "static op_maker makers[3];",
            "int vla(int n) { int a[n > 0 ? n : 1]; a[0] = n; return a[0]; }",
            "struct { int a; union { int b; float c; }; } anon_%d;" % self.n,
            "enum e%d { E%d_A = 1 << 3, E%d_B = E%d_A * 2 };" % ((self.n,) * 4),
            "_Static_assert(sizeof(int) >= 2, \"int\");",
            "int (*(*fp_array%d[4])(void))[8];" % self.n,
            "extern int late_def%d; int late_def%d = 3;" % (self.n, self.n),
            "static void empty%d(void) {}" % self.n,
            "int weak_fn%d(void) __attribute__((weak));" % self.n,
        ]
        self.n += 1
        return "\n".join(r.sample(decls, r.randrange(1, len(decls))))

    def program(self):
        parts = [HEADER, self.odd_declarations()]
        parts.extend(self.function() for _ in range(self.r.randrange(1, 5)))
        return "\n".join(parts) + "\n"


def run_batch(calm_lint, rng, workdir):
    gen = Gen(rng)
    for i in range(BATCH):
        with open(os.path.join(workdir, "p%02d.c" % i), "w") as f:
            f.write(gen.program())
    cmd = [calm_lint, "--format", "json", "--no-cache", "-j2", "--timeout-per-file", str(RUN_LIMIT // 2),
           workdir, "--", "-std=gnu11", "-w"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_LIMIT)
    except subprocess.TimeoutExpired:
        return "did not finish in %d s" % RUN_LIMIT
    if p.returncode < 0 or p.returncode > 2:
        return "exit status %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[-2000:])
    try:
        report = json.loads(p.stdout)
    except ValueError as e:
        return "output is not JSON (%s): %s" % (e, p.stderr.decode(errors="replace")[-2000:])
    for e in report.get("errors", []):
        if any(w in e.get("message", "") for w in BAD_REASONS):
            return "%s: %s" % (e.get("file"), e.get("message"))
    if b"ERROR: AddressSanitizer" in p.stderr or b"runtime error:" in p.stderr:
        return "sanitizer report: %s" % p.stderr.decode(errors="replace")[-3000:]
    return None


def main():
    args = sys.argv[1:]
    seed, keep = int(time.time()), None
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    if "--keep" in args:
        i = args.index("--keep")
        keep = args[i + 1]
        del args[i:i + 2]
    if not args:
        sys.exit(__doc__.strip().splitlines()[-1])
    calm_lint = os.path.abspath(args[0])
    seconds = float(args[1]) if len(args) > 1 else 30
    rng = random.Random(seed)
    start, batches = time.time(), 0
    while batches == 0 or time.time() - start < seconds:
        workdir = tempfile.mkdtemp(prefix="calm-csource-")
        why = run_batch(calm_lint, rng, workdir)
        batches += 1
        if why:
            if keep:
                shutil.rmtree(keep, ignore_errors=True)
                shutil.move(workdir, keep)
                workdir = keep
            print("csource: FAILED (seed %d, batch %d, programs in %s): %s" % (seed, batches, workdir, why))
            return 1
        shutil.rmtree(workdir)
    print("csource: %d programs in %d batches, seed %d, %.0f s" % (batches * BATCH, batches, seed,
                                                                 time.time() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
