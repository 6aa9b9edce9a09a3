#!/usr/bin/env python3
"""Compile flags mean to calm-lint what they mean to clang.

Every path-taking flag, relative and absolute, joined and separate, and inside response
files: `clang -fsyntax-only` runs the command in its directory, calm-lint reads the same
command from a compile database while it runs in another directory, and again with the
flags after `--`. Both must parse, or both must fail naming the same file. calm-lint's own
directory holds decoys with the project's relative names, so a path resolved against the
wrong directory fails. Each case also says what clang does, so a broken case cannot pass
by failing on both sides.

usage: flags_clang_test.py CALM_LINT [CLANG]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

LINT = os.path.abspath(sys.argv[1])
CLANG = sys.argv[2] if len(sys.argv) > 2 else "clang"
if not shutil.which(CLANG):
    print(f"skip: {CLANG} not found")
    sys.exit(77)

ROOT = tempfile.mkdtemp(prefix="calm-flags-")
PROJ = os.path.join(ROOT, "proj")  # the compile command's directory
DECOY = os.path.join(ROOT, "decoy")  # calm-lint's working directory

PROJECT_FILES = {
    "inc/w.h": "#define WHERE 1\n",
    "inc/config/defs.h": "#define DEFS 1\n",
    "quote/q.h": "#define QUOTED 1\n",
    "defs.h": "#define TOP 1\n",
    "macros.h": "#define FROM_IMACROS 1\nint not_seen_by_imacros = ;\n",
    "bad.h": "int bad = ;\n",
    "sr/inc/w.h": "#define WHERE 2\n",
    "sr/usr/include/sysonly.h": "#define SYSONLY 1\n",
    "=inc/w.h": "#define WHERE 3\n",
    "pre/inc/w.h": "#define WHERE 4\n",
    "preinc/w.h": "#define WHERE 5\n",
    "flags.rsp": "-Iinc -include defs.h '-DQUOTED_DEF=1'\n",
    "top.rsp": "-DFROM_TOP=1 @rsp/nested.rsp\n",
    "rsp/nested.rsp": "-Iinc\n",
    "rsp/bad.rsp": "-include bad.h\n",
    # clang's driver reads a nested name against its working directory, not the including file's
    "rsp/outer.rsp": "@inner.rsp\n",
    "inner.rsp": "-Iinc\n",
    "rsp/inner.rsp": "-Inothere\n",
}
# the same relative names where calm-lint runs: finding any of them is a wrong resolution
DECOY_FILES = {name: '#error "decoy: resolved against the linter\'s directory"\n'
               for name in ["inc/w.h", "inc/config/defs.h", "quote/q.h", "defs.h", "macros.h", "bad.h",
                            "sr/inc/w.h", "=inc/w.h", "pre/inc/w.h", "preinc/w.h", "nothere.h",
                            "sr/usr/include/sysonly.h"]}
DECOY_FILES["flags.rsp"] = "-DWRONG_RSP=1\n"
DECOY_FILES["missing.rsp"] = "-DWRONG_RSP=1\n"

SOURCES = {
    "where": "#include <w.h>\n_Static_assert(WHERE == EXPECT, \"where\");\n",
    "unistd": "void cb(void) { usleep(1); }\n",
    "defs": "_Static_assert(DEFS == 1, \"defs\");\n",
    "top": "_Static_assert(TOP == 1, \"top\");\n",
    "imacros": "_Static_assert(FROM_IMACROS == 1, \"imacros\");\n",
    "quoted": "#include \"q.h\"\n_Static_assert(QUOTED == 1, \"quoted\");\n",
    "sysonly": "#include <sysonly.h>\n_Static_assert(SYSONLY == 1, \"sysonly\");\n",
    "rsp": "_Static_assert(TOP == 1 && QUOTED_DEF == 1, \"rsp\");\n#include <w.h>\n"
           "#ifdef WRONG_RSP\n#error wrong response file\n#endif\n",
    "nested": "_Static_assert(FROM_TOP == 1, \"top\");\n#include <w.h>\n",
    "plain": "int plain;\n",
}

P = PROJ
RESOURCE_DIR = subprocess.run([CLANG, "-print-resource-dir"], capture_output=True, text=True).stdout.strip()
# (name, source, flags, clang's outcome: "ok", or what its first error names: "missing-file in position")
CASES = [
    ("-include system header", "unistd", ["-include", "unistd.h"], "ok"),
    ("-include joined", "unistd", ["-includeunistd.h"], "ok"),
    ("-include relative", "top", ["-include", "defs.h"], "ok"),
    ("-include relative joined", "top", ["-includedefs.h"], "ok"),
    ("-include absolute", "top", ["-include", f"{P}/defs.h"], "ok"),
    ("-include through -I", "defs", ["-Iinc", "-include", "config/defs.h"], "ok"),
    ("-include through -I after it", "defs", ["-include", "config/defs.h", "-I", "inc"], "ok"),
    ("-include through -iquote", "defs", ["-iquote", "inc", "-include", "config/defs.h"], "ok"),
    ("-include missing", "plain", ["-include", "nothere.h"], "nothere.h in no position"),
    ("-include with an error in it", "plain", ["-include", "bad.h"], f"- in {P}/bad.h"),
    ("-include absolute with an error", "plain", ["-include", f"{P}/bad.h"], f"- in {P}/bad.h"),
    ("-imacros relative", "imacros", ["-imacros", "macros.h"], "ok"),
    ("-imacros absolute", "imacros", ["-imacros", f"{P}/macros.h"], "ok"),
    ("-imacros missing", "plain", ["-imacros", "nothere.h"], "nothere.h in no position"),
    ("-I separate", "where", ["-DEXPECT=1", "-I", "inc"], "ok"),
    ("-I joined", "where", ["-DEXPECT=1", "-Iinc"], "ok"),
    ("-I dot-dot", "where", ["-DEXPECT=1", "-I../proj/inc"], "ok"),
    ("-I absolute", "where", ["-DEXPECT=1", f"-I{P}/inc"], "ok"),
    ("-I missing", "where", ["-DEXPECT=1", "-Inothere"], f"w.h in {P}/a.c"),
    ("-iquote relative", "quoted", ["-iquote", "quote"], "ok"),
    ("-iquote absolute", "quoted", [f"-iquote{P}/quote"], "ok"),
    ("-isystem relative", "where", ["-DEXPECT=1", "-isystem", "inc"], "ok"),
    ("-isystem absolute", "where", ["-DEXPECT=1", "-isystem", f"{P}/inc"], "ok"),
    ("-idirafter relative", "where", ["-DEXPECT=1", "-idirafterinc"], "ok"),
    ("-idirafter absolute", "where", ["-DEXPECT=1", "-idirafter", f"{P}/inc"], "ok"),
    ("-I= without a sysroot is a directory named =inc", "where", ["-DEXPECT=3", "-I=inc"], "ok"),
    ("-I= under -isysroot", "where", ["-DEXPECT=2", "-isysroot", "sr", "-I=/inc"], "ok"),
    ("-I= under a later -isysroot", "where", ["-DEXPECT=2", "-I=/inc", "-isysrootsr"], "ok"),
    ("-I= under --sysroot=", "where", ["-DEXPECT=2", "--sysroot=sr", "-I=inc"], "ok"),
    ("-I= under --sysroot", "where", ["-DEXPECT=2", "--sysroot", "sr", "-I", "=/inc"], "ok"),
    ("-I= under an absolute sysroot", "where", ["-DEXPECT=2", f"--sysroot={P}/sr", "-I=/inc"], "ok"),
    ("--sysroot relative finds system headers", "sysonly", ["--sysroot=sr"], "ok"),
    ("--sysroot separate", "sysonly", ["--sysroot", "sr"], "ok"),
    ("--sysroot absolute", "sysonly", [f"--sysroot={P}/sr"], "ok"),
    ("-isysroot absolute", "where", ["-DEXPECT=2", "-isysroot", f"{P}/sr", "-I=/inc"], "ok"),
    ("-isysroot missing", "where", ["-DEXPECT=2", "-isysroot", "nothere", "-I=/inc"], f"w.h in {P}/a.c"),
    ("-iwithsysroot", "where", ["-DEXPECT=2", "-isysroot", "sr", "-iwithsysroot", "/inc"], "ok"),
    ("-iprefix with a slash", "where", ["-DEXPECT=4", "-iprefix", "pre/", "-iwithprefix", "inc"], "ok"),
    ("-iprefix is a string prefix", "where", ["-DEXPECT=5", "-iprefix", "pre", "-iwithprefix", "inc"], "ok"),
    ("-iprefix then an absolute-looking value", "where", ["-DEXPECT=4", "-iprefixpre", "-iwithprefix/inc"], "ok"),
    ("-iprefix absolute", "where", ["-DEXPECT=4", "-iprefix", f"{P}/pre/", "-iwithprefixbefore", "inc"], "ok"),
    ("-iwithprefix with no prefix", "where", ["-DEXPECT=5", "-iwithprefix", "preinc"], "ok"),
    ("-iwithprefixbefore with no prefix", "where", ["-DEXPECT=5", "-iwithprefixbefore", "preinc"], "ok"),
    ("-resource-dir absolute", "unistd", ["-resource-dir", RESOURCE_DIR], "ok"),
    ("-resource-dir relative", "unistd", ["-resource-dir=nothere"], "ok"),
    ("@response relative", "rsp", ["-DEXPECT=1", "@flags.rsp"], "ok"),
    ("@response absolute", "rsp", ["-DEXPECT=1", f"@{P}/flags.rsp"], "ok"),
    ("@response nested", "nested", ["-DEXPECT=1", "@top.rsp"], "ok"),
    ("@response nested, named from the directory", "where", ["-DEXPECT=1", "@rsp/outer.rsp"], "ok"),
    ("@response with -include of a bad file", "plain", ["@rsp/bad.rsp"], f"- in {P}/bad.h"),
    ("@response missing", "plain", ["@missing.rsp"], "@missing.rsp in no position"),
]


def write(base, files):
    for name, text in files.items():
        path = os.path.join(base, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def first_error_clang(out):
    """What clang's first error names: the missing file it quotes, and where it is."""
    for line in out.splitlines():
        m = re.match(r"^(.*?):\d+:\d+: (?:fatal )?error: (.*)$", line) or re.match(r"^(clang): error: (.*)$", line)
        if m:
            return named(m.group(2), m.group(1), PROJ)
    return "?"


def named(message, position, base):
    """`quoted-file in position-file`: a position outside any file (clang's <built-in>, the
    driver) is `no position`, which calm-lint says with no line."""
    q = re.search(r"'([^']*)'", message)
    missing = q.group(1) if q and ("not found" in message or "no such file" in message
                                   or "response file" in message) else "-"
    if position in ("clang", "<built-in>", ""):
        where = "no position"
    else:
        where = os.path.normpath(os.path.join(base, position))
    return f"{missing} in {where}"


def lint(args, cwd):
    p = subprocess.run([LINT, "--format", "json"] + args, cwd=cwd, capture_output=True, text=True, timeout=120)
    if "Sanitizer" in p.stderr:  # a sanitizer build: a leak or worse on an error path fails the case
        return "sanitizer report: " + p.stderr.strip().splitlines()[0][:200]
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return f"no JSON (exit {p.returncode}): {p.stderr.strip()[:200]}"
    errors = doc.get("errors", [])
    if not errors:
        return "ok" if p.returncode in (0, 1) else f"exit {p.returncode} without errors"
    e = errors[0]
    return named(e["message"], e["file"] if e.get("line") else "", cwd)


def main():
    write(PROJ, PROJECT_FILES)
    write(DECOY, DECOY_FILES)
    failures = 0
    for name, src, flags, expect in CASES:
        source = os.path.join(PROJ, "a.c")
        with open(source, "w") as f:
            f.write(SOURCES[src])
        c = subprocess.run([CLANG, "-fsyntax-only", "-w"] + flags + ["a.c"], cwd=PROJ, capture_output=True, text=True)
        clang = "ok" if c.returncode == 0 else first_error_clang(c.stderr)
        with open(os.path.join(PROJ, "compile_commands.json"), "w") as f:
            json.dump([{"directory": PROJ, "file": "a.c", "arguments": ["clang"] + flags + ["-c", "a.c"]}], f)
        via_db = lint(["-p", PROJ, source], DECOY)
        # after --, flags are relative to calm-lint's own directory: run it in the project
        via_flags = lint([source, "--"] + flags, PROJ)
        ok = clang == expect and via_db == clang and via_flags == clang
        failures += not ok
        note = "" if clang == expect else f"   (case expects {expect})"
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {' '.join(flags)}\n     clang: {clang}   "
              f"calm-lint -p: {via_db}   calm-lint --: {via_flags}{note}")
    print(f"{len(CASES) - failures} of {len(CASES)} flags agree with clang")
    return 1 if failures else 0


try:
    rc = main()
finally:
    shutil.rmtree(ROOT, ignore_errors=True)
sys.exit(rc)
