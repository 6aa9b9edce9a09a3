#!/usr/bin/env python3
"""calm-lint --lsp as Neovim and VS Code use it, over stdio with real framing:
incremental document sync in UTF-16 positions (multi-byte characters, CRLF, edits
across lines, a range past the end), $/progress while the summaries are first built,
watched files and saves of other files re-linting the open buffers that depend on
them, and NOLINT code actions that re-lint clean.
usage: lsp_features.py CALM_LINT [SOURCE_DIR]  (with SOURCE_DIR: every rule fixture's fixes, too)"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lsp_rpc import Client, apply_edits, is_publish, offset, position, uri  # noqa: E402

calm_lint = sys.argv[1]
source_dir = sys.argv[2] if len(sys.argv) > 2 else None
failures = []


def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def put(path, text):
    with open(path, "w", newline="") as f:
        f.write(text)


work = tempfile.mkdtemp(prefix="calm-lsp-features-")
os.makedirs(work + "/build")
# on_tick (main.c) calls helper (helper.c); whether on_tick runs on the loop is up to
# reg.h, which helper.c does not include; lonely.c is linked with neither
put(work + "/reg.h", "#define MAYBE_ASYNC\n")
main_calls = '#include "reg.h"\nvoid helper(void);\nMAYBE_ASYNC void on_tick(void);\nvoid on_tick(void) { helper(); }\n'
main_alone = '#include "reg.h"\nvoid helper(void);\nMAYBE_ASYNC void on_tick(void);\nvoid on_tick(void) { }\n'
put(work + "/main.c", main_calls)
helper_text = "#include <unistd.h>\nvoid helper(void) {\n  sleep(1);\n}\n"
put(work + "/helper.c", helper_text)
lonely_text = "#include <unistd.h>\nvoid lonely(void) {\n  sleep(1);\n}\n"
put(work + "/lonely.c", lonely_text)
units = ["main.c", "helper.c", "lonely.c"]
db = [{"directory": work, "file": n, "arguments": ["cc", "-c", n]} for n in units]
put(work + "/build/compile_commands.json", json.dumps(db))
main_uri, helper_uri, lonely_uri = uri(work + "/main.c"), uri(work + "/helper.c"), uri(work + "/lonely.c")
ASYNC = '__attribute__((annotate("calm::async")))'


def open_doc(c, u, text, version=1):
    c.notify("textDocument/didOpen", {"textDocument": {"uri": u, "languageId": "c", "version": version,
                                                        "text": text}})


def publish_of(c, u, timeout=30, version=None):
    """The next diagnostics published for u; with a version, for that version or later
    (a busy machine may deliver the findings of an earlier text first)."""
    m, seen = c.wait_for(lambda m: is_publish(m, u) and
                         (version is None or m["params"].get("version", version) >= version), timeout)
    return (m["params"]["diagnostics"] if m else None), seen


def starts(diags):
    return sorted((d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in diags or [])


def expected_starts(text):
    """Where the client's text has its blocking calls."""
    return sorted((position(text, m.start())["line"], position(text, m.start())["character"])
                  for m in re.finditer(r"\bu?sleep\(", text))


# ---- 1. progress, on a cold cache: the first lint parses every unit ----

c = Client(calm_lint, ["-p", "build"], work)
init = c.initialize(uri(work), {"window": {"workDoneProgress": True}})
caps = init["result"]["capabilities"] if init else {}
check(caps.get("textDocumentSync", {}).get("change") == 2, "the server asks for incremental sync (change = 2)")
check(caps.get("codeActionProvider", {}).get("codeActionKinds") == ["quickfix"], "the server offers quick fixes")
open_doc(c, helper_uri, helper_text)
diags, seen = publish_of(c, helper_uri)
creates = [m for m in seen if m.get("method") == "window/workDoneProgress/create"]
progress = [m["params"] for m in seen if m.get("method") == "$/progress"]
check(len(creates) == 1 and "id" in creates[0], "one window/workDoneProgress/create request (%d)" % len(creates))
token = creates[0]["params"]["token"] if creates else None
kinds = [p["value"]["kind"] for p in progress]
check(kinds[:1] == ["begin"] and kinds[-1:] == ["end"] and set(kinds[1:-1]) <= {"report"},
      "progress is begin, reports, end (%s)" % kinds)
check(all(p["token"] == token for p in progress), "every $/progress carries the created token")
check(seen.index(creates[0]) < seen.index(next(m for m in seen if m.get("method") == "$/progress"))
      if creates and progress else False, "the token is created before it is used")
msgs = [p["value"].get("message", "") for p in progress]
check(any("/3 units" in m for m in msgs), "the reports count units done of the total (%s)" % msgs)
pcts = [p["value"]["percentage"] for p in progress if "percentage" in p["value"]]
check(pcts == sorted(pcts) and pcts and pcts[-1] == 100 and all(0 <= x <= 100 for x in pcts),
      "percentages rise to 100 (%s)" % pcts)
check(progress and progress[-1]["value"].get("message") == "3 units", "the end says what was built")
for m in creates:
    c.respond(m)
check(diags is not None and len(diags) == 0, "then the buffer's diagnostics (none: on_tick is not async yet)")
# warm now: a lint that parses only the buffer shows no progress
c.notify("textDocument/didChange", {"textDocument": {"uri": helper_uri, "version": 2},
                                     "contentChanges": [{"text": helper_text + "\n"}]})
diags, seen = publish_of(c, helper_uri)
check(diags is not None and not [m for m in seen if m.get("method") in ("$/progress", "window/workDoneProgress/create")],
      "a warm lint shows no progress")
check(c.close() == 0, "shutdown and exit")

shutil.rmtree(work + "/build/.calm-lint-cache", ignore_errors=True)
c = Client(calm_lint, ["-p", "build"], work)
c.initialize(uri(work), {"window": {"workDoneProgress": False}})
open_doc(c, helper_uri, helper_text)
diags, seen = publish_of(c, helper_uri)
check(diags is not None and not [m for m in seen if m.get("method") in ("$/progress", "window/workDoneProgress/create")],
      "a client without workDoneProgress gets no progress")
check(not [m for m in seen if m.get("method") == "client/registerCapability"],
      "a client without dynamic registration is not asked to watch files")
check(c.close() == 0, "shutdown and exit")

# a lint that fails after its parse began (here: its report cannot be written) still
# ends the progress, saying why
shutil.rmtree(work + "/build/.calm-lint-cache", ignore_errors=True)
c = Client(calm_lint, ["-p", "build", "-o", work + "/no/such/dir/out.json"], work)
c.initialize(uri(work), {"window": {"workDoneProgress": True}})
open_doc(c, helper_uri, helper_text)
m, seen = c.wait_for(lambda m: m.get("method") == "$/progress" and m["params"]["value"]["kind"] == "end", 30)
kinds = [x["params"]["value"]["kind"] for x in seen if x.get("method") == "$/progress"]
check(m is not None and kinds[:1] == ["begin"] and m["params"]["value"]["message"].startswith("failed: ") and
      "out.json" in m["params"]["value"]["message"],
      "a failed lint ends its progress with the reason (%s)" % (m and m["params"]["value"]["message"]))
check(c.close() == 0, "shutdown and exit")

# ---- 2. incremental sync ----

c = Client(calm_lint, [], work)
c.initialize(uri(work), {})
solo = tempfile.mkdtemp(prefix="calm-lsp-solo-")  # no compile database: linted alone
solo_uri = uri(solo + "/sync.c")
text = ("#include <unistd.h>\n"
        "/* caf\u00e9 \u2603 \U0001d11e */ " + ASYNC + " void cb(void) { (void)0; }\n"
        "/* \U0001d11e\U0001d11e */ " + ASYNC + " void cb2(void) {\n"
        "  (void)1;\n"
        "}\n")
open_doc(c, solo_uri, text)
diags, _ = publish_of(c, solo_uri)
check(diags == [], "the buffer starts clean (%s)" % starts(diags))
version = 1


def edit(c, u, text, changes):
    """Sends the changes (range edits applied in order) and returns the client's text."""
    global version
    version += 1
    c.notify("textDocument/didChange", {"textDocument": {"uri": u, "version": version}, "contentChanges": changes})
    for ch in changes:
        text = apply_edits(text, [{"range": ch["range"], "newText": ch["text"]}]) if "range" in ch else ch["text"]
    return text


def span(text, needle, length=None):
    i = text.index(needle)
    return {"start": position(text, i), "end": position(text, i + (len(needle) if length is None else length))}


# after é ☃ and a surrogate pair on the line: UTF-16 columns differ from bytes and code points
text = edit(c, solo_uri, text, [{"range": span(text, "(void)0;"), "text": "sleep(1);"}])
diags, _ = publish_of(c, solo_uri, version=version)
check(starts(diags) == expected_starts(text),
      "an edit after multi-byte characters lands where the client put it (%s, want %s)" %
      (starts(diags), expected_starts(text)))
check(expected_starts(text) and expected_starts(text)[0][1] != text.split("\n")[1].encode().index(b"sleep"),
      "(the test's line has columns where UTF-16 and bytes differ)")
# two changes in one notification, the second in the text the first left; one across lines
first = {"range": span(text, "  (void)1;\n}", len("  (void)1;\n}")), "text": "  sleep(2);\n  (void)3;\n}"}
text2 = apply_edits(text, [{"range": first["range"], "newText": first["text"]}])
second = {"range": span(text2, "(void)3;"), "text": "usleep(3);"}
text = edit(c, solo_uri, text, [first, second])
diags, _ = publish_of(c, solo_uri, version=version)
check(len(diags or []) == 3 and starts(diags) == expected_starts(text),
      "changes apply in order, across lines (%s)" % starts(diags))
# CRLF: \r\n is one line break
text = edit(c, solo_uri, text, [{"text": text.replace("\n", "\r\n")}])
publish_of(c, solo_uri, version=version)
text = edit(c, solo_uri, text, [{"range": span(text, "usleep(3);"), "text": "(void)4;"},
                                {"range": {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 2}},
                                 "text": "    "}])
diags, _ = publish_of(c, solo_uri, version=version)
check("\r\n    sleep(2);\r\n" in text and starts(diags) == expected_starts(text),
      "CRLF lines count as one line each (%s, want %s)" % (starts(diags), expected_starts(text)))
# a range past the end: logged, the server lives on, and the whole text puts it back in sync
version += 1
c.notify("textDocument/didChange", {"textDocument": {"uri": solo_uri, "version": version}, "contentChanges": [
    {"range": {"start": {"line": 40, "character": 0}, "end": {"line": 41, "character": 0}}, "text": "x"}]})
m, seen = c.wait_for(lambda m: m.get("method") == "window/logMessage", 10)
check(m is not None and "past the end" in m["params"]["message"] and m["params"]["type"] == 1,
      "an edit past the end is logged as an error (%s)" % (m and m["params"]["message"]))
diags, _ = publish_of(c, solo_uri, 10)
check(diags == [], "and the document's findings are withdrawn, not shown at wrong places")
rid = c.request("textDocument/codeAction", {"textDocument": {"uri": solo_uri}, "range": {
    "start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}, "context": {"diagnostics": []}})
m, _ = c.wait_for(lambda m: m.get("id") == rid, 10)
check(m is not None and m.get("result") == [], "the server still answers (no actions for a text out of sync)")
text = edit(c, solo_uri, text, [{"text": text}])
diags, _ = publish_of(c, solo_uri, version=version)
check(starts(diags) == expected_starts(text), "the whole text brings the findings back (%s)" % starts(diags))

# ---- 3. code actions: NOLINT(rule), then a re-lint is clean ----


def actions(c, u, line):
    rid = c.request("textDocument/codeAction", {"textDocument": {"uri": u}, "range": {
        "start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
        "context": {"diagnostics": []}})
    m, _ = c.wait_for(lambda m: m.get("id") == rid, 10)
    return m.get("result") if m else None


def nolint_round(c, u, text, line, rule, what):
    acts = actions(c, u, line) or []
    titles = [a["title"] for a in acts]
    act = next((a for a in acts if a["title"] == "suppress with NOLINT(%s)" % rule), None)
    check(act is not None and act.get("kind") == "quickfix" and act["diagnostics"] and
          act["diagnostics"][0]["code"] == rule, "%s: a NOLINT(%s) quick fix (%s)" % (what, rule, titles))
    if not act:
        return text
    edits = act["edit"]["changes"][u]
    try:
        new = apply_edits(text, edits)
    except (ValueError, IndexError) as e:
        check(False, "%s: the edit is inside the line (%s)" % (what, e))
        return text
    new = edit(c, u, text, [{"range": e["range"], "text": e["newText"]} for e in edits])
    diags, _ = publish_of(c, u)
    lines = new.replace("\r\n", "\n").split("\n")
    left = [p for p in expected_starts(new) if "NOLINT" not in lines[p[0]]]
    check(diags is not None and starts(diags) == left,
          "%s: after the fix the re-lint has no finding on the line (%s, want %s)" % (what, starts(diags), left))
    return new


line_of = lambda text, needle: position(text, text.index(needle))["line"]  # noqa: E731
# the line with é ☃ 𝄞: the comment goes at the line's end in UTF-16 columns
text = nolint_round(c, solo_uri, text, line_of(text, "sleep(1)"), "blocking-in-loop", "multi-byte CRLF line")
check("sleep(1); }  // NOLINT(blocking-in-loop)\r\n" in text, "the comment ends the line, before its CRLF")
# a line with a NOLINT list already: the rule joins it
text = edit(c, solo_uri, text, [{"range": span(text, "sleep(2);"), "text": "sleep(2); // NOLINT(unawaited-task)"}])
publish_of(c, solo_uri, version=version)
text = nolint_round(c, solo_uri, text, line_of(text, "sleep(2)"), "blocking-in-loop", "an existing NOLINT list")
check("NOLINT(unawaited-task, blocking-in-loop)" in text, "the rule is added to the list")

# the rule's own fixes, in UTF-16 positions, preferred when safe; applied, the line is
# clean and the file still compiles
task_text = ("#include <stdint.h>\n#include <unistd.h>\n"
             "typedef struct calm_loop calm_loop;\ntypedef struct calm_task calm_task;\n"
             "calm_task *calm_spawn(calm_loop *loop, int (*fn)(void *), void *arg);\n"
             "int calm_sleep(int64_t ms);\n"
             "static int poller(void *arg) {\n"
             "  (void)arg;\n"
             "  /* \u2603 \U0001d11e */ sleep(1);\n"
             "  return 0;\n"
             "}\n"
             "void start(calm_loop *loop) { calm_spawn(loop, poller, 0); }\n")
task_uri = uri(solo + "/task.c")
open_doc(c, task_uri, task_text)
diags, _ = publish_of(c, task_uri)
rules = sorted(d["code"] for d in diags or [])
check(rules == ["blocking-in-loop", "unawaited-task"], "the task file has its two findings (%s)" % rules)
sleep_line = line_of(task_text, "sleep(1)")
acts = actions(c, task_uri, sleep_line) or []
titles = [a["title"] for a in acts]
check(len(acts) == 2 and acts[0]["title"] == "sleep with 'calm_sleep(1000)' and return its status" and
      acts[0].get("isPreferred") is True and acts[0]["kind"] == "quickfix" and
      acts[1]["title"] == "suppress with NOLINT(blocking-in-loop)" and not acts[1].get("isPreferred"),
      "the rule's safe fix comes first and is preferred, then NOLINT (%s)" % titles)
if acts:
    edits = acts[0]["edit"]["changes"].get(task_uri, [])
    try:
        fixed = apply_edits(task_text, edits)
    except (ValueError, IndexError) as e:
        fixed = None
        check(False, "the fix's edit is inside the line (%s)" % e)
    if fixed:
        check("/* \u2603 \U0001d11e */ { int status = calm_sleep(1000); if (status != 0) return status; }\n" in fixed,
              "the fix replaces the call where it is, after the multi-byte comment")
        version += 1
        c.notify("textDocument/didChange", {"textDocument": {"uri": task_uri, "version": version},
                                             "contentChanges": [{"range": e["range"], "text": e["newText"]}
                                                                for e in edits]})
        diags, _ = publish_of(c, task_uri)
        check(sorted(d["code"] for d in diags or []) == ["unawaited-task"],
              "after the fix the re-lint has no blocking-in-loop finding (%s)" % [d["code"] for d in diags or []])
        cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if cc:
            r = subprocess.run([cc, "-fsyntax-only", "-x", "c", "-"], input=fixed.encode(), capture_output=True)
            check(r.returncode == 0, "the fixed file still compiles (%s)" % r.stderr.decode()[:200])
spawn_acts = actions(c, task_uri, line_of(task_text, "calm_spawn(loop, poller")) or []
detach = [a for a in spawn_acts if "calm_detach" in a["title"]]
check(len(detach) == 1 and not detach[0].get("isPreferred"),
      "an unsafe fix is offered, not preferred (%s)" % [a["title"] for a in spawn_acts])
# the client asks for other kinds only: no quick fixes
rid = c.request("textDocument/codeAction", {"textDocument": {"uri": task_uri}, "range": {
    "start": {"line": 0, "character": 0}, "end": {"line": 20, "character": 0}},
    "context": {"diagnostics": [], "only": ["refactor"]}})
m, _ = c.wait_for(lambda m: m.get("id") == rid, 10)
check(m is not None and m.get("result") == [], "context.only without quickfix gets none")
# typed since the lint: the findings' lines are an older text's, so nothing is offered
# until the lint of the new text (a debounce away)
spawn_line = line_of(task_text, "calm_spawn(loop, poller")
version += 1
c.notify("textDocument/didChange", {"textDocument": {"uri": task_uri, "version": version}, "contentChanges": [
    {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "\n"}]})
stale = actions(c, task_uri, spawn_line)
check(stale == [], "no actions from findings older than the text (%s)" % [a["title"] for a in stale or []])
publish_of(c, task_uri)
fresh = actions(c, task_uri, spawn_line + 1) or []
check(any("calm_detach" in a["title"] for a in fresh), "after the lint they are offered again, on the moved line")
check(c.close() == 0, "shutdown and exit")
shutil.rmtree(solo)

# ---- 4. refresh: watched files and saves of other files ----

c = Client(calm_lint, ["-p", "build"], work)
c.initialize(uri(work), {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}})
m, _ = c.wait_for(lambda m: m.get("method") == "client/registerCapability", 10)
regs = m["params"]["registrations"] if m else []
globs = sorted(w["globPattern"] for r in regs for w in r.get("registerOptions", {}).get("watchers", []))
check(m is not None and "id" in m and regs and regs[0]["method"] == "workspace/didChangeWatchedFiles" and
      globs == sorted(["**/*.c", "**/*.h", "**/compile_commands.json", "**/.calm-lint.json"]),
      "the server registers its file watchers (%s)" % globs)
if m:
    c.respond(m)
open_doc(c, helper_uri, helper_text)
open_doc(c, lonely_uri, lonely_text)
got = {}
for _ in range(2):
    m, _ = c.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics", 30)
    if m:
        got[m["params"]["uri"]] = m["params"]["diagnostics"]
check(got.get(helper_uri) == [] and got.get(lonely_uri) == [], "both buffers start clean")


def changed(c, name, text, kind=2):
    put(work + "/" + name, text)
    c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(work + "/" + name), "type": kind}]})


def publishes(c, want, quiet=2):
    """The publishes, by URI, until every URI of `want` has one (30 s at most) and
    then `quiet` seconds more, for any that should not come."""
    out, deadline = {}, time.monotonic() + 30
    while True:
        if all(u in out for u in want):
            deadline = min(deadline, time.monotonic() + quiet)
            want = []
        m = c.read(max(0, deadline - time.monotonic()))
        if m is None:
            return out
        if m.get("method") == "textDocument/publishDiagnostics":
            out[m["params"]["uri"]] = m["params"]["diagnostics"]


# a header that main.c includes makes on_tick async: helper.c, which main.c calls, changes
changed(c, "reg.h", "#define MAYBE_ASYNC " + ASYNC + "\n")
got = publishes(c, [helper_uri])
check(len(got.get(helper_uri) or []) == 1, "a changed header re-lints the buffer its includer calls (%s)" %
      {k[len(uri(work)):]: len(v) for k, v in got.items()})
check(lonely_uri not in got, "a buffer linked with neither is left alone")
# main.c stops calling helper: the finding goes
changed(c, "main.c", main_alone)
got = publishes(c, [helper_uri])
check(got.get(helper_uri) == [] and lonely_uri not in got, "a caller that changed re-lints its callee (%s)" %
      {k[len(uri(work)):]: len(v) for k, v in got.items()})
# a new unit in the compile database: every open buffer is linted again
idle_alone = '#include "reg.h"\nvoid lonely(void);\nMAYBE_ASYNC void on_idle(void);\nvoid on_idle(void) { }\n'
put(work + "/idle.c", idle_alone)
put(work + "/build/compile_commands.json", json.dumps(db + [{"directory": work, "file": "idle.c",
                                                                "arguments": ["cc", "-c", "idle.c"]}]))
c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(work + "/build/compile_commands.json"),
                                                          "type": 2}]})
got = publishes(c, [helper_uri, lonely_uri])
check(got.get(lonely_uri) == [] and got.get(helper_uri) == [],
      "a changed compile database re-lints every open buffer (%s)" % {k[len(uri(work)):]: len(v) for k, v in got.items()})
# idle.c starts calling lonely: a caller the call graph knows only after the change
changed(c, "idle.c", idle_alone.replace("{ }", "{ lonely(); }"))
got = publishes(c, [lonely_uri])
check(len(got.get(lonely_uri) or []) == 1 and helper_uri not in got,
      "a new caller re-lints its callee, found in the call graph as it is now (%s)" %
      {k[len(uri(work)):]: len(v) for k, v in got.items()})
# a save of another open document: main.c calls helper again
open_doc(c, main_uri, main_alone)
publish_of(c, main_uri)
c.notify("textDocument/didChange", {"textDocument": {"uri": main_uri, "version": 2},
                                     "contentChanges": [{"text": main_calls}]})
put(work + "/main.c", main_calls)
c.notify("textDocument/didSave", {"textDocument": {"uri": main_uri}})
got = publishes(c, [main_uri, helper_uri])
check(len(got.get(helper_uri) or []) == 1 and main_uri in got and lonely_uri not in got,
      "saving a caller re-lints the open callee, not the unrelated buffer (%s)" %
      {k[len(uri(work)):]: len(v) for k, v in got.items()})
# a configuration that says where the rule docs are published: findings link there
changed(c, ".calm-lint.json", '{"docs_url": "https://docs.example.org/calm/{rule}.html"}\n')
got = publishes(c, [helper_uri])
hrefs = [d.get("codeDescription", {}).get("href") for d in got.get(helper_uri) or []]
check(hrefs == ["https://docs.example.org/calm/blocking-in-loop.html"],
      "a finding links to the page docs_url names (%s)" % hrefs)
os.remove(work + "/.calm-lint.json")
check(c.close() == 0, "shutdown and exit")

# ---- 5. every rule that offers fixes: its quick fixes, applied as an editor does,
# re-lint clean and compile (tests/fixtures/<rule>/fix_*.c, as --fix is tested) ----


def quick_fixes(c, u, diags):
    """Each finding's first rule fix, as its code action carries it."""
    out = []
    for d in diags:
        line = d["range"]["start"]["line"]
        for a in actions(c, u, line) or []:
            if a["title"].startswith("suppress with NOLINT(") or a["diagnostics"][0]["range"] != d["range"] or \
                    a["diagnostics"][0]["code"] != d["code"]:
                continue
            out.append(a)
            break
    return out


for fixture in sorted(glob.glob(os.path.join(source_dir, "tests/fixtures/*/fix_*.c")) if source_dir else []):
    rule = os.path.basename(os.path.dirname(fixture))
    name = rule + "/" + os.path.basename(fixture)
    original = open(fixture).read()
    enable = re.search(r"fix-enable:\s*(\S+)", original)
    d = tempfile.mkdtemp(prefix="calm-lsp-fix-")
    os.makedirs(d + "/build")
    flags = ["-std=c11", "-D_GNU_SOURCE", "-I" + source_dir + "/runtime/include"]
    put(d + "/fixme.c", original)
    put(d + "/build/compile_commands.json", json.dumps([{"directory": d, "file": "fixme.c",
                                                         "arguments": ["cc"] + flags + ["-c", "fixme.c"]}]))
    fc = Client(calm_lint, ["-p", "build"] + (["--enable", enable.group(1)] if enable else []), d)
    fc.initialize(uri(d), {})
    u = uri(d + "/fixme.c")
    text = original
    open_doc(fc, u, text)
    diags, _ = publish_of(fc, u)
    check(bool(diags), "%s: the fixture has findings (%d)" % (name, len(diags or [])))
    for _ in range(4):  # as --fix: apply, re-lint, until nothing is left to fix
        acts = quick_fixes(fc, u, diags or [])
        if not acts:
            break
        edits = []
        for a in acts:
            for e in a["edit"]["changes"].get(u, []):
                if e not in edits:
                    edits.append(e)
        spans = sorted((offset(text, e["range"]["start"]), offset(text, e["range"]["end"])) for e in edits)
        keep = edits
        if any(spans[i][1] > spans[i + 1][0] for i in range(len(spans) - 1)):
            keep = edits[:1]  # overlapping fixes: one now, the rest after the re-lint
        text = apply_edits(text, keep)
        version += 1
        fc.notify("textDocument/didChange", {"textDocument": {"uri": u, "version": version},
                                              "contentChanges": [{"text": text}]})
        diags, _ = publish_of(fc, u)
    check(diags == [], "%s: after its quick fixes the re-lint is clean (%s)" %
          (name, [(x["code"], x["range"]["start"]["line"]) for x in diags or []]))
    check(text != original, "%s: the fixes changed the text" % name)
    put(d + "/fixme.c", text)
    r = subprocess.run(["cc", "-fsyntax-only", "-Wall", "-Werror"] + flags + ["fixme.c"], cwd=d,
                       capture_output=True)
    check(r.returncode == 0, "%s: the fixed file compiles (%s)" % (name, r.stderr.decode()[:300]))
    check(fc.close() == 0, "%s: shutdown and exit" % name)
    shutil.rmtree(d)

shutil.rmtree(work)
print("lsp features: %s" % ("all checks passed" if not failures else "%d checks failed" % len(failures)))
sys.exit(1 if failures else 0)
