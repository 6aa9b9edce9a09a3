#!/usr/bin/env python3
"""The shared precompiled header (--pch) against a plain cold run and the parse-only floor
(cxparse_multi), per corpus, the three runs interleaved so that drift on a shared machine
hits all of them. Every --pch run builds its PCHs afresh (they live in a directory of the
run's own), so their cost is in the figures. Checks first that the JSON report is the same
byte for byte with and without --pch. Prints CPU seconds (user + system of the whole process
tree), wall seconds and peak RSS, each the median of REPEATS, and the ratios to the floor.

usage: pch-vs-floor.py [--lint PATH] [--floor PATH] [-j N] [-r REPEATS] BUILD_DIR...
  BUILD_DIR  a directory holding compile_commands.json (one per corpus)
"""
import argparse
import os
import statistics
import subprocess
import sys

from floorbench import add_arguments, run


def main():
    ap = argparse.ArgumentParser()
    add_arguments(ap)
    a = ap.parse_args()
    print("%-10s %8s %8s %8s %6s %6s  %7s %7s %7s  %6s %6s %6s" % (
        "corpus", "cpu lint", "pch", "floor", "lint/f", "pch/f", "wall", "pch", "floor", "MB", "pch", "floor"))
    for d in a.dirs:
        name = os.path.basename(os.path.normpath(d)).replace("build-calm-", "")
        lint = [a.lint, "--no-cache", "-p", d, "-j", str(a.j), "--format", "json"]
        pch = lint + ["--pch"]
        floor = [a.floor, "-p", d, "-j", str(a.j)]
        same = subprocess.run(lint, capture_output=True).stdout == subprocess.run(pch, capture_output=True).stdout
        if not same:
            sys.exit("%s: the report differs with --pch" % name)
        cmds = [lint, pch, floor]
        res = [[], [], []]
        for r in range(a.r):
            order = [(r + k) % 3 for k in range(3)]  # each side runs first, second and third in turn
            for k in order:
                res[k].append(run(cmds[k]))
        med = [[statistics.median(x[i] for x in res[k]) for i in range(3)] for k in range(3)]
        L, P, F = med
        print("%-10s %8.2f %8.2f %8.2f %6.3f %6.3f  %7.2f %7.2f %7.2f  %6.0f %6.0f %6.0f" % (
            name, L[0], P[0], F[0], L[0] / F[0], P[0] / F[0], L[1], P[1], F[1], L[2], P[2], F[2]))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
