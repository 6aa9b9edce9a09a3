#!/usr/bin/env python3
"""calm-lint against its parse-only floor (cxparse_multi: the same database, flags, libclang
options and threads, no visit), per corpus, the two runs interleaved so that drift on a
shared machine hits both. Prints CPU seconds (user + system of the whole process), wall
seconds and peak RSS, each the median of REPEATS, and the ratios calm-lint / floor.
calm-lint runs cold (--no-cache). With --before, a second calm-lint (the build before a
change) takes turns with the two, and its CPU seconds and ratio to the floor are printed
too: a change's effect measured in the same run as the floor, not an hour apart.

usage: lint-vs-floor.py [--lint PATH] [--before PATH] [--floor PATH] [-j N] [-r REPEATS] BUILD_DIR...
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
    ap.add_argument("--before", help="another calm-lint, run in turn with the two")
    a = ap.parse_args()
    print("%-12s %9s %9s %6s  %8s %8s %6s  %7s %7s %5s%s" % (
        "corpus", "lint cpu", "floor cpu", "ratio", "lint wall", "floor", "ratio", "lint MB", "floor", "ratio",
        "  %10s %6s" % ("before cpu", "ratio") if a.before else ""))
    for d in a.dirs:
        name = os.path.basename(os.path.normpath(d)).replace("build-calm-", "")
        # a cold run: the floor has no summary cache either
        lint = [a.lint, "--no-cache", "-p", d, "-j", str(a.j), "--format", "json"]
        floor = [a.floor, "-p", d, "-j", str(a.j)]
        before = [a.before] + lint[1:] if a.before else None
        L, F, B = [], [], []
        for r in range(a.r):
            # rotate the order: no side always runs on a warm or a cold machine
            sides = [(L, lint), (F, floor)] + ([(B, before)] if before else [])
            k = r % len(sides)
            for out, cmd in sides[k:] + sides[:k]:
                out.append(run(cmd))
        med = lambda xs, i: statistics.median(x[i] for x in xs)
        extra = "  %10.2f %6.3f" % (med(B, 0), med(B, 0) / med(F, 0)) if before else ""
        print("%-12s %9.2f %9.2f %6.3f  %8.2f %8.2f %6.3f  %7.0f %7.0f %5.2f%s" % (
            name, med(L, 0), med(F, 0), med(L, 0) / med(F, 0), med(L, 1), med(F, 1), med(L, 1) / med(F, 1),
            med(L, 2), med(F, 2), med(L, 2) / med(F, 2), extra))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
