#!/usr/bin/env python3
"""Reads what Bazel says about calm-lint's aspect actions, for bazel_test.sh.

  actions.py log EXEC_LOG          one line per calm action Bazel ran or took from a
                                   cache (--execution_log_json_file): MNEMONIC run|hit OUTPUT
  actions.py commands AQUERY_JSON  one line per calm action (aquery --output=jsonproto):
                                   MNEMONIC OUTPUT ARG... (NUL-free, space separated)
  actions.py compdb AQUERY_JSON DIR EXECROOT
                                   DIR/compile_commands.json from the summary actions'
                                   compile commands (what follows `--`)
"""
import json
import os
import sys


def exec_log(path):
    text = open(path, encoding="utf-8").read()
    dec, i = json.JSONDecoder(), 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return
        entry, i = dec.raw_decode(text, i)
        yield entry


def aquery(path):
    """(mnemonic, first output path, arguments) of each calm action."""
    data = json.load(open(path, encoding="utf-8"))
    frags = {f["id"]: f for f in data.get("pathFragments", [])}

    def frag_path(fid):
        parts = []
        while fid:
            parts.append(frags[fid]["label"])
            fid = frags[fid].get("parentId")
        return "/".join(reversed(parts))

    artifacts = {a["id"]: frag_path(a["pathFragmentId"]) for a in data.get("artifacts", [])}
    for a in data.get("actions", []):
        if a["mnemonic"].startswith("Calm"):
            yield a["mnemonic"], artifacts[a["outputIds"][0]], a["arguments"], a.get("executionInfo", [])


def main(argv):
    if argv[1] == "log":
        for e in exec_log(argv[2]):
            if e.get("mnemonic", "").startswith("Calm"):
                hit = e.get("remoteCacheHit") or e.get("cacheHit")
                out = (e.get("actualOutputs") or [{"path": e["listedOutputs"][0]}])[0]["path"]  # a failed one has none
                print(e["mnemonic"], "hit" if hit else "run", out)
    elif argv[1] == "commands":
        for mnemonic, out, args, info in aquery(argv[2]):
            reqs = ",".join(i["key"] for i in info)
            print(mnemonic, out, "[%s]" % reqs, " ".join(args))
    elif argv[1] == "compdb":
        db = []
        for mnemonic, _, args, _ in aquery(argv[2]):
            if mnemonic == "CalmSummary":
                command = args[args.index("--") + 1:]
                db.append({"directory": argv[4], "arguments": command, "file": command[-1]})
        os.makedirs(argv[3], exist_ok=True)
        with open(os.path.join(argv[3], "compile_commands.json"), "w", encoding="utf-8") as f:
            json.dump(db, f, indent=1)
    else:
        sys.exit("usage: actions.py log|commands|compdb ...")


if __name__ == "__main__":
    main(sys.argv)
