#!/usr/bin/env python3
"""Real-code precision check: run calm-lint over the corpora of corpora.json (made by
setup.sh), match each finding to a judged verdict in verdicts/<corpus>.json and print, per
corpus and rule and in total, how many findings there are and how they were judged.

Columns: findings, judged (a verdict matches), TRUE / FALSE / harmless, new (no verdict yet),
errors (files with a parse error), units (translation units analysed). A `note` finding is
counted on its own row, "RULE (note)".

Not a CI test (CI has no network to fetch the corpora): it always exits 0, whatever it finds.

usage: check.py [--lint PATH] [--root CORPUS_ROOT] [--show NAME] [--list-new] [--list-stale] [-j N]
  --lint PATH    calm-lint binary (default build/calm-lint)
  --root DIR     where setup.sh put the corpora (default $REALCODE_ROOT or ./corpus)
  --show NAME    only this corpus (repeatable)
  --list-new     print every unjudged finding with its trace and a verdict stub to fill in
  --list-stale   print verdicts that no finding matches any more
  --record-via   write each matched verdict's chain ("via") where it has none yet

A verdict with a "via" (the functions of the finding's trace, root first) stands only for
a finding with that chain: when the linter finds the same call by another chain, the
finding counts as new again, to be judged anew.
  -j N           parallel units per calm-lint run (default 2)
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
VERDICTS = ("TRUE", "FALSE", "harmless")


def source_line(root, path, line):
    full = path if os.path.isabs(path) else os.path.join(root, path)
    try:
        with open(full, errors="replace") as f:
            for i, text in enumerate(f, 1):
                if i == line:
                    return text.rstrip("\n")
    except OSError:
        pass
    return ""


def callee_of(diag, text):
    """The name at the finding's span (survives message rewording): the called function
    (leading identifier or member chain) of a call, the declared name of a declaration."""
    if diag.get("end_line", diag["line"]) == diag["line"] and text:
        span = text[diag["column"] - 1:max(diag.get("end_column", 0) - 1, diag["column"])]
    else:
        span = text[diag["column"] - 1:] if text else ""
    if "(" not in span:  # a declaration such as a parameter, "int status": its name
        names = re.findall(r"[A-Za-z_]\w*", span)
        return names[-1] if names else ""
    m = re.match(r"\s*([A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*)", span)
    return m.group(1) if m else ""


def key_of(diag, root):
    text = source_line(root, diag["file"], diag["line"])
    return (diag["rule"], diag["file"], " ".join(text.split()), callee_of(diag, text))


def run_lint(lint, entry, root, jobs):
    """Every finding and parse error of one corpus: one calm-lint run per program."""
    build = os.path.join(root, "build-calm-" + entry["name"])
    runs = [[]]
    if entry.get("runs"):
        runs = [[os.path.relpath(d, root)] for pattern in entry["runs"]
                for d in sorted(glob.glob(os.path.join(root, pattern))) if os.path.isdir(d)]
    diags, errors, seen, units = [], [], set(), 0
    for inputs in runs:
        argv = [lint, "-p", build, "--format", "json", "-j", str(jobs)] + inputs
        proc = subprocess.run(argv, cwd=root, capture_output=True, text=True)
        try:
            out = json.loads(proc.stdout)
        except ValueError:
            errors.append({"file": " ".join(inputs) or entry["name"], "line": 0,
                           "message": f"calm-lint exited {proc.returncode} without JSON: "
                                      + proc.stderr.strip()[-300:]})
            continue
        for d in out.get("diagnostics", []):
            ident = (d["rule"], d["file"], d["line"], d["column"], d["message"])
            if ident not in seen:
                seen.add(ident)
                diags.append(d)
        errors += out.get("errors", [])
        units += out.get("summary", {}).get("files", 0)
    return diags, errors, units


def load_verdicts(name):
    path = os.path.join(HERE, "verdicts", name + ".json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        verdicts = json.load(f)
    for v in verdicts:
        if v.get("verdict") not in VERDICTS:
            print(f"warning: {path}: verdict {v.get('verdict')!r} is not one of {VERDICTS}",
                  file=sys.stderr)
    return verdicts


def write_verdicts(name, verdicts):
    """One verdict a line, as the files are kept."""
    path = os.path.join(HERE, "verdicts", name + ".json")
    with open(path, "w") as f:
        f.write("[\n" + ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in verdicts) + "\n]\n")


def match(diags, verdicts, root):
    """Pair findings with verdicts by key; among verdicts of one key (the same line text
    twice in a file) the nearest line hint wins. Returns {finding index: verdict}."""
    by_key = defaultdict(list)
    for v in verdicts:
        by_key[(v["rule"], v["file"], " ".join(v["text"].split()), v.get("callee", ""))].append(v)
    found, used = {}, set()
    groups = defaultdict(list)
    for i, d in enumerate(diags):
        d["_key"] = key_of(d, root)
        groups[d["_key"]].append(i)
    for k, idx in groups.items():
        cands = by_key.get(k, [])
        # a verdict recorded for this finding's chain first, then the nearest line
        pairs = sorted((("via" in v and v["via"] != chain_of(diags[i])), abs(diags[i]["line"] - v.get("line", 0)), i, j)
                       for i in idx for j, v in enumerate(cands))
        taken_i, taken_j = set(), set()
        for _, _, i, j in pairs:
            if i not in taken_i and j not in taken_j:
                taken_i.add(i)
                taken_j.add(j)
                found[i] = cands[j]
                used.add(id(cands[j]))
        # a verdict may stand for several findings of the same key (a header seen twice)
        for i in idx:
            if i not in found and cands:
                found[i] = min(cands, key=lambda v: abs(diags[i]["line"] - v.get("line", 0)))
    stale = [v for v in verdicts if id(v) not in used]
    return found, stale


def member_verdicts(d, verdicts, root):
    """The verdicts of the other places a merged finding stands for (its "also"), each
    looked up as a finding of its own would be; None where a place is unjudged."""
    by_key = defaultdict(list)
    for v in verdicts:
        by_key[(v["rule"], v["file"], " ".join(v["text"].split()), v.get("callee", ""))].append(v)
    out = []
    for a in d.get("also", []):
        place = dict(a, rule=d["rule"])
        cands = by_key.get(key_of(place, root), [])
        v = min(cands, key=lambda v: abs(a["line"] - v.get("line", 0))) if cands else None
        out.append((a, v))
    return out


def row_name(d):
    return d["rule"] if d.get("severity") != "note" else d["rule"] + " (note)"


COLS = ("findings", "judged", "TRUE", "FALSE", "harmless", "new")


def print_table(rows, errors, units):
    head = (f"{'corpus':<10} {'rule':<28}" + "".join(f"{c:>9}" for c in COLS)
            + f"{'errors':>8}{'units':>7}")
    print(head)
    print("-" * len(head))
    for (corpus, rule), c in rows:
        err = f"{errors[corpus]:>8}{units[corpus]:>7}" if rule == "all" else ""
        print(f"{corpus:<10} {rule:<28}" + "".join(f"{c[k]:>9}" for k in COLS) + err)


def chain_of(d):
    """The functions a finding's trace passes through, root first: "a > b > c"."""
    names = []
    for t in d.get("trace", []):
        m = re.match(r"'([^']+)'", t.get("message", ""))
        if m and (not names or names[-1] != m.group(1)):
            names.append(m.group(1))
    return " > ".join(names)


def print_new(corpus, d, root, old=None):
    if old:
        print(f"== {corpus}: (chain changed; was {old.get('via')!r}, judged {old['verdict']}: {old['reason']})")
    print(f"== {corpus}: {d['file']}:{d['line']}:{d['column']}: {d['severity']}: {d['message']} [{d['rule']}]")
    print(f"   {source_line(root, d['file'], d['line']).strip()}")
    for t in d.get("trace", []):
        print(f"   {t['file']}:{t['line']}:{t['column']}: note: {t['message']}")
        print(f"      {source_line(root, t['file'], t['line']).strip()}")
    rule, path, text, callee = d["_key"]
    stub = {"rule": rule, "file": path, "text": text, "callee": callee, "line": d["line"],
            "via": chain_of(d), "verdict": "?", "reason": "?"}
    print("   " + json.dumps(stub))
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lint", default="build/calm-lint")
    ap.add_argument("--root", default=os.environ.get("REALCODE_ROOT", "corpus"))
    ap.add_argument("--show", action="append")
    ap.add_argument("--list-new", action="store_true")
    ap.add_argument("--list-stale", action="store_true")
    ap.add_argument("--record-via", action="store_true")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--dump", metavar="FILE",
                    help="write every finding with its verdict, one JSON object a line")
    args = ap.parse_args()
    dump = open(args.dump, "w") if args.dump else None
    lint = os.path.abspath(args.lint)
    with open(os.path.join(HERE, "corpora.json")) as f:
        corpora = json.load(f)["corpora"]

    rows, errors, units = [], {}, {}
    places = defaultdict(int)  # verdicts of the places merged findings stand for
    total = defaultdict(lambda: defaultdict(int))
    for entry in corpora:
        name = entry["name"]
        if args.show and name not in args.show:
            continue
        root = os.path.join(os.path.abspath(args.root), entry.get("checkout", name))
        if not os.path.exists(os.path.join(root, "build-calm-" + name, "compile_commands.json")):
            print(f"{name}: not set up (run setup.sh {args.root} {name})", file=sys.stderr)
            continue
        diags, errs, units[name] = run_lint(lint, entry, root, args.j)
        verdicts = load_verdicts(name)
        found, stale = match(diags, verdicts, root)
        per = defaultdict(lambda: defaultdict(int))
        recorded = 0
        for i, d in enumerate(diags):
            v = found.get(i)
            if v and args.record_via and "via" not in v:
                v["via"] = chain_of(d)
                recorded += 1
            changed = v is not None and "via" in v and v["via"] != chain_of(d)
            for a, mv in member_verdicts(d, verdicts, root):
                places[mv.get("verdict") if mv else "unjudged"] += 1
                head = v.get("verdict") if v else None
                if mv and head and mv.get("verdict") != head:
                    print(f"{name}: merged finding {d['file']}:{d['line']} is {head}, its place "
                          f"{a['file']}:{a['line']} was judged {mv['verdict']}: {mv.get('reason', '')}",
                          file=sys.stderr)
            if dump:
                dump.write(json.dumps({"corpus": name, "rule": d["rule"],
                                       "severity": d.get("severity"), "file": d["file"],
                                       "line": d["line"], "via": chain_of(d),
                                       "message": d["message"],
                                       "verdict": None if not v or changed else v.get("verdict"),
                                       "also": [[a["file"], a["line"]] for a in d.get("also", [])],
                                       "reason": v.get("reason") if v else None}) + "\n")
            for r in (row_name(d), "all"):
                c = per[r]
                c["findings"] += 1
                if v and v.get("verdict") in VERDICTS and not changed:
                    c["judged"] += 1
                    c[v["verdict"]] += 1
                else:
                    c["new"] += 1
            if args.list_new and (i not in found or changed):
                print_new(name, d, root, v if changed else None)
        if recorded:
            write_verdicts(name, verdicts)
        per["all"]  # a corpus with no findings still gets its line
        errors[name] = len({e["file"] for e in errs})
        for r in sorted(per, key=lambda r: (r == "all", r)):
            rows.append(((name, r), per[r]))
            for k in COLS:
                total[r][k] += per[r][k]
        if args.show:
            for e in errs:
                print(f"{name}: error: {e['file']}:{e.get('line', 0)}: {e['message']}", file=sys.stderr)
        if args.list_stale:
            for v in stale:
                print(f"{name}: stale verdict: {json.dumps(v)}")
    errors["total"] = sum(errors.values())
    units["total"] = sum(units.values())
    for r in sorted(total, key=lambda r: (r == "all", r)):
        rows.append((("total", r), total[r]))
    print_table(rows, errors, units)
    if places:
        print(f"merged findings stand for {sum(places.values())} more places: " +
              ", ".join(f"{k} {places[k]}" for k in ("TRUE", "FALSE", "harmless", "unjudged") if places[k]))
    # a rule's FALSE rate counts its findings at every severity (a false note is still
    # false); its harmless rate only those at warning level, which fail a run
    for r in sorted({k[:-len(" (note)")] if k.endswith(" (note)") else k for k in total}):
        c, n = total.get(r, {}), total.get(r + " (note)", {})
        c = {k: c.get(k, 0) for k in ("judged", "FALSE", "harmless")}
        judged, false = c["judged"] + n.get("judged", 0), c["FALSE"] + n.get("FALSE", 0)
        if not judged:
            continue
        line = f"{r}: {false}/{judged} judged findings FALSE ({100.0 * false / judged:.1f}%)"
        if r != "all" and c["judged"]:
            line += (f"; harmless at warning level {c['harmless']}/{c['judged']} "
                     f"({100.0 * c['harmless'] / c['judged']:.1f}%)")
        print(line)
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the check reports, it never fails a build
        print(f"check.py: {e}", file=sys.stderr)
    sys.exit(0)
