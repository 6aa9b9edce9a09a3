#!/usr/bin/env python3
"""A scripted LSP client for calm-lint --lsp: the lifecycle, diagnostics on open,
change (debounced) and save, related information, code descriptions, errors for
unknown requests, and the exit status after shutdown/exit.
usage: lsp_client.py CALM_LINT SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lsp_rpc import Client, is_publish, uri  # noqa: E402

calm_lint, source_dir = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


work = tempfile.mkdtemp(prefix="calm-lsp-")
os.makedirs(work + "/build")
# a chain across files: on_tick (main.c) runs on the loop and calls helper (helper.c)
with open(work + "/main.c", "w") as f:
    f.write('__attribute__((annotate("calm::async"))) void on_tick(void);\n'
            'void helper(void);\n'
            'void on_tick(void) { helper(); }\n')
helper_clean = "#include <unistd.h>\nvoid helper(void) {\n}\n"
helper_bad = "#include <unistd.h>\nvoid helper(void) {\n  sleep(1);\n}\n"
with open(work + "/helper.c", "w") as f:
    f.write(helper_clean)
with open(work + "/build/compile_commands.json", "w") as f:
    json.dump([{"directory": work, "file": n, "arguments": ["cc", "-c", n]} for n in ("main.c", "helper.c")], f)
helper_uri = uri(work + "/helper.c")

c = Client(calm_lint, ["-p", "build"], work)
rid = c.request("initialize", {"processId": os.getpid(), "rootUri": uri(work), "capabilities": {}})
m, _ = c.wait_for(lambda m: m.get("id") == rid)
check(m is not None and m["result"]["capabilities"]["textDocumentSync"]["openClose"] is True,
      "initialize answers with text document sync capabilities")
check(m is not None and m["result"]["serverInfo"]["name"] == "calm-lint", "serverInfo names calm-lint")
c.notify("initialized", {})

# open: the buffer (not the file on disk) is linted at once, with the other unit's chain
c.notify("textDocument/didOpen", {"textDocument": {"uri": helper_uri, "languageId": "c", "version": 1,
                                                    "text": helper_bad}})
m, _ = c.wait_for(lambda m: is_publish(m, helper_uri))
diags = m["params"]["diagnostics"] if m else []
check(len(diags) == 1, "didOpen publishes one diagnostic for the unsaved buffer (got %d)" % len(diags))
if diags:
    d = diags[0]
    check(d["code"] == "blocking-in-loop" and d["source"] == "calm-lint", "code is the rule id, source calm-lint")
    check(d["range"]["start"] == {"line": 2, "character": 2}, "range starts at the call (%s)" % d["range"])
    check(d["severity"] == 2, "severity warning")
    href = d.get("codeDescription", {}).get("href", "")
    check(href == uri(os.path.join(source_dir, "rules", "blocking-in-loop.md")),
          "codeDescription links the rule's doc (%s)" % href)
    rel = d.get("relatedInformation", [])
    check(len(rel) >= 2 and rel[0]["location"]["uri"] == uri(work + "/main.c"),
          "the trace is related information in main.c (%d steps)" % len(rel))

# change: a burst of edits gives one lint, of the last text, after the debounce
t0 = time.monotonic()
for v in range(2, 6):
    text = helper_clean if v % 2 == 0 else helper_bad
    c.notify("textDocument/didChange", {"textDocument": {"uri": helper_uri, "version": v},
                                         "contentChanges": [{"text": text}]})
c.notify("textDocument/didChange", {"textDocument": {"uri": helper_uri, "version": 6},
                                     "contentChanges": [{"text": helper_clean}]})
m, _ = c.wait_for(lambda m: is_publish(m, helper_uri))
elapsed = time.monotonic() - t0
check(m is not None and m["params"]["version"] == 6 and m["params"]["diagnostics"] == [],
      "after a burst of changes the last text is linted (version %s)" % (m and m["params"].get("version")))
check(elapsed >= 0.25, "the lint waited for the debounce (%.2fs)" % elapsed)
extra, _ = c.wait_for(lambda m: is_publish(m, helper_uri), timeout=1.0)
check(extra is None, "one publish for the whole burst")

# save: lint at once (the buffer on save is the file)
with open(work + "/helper.c", "w") as f:
    f.write(helper_bad)
c.notify("textDocument/didChange", {"textDocument": {"uri": helper_uri, "version": 7},
                                     "contentChanges": [{"text": helper_bad}]})
t0 = time.monotonic()
c.notify("textDocument/didSave", {"textDocument": {"uri": helper_uri}})
m, _ = c.wait_for(lambda m: is_publish(m, helper_uri))
check(m is not None and len(m["params"]["diagnostics"]) == 1 and time.monotonic() - t0 < 0.25 + 5,
      "didSave publishes the finding")

# unknown requests get an error, not silence
rid = c.request("textDocument/hover", {"textDocument": {"uri": helper_uri}, "position": {"line": 0, "character": 0}})
m, _ = c.wait_for(lambda m: m.get("id") == rid)
check(m is not None and m["error"]["code"] == -32601, "an unsupported request is answered with MethodNotFound")

# close clears the marks
c.notify("textDocument/didClose", {"textDocument": {"uri": helper_uri}})
m, _ = c.wait_for(lambda m: is_publish(m, helper_uri))
check(m is not None and m["params"]["diagnostics"] == [], "didClose publishes an empty list")

rid = c.request("shutdown", None)
m, _ = c.wait_for(lambda m: m.get("id") == rid)
check(m is not None and "result" in m and m["result"] is None, "shutdown answers null")
c.notify("exit", None)
try:
    rc = c.p.wait(timeout=10)
except subprocess.TimeoutExpired:
    c.p.kill()
    rc = None
check(rc == 0, "exit after shutdown ends the server with status 0 (got %s)" % rc)

# exit without shutdown: status 1, as the protocol says
c2 = Client(calm_lint, [], work)
rid = c2.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
c2.wait_for(lambda m: m.get("id") == rid)
c2.notify("exit", None)
try:
    rc = c2.p.wait(timeout=10)
except subprocess.TimeoutExpired:
    c2.p.kill()
    rc = None
check(rc == 1, "exit without shutdown gives status 1 (got %s)" % rc)

# a file with no compile database anywhere is linted alone
with tempfile.TemporaryDirectory(prefix="calm-lsp-nodb-") as lone:
    c3 = Client(calm_lint, [], lone)
    rid = c3.request("initialize", {"processId": None, "rootUri": uri(lone), "capabilities": {}})
    c3.wait_for(lambda m: m.get("id") == rid)
    u = uri(lone + "/solo.c")
    c3.notify("textDocument/didOpen", {"textDocument": {"uri": u, "languageId": "c", "version": 1, "text":
              '#include <unistd.h>\n__attribute__((annotate("calm::async"))) void cb(void) { sleep(1); }\n'}})
    m, _ = c3.wait_for(lambda m: is_publish(m, u))
    check(m is not None and len(m["params"]["diagnostics"]) == 1, "without a compile database the file is linted alone")
    c3.request("shutdown", None)
    c3.notify("exit", None)
    c3.p.wait(timeout=10)

subprocess.run(["rm", "-rf", work])
print("lsp: %s" % ("all checks passed" if not failures else "%d checks failed" % len(failures)))
sys.exit(1 if failures else 0)
