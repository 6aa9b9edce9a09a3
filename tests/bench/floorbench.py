"""What lint-vs-floor.py and pch-vs-floor.py share: one measured run, and their
command line (calm-lint, the parse-only floor, threads, repeats, databases)."""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    """(cpu seconds, wall seconds, peak RSS in MB) of one run of cmd."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit("%s exited with %d" % (" ".join(cmd), code))
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss / 1024.0


def add_arguments(ap):
    """--lint, --floor, -j, -r and the databases, with this tree's build as default."""
    ap.add_argument("--lint", default=os.path.join(HERE, "../../build/calm-lint"))
    ap.add_argument("--floor", default=os.path.join(HERE, "../../build/tests/bench/cxparse_multi"))
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("-r", type=int, default=5)
    ap.add_argument("dirs", nargs="+")
