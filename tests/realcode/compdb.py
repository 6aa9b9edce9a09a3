#!/usr/bin/env python3
"""Configure one real-code corpus and write the compile database calm-lint reads, without
building it: the corpus's own configure steps, then its units (from cmake's database, from an
automake Makefile's variables, or from a hand-written flag list), filtered by corpora.json.

usage: compdb.py MANIFEST CHECKOUT_DIR NAME
Writes CHECKOUT_DIR/build-calm-NAME/compile_commands.json and prints how many units it kept.
"""
import fnmatch
import glob
import json
import os
import shlex
import subprocess
import sys


def entry_of(manifest, name):
    with open(manifest) as f:
        for e in json.load(f)["corpora"]:
            if e["name"] == name:
                return e
    sys.exit(f"compdb.py: no corpus named {name} in {manifest}")


def expand(text, build):
    return text.replace("{build}", build)


def run_configure(entry, root, build):
    for argv in entry.get("configure", []):
        argv = [expand(a, build) for a in argv]
        print(f"  {entry['name']}: {' '.join(argv)}", flush=True)
        with open(os.path.join(build, "configure.log"), "a") as log:
            subprocess.run(argv, cwd=root, check=True, stdout=log, stderr=subprocess.STDOUT)


def make_var(root, makefile_dir, name):
    """The value of one make variable, as make expands it (shell words, not yet split)."""
    probe = "print-%:\n\t$(info $($*))@:\n"
    out = subprocess.run(["make", "-s", "-f", "Makefile", "-f", "-", "print-" + name],
                         cwd=os.path.join(root, makefile_dir), input=probe, text=True,
                         capture_output=True, check=True).stdout
    return out.strip()


def automake_units(spec, root):
    """Units of the named automake programs: their sources and the flags automake would pass
    (a per-program CPPFLAGS/CFLAGS replaces the AM_ one, as automake does), then the
    manifest's extra_flags (headers found elsewhere than the build expects)."""
    mdir = spec.get("dir", ".")
    base = os.path.join(root, mdir)
    common = []
    for var in ("DEFS", "DEFAULT_INCLUDES", "INCLUDES"):
        common += shlex.split(make_var(root, mdir, var))
    units = []
    for prog in spec["programs"]:
        cppflags = make_var(root, mdir, prog + "_CPPFLAGS") or make_var(root, mdir, "AM_CPPFLAGS")
        cflags = make_var(root, mdir, prog + "_CFLAGS") or make_var(root, mdir, "AM_CFLAGS")
        flags = common + shlex.split(cppflags) + shlex.split(make_var(root, mdir, "CPPFLAGS"))
        flags += shlex.split(cflags) + shlex.split(make_var(root, mdir, "CFLAGS"))
        flags += spec.get("extra_flags", [])
        srcs = []
        for var in ("_SOURCES", "dist_" + prog + "_SOURCES", "nodist_" + prog + "_SOURCES"):
            name = prog + var if var == "_SOURCES" else var
            srcs += shlex.split(make_var(root, mdir, name))
        for var in spec.get("extra_objects", []):
            srcs += [o[:-2] + ".c" for o in shlex.split(make_var(root, mdir, var)) if o.endswith(".o")]
        for s in srcs:
            if s.endswith(".y"):
                s = s[:-2] + ".c"
            if s.endswith(".c"):
                path = os.path.normpath(os.path.join(base, s))
                units.append({"directory": base, "file": path,
                              "arguments": ["cc"] + flags + ["-c", path], "output": prog})
    return units


def flag_units(spec, root):
    """Units from a hand-written list: source globs, one flag list for all."""
    flags = []
    for f in spec.get("flags", []):
        flags.append(f)
    for pkg in spec.get("pkg_config", []):
        out = subprocess.run(["pkg-config", "--cflags", pkg], capture_output=True, text=True,
                             check=True).stdout
        flags += shlex.split(out)
    units = []
    for pattern in spec["sources"]:
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            units.append({"directory": root, "file": os.path.normpath(path),
                          "arguments": ["cc"] + flags + ["-c", path], "output": "flags"})
    return units


def file_units(spec, root, build):
    with open(os.path.join(root, expand(spec["path"], build))) as f:
        units = json.load(f)
    for u in units:
        u["file"] = os.path.normpath(os.path.join(u["directory"], u["file"]))
    return units


def keep(units, spec, root):
    """Only the units the manifest lints, one per file (the one `prefer` names, else the
    first: a file built twice, as two targets, would otherwise be linked twice)."""
    chosen = {}
    for u in units:
        rel = os.path.relpath(u["file"], root)
        if not any(fnmatch.fnmatch(rel, g) for g in spec.get("include", ["*"])):
            continue
        if any(fnmatch.fnmatch(rel, g) for g in spec.get("exclude", {})):
            continue
        prefer = spec.get("prefer")
        old = chosen.get(rel)
        text = u.get("output", "") + " " + u.get("command", "") + " " + " ".join(u.get("arguments", []))
        if old is None or (prefer and prefer in text and not old[1]):
            chosen[rel] = (u, bool(prefer and prefer in text))
    return [chosen[k][0] for k in sorted(chosen)]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    manifest, root, name = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    entry = entry_of(manifest, name)
    build = os.path.join(root, "build-calm-" + name)
    os.makedirs(build, exist_ok=True)
    open(os.path.join(build, "configure.log"), "w").close()
    run_configure(entry, root, build)
    spec = entry["compdb"]
    if spec["from"] == "file":
        units = file_units(spec, root, build)
    elif spec["from"] == "automake":
        # one directory, or several ("dirs": [{"dir", "programs", ...}]), each read alike
        units = []
        for part in spec.get("dirs", [spec]):
            units += automake_units(dict(spec, **part), root)
    elif spec["from"] == "flags":
        units = flag_units(spec, root)
    else:
        sys.exit(f"compdb.py: {name}: unknown compdb source {spec['from']}")
    units = keep(units, entry.get("units", {}), root)
    with open(os.path.join(build, "compile_commands.json"), "w") as f:
        json.dump(units, f, indent=1)
    print(f"  {name}: {len(units)} units in {build}/compile_commands.json")


if __name__ == "__main__":
    main()
