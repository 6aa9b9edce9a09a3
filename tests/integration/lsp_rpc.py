"""A JSON-RPC client for calm-lint --lsp over stdio with LSP's Content-Length framing,
and the client side of LSP text: UTF-16 positions, applying TextEdits."""
import json
import os
import select
import subprocess
import time


class Client:
    def __init__(self, calm_lint, args, cwd, env=None):
        self.p = subprocess.Popen([calm_lint, "--lsp"] + args, cwd=cwd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.buf = b""
        self.next_id = 1

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def request(self, method, params):
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        self.next_id += 1
        return self.next_id - 1

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def respond(self, msg, result=None):
        self.send({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    def read(self, timeout):
        """The next message, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
                             .split(b":")[1])
                if len(rest) >= length:
                    self.buf = rest[length:]
                    return json.loads(rest[:length])
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk

    def wait_for(self, pred, timeout=30):
        """Messages until one satisfies pred; returns (it, the ones before)."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.read(deadline - time.monotonic())
            if m is None:
                break
            if pred(m):
                return m, seen
            seen.append(m)
        return None, seen

    def initialize(self, root_uri, capabilities):
        rid = self.request("initialize", {"processId": os.getpid(), "rootUri": root_uri,
                                          "capabilities": capabilities})
        m, _ = self.wait_for(lambda m: m.get("id") == rid)
        self.notify("initialized", {})
        return m

    def close(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        try:
            return self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None


def uri(path):
    return "file://" + path


def is_publish(m, u):
    return m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == u


def lines_of(text):
    """(start, end) offsets of each line, breaking at \\n, \\r\\n or \\r, as LSP does."""
    out, start, i = [], 0, 0
    while i < len(text):
        if text[i] in "\r\n":
            out.append((start, i))
            i += 2 if text[i] == "\r" and text[i + 1:i + 2] == "\n" else 1
            start = i
        else:
            i += 1
    out.append((start, len(text)))
    return out


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


def offset(text, pos):
    """The str offset of an LSP position; raises on a line or character past the end."""
    start, end = lines_of(text)[pos["line"]]
    units = 0
    for i in range(start, end + 1):
        if units == pos["character"]:
            return i
        if i == end:
            break
        units += utf16_len(text[i])
    raise ValueError("character %d past the end of line %d" % (pos["character"], pos["line"]))


def position(text, off):
    """The LSP position of a str offset."""
    for n, (start, end) in enumerate(lines_of(text)):
        if start <= off <= end:
            return {"line": n, "character": utf16_len(text[start:off])}
    raise ValueError("offset past the end")


def apply_edits(text, edits):
    """Applies TextEdits (non-overlapping, positions in the original text)."""
    spans = sorted(((offset(text, e["range"]["start"]), offset(text, e["range"]["end"]), e["newText"])
                    for e in edits), reverse=True)
    for a, b, new in spans:
        text = text[:a] + new + text[b:]
    return text
