#!/usr/bin/env python3
"""calm-lint against its parse-only floor (cxparse_multi: the same database, flags, libclang
options and threads, no visit), per corpus, the two runs interleaved so that drift on a
shared machine hits both. Prints CPU seconds (user + system of the whole process), wall
seconds and peak RSS, each the median of REPEATS, and the ratios calm-lint / floor.
calm-lint runs cold (--no-cache).

usage: lint-vs-floor.py [--lint PATH] [--floor PATH] [-j N] [-r REPEATS] BUILD_DIR...
  BUILD_DIR  a directory holding compile_commands.json (one per corpus)
"""
import argparse
import os
import statistics
import sys

from floorbench import add_arguments, run


def main():
    ap = argparse.ArgumentParser()
    add_arguments(ap)
    a = ap.parse_args()
    print("%-12s %9s %9s %6s  %8s %8s %6s  %7s %7s %5s" % (
        "corpus", "lint cpu", "floor cpu", "ratio", "lint wall", "floor", "ratio", "lint MB", "floor", "ratio"))
    for d in a.dirs:
        name = os.path.basename(os.path.normpath(d)).replace("build-calm-", "")
        # a cold run: the floor has no summary cache either
        lint = [a.lint, "--no-cache", "-p", d, "-j", str(a.j), "--format", "json"]
        floor = [a.floor, "-p", d, "-j", str(a.j)]
        L, F = [], []
        for r in range(a.r):
            # alternate the order: neither side always runs on a warm or a cold machine
            if r % 2 == 0:
                L.append(run(lint)); F.append(run(floor))
            else:
                F.append(run(floor)); L.append(run(lint))
        med = lambda xs, i: statistics.median(x[i] for x in xs)
        print("%-12s %9.2f %9.2f %6.3f  %8.2f %8.2f %6.3f  %7.0f %7.0f %5.2f" % (
            name, med(L, 0), med(F, 0), med(L, 0) / med(F, 0), med(L, 1), med(F, 1), med(L, 1) / med(F, 1),
            med(L, 2), med(F, 2), med(L, 2) / med(F, 2)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
