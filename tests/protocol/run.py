#!/usr/bin/env python3
"""Protocol sessions against the real apls binary, over pipes.

usage: run.py [-v] [-j N] [-k SUBSTRING] [--timeout S] BINARY

Each test runs in a forked child, in its own process group and its own
temporary workspace, bounded by a timeout (the group is killed when it
expires), so the suite can never hang. Prints one line per failing test and
ends with "N passed, M failed"; exits non-zero when anything failed.

No timing is asserted anywhere: the sanitizer build and valgrind are slow, so
every wait is a generous upper bound, never an expectation. Every session ends
with shutdown + exit and must exit 0 (the sanitizers report leaks at exit), and
its stderr must hold no sanitizer report.

Groups (test name prefixes):
  lifecycle_     initialize result, encodings, shutdown/exit codes, end of input,
                 requests before initialize / after shutdown, unknown methods,
                 the client's process dying
  diagnostics_   exact ranges (UTF-16, UTF-8, CRLF, CR, tabs, emoji), related
                 places, incremental changes, versions, clearing, applied hints
  targets_       open buffers over the disk, files changed on disk (client
                 watching, or the server itself for Neovim 0.7)
  hover_, definition_, document_symbols, code_lenses, completion
  apply_action_  the source.applyPatch edit applied by a faithful client equals
                 `apls apply` byte for byte (per scenario and client)
  action_, quickfix_, code_action_  the other actions and commands
  cancellation_, hostile_, framing_, sweep_  robustness
  misc: settings, roots, paths, several patches, odd clients"""
import json
import re
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsp  # noqa: E402
from lsp import (Server, uri_of, path_of, units, offset_of, position_of, range_of,  # noqa: E402,F401
                 apply_workspace_edit, vscode_capabilities,
                 neovim07_capabilities, eglot19_capabilities)

WAIT = float(os.environ.get("APLS_TEST_WAIT", "30"))   # upper bound for one answer
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Failure(AssertionError):
    pass


def check(cond, msg="check failed", *args):
    if not cond:
        raise Failure(msg % args if args else msg)


def eq(got, want, what="value"):
    if got != want:
        raise Failure("%s: got %r, want %r" % (what, got, want))


CAPS = {"vscode": vscode_capabilities, "nvim": neovim07_capabilities, "eglot": eglot19_capabilities}
SANITIZER_MARKS = (b"AddressSanitizer", b"LeakSanitizer", b"UndefinedBehaviorSanitizer",
                   b"runtime error:", b"==ERROR", b"Segmentation fault")


# ------------------------------------------------------------------ session

class Session(Server):
    """A Server plus the client's view of its open documents."""

    def __init__(self, t, caps="vscode", root=None, options=None, encodings=None,
                 init=True, args=(), process_id=None, command=None):
        self.t = t
        self.errlog = os.path.join(t.base, "stderr-%d.log" % len(t.sessions))
        self._errf = open(self.errlog, "wb")
        cmd = list(command) if command else [t.binary, *args]
        super().__init__(cmd[0], cmd[1:], cwd=t.dir, stderr=self._errf)
        t.sessions.append(self)
        self.docs = {}            # uri -> [version, text]
        self.enc = "utf-16"
        self.caps_name = caps
        self.finished = False
        self.init_result = None
        if init:
            c = CAPS[caps]() if isinstance(caps, str) else caps
            if encodings:
                c = json.loads(json.dumps(c))
                c.setdefault("general", {})["positionEncodings"] = encodings
            params = {"processId": os.getpid() if process_id is None else process_id,
                      "capabilities": c,
                      "rootUri": uri_of(root or t.dir),
                      "workspaceFolders": [{"uri": uri_of(root or t.dir), "name": "w"}]}
            if options is not None:
                params["initializationOptions"] = options
            r = self.request("initialize", params)
            check("result" in r, "initialize failed: %r", r)
            self.init_result = r["result"]
            self.enc = r["result"]["capabilities"].get("positionEncoding", "utf-16")
            self.notify("initialized", {})
            # two round trips: the server's own requests (registration,
            # configuration) are answered, then the answers are processed, so
            # no re-check they cause races with what a test does next
            self.alive_check()
            self.alive_check()

    # -- requests with generous bounds
    def request(self, method, params=None, wait=True, timeout=None):
        return super().request(method, params, wait, timeout or WAIT)

    def call(self, method, params=None):
        """A request that must succeed: its result."""
        r = self.request(method, params)
        check("error" not in r, "%s failed: %r", method, r.get("error"))
        return r["result"]

    def alive_check(self):
        """The server still serves: a request answered (hover on nothing)."""
        r = self.request("textDocument/hover", {"textDocument": {"uri": uri_of(self.t.path("none.ap"))},
                                                "position": {"line": 0, "character": 0}})
        check("result" in r, "the server stopped serving: %r", r)
        check(self.p.poll() is None, "the server exited")

    # -- documents
    def open(self, path, text=None, lang=None, version=1):
        path = self.t.path(path)
        if text is None:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "surrogateescape")
        if lang is None:
            lang = "ap" if path.endswith(".ap") else "python" if path.endswith(".py") else "plaintext"
        uri = uri_of(path)
        self.docs[uri] = [version, text]
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": lang,
                                                              "version": version, "text": text}})
        return uri

    def text(self, uri):
        return self.docs[uri][1]

    def version(self, uri):
        return self.docs[uri][0]

    def edit(self, uri, changes, version=None, send=True, range_length=None):
        """changes: [(a, b, new)] character offsets, each against the text left by
        the previous one; sent as one didChange with ranges in the negotiated
        encoding. Returns the new version. range_length: a (wrong) rangeLength
        to add to each change, as eglot sends it (in Emacs characters)."""
        v, text = self.docs[uri]
        out = []
        for a, b, new in changes:
            out.append({"range": range_of(text, a, b, self.enc), "text": new})
            if range_length is not None:
                out[-1]["rangeLength"] = range_length
            text = text[:a] + new + text[b:]
        v = v + 1 if version is None else version
        self.docs[uri] = [v, text]
        msg = {"jsonrpc": "2.0", "method": "textDocument/didChange",
               "params": {"textDocument": {"uri": uri, "version": v}, "contentChanges": out}}
        if send:
            self.send(msg)
        return msg if not send else v

    def replace_text(self, uri, new, version=None):
        """One change replacing the whole text (by range)."""
        return self.edit(uri, [(0, len(self.text(uri)), new)], version)

    def sub(self, uri, old, new, version=None):
        """Replaces the first occurrence of old."""
        text = self.text(uri)
        a = text.index(old)
        return self.edit(uri, [(a, a + len(old), new)], version)

    def close_doc(self, uri):
        del self.docs[uri]
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def diags(self, uri, version=None, pred=None, timeout=None):
        """The next diagnostics published for uri (for that version, if given)."""
        def ok(m):
            p = m["params"]
            return p["uri"] == uri and (version is None or p.get("version") == version) and \
                (pred is None or pred(p["diagnostics"]))
        return self.wait_note("textDocument/publishDiagnostics", ok, timeout or WAIT)["params"]["diagnostics"]

    def all_diags(self, uri):
        """Diagnostics notifications for uri received so far (taken from notes)."""
        self.pump(0.05)
        got = [m["params"] for m in self.notes if m["method"] == "textDocument/publishDiagnostics"
               and m["params"]["uri"] == uri]
        self.notes = [m for m in self.notes if not (m["method"] == "textDocument/publishDiagnostics"
                                                    and m["params"]["uri"] == uri)]
        return got

    def settle(self, uri, version, timeout=None):
        """Waits until the analysis of uri at version is done, whether or not it
        published anything (a hover forces it, and answers after it)."""
        self.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, timeout=timeout)
        self.pump(0.1)

    def pos(self, uri, needle, delta=0, nth=0):
        """The position of the nth occurrence of needle (plus delta characters)."""
        text = self.text(uri)
        a = -1
        for _ in range(nth + 1):
            a = text.index(needle, a + 1)
        return position_of(text, a + delta, self.enc)

    def actions(self, uri, at, end=None, only=None, diagnostics=()):
        ctx = {"diagnostics": list(diagnostics)}
        if only:
            ctx["only"] = only
        return self.call("textDocument/codeAction", {"textDocument": {"uri": uri},
                                                     "range": {"start": at, "end": end or at},
                                                     "context": ctx})

    def hover(self, uri, at):
        return self.call("textDocument/hover", {"textDocument": {"uri": uri}, "position": at})

    # -- end
    def finish(self, want=0):
        """shutdown + exit: the exit code must be want (sanitizers report leaks
        at exit and change it)."""
        if self.finished:
            return
        self.finished = True
        r = self.request("shutdown")
        check("result" in r and r["result"] is None, "shutdown: %r", r)
        self.notify("exit")
        try:
            code = self.p.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise Failure("the server did not exit after shutdown + exit")
        eq(code, want, "exit code after shutdown + exit")

    def wait_exit(self, timeout=None):
        try:
            return self.p.wait(timeout or WAIT)
        except subprocess.TimeoutExpired:
            return None

    def stderr_text(self):
        try:
            self._errf.flush()
            with open(self.errlog, "rb") as f:
                return f.read()
        except OSError:
            return b""


class T:
    """One test's world: a temporary folder (dir = the workspace), its servers."""

    def __init__(self, binary, base):
        self.binary = binary
        self.base = base
        self.dir = os.path.join(base, "w")
        os.makedirs(self.dir)
        self.sessions = []

    def path(self, rel):
        return rel if os.path.isabs(rel) else os.path.join(self.dir, rel)

    def write(self, rel, data):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data)
        return p

    def read(self, rel):
        with open(self.path(rel), "rb") as f:
            return f.read()

    def session(self, **kw):
        return Session(self, **kw)

    def cli(self, *args):
        return subprocess.run([self.binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=WAIT * 4)

    def cleanup(self, passed):
        problems = []
        for s in self.sessions:
            if passed and s.p.poll() is None and not s.finished:
                try:
                    s.finish()
                except Exception as e:   # a clean end is part of every test
                    problems.append("at the end: %s" % e)
            s.close()
            err = s.stderr_text()
            for mark in SANITIZER_MARKS:
                if mark in err:
                    k = err.index(mark)
                    problems.append("stderr has %s: %s" % (mark.decode(), err[max(0, k - 200):k + 600].decode(
                        "utf-8", "replace")))
                    break
        return problems


def tree(root):
    """{relative path: bytes, or None for a folder}"""
    out = {}
    for d, dirs, files in os.walk(root):
        for x in dirs:
            out[os.path.relpath(os.path.join(d, x), root)] = None
        for x in files:
            with open(os.path.join(d, x), "rb") as f:
                out[os.path.relpath(os.path.join(d, x), root)] = f.read()
    return out


def same_tree(a, b, what="trees"):
    ta, tb = tree(a), tree(b)
    if ta != tb:
        diffs = []
        for k in sorted(set(ta) | set(tb)):
            if ta.get(k, "missing") != tb.get(k, "missing"):
                diffs.append("%s: %r vs %r" % (k, ta.get(k, "missing"), tb.get(k, "missing")))
        raise Failure("%s differ: %s" % (what, "; ".join(diffs)[:1500]))


def codes(diags, severity=None):
    return [d["code"] for d in diags if severity is None or d.get("severity") == severity]


def errors(diags):
    return [d for d in diags if d.get("severity") == 1]


# --------------------------------------------------------------- fixtures

CALC = ("import math\n"
        "\n"
        "def add(a, b):\n"
        "    return a + b\n"
        "\n"
        "def get_pi():\n"
        "    return 3.14\n")

PATCH_OK = '''# Summary: test
#
# Plan:
#   1. Import List.
version: "2.0"
changes:
  - file_path: "calc.py"
    modifications:
      - action: INSERT_AFTER
        snippet: |
          import math
        content: |
          from typing import List
      - action: REPLACE
        snippet: |
          return a + b
        content: |
          return sum([a, b])
'''

PATCH_BAD = PATCH_OK.replace("          return a + b\n        content", "          return a - b\n        content")


def calc_world(t, patch=PATCH_OK):
    t.write("calc.py", CALC)
    t.write("fix.ap", patch)


# ========================================================== lifecycle

@test
def lifecycle_initialize_result(t):
    s = t.session(init=False)
    r = s.request("initialize", {"processId": os.getpid(), "rootUri": uri_of(t.dir),
                                 "capabilities": vscode_capabilities()})
    caps = r["result"]["capabilities"]
    eq(caps["textDocumentSync"], {"openClose": True, "change": 2, "save": {"includeText": False}},
       "textDocumentSync")
    eq(caps.get("positionEncoding", "utf-16"), "utf-16", "default positionEncoding")
    for k in ("hoverProvider", "codeActionProvider", "documentSymbolProvider", "definitionProvider",
              "codeLensProvider", "completionProvider", "executeCommandProvider"):
        check(caps.get(k), "capability %s missing", k)
    check(isinstance(caps["codeLensProvider"], dict), "codeLensProvider must be an object (Neovim)")
    kinds = caps["codeActionProvider"]["codeActionKinds"]
    check(any(k == "source.applyPatch" or "source.applyPatch".startswith(k) for k in kinds),
          "source.applyPatch not among %r", kinds)
    cmds = caps["executeCommandProvider"]["commands"]
    for c in ("apls.applyPatch", "apls.createFiles", "apls.showTarget"):
        check(c in cmds, "command %s not advertised", c)
    eq(r["result"].get("serverInfo", {}).get("name"), "apls", "serverInfo.name")
    s.notify("initialized", {})
    s.finish(0)


@test
def lifecycle_encoding_negotiation(t):
    calc_world(t)
    cases = [(None, None, "utf-16"), (["utf-8", "utf-16"], None, "utf-8"), (["utf-16", "utf-8"], None, None),
             (["utf-32"], None, "utf-16"), (["utf-16"], {"positionEncoding": "utf-8"}, "utf-8"),
             # Emacs 29's eglot (1.12) offers these three, in this order
             (["utf-32", "utf-8", "utf-16"], None, "utf-8"),
             (None, {"positionEncoding": "utf-8"}, "utf-8"),
             (["utf-8"], {"positionEncoding": "utf-16"}, "utf-16")]
    for encs, opts, want in cases:
        s = t.session(encodings=encs, options=opts)
        got = s.init_result["capabilities"].get("positionEncoding", "utf-16")
        if want is None:      # either is allowed: the client offers both
            check(got in ("utf-8", "utf-16"), "positionEncoding %r for %r", got, encs)
        else:
            eq(got, want, "positionEncoding for offer %r and options %r" % (encs, opts))
        s.finish(0)


@test
def lifecycle_shutdown_exit_codes(t):
    s = t.session()
    s.finish(0)
    s = t.session()
    s.notify("exit")
    eq(s.wait_exit(), 1, "exit without shutdown")
    s.finished = True


@test
def lifecycle_null_params_eglot_handshake(t):
    """eglot 1.9 sends "params": null on shutdown and exit: the server must
    answer shutdown with null and exit 0 on exit, by itself."""
    s = t.session(caps="eglot")
    r = s.send({"jsonrpc": "2.0", "id": 900, "method": "shutdown", "params": None})
    r = s.wait_response(900, WAIT)
    eq(r.get("error"), None, "error answered to shutdown with null params")
    eq(r.get("result", "missing"), None, "shutdown result")
    s.send({"jsonrpc": "2.0", "method": "exit", "params": None})
    eq(s.wait_exit(), 0, "exit code after shutdown + exit with null params")
    s.finished = True


@test
def lifecycle_null_params_where_params_are_needed(t):
    """null params on a method that needs params: refused by the handler
    (never a crash), and the server keeps serving."""
    s = t.session()
    for i, method in enumerate(("textDocument/hover", "textDocument/codeAction", "workspace/executeCommand",
                                "textDocument/documentSymbol", "textDocument/completion")):
        s.send({"jsonrpc": "2.0", "id": 800 + i, "method": method, "params": None})
        r = s.wait_response(800 + i, WAIT)
        check("error" in r or r.get("result") in (None, []), "%s with null params: %r", method, r)
        check(r.get("error", {}).get("code") != -32600, "%s: null params refused as an invalid request", method)
    for method in ("textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
                   "workspace/didChangeConfiguration", "workspace/didChangeWatchedFiles", "initialized"):
        s.send({"jsonrpc": "2.0", "method": method, "params": None})
    s.alive_check()
    s.finish(0)


@test
def lifecycle_end_of_input(t):
    s = t.session()
    s.p.stdin.close()
    eq(s.wait_exit(), 1, "exit code at end of input without shutdown")
    s.finished = True
    s = t.session()
    r = s.request("shutdown")
    eq(r.get("result", "missing"), None, "shutdown result")
    s.p.stdin.close()
    eq(s.wait_exit(), 0, "exit code at end of input after shutdown")
    s.finished = True
    # end of input before initialize
    s = t.session(init=False)
    s.p.stdin.close()
    check(s.wait_exit() is not None, "the server did not exit at end of input before initialize")
    s.finished = True


@test
def lifecycle_before_initialize(t):
    calc_world(t)
    s = t.session(init=False)
    r = s.request("textDocument/hover", {"textDocument": {"uri": uri_of(t.path("fix.ap"))},
                                         "position": {"line": 0, "character": 0}})
    eq(r.get("error", {}).get("code"), -32002, "error code before initialize")
    r = s.request("shutdown")
    eq(r.get("error", {}).get("code"), -32002, "shutdown before initialize")
    # a notification before initialize is dropped, never answered
    s.notify("textDocument/didOpen", {"textDocument": {"uri": uri_of(t.path("fix.ap")), "languageId": "ap",
                                                       "version": 1, "text": PATCH_BAD}})
    r = s.request("initialize", {"processId": os.getpid(), "rootUri": uri_of(t.dir),
                                 "capabilities": vscode_capabilities()})
    check("result" in r, "initialize after refused requests: %r", r)
    s.notify("initialized", {})
    r = s.request("initialize", {"processId": os.getpid(), "rootUri": uri_of(t.dir), "capabilities": {}})
    check("error" in r, "a second initialize must be refused: %r", r)
    s.alive_check()
    s.finish(0)


@test
def lifecycle_unknown_method(t):
    s = t.session()
    r = s.request("apls/noSuchThing", {"x": 1})
    eq(r.get("error", {}).get("code"), -32601, "unknown request")
    r = s.request("$/noSuchThing", {})
    eq(r.get("error", {}).get("code"), -32601, "unknown $/ request")
    s.notify("apls/noSuchNotification", {"x": 1})
    s.notify("$/noSuchNotification", {"x": 1})
    s.alive_check()
    s.finish(0)


@test
def lifecycle_request_after_shutdown(t):
    calc_world(t)
    s = t.session()
    u = s.open("fix.ap")
    s.diags(u)
    r = s.request("shutdown")
    eq(r.get("result", "missing"), None, "shutdown result")
    r = s.request("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": 10, "character": 10}})
    check("error" in r, "a request after shutdown must get an error: %r", r)
    eq(r["error"]["code"], -32600, "error code after shutdown")
    s.notify("exit")
    eq(s.wait_exit(), 0, "exit code")
    s.finished = True


@test
def lifecycle_client_process_dies(t):
    sleeper = subprocess.Popen(["sleep", "600"])
    s = t.session(process_id=sleeper.pid)
    s.alive_check()
    sleeper.kill()
    sleeper.wait()          # reaped: kill(pid, 0) now fails
    code = s.wait_exit(WAIT)
    check(code is not None, "the server outlived its client's process")
    eq(code, 1, "exit code when the client died (no shutdown)")
    s.finished = True


# ======================================================== diagnostics

EMOJI_TARGET = ("# \U0001F600\tmarker\r\n"
                "keep()\r\n"
                "other(\"\U0001F600\")\r\n"
                "other(\"\U0001F600\")\r\n"
                "def f():  # \U0001F600 x\r\n"
                "    x = '\U0001F600'; return 1\r\n")

EMOJI_PATCH = ("# Summary: \U0001F600 ranges after emoji, tabs and CRLF\r\n"
               "version: \"2.0\"\r\n"
               "changes:\r\n"
               "  - file_path: \"src/t.py\"\r\n"
               "    modifications:\r\n"
               "      - {action: REPLACE, anchor: \"# \U0001F600\tmarker\", snippet: \"gone_line()\", content: \"new()\"}\r\n"
               "      - action: REPLACE\r\n"
               "        snippet: |\r\n"
               "          other(\"\U0001F600\")\r\n"
               "        content: |\r\n"
               "          x()\r\n"
               "      - action: REPLACE\r\n"
               "        snippet: |\r\n"
               "          def f():  # \U0001F600 x\r\n"
               "              x = '\U0001F600'; retur 1\r\n"
               "        content: |\r\n"
               "          y()\r\n")


def line_range(text, line_no, enc):
    """The range of line line_no's content (no break) of text."""
    lines = lsp.split_lines(text)
    return {"start": {"line": line_no, "character": 0},
            "end": {"line": line_no, "character": units(lines[line_no][0], enc)}}


def diagnostics_exact(t, encs, want_enc, eol="\r\n"):
    target = EMOJI_TARGET.replace("\r\n", eol)
    text = EMOJI_PATCH.replace("\r\n", eol)
    t.write("src/t.py", target)
    t.write("fix.ap", text)
    s = t.session(encodings=encs)
    eq(s.enc, want_enc, "negotiated encoding")
    u = s.open("fix.ap")
    ds = s.diags(u)
    target_uri = uri_of(t.path("src/t.py"))
    errs = errors(ds)
    eq(codes(errs), ["SNIPPET_NOT_FOUND", "AMBIGUOUS_MATCH", "SNIPPET_NOT_FOUND"], "error codes")
    for d in ds:
        eq(d.get("source"), "apls", "source")
        check(d["message"], "empty message")
    # 1: the quoted snippet scalar after an emoji and a tab, on a CRLF line
    a = text.index('"gone_line()"')
    eq(errs[0]["range"], range_of(text, a, a + len('"gone_line()"'), s.enc), "range of the flow snippet")
    rel = errs[0].get("relatedInformation", [])
    check(rel, "no relatedInformation for a snippet not found after its anchor")
    eq(rel[0]["location"]["uri"], target_uri, "related uri")
    eq(rel[0]["location"]["range"], line_range(target, 0, s.enc), "the anchor's line in the target")
    # 2: ambiguous: each match, exact to the end of the line
    a = text.index('other("\U0001F600")')
    eq(errs[1]["range"], range_of(text, a, a + len('other("\U0001F600")'), s.enc), "range of the ambiguous snippet")
    locs = sorted((r["location"]["uri"], r["location"]["range"]["start"]["line"], json.dumps(r["location"]["range"]))
                  for r in errs[1].get("relatedInformation", []))
    eq([(x[0], x[1]) for x in locs], [(target_uri, 2), (target_uri, 3)], "the ambiguous matches")
    eq(json.loads(locs[0][2]), line_range(target, 2, s.enc), "range of match 1")
    check("2" in errs[1]["message"], "the message says how many matches (eglot shows no related info): %r",
          errs[1]["message"])
    # 3: the one snippet line that differs, which holds an emoji
    a = text.index("x = '\U0001F600'; retur 1") - 4     # the block's line, relative indentation included
    eq(errs[2]["range"], range_of(text, a, a + 4 + len("x = '\U0001F600'; retur 1"), s.enc),
       "range of the differing snippet line")
    rel = errs[2].get("relatedInformation", [])
    check(any(r["location"]["range"] == line_range(target, 5, s.enc) for r in rel),
          "the differing target line (6) among the related places: %r", rel)
    s.finish()


@test
def diagnostics_exact_ranges_utf16(t):
    diagnostics_exact(t, None, "utf-16")


@test
def diagnostics_exact_ranges_utf8(t):
    diagnostics_exact(t, ["utf-8", "utf-16"], "utf-8")


@test
def diagnostics_exact_ranges_cr_only(t):
    diagnostics_exact(t, None, "utf-16", eol="\r")


@test
def diagnostics_exact_ranges_lf_utf8(t):
    diagnostics_exact(t, ["utf-8"], "utf-8", eol="\n")


@test
def diagnostics_exact_ranges_forced_utf8(t):
    t.write("src/t.py", EMOJI_TARGET)
    t.write("fix.ap", EMOJI_PATCH)
    s = t.session(options={"positionEncoding": "utf-8"})
    eq(s.enc, "utf-8", "forced encoding")
    u = s.open("fix.ap")
    errs = errors(s.diags(u))
    a = EMOJI_PATCH.index('"gone_line()"')
    eq(errs[0]["range"], range_of(EMOJI_PATCH, a, a + len('"gone_line()"'), "utf-8"), "range in utf-8")
    s.finish()


@test
def diagnostics_clean_patch_has_none(t):
    calc_world(t)
    s = t.session()
    u = s.open("fix.ap")
    eq(s.diags(u), [], "diagnostics of a patch that resolves")
    s.finish()


@test
def diagnostics_incremental_changes(t):
    calc_world(t, PATCH_BAD)
    s = t.session()
    u = s.open("fix.ap")
    ds = s.diags(u, version=1)
    eq(codes(errors(ds)), ["SNIPPET_NOT_FOUND"], "v1")
    # several changes in one notification: a line with emoji at the top, an
    # edit spanning an emoji, then the fix of the snippet
    v = s.edit(u, [(0, 0, "# \U0001F600\U0001F600 note \U0001F44D\n"),
                   (2, 3, "x"),                 # replaces the first emoji
                   (2, 4, "\U0001F680")])        # "x" and the second emoji -> a rocket
    text = s.text(u)
    check(text.startswith("# \U0001F680 note \U0001F44D\n"), "client model: %r" % text[:20])
    ds = s.diags(u, version=v)
    a = text.index("return a - b")
    eq([d["range"] for d in errors(ds)], [range_of(text, a, a + len("return a - b"), s.enc)],
       "the error moved one line down")
    # a change that fixes it: no diagnostics
    v = s.sub(u, "a - b", "a + b")
    eq(s.diags(u, version=v), [], "diagnostics after the fix")
    # a change that breaks YAML
    v = s.sub(u, "    modifications:", "    modifications: [")
    ds = s.diags(u, version=v)
    check("INVALID_PATCH_FILE" in codes(errors(ds)), "INVALID_PATCH_FILE expected: %r", ds)
    for d in ds:
        check(d["range"]["start"]["line"] >= s.pos(u, "modifications")["line"],
              "the YAML error points above the fault: %r", d["range"])
    # and back
    v = s.sub(u, "    modifications: [", "    modifications:")
    eq(s.diags(u, version=v), [], "diagnostics after repairing the YAML")
    # an edit after an emoji on the faulty line itself
    v = s.sub(u, "          return a + b", "          return a + b\n          \U0001F600 missing()")
    text = s.text(u)
    a = text.index("\U0001F600 missing()")
    ds = s.diags(u, version=v)
    eq([d["range"] for d in errors(ds)], [range_of(text, a, a + len("\U0001F600 missing()"), s.enc)],
       "the differing second line")
    s.finish()


@test
def diagnostics_client_quirks(t):
    """Neovim's version jumps (0, then 5), eglot's rangeLength in Emacs
    characters (ignored: ranges only), a full-text change without a range."""
    calc_world(t, PATCH_BAD)
    s = t.session(caps="eglot")
    u = s.open("fix.ap", version=0)
    eq(codes(errors(s.diags(u, version=0))), ["SNIPPET_NOT_FOUND"], "v0")
    text = s.text(u)
    k = text.index("a - b")
    pre = "# \U0001F600 \U0001F600\n"
    v = s.edit(u, [(0, 0, pre), (k + len(pre), k + len(pre) + 5, "a + b")], version=5, range_length=1)
    eq(v, 5, "version")
    eq(s.diags(u, version=5), [], "after changes with a wrong rangeLength")
    s.docs[u] = [6, PATCH_BAD]
    s.send({"jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": u, "version": 6}, "contentChanges": [{"text": PATCH_BAD}]}})
    eq(codes(errors(s.diags(u, version=6))), ["SNIPPET_NOT_FOUND"], "after a full-text change")
    s.finish()


@test
def code_action_only_filter(t):
    s, u = calc_session(t, PATCH_BAD)
    s.diags(u)
    at = s.pos(u, "return a - b")
    kinds = lambda acts: sorted({a.get("kind") for a in acts})
    eq(kinds(s.actions(u, at, only=["quickfix"])), ["quickfix"], "only quickfix")
    got = kinds(s.actions(u, at, only=["source"]))
    check(got and all(k.startswith("source") for k in got) and "source.applyPatch" in got, "only source: %r", got)
    eq(kinds(s.actions(u, at, only=["source.applyPatch"])),
       ["source.applyPatch", "source.applyPatch.change", "source.applyPatch.modification",
        "source.applyPatch.partial"], "only source.applyPatch (a failing patch: what resolves too)")
    eq(s.actions(u, at, only=["refactor.extract"]), [], "a kind apls has none of")
    s.finish()


@test
def diagnostics_incremental_utf8(t):
    calc_world(t, PATCH_BAD)
    s = t.session(encodings=["utf-8"])
    eq(s.enc, "utf-8", "encoding")
    u = s.open("fix.ap")
    s.diags(u, version=1)
    v = s.edit(u, [(0, 0, "# \U0001F600\u00e9\U0001F600 note\n"), (3, 4, ""), (2, 3, "ab")])
    text = s.text(u)
    check(text.startswith("# ab\U0001F600 note\n"), "client model: %r", text[:12])
    ds = s.diags(u, version=v)
    a = text.index("return a - b")
    eq([d["range"] for d in errors(ds)], [range_of(text, a, a + len("return a - b"), "utf-8")], "range")
    # the line with emoji is itself the faulty one
    v = s.sub(u, "return a - b", "return \U0001F600 - b")
    text = s.text(u)
    a = text.index("return \U0001F600 - b")
    ds = s.diags(u, version=v)
    eq([d["range"] for d in errors(ds)], [range_of(text, a, a + len("return \U0001F600 - b"), "utf-8")],
       "range over an emoji in utf-8")
    s.finish()


@test
def diagnostics_never_older_than_the_buffer(t):
    """A burst of changes in one write: only the last version is published
    (each intermediate one has other diagnostics, so any would show)."""
    calc_world(t, PATCH_OK)
    s = t.session()
    u = s.open("fix.ap")
    eq(s.diags(u, version=1), [], "v1")
    burst = b""
    prev = "a + b"
    for i in range(10):
        new = "a - " + "b" * (i + 1)
        text = s.text(u)
        k = text.index(prev)
        m = s.edit(u, [(k, k + len(prev), new)], send=False)
        prev = new
        body = json.dumps(m).encode()
        burst += b"Content-Length: %d\r\n\r\n" % len(body) + body
    check(len(burst) < 4096, "burst too long for one atomic write")
    last = s.version(u)
    s.send_raw(burst)
    ds = s.diags(u, version=last)
    text = s.text(u)
    a = text.index("return " + prev)
    eq([d["range"] for d in errors(ds)], [range_of(text, a, a + len("return " + prev), s.enc)], "last range")
    time.sleep(0.3)
    eq([p["version"] for p in s.all_diags(u)], [], "versions published besides the last")
    # back to a clean text, published as such
    v = s.sub(u, prev, "a + b")
    eq(s.diags(u, version=v), [], "after the burst")
    s.finish()


@test
def diagnostics_every_version_consistent(t):
    """With no debounce, each change is analysed and published for its own
    version, in order, and each publication describes that version's text (a
    publication the client has not read yet is replaced by the next one for
    the same document: only the latest is guaranteed to arrive)."""
    calc_world(t, PATCH_OK)
    s = t.session(options={"debounceMs": 0})
    u = s.open("fix.ap")
    eq(s.diags(u, version=1), [], "v1")
    texts = {}
    prev = "return a + b"
    for i in range(8):
        new = "return " + "z" * (i + 1)      # a longer range each time: always republished
        v = s.sub(u, prev, new)
        prev = new
        texts[v] = s.text(u)
    last = s.version(u)
    s.diags(u, version=last)
    got = s.all_diags(u)
    versions = [p["version"] for p in got] + [last]
    eq(versions, sorted(set(versions)), "versions published in order, each once")
    check(set(versions) <= set(range(2, last + 1)), "versions published: %r", versions)
    s.finish()
    # every publication matched its own text
    for p in got:
        text = texts[p["version"]]
        a = text.index(prev[:8])
        b = text.index("\n", a)
        eq([d["range"] for d in errors(p["diagnostics"])], [range_of(text, a, b, s.enc)],
           "range published for version %d" % p["version"])


@test
def diagnostics_published_after_a_request_in_the_same_read(t):
    """A change followed at once by a request that needs results: the change's
    diagnostics must still be published (not the previous version's)."""
    calc_world(t, PATCH_BAD)
    s = t.session()
    u = s.open("fix.ap")
    s.diags(u, version=1)
    m = s.edit(u, [(0, 0, "# moved one line down\n")], send=False)
    body = json.dumps(m).encode()
    h = json.dumps({"jsonrpc": "2.0", "id": 9999, "method": "textDocument/hover",
                    "params": {"textDocument": {"uri": u}, "position": {"line": 0, "character": 0}}}).encode()
    s.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body + b"Content-Length: %d\r\n\r\n" % len(h) + h)
    s.wait_response(9999, WAIT)
    text = s.text(u)
    a = text.index("return a - b")
    try:
        ds = s.diags(u, version=2, timeout=10)
    except TimeoutError:
        raise Failure("no diagnostics for version 2 (the client keeps showing version 1's ranges)")
    eq([d["range"] for d in errors(ds)], [range_of(text, a, a + len("return a - b"), s.enc)], "range")
    s.finish()


@test
def diagnostics_cleared_on_close(t):
    calc_world(t, PATCH_BAD)
    s = t.session()
    u = s.open("fix.ap")
    check(s.diags(u), "diagnostics expected")
    s.close_doc(u)
    eq(s.diags(u), [], "diagnostics after close")
    s.alive_check()
    # reopen: published again
    u = s.open("fix.ap", version=5)
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "after reopening")
    s.finish()


@test
def diagnostics_already_applied_hint(t):
    calc_world(t)
    r = t.cli("apply", "--root", t.dir, t.path("fix.ap"))
    eq(r.returncode, 0, "apls apply")
    s = t.session()
    u = s.open("fix.ap")
    ds = s.diags(u)
    eq(errors(ds), [], "errors on an applied patch")
    hints = [d for d in ds if d.get("severity") == 4]
    eq(len(hints), 2, "one hint per applied modification")
    for d, needle in zip(hints, ("- action: INSERT_AFTER", "- action: REPLACE")):
        eq(d.get("tags"), [1], "tags (Unnecessary)")
        eq(d.get("source"), "apls", "source")
        eq(d["range"]["start"]["line"], s.pos(u, needle)["line"], "the hint starts on the modification")
    # the target changes back (a buffer): the hint goes away
    t_uri = s.open("calc.py")
    s.settle(u, 1)
    s.all_diags(u)
    s.sub(t_uri, "return sum([a, b])", "return a + b")
    ds = s.diags(u)
    eq([d.get("severity") for d in ds], [4], "one modification left applied")
    s.finish()


# ============================================================ targets

def calc_session(t, patch=PATCH_OK, **kw):
    calc_world(t, patch)
    s = t.session(**kw)
    u = s.open("fix.ap")
    return s, u


@test
def targets_open_buffer_wins(t):
    s, u = calc_session(t)
    eq(s.diags(u, version=1), [], "clean at first")
    c = s.open("calc.py", version=3)
    s.settle(u, 1)
    eq([p["diagnostics"] for p in s.all_diags(u)], [], "opening an unchanged buffer publishes nothing new")
    s.sub(c, "return a + b", "return a  -  b  # \U0001F600")     # unsaved: the disk is unchanged
    ds = s.diags(u)
    eq(codes(errors(ds)), ["SNIPPET_NOT_FOUND"], "the patch is checked against the buffer")
    rel = errors(ds)[0].get("relatedInformation", [])
    check(rel, "related information expected")
    eq({r["location"]["uri"] for r in rel}, {c}, "related uri is the buffer's")
    check(any(r["location"]["range"] == line_range(s.text(c), 3, s.enc) for r in rel),
          "related range of line 4 in the buffer's text: %r", rel)
    s.sub(c, "return a  -  b  # \U0001F600", "return a + b")
    eq(s.diags(u), [], "buffer repaired")
    s.sub(c, "import math", "import cmath")
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "broken again")
    s.close_doc(c)                     # the unsaved change is dropped: the disk takes over
    eq(s.diags(u), [], "after closing the buffer, the disk")
    s.finish()


@test
def targets_buffer_uri_spelling(t):
    t.write("my dir/calc.py", CALC)
    t.write("my dir/fix.ap", PATCH_OK)
    s = t.session()
    u = s.open("my dir/fix.ap")
    eq(s.diags(u), [], "clean")
    # the target opened under another spelling of the same path
    odd = "file://" + t.path("my dir").replace(" ", "%20") + "/calc%2Epy"
    s.docs[odd] = [1, CALC]
    s.notify("textDocument/didOpen", {"textDocument": {"uri": odd, "languageId": "python", "version": 1,
                                                       "text": CALC}})
    s.sub(odd, "import math", "import cmath")
    ds = s.diags(u)
    eq(codes(errors(ds)), ["SNIPPET_NOT_FOUND"], "the buffer with the odd spelling is used")
    s.finish()


def disk_change(t, caps):
    s, u = calc_session(t, caps=caps)
    eq(s.diags(u), [], "clean")
    s.pump(0.3)
    regs = [r for r in s.requests if r["method"] == "client/registerCapability"]
    watched = [g for r in regs for g in r["params"]["registrations"]
               if g["method"] == "workspace/didChangeWatchedFiles"]
    dynamic = caps != "nvim"
    if dynamic:
        check(watched, "no didChangeWatchedFiles registration with dynamic registration offered")
    else:
        eq(watched, [], "a registration the client did not offer")
    target = t.path("calc.py")

    def changed(kind=2):
        if dynamic:
            s.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(target), "type": kind}]})

    # 1. rewritten in place (same size, so only the content tells)
    t.write("calc.py", CALC.replace("return a + b", "return a - b"))
    changed()
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "after the disk change")
    # 2. replaced by a rename (how editors save)
    t.write("calc.py.tmp", CALC)
    os.rename(t.path("calc.py.tmp"), target)
    changed()
    eq(s.diags(u), [], "after the file was renamed back into place")
    # 3. deleted, then created again
    os.unlink(target)
    changed(3)
    eq(codes(errors(s.diags(u))), ["FILE_NOT_FOUND"], "after the delete")
    t.write("calc.py", CALC)
    changed(1)
    eq(s.diags(u), [], "after the file came back")
    s.finish()


@test
def targets_disk_change_dynamic_registration(t):
    disk_change(t, "vscode")


@test
def targets_disk_change_self_watched_neovim(t):
    disk_change(t, "nvim")


# the disk changes behind the server's back (no watch event, or a folder
# beyond the watch limit): "Apply patch" must still be built on the disk's text

ALPHA_BETA = "alpha = 1\nbeta = 2\n"


def patch_beta():
    return patch_text([("ab.txt", [{"action": "REPLACE", "snippet": "beta = 2\n", "content": "beta = 20\n"}])])


def apply_matches_cli(t, s, u, names):
    """The whole-patch action, applied to the disk as a client does, leaves
    the files exactly as `apls apply` leaves a copy of the disk as it is now."""
    ref = os.path.join(t.base, "ref")
    shutil.rmtree(ref, ignore_errors=True)
    os.makedirs(ref)
    for n in names:
        os.makedirs(os.path.dirname(os.path.join(ref, n)), exist_ok=True)
        shutil.copyfile(t.path(n), os.path.join(ref, n))
    with open(os.path.join(ref, "p.ap"), "w") as f:
        f.write(s.text(u))
    r = t.cli("apply", "--root", ref, os.path.join(ref, "p.ap"))
    eq(r.returncode, 0, "apls apply on the copy (%s)" % r.stdout.decode(errors="replace"))
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    apply_action(s, act)
    for n in names:
        eq(t.read(n), open(os.path.join(ref, n), "rb").read(), "%s after the action" % n)


def rewrite_same_size_same_mtime(t, name, text):
    """Rewrites a file in place with as many bytes, then puts its mtime back:
    size, inode and mtime all stay, only the content (and ctime) tell."""
    p = t.path(name)
    st = os.stat(p)
    data = text.encode()
    eq(len(data), st.st_size, "the rewrite keeps the size")
    with open(p, "r+b") as f:
        f.write(data)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    st2 = os.stat(p)
    eq((st2.st_ino, st2.st_size, st2.st_mtime_ns), (st.st_ino, st.st_size, st.st_mtime_ns), "identity kept")


def stale_disk_text(t, pause):
    t.write("ab.txt", ALPHA_BETA)
    t.write("p.ap", patch_beta())
    s = t.session()                          # watches through the client: no event comes
    u = s.open("p.ap")
    eq(s.diags(u), [], "clean")
    time.sleep(pause)
    rewrite_same_size_same_mtime(t, "ab.txt", "beta = 2\nalpha = 1\n")
    apply_matches_cli(t, s, u, ["ab.txt"])
    eq(t.read("ab.txt"), b"beta = 20\nalpha = 1\n", "the line replaced")
    s.finish()


@test
def targets_apply_after_a_missed_change_same_size_and_mtime(t):
    stale_disk_text(t, 0)


@test
def targets_apply_after_a_missed_change_same_size_and_mtime_later(t):
    # long after the read: the timestamps no longer make the text doubtful
    stale_disk_text(t, 2.2)


@test
def targets_apply_beyond_the_watch_limit(t):
    """Neovim 0.7 (the server watches for itself): 300 target folders, more
    than it watches; one far folder changes, and the apply must see it."""
    n = 300
    for i in range(n):
        t.write("d%03d/f.txt" % i, "one %d\ntwo\n" % i)
    t.write("p.ap", patch_text([("d%03d/f.txt" % i, [{"action": "REPLACE", "snippet": "two\n",
                                                       "content": "TWO\n"}]) for i in range(n)]))
    s = t.session(caps="nvim")
    u = s.open("p.ap")
    eq(errors(s.diags(u)), [], "clean")
    t.write("d299/f.txt", "zero\none 299\ntwo\n")      # no event can come
    apply_matches_cli(t, s, u, ["d%03d/f.txt" % i for i in range(n)])
    eq(t.read("d299/f.txt"), b"zero\none 299\nTWO\n", "the far file")
    s.finish()


def frames(*msgs):
    return b"".join(frame(json.dumps(m)) for m in msgs)


@test
def targets_reopened_with_the_same_version(t):
    """A target closed and opened again with the same version number (a
    client that counts from 1 again) but other text: the new text counts."""
    s, u = calc_session(t)
    eq(s.diags(u), [], "clean")
    c = s.open("calc.py", version=1)
    s.settle(u, 1)                         # analysed with the buffer at version 1
    changed = CALC.replace("return a + b", "return a - b")
    s.docs[c] = [1, changed]
    s.send_raw(frames({"jsonrpc": "2.0", "method": "textDocument/didClose",
                       "params": {"textDocument": {"uri": c}}},
                      {"jsonrpc": "2.0", "method": "textDocument/didOpen",
                       "params": {"textDocument": {"uri": c, "languageId": "python", "version": 1,
                                                   "text": changed}}}))
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "the reopened text is checked")
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    check("edit" not in act, "an edit built on the old text: %r", act)
    s.finish()


@test
def targets_patch_under_two_uri_spellings(t):
    """The patch opened again under another spelling of its URI: the old
    spelling's diagnostics are cleared, the new one gets them."""
    t.write("my dir/calc.py", CALC)
    t.write("my dir/fix.ap", PATCH_BAD)
    s = t.session()
    a = s.open("my dir/fix.ap")
    eq(codes(errors(s.diags(a))), ["SNIPPET_NOT_FOUND"], "first spelling")
    b = "file://" + t.path("my dir/fix.ap")          # a literal space
    check(a != b, "two spellings")
    s.docs[b] = [2, PATCH_OK]
    s.notify("textDocument/didOpen", {"textDocument": {"uri": b, "languageId": "ap", "version": 2,
                                                       "text": PATCH_OK}})
    eq(s.diags(a), [], "the first spelling's diagnostics are cleared")
    eq(s.diags(b), [], "the second spelling's")
    s.sub(b, "return a + b", "return a * b")
    eq(codes(errors(s.diags(b))), ["SNIPPET_NOT_FOUND"], "published under the second spelling")
    s.alive_check()
    eq(s.all_diags(a), [], "nothing more under the first spelling")
    s.close_doc(b)
    eq(s.diags(b), [], "cleared on close")
    s.alive_check()
    eq(s.all_diags(a), [], "nothing under the first spelling at close")
    s.finish()


KEYSTROKE_TARGETS = 60


def keystrokes_touch_only_the_edited_changes_targets(t, caps, patch=None):
    """Diagnostics rely on watch events: a keystroke in one change checks
    that change's target on disk, never the other 59 (strace counts).
    patch: the text naming src/t00.txt..src/t59.txt, each replacing
    "two N" (2.0 unless given; v3.py passes the 3.2 one)."""
    n = KEYSTROKE_TARGETS
    for i in range(n):
        t.write("src/t%02d.txt" % i, "one\ntwo %d\n" % i)
    t.write("p.ap", patch or patch_text([("src/t%02d.txt" % i, [{"action": "REPLACE", "snippet": "two %d\n" % i,
                                                                  "content": "TWO\n"}]) for i in range(n)]))
    check(shutil.which("strace"), "strace is needed (scripts/deps test installs it)")
    log = os.path.join(t.base, "strace.log")
    # (LeakSanitizer cannot run under ptrace: no leak check in this session)
    asan = "ASAN_OPTIONS=" + ":".join(x for x in (os.environ.get("ASAN_OPTIONS"), "detect_leaks=0") if x)
    s = t.session(caps=caps, command=["env", asan, "strace", "-f", "-qq", "-e", "trace=%file,%desc", "-o", log,
                                      t.binary])
    u = s.open("p.ap")
    eq(errors(s.diags(u)), [], "clean")
    s.settle(u, 1)
    with open(log, "rb") as f:
        start = len(f.read())
    for k in range(10):                   # keystrokes in change 1 (t01.txt)
        v = s.sub(u, "two 1\n", "two 1 \n") if k % 2 == 0 else s.sub(u, "two 1 \n", "two 1\n")
        s.settle(u, v)
    with open(log, "rb") as f:
        f.seek(start)
        calls = f.read().decode(errors="replace")
    others = [l for l in calls.splitlines() if "/w/src/t" in l and "/src/t01.txt" not in l]
    eq(others[:5], [], "system calls on the other targets during keystrokes (%d)" % len(others))
    check("/src/t01.txt" in calls, "the edited change's target was not checked")
    s.finish()


@test
def targets_keystrokes_touch_only_the_edited_changes_targets(t):
    keystrokes_touch_only_the_edited_changes_targets(t, "vscode")


@test
def targets_keystrokes_touch_only_the_edited_changes_targets_self_watched(t):
    keystrokes_touch_only_the_edited_changes_targets(t, "nvim")


# ====================================================== hover, definition

@test
def hover_markdown_vscode(t):
    s, u = calc_session(t, PATCH_BAD)
    s.diags(u)
    h = s.hover(u, s.pos(u, "import math", 2))
    eq(h["contents"]["kind"], "markdown", "kind")
    v = h["contents"]["value"]
    for want in ("INSERT_AFTER", "calc.py:1", "```diff", "+from typing import List"):
        check(want in v, "hover lacks %r: %r", want, v)
    r = h.get("range")
    check(r and r["start"]["line"] <= s.pos(u, "action: INSERT_AFTER")["line"] and
          r["end"]["line"] >= s.pos(u, "from typing")["line"], "hover range %r", r)
    h = s.hover(u, s.pos(u, "return a - b"))
    check("SNIPPET_NOT_FOUND" in h["contents"]["value"], "hover of a failing modification: %r", h)
    h = s.hover(u, s.pos(u, "calc.py"))
    check(t.path("calc.py") in h["contents"]["value"], "hover of file_path names the resolved file: %r", h)
    eq(s.call("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": 0, "character": 2}}),
       None, "hover on the summary comment")
    s.finish()


@test
def hover_leaves_the_diagnostic_to_the_squiggle(t):
    # VS Code shows the diagnostic's message and related places in the same
    # hover as the server's text: over the squiggle, the server's hover names
    # the code only; elsewhere in the modification it says everything
    s, u = calc_session(t, PATCH_BAD)
    d = [x for x in s.diags(u) if x.get("code") == "SNIPPET_NOT_FOUND"]
    check(d, "no SNIPPET_NOT_FOUND diagnostic: %r", d)
    msg = d[0]["message"]
    # markdown escapes punctuation in prose (calc\\.py) and puts quoted code
    # in code spans: compare the words read, without quotes
    unquote = lambda v: re.sub(r"\\(.)", r"\1", v).replace("`", "").replace("'", "")
    plain = lambda h: unquote(h["contents"]["value"])
    msg = unquote(msg)
    on = s.hover(u, s.pos(u, "return a - b", 3))
    v = plain(on)
    check("SNIPPET_NOT_FOUND" in v, "the hover on the squiggle names the code: %r", v)
    check(msg not in v, "the hover on the squiggle repeats the diagnostic's message: %r", v)
    check("calc.py:" not in v.split("\n\n", 1)[-1], "the hover on the squiggle repeats the related places: %r", v)
    off = s.hover(u, s.pos(u, "action: REPLACE", 3))
    check(msg in plain(off), "the hover off the squiggle says the message: %r", off)
    s.finish()


@test
def hover_plaintext_eglot(t):
    s, u = calc_session(t, PATCH_OK, caps="eglot")
    s.diags(u)
    h = s.hover(u, s.pos(u, "return a + b"))
    eq(h["contents"]["kind"], "plaintext", "kind")
    v = h["contents"]["value"]
    for bad in ("```", "**"):
        check(bad not in v, "markdown in plain text: %r", v)
    for want in ("REPLACE", "calc.py:4", "-    return a + b", "+    return sum([a, b])"):
        check(want in v, "hover lacks %r: %r", want, v)
    s.finish()


DEF_PATCH = '''version: "2.0"
changes:
  - file_path: src/t.py
    modifications:
      - action: REPLACE
        anchor: |
          def f():  # \U0001F600 x
        snippet: |
          x = '\U0001F600'; return 1
        content: |
          return 2
      - action: INSERT_AFTER
        snippet: |
          other("\U0001F600")
        content: |
          more()
'''


@test
def definition_snippet_to_target(t):
    t.write("src/t.py", EMOJI_TARGET)
    t.write("fix.ap", DEF_PATCH)
    tu = uri_of(t.path("src/t.py"))
    for encs in (None, ["utf-8"]):
        s = t.session(encodings=encs)
        u = s.open("fix.ap")
        s.diags(u)
        locs = s.call("textDocument/definition", {"textDocument": {"uri": u},
                                                  "position": s.pos(u, "'; return 1", 2)})
        locs = locs if isinstance(locs, list) else [locs]
        eq([(l["uri"], l["range"]) for l in locs], [(tu, line_range(EMOJI_TARGET, 5, s.enc))], "snippet -> line 6")
        locs = s.call("textDocument/definition", {"textDocument": {"uri": u},
                                                  "position": s.pos(u, "def f()", 1)})
        locs = locs if isinstance(locs, list) else [locs]
        eq([(l["uri"], l["range"]) for l in locs], [(tu, line_range(EMOJI_TARGET, 4, s.enc))], "anchor -> line 5")
        # ambiguous: every match
        locs = s.call("textDocument/definition", {"textDocument": {"uri": u},
                                                  "position": s.pos(u, "other(", 1)})
        eq(sorted(l["range"]["start"]["line"] for l in locs), [2, 3], "ambiguous snippet -> both matches")
        s.finish()


# ========================================================= code actions

def patch_text(changes):
    """A patch from [(file_path, [mod dicts], extra change keys)]: every value a literal block."""
    out = ["# Summary: generated for a protocol test", 'version: "2.0"', "changes:"]
    for ch in changes:
        path, mods = ch[0], ch[1]
        extra = ch[2] if len(ch) > 2 else {}
        out.append('  - file_path: "%s"' % path)
        for k, v in extra.items():
            out.append("    %s: %s" % (k, v))
        out.append("    modifications:")
        for m in mods:
            out.append("      - action: %s" % m["action"])
            for k in ("anchor", "snippet", "start_snippet", "end_snippet", "content"):
                if k in m:
                    v = m[k]
                    if v == "":
                        out.append("        %s: \"\"" % k)
                        continue
                    out.append("        %s: |%s" % (k, "" if v.endswith("\n") else "-"))
                    for line in v.rstrip("\n").split("\n"):
                        out.append(("          " + line) if line.strip() else "")
            for k in ("include_leading_blank_lines", "include_trailing_blank_lines"):
                if k in m:
                    out.append("        %s: %d" % (k, m[k]))
    return "\n".join(out) + "\n"


def find_action(acts, kind=None, title=None):
    for a in acts:
        if (kind is None or a.get("kind") == kind) and (title is None or a["title"].startswith(title)):
            return a
    raise Failure("no action %s %s among %r" % (kind, title, [(a.get("kind"), a["title"]) for a in acts]))


def create_entries(edit):
    return [c for c in edit.get("documentChanges", []) if c.get("kind") == "create"]


def apply_action(s, act, open_docs=None):
    """Applies an action as its client would: the edit, then its command."""
    check("edit" in act, "the action has no edit (eglot would do nothing): %r", act)
    check("disabled" not in act, "the action is disabled: %r", act.get("disabled"))
    edit = act["edit"]
    if not (s.init_result and s.caps_name == "vscode"):
        eq(create_entries(edit), [], "CreateFile sent to a client without resource operations")
    for ch in edit.get("documentChanges", []):
        if "textDocument" in ch:
            want = s.docs[ch["textDocument"]["uri"]][0] if ch["textDocument"]["uri"] in s.docs else None
            eq(ch["textDocument"].get("version"), want, "version of the edit of %s" % ch["textDocument"]["uri"])
    docs = {uri: tuple(v) for uri, v in s.docs.items()} if open_docs is None else open_docs
    docs = apply_workspace_edit(edit, s.enc, docs)
    cmd = act.get("command")
    if cmd:
        eq(cmd["command"], "apls.createFiles", "the action's command")
        s.call("workspace/executeCommand", {"command": cmd["command"], "arguments": cmd.get("arguments", [])})
    return docs


def equivalence(t, files, patch, caps="vscode", encs=None, open_targets=(), sub="x"):
    """The whole-patch action, applied by a faithful client to copy A, leaves A
    byte for byte as `apls apply --root B` leaves copy B."""
    a, b = t.path(sub + "-a"), t.path(sub + "-b")
    for root in (a, b):
        for rel, data in files.items():
            t.write(os.path.join(root, rel), data)
        t.write(os.path.join(root, "fix.ap"), patch)
    before = tree(a)
    s = t.session(caps=caps, root=a, encodings=encs)
    targets = {}
    for rel in open_targets:
        targets[uri_of(os.path.join(a, rel))] = rel
        s.open(os.path.join(a, rel), version=7)
    u = s.open(os.path.join(a, "fix.ap"))
    ds = s.diags(u)
    eq(errors(ds), [], "errors")
    acts = s.actions(u, {"line": 0, "character": 0})
    act = find_action(acts, "source.applyPatch")
    check(act["title"].startswith("Apply patch"), "title %r", act["title"])
    creates = create_entries(act.get("edit", {}))
    docs = apply_action(s, act)
    for uri, rel in targets.items():       # the client saves its buffers
        t.write(os.path.join(a, rel), docs[uri][1])
    r = t.cli("apply", "--root", b, os.path.join(b, "fix.ap"))
    eq(r.returncode, 0, "apls apply (%s)" % r.stderr.decode(errors="replace")[:300])
    check(tree(b) != before, "the patch changed nothing: a useless case")
    news = sorted(uri_of(os.path.join(a, k)) for k, v in tree(b).items() if v is not None and k not in before)
    eq(sorted(c["uri"] for c in creates), news if caps == "vscode" else [], "CreateFile entries")
    same_tree(a, b, "action (%s) vs apls apply" % caps)
    s.finish()


SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


@scenario
def basic():
    return {"calc.py": CALC}, PATCH_OK


@scenario
def crlf_target():
    return {"calc.py": CALC.replace("\n", "\r\n")}, PATCH_OK


@scenario
def cr_only_target():
    return {"calc.py": CALC.replace("\n", "\r")}, PATCH_OK


@scenario
def no_final_newline():
    return {"calc.py": CALC.rstrip("\n"), "b.txt": "one\ntwo"}, patch_text([
        ("calc.py", [{"action": "INSERT_AFTER", "snippet": "return 3.14\n", "content": "# end\n"},
                     {"action": "REPLACE", "snippet": "return a + b\n", "content": "return b + a\n"}]),
        ("b.txt", [{"action": "REPLACE", "snippet": "two\n", "content": "deux\n"}])])


@scenario
def newline_crlf():
    # LF files given CRLF and CR endings: the bytes travel as they are
    return {"calc.py": CALC, "u.txt": "x\ny\n"}, patch_text([
        ("calc.py", [{"action": "REPLACE", "snippet": "return 3.14\n", "content": "return 3.1416\n"}],
         {"newline": "CRLF"}),
        ("u.txt", [{"action": "INSERT_BEFORE", "snippet": "y\n", "content": "between\n"}], {"newline": "CR"})])


@scenario
def tabs_and_trailing_blanks():
    src = "int f(void)\n{\n\tif (x) {\t\n\t\treturn 1;   \n\t}\n\treturn 0;\n}  \n"
    return {"f.c": src}, patch_text([
        ("f.c", [{"action": "REPLACE", "snippet": "return 1;\n", "content": "x++;\nreturn 2;\n"},
                 {"action": "INSERT_BEFORE", "snippet": "return 0;\n", "content": "/* \tnote */\n"}])])


@scenario
def emoji():
    src = "s = '\U0001F600'  # \u00e9t\u00e9\nt = '\U0001F680\U0001F680'\nu = 1\n"
    return {"e.py": src}, patch_text([
        ("e.py", [{"action": "REPLACE", "snippet": "t = '\U0001F680\U0001F680'\n",
                   "content": "t = '\U0001F44D'  # \u4e2d\u6587\n"},
                  {"action": "INSERT_AFTER", "snippet": "u = 1\n", "content": "v = '\U0001F600\U0001F600'\n"}])])


@scenario
def create_in_new_folder():
    return {"calc.py": CALC}, patch_text([
        ("deep/new dir/x \U0001F600.py", [{"action": "CREATE_FILE", "content": "print('\U0001F600')\n\tindented\n"}]),
        ("calc.py", [{"action": "DELETE", "start_snippet": "def get_pi():\n", "end_snippet": "return 3.14\n",
                      "include_leading_blank_lines": 1}])])


@scenario
def create_empty_file():
    return {"calc.py": CALC}, patch_text([("empty.txt", [{"action": "CREATE_FILE", "content": ""}])])


@scenario
def several_files():
    files = {"calc.py": CALC, "src/a.c": "int a;\nint b;\n", "src/sub/b.txt": "alpha\nbeta\ngamma\n"}
    return files, patch_text([
        ("src/a.c", [{"action": "INSERT_AFTER", "snippet": "int a;\n", "content": "int a2;\n"}]),
        ("calc.py", [{"action": "REPLACE", "anchor": "def add(a, b):\n", "snippet": "return a + b\n",
                      "content": "return a - b\n"}]),
        ("src/sub/b.txt", [{"action": "DELETE", "snippet": "beta\n"},
                           {"action": "INSERT_BEFORE", "snippet": "alpha\n", "content": "zero\n"}]),
        ("src/new.h", [{"action": "CREATE_FILE", "content": "#pragma once\n"}]),
        ("src/a.c", [{"action": "INSERT_BEFORE", "snippet": "int b;\n", "content": "int a3;\n"}])])


@scenario
def invalid_utf8_target():
    return {"l.txt": b"caf\xe9 latin-1\nkeep\nlast \xff\n"}, patch_text([
        ("l.txt", [{"action": "INSERT_AFTER", "snippet": "keep\n", "content": "added\n"}])])


def equivalence_test(name, caps, encs=None, open_targets=False):
    def fn(t):
        files, patch = SCENARIOS[name]()
        ots = [k for k, v in files.items() if isinstance(v, str)][:1] if open_targets else ()
        equivalence(t, files, patch, caps=caps, encs=encs, open_targets=ots)
    fn.__name__ = "apply_action_%s_%s%s%s" % (name, caps, "_utf8" if encs else "", "_open" if open_targets else "")
    test(fn)


for _name in list(SCENARIOS):
    equivalence_test(_name, "vscode")
    equivalence_test(_name, "nvim")
    equivalence_test(_name, "eglot")
equivalence_test("emoji", "vscode", encs=["utf-8"])
equivalence_test("emoji", "vscode", open_targets=True)
equivalence_test("crlf_target", "vscode", open_targets=True)
equivalence_test("several_files", "eglot", open_targets=True)


@test
def apply_refused_when_an_editor_cannot_change_the_endings(t):
    """A CRLF buffer cannot become an LF one through text edits (editors write
    a buffer with its own endings): the apply is refused with a reason naming
    apls apply, never offered with an edit that would leave other bytes."""
    t.write(t.path("u.txt"), "x\r\ny\r\n")
    t.write(t.path("fix.ap"), patch_text([
        ("u.txt", [{"action": "INSERT_BEFORE", "snippet": "y\n", "content": "between\n"}], {"newline": "LF"})]))
    s = t.session(caps="vscode", root=t.path(""))
    u = s.open(t.path("fix.ap"))
    eq(errors(s.diags(u)), [], "errors")
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    check("edit" not in act, "an edit was offered: %r", act)
    check("line endings" in act["disabled"]["reason"] and "apls apply" in act["disabled"]["reason"],
          "reason %r", act["disabled"]["reason"])
    s.finish()


@test
def invalid_utf8_target_never_loses_results(t):
    """Target lines that are not UTF-8 show up in messages ("did you mean"):
    the diagnostics must still be published (made valid), and an edit whose
    text cannot travel as JSON is refused as a whole, never sent in part."""
    t.write("l.txt", b"caf\xe9 latin-1\nkeep \xff\nlast\n")
    t.write("m.txt", b"a\nb \xff  \n")
    t.write("fix.ap", patch_text([("l.txt", [{"action": "REPLACE", "snippet": "keep\n", "content": "x\n"}])]))
    s = t.session()
    u = s.open("fix.ap")
    ds = s.diags(u)
    eq(codes(errors(ds)), ["SNIPPET_NOT_FOUND"], "diagnostics with a non-UTF-8 closest line")
    h = s.hover(u, s.pos(u, "keep"))
    check(h and "SNIPPET_NOT_FOUND" in h["contents"]["value"], "hover: %r", h)
    acts = s.actions(u, s.pos(u, "keep"))
    check(all("disabled" in a or "apls.explain" in json.dumps(a) for a in acts if a.get("kind", "").startswith(
        "source.applyPatch")), "apply actions must be disabled")
    # the trailing blanks of "b \xff  " are stripped: that hunk is not UTF-8
    s.replace_text(u, patch_text([("l.txt", [{"action": "INSERT_AFTER", "snippet": "last\n", "content": "y\n"}]),
                                  ("m.txt", [{"action": "INSERT_AFTER", "snippet": "a\n", "content": "c\n"}])]))
    eq(errors(s.diags(u, version=2)), [], "errors")
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    check("edit" not in act and "disabled" in act, "a partial edit was offered: %r", act)
    check("UTF-8" in act["disabled"]["reason"], "reason: %r", act["disabled"]["reason"])
    s.finish()


def apply_patch_edit(s, u, edit):
    """Applies the edits of the patch document u from a WorkspaceEdit, as the
    client does, and sends them as one didChange. Returns the new version."""
    chs = [c for c in edit["documentChanges"] if c.get("textDocument", {}).get("uri") == u]
    eq(len(chs), 1, "edits of the patch")
    eq(chs[0]["textDocument"].get("version"), s.version(u), "version of the patch edit")
    text = s.text(u)
    spans = sorted(((offset_of(text, e["range"]["start"], s.enc), offset_of(text, e["range"]["end"], s.enc),
                     e["newText"]) for e in chs[0]["edits"]), reverse=True)
    return s.edit(u, spans)


@test
def action_apply_disabled_with_reason(t):
    s, u = calc_session(t, PATCH_BAD)
    s.diags(u)
    acts = s.actions(u, s.pos(u, "return a - b"))
    act = find_action(acts, "source.applyPatch")
    check(act["title"].startswith("Apply patch"), "title")
    check("edit" not in act, "an edit offered for a patch that fails")
    check(act.get("disabled", {}).get("reason"), "disabled without a reason: %r", act)
    check("snippet not found" in act["disabled"]["reason"], "the reason says why: %r", act["disabled"])
    # eglot has no disabled support: an explaining command instead, never an edit
    s2, u2 = calc_session(t, PATCH_BAD, caps="eglot")
    s2.diags(u2)
    act = find_action(s2.actions(u2, s2.pos(u2, "return a - b")), "source.applyPatch")
    check("edit" not in act, "an edit offered to eglot for a patch that fails")
    check("disabled" in act or act.get("command", {}).get("command") == "apls.explain", "eglot action: %r", act)
    if "command" in act:
        s2.call("workspace/executeCommand", act["command"])
        m = s2.wait_note("window/showMessage")
        check("snippet not found" in m["params"]["message"], "the explanation: %r", m)
    s.finish()
    s2.finish()


@test
def action_apply_keeps_lone_cr(t):
    """A lone CR inside a line of an LF file is content: a text edit that
    rewrites that line carries it as it is, never as a line break (Neovim and
    Emacs hold it in the line)."""
    t.write("w.py", b"x = 1\nprint('50%\rdone')   \n")
    t.write("fix.ap", patch_text([("w.py", [{"action": "REPLACE", "snippet": "x = 1\n", "content": "x = 2\n"}])]))
    for caps in ("nvim", "eglot", "vscode"):
        s = t.session(caps=caps)
        u = s.open("fix.ap")
        eq(errors(s.diags(u)), [], "errors")
        act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
        texts = "".join(e["newText"] for ch in act["edit"]["documentChanges"] if "edits" in ch
                        for e in ch["edits"])
        check("print('50%\rdone')\n" in texts, "%s: the lone CR became %r", caps, texts)
        s.finish()


@test
def action_apply_one_modification(t):
    """'Apply modification N' applies that one only, even when another fails."""
    s, u = calc_session(t, PATCH_BAD.replace("from typing import List", "from typing import Dict"))
    s.diags(u)
    acts = s.actions(u, s.pos(u, "import math"))
    act = find_action(acts, "source.applyPatch.modification")
    check("1" in act["title"], "title %r", act["title"])
    apply_action(s, act)
    eq(t.read("calc.py").decode(), CALC.replace("import math\n", "import math\nfrom typing import Dict\n"),
       "calc.py after applying modification 1")
    # the failing one: disabled
    act = find_action(s.actions(u, s.pos(u, "return a - b")), "source.applyPatch.modification")
    check("disabled" in act and "edit" not in act, "the failing modification must be disabled: %r", act)
    s.finish()


@test
def action_apply_one_change(t):
    files, patch = SCENARIOS["several_files"]()
    for rel, data in files.items():
        t.write(rel, data)
    t.write("fix.ap", patch)
    s = t.session()
    u = s.open("fix.ap")
    eq(errors(s.diags(u)), [], "errors")
    act = find_action(s.actions(u, s.pos(u, "src/sub/b.txt")), "source.applyPatch.change")
    check("src/sub/b.txt" in act["title"], "title %r", act["title"])
    apply_action(s, act)
    # only that file changed, as apls apply of a patch of that change alone
    t.write("only/fix.ap", patch_text([("src/sub/b.txt", [{"action": "DELETE", "snippet": "beta\n"},
                                                          {"action": "INSERT_BEFORE", "snippet": "alpha\n",
                                                           "content": "zero\n"}])]))
    for rel, data in files.items():
        t.write("only/" + rel, data)
    eq(t.cli("apply", "--root", t.path("only"), t.path("only/fix.ap")).returncode, 0, "apls apply")
    for rel in files:
        eq(t.read(rel), t.read("only/" + rel), rel)
    check(not os.path.exists(t.path("src/new.h")), "a file of another change was created")
    s.finish()


@test
def action_target_open_gets_its_version(t):
    calc_world(t)
    s = t.session()
    c = s.open("calc.py", version=41)
    s.sub(c, "def get_pi", "def get_tau")          # unsaved, version 42
    u = s.open("fix.ap")
    eq(s.diags(u), [], "clean")
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    dcs = [d for d in act["edit"]["documentChanges"] if "textDocument" in d]
    eq([(d["textDocument"]["uri"], d["textDocument"]["version"]) for d in dcs], [(c, 42)], "the open target's version")
    docs = apply_action(s, act)
    want = CALC.replace("def get_pi", "def get_tau").replace("import math\n", "import math\nfrom typing import List\n")
    want = want.replace("return a + b", "return sum([a, b])")
    eq(docs[c][1], want, "the buffer after the edit")
    eq(t.read("calc.py").decode(), CALC, "the disk is left to the editor")
    # a stale buffer: the client changes it after the action was computed
    s.sub(c, "import math", "import  math")
    try:
        apply_workspace_edit(act["edit"], s.enc, {c: (s.version(c), s.text(c))})
        raise Failure("a stale edit was applied")
    except RuntimeError:
        pass
    s.finish()


@test
def action_execute_apply_patch_command(t):
    for caps in ("vscode", "nvim"):
        files, patch = SCENARIOS["several_files"]()
        a, b = t.path(caps + "-a"), t.path(caps + "-b")
        for root in (a, b):
            for rel, data in files.items():
                t.write(os.path.join(root, rel), data)
            t.write(os.path.join(root, "fix.ap"), patch)
        s = t.session(caps=caps, root=a)
        u = s.open(os.path.join(a, "fix.ap"))
        eq(errors(s.diags(u)), [], "errors")
        seen = []
        s.edit_applier = lambda edit: seen.append(edit) or apply_workspace_edit(edit, s.enc) is not None
        r = s.request("workspace/executeCommand", {"command": "apls.applyPatch", "arguments": [u]})
        check("error" not in r, "apls.applyPatch: %r", r)
        eq(len([q for q in s.requests if q["method"] == "workspace/applyEdit"]), 1, "workspace/applyEdit requests")
        eq(t.cli("apply", "--root", b, os.path.join(b, "fix.ap")).returncode, 0, "apls apply")
        same_tree(a, b, "apls.applyPatch (%s) vs apls apply" % caps)
        s.finish()
    # a patch that fails: an error (and a message), no applyEdit
    s, u = calc_session(t, PATCH_BAD)
    s.diags(u)
    r = s.request("workspace/executeCommand", {"command": "apls.applyPatch", "arguments": [{"uri": u}]})
    check("error" in r, "apls.applyPatch of a failing patch: %r", r)
    eq([q for q in s.requests if q["method"] == "workspace/applyEdit"], [], "applyEdit for a failing patch")
    s.finish()
    # the client refuses the edit: an error, and no file created behind its back
    files, patch = SCENARIOS["create_in_new_folder"]()
    c = t.path("refused")
    for rel, data in files.items():
        t.write(os.path.join(c, rel), data)
    t.write(os.path.join(c, "fix.ap"), patch)
    before = tree(c)
    s = t.session(caps="nvim", root=c)
    u = s.open(os.path.join(c, "fix.ap"))
    s.diags(u)
    s.edit_applier = lambda edit: False
    r = s.request("workspace/executeCommand", {"command": "apls.applyPatch", "arguments": [u]})
    check("error" in r, "a refused edit must be an error: %r", r)
    eq(tree(c), before, "the workspace after a refused edit")
    s.finish()


@test
def action_create_files_refuses_existing(t):
    files, patch = SCENARIOS["create_in_new_folder"]()
    for rel, data in files.items():
        t.write(rel, data)
    t.write("fix.ap", patch)
    s = t.session(caps="eglot")
    u = s.open("fix.ap")
    s.diags(u)
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    cmd = act.get("command")
    check(cmd and cmd["command"] == "apls.createFiles", "eglot needs the createFiles command: %r", act)
    target = path_of(uri_of(t.path("deep/new dir/x \U0001F600.py")))
    t.write(target, "mine\n")         # created meanwhile by someone else
    r = s.request("workspace/executeCommand", {"command": cmd["command"], "arguments": cmd["arguments"]})
    check("error" in r, "createFiles over an existing file must fail: %r", r)
    eq(t.read(target), b"mine\n", "the existing file")
    # hostile arguments
    for args in ([[{"path": "relative.txt", "content": "x"}]], [[{"path": t.path("a/../../../escape.txt"),
                                                                 "content": "x"}]], ["nonsense"], []):
        r = s.request("workspace/executeCommand", {"command": "apls.createFiles", "arguments": args})
        check("error" in r, "createFiles %r must fail: %r", args, r)
    check(not os.path.exists(os.path.join(t.base, "escape.txt")), "a file escaped")
    s.alive_check()
    s.finish()


def quickfix_cycle(t, caps, target, patch, code, title, nvim_bytes=False):
    t.write("a.py", target)
    t.write("fix.ap", patch)
    s = t.session(caps=caps)
    u = s.open("fix.ap")
    ds = s.diags(u)
    d = [x for x in ds if x["code"] == code]
    check(d, "no %s diagnostic: %r", code, ds)
    d = d[0]
    sent = json.loads(json.dumps(d))
    if nvim_bytes:   # Neovim 0.7 sends byte columns back
        text = s.text(u)
        for k in ("start", "end"):
            p = sent["range"][k]
            off = offset_of(text, p, s.enc)
            ls = text.rfind("\n", 0, off) + 1
            p["character"] = len(text[ls:off].encode())
    acts = s.actions(u, d["range"]["start"], d["range"]["end"], diagnostics=[sent])
    fix = find_action(acts, "quickfix", title)
    check("edit" in fix, "a quick fix without edit: %r", fix)
    v = apply_patch_edit(s, u, fix["edit"])
    ds = s.diags(u, version=v)
    eq([x for x in ds if x["code"] == code], [], "%s after %r" % (code, fix["title"]))
    eq(errors(ds), [], "errors after %r" % fix["title"])
    return s, u


# -------------------------------------------- issue 9: slips, hovers, menus

SLIPS_PATCH = ("```yaml\n"
               "version: 2.0\n"
               "changes:\n"
               "  - path: calc.py\n"
               "    modifications:\n"
               "      - action: replace\n"
               "        snipet: |\n"
               "          return a + b\n"
               "        contnet: |\n"
               "          return sum([a, b])\n"
               "```\n")


@test
def quickfix_slips_vscode(t):
    """The slips models make (a markdown fence, version 2.0, path, replace,
    snipet, contnet) are warnings, not errors: the patch applies; each has a
    preferred quick fix, and taking them one after the other leaves a clean
    patch that means the same (issue 9, item 4)."""
    calc_world(t, SLIPS_PATCH)
    s = t.session()
    u = s.open("fix.ap")
    ds = s.diags(u)
    eq(errors(ds), [], "no error")
    eq(sorted(codes(ds, 2)), sorted(["MARKDOWN_FENCE", "VERSION_NUMBER", "KEY_SPELLING", "ACTION_SPELLING",
                                     "KEY_SPELLING", "KEY_SPELLING"]), "one warning per slip")
    whole = s.actions(u, {"line": 0, "character": 0}, only=["source.applyPatch"])
    check("edit" in find_action(whole, "source.applyPatch", "Apply patch"), "the patch applies: %r", whole)
    for _ in range(6):
        ds = s.diags(u) if not ds else ds
        warn = [d for d in ds if d.get("severity") == 2]
        if not warn:
            break
        d = warn[0]
        acts = s.actions(u, d["range"]["start"], d["range"]["end"], diagnostics=[d])
        fixes = [a for a in acts if a.get("kind") == "quickfix" and a.get("isPreferred")]
        eq(len(fixes), 1, "one preferred fix for %s: %r" % (d["code"], acts))
        v = apply_patch_edit(s, u, fixes[0]["edit"])
        ds = s.diags(u, version=v)
    eq(ds, [], "no diagnostic once every preferred fix is taken")
    text = s.text(u)
    check("```" not in text and 'version: "2.0"' in text and "file_path: calc.py" in text and
          "action: REPLACE" in text and "snippet: |" in text and "content: |" in text, "fixed patch: %r", text)
    s.finish()


@test
def undecidable_group_warns(t):
    """Issue 7: a file whose text cannot tell applied from never patched (an
    insert whose content repeats its own snippet) is a warning on the patch,
    not a silent "applied"; once the file tells (two copies: never patched),
    the warning goes and the patch resolves."""
    t.write("c.py", "err := run()\nreturn None\nreturn None\nreturn None\n")
    t.write("u.ap", 'version: "2.0"\nchanges:\n  - file_path: c.py\n    modifications:\n'
            '      - action: INSERT_BEFORE\n        anchor: |\n          err := run()\n'
            '        snippet: |\n          return None\n          return None\n'
            '        content: |\n          return None\n')
    s = t.session()
    u = s.open("u.ap")
    ds = s.diags(u)
    eq(errors(ds), [], "no error")
    eq(codes(ds, 2), ["ALREADY_APPLIED"], "the group may already be applied: a warning")
    check("may already be applied" in ds[0]["message"], "the message says so: %r", ds[0]["message"])
    c = s.open("c.py", version=1)
    s.sub(c, "return None\nreturn None\nreturn None\n", "return None\nreturn None\n")
    eq(s.diags(u), [], "two copies: the patch applies, no warning")
    s.finish()


@test
def quickfix_drop_ambiguous_anchor_vscode(t):
    """AMBIGUOUS_ANCHOR where the snippet alone is found once: the preferred
    quick fix drops the anchor, and the patch then changes what was meant
    (issue 9, item 4)."""
    target = "def a():\n    x = 1\n\ndef a():\n    y = 2\n"
    patch = patch_text([("a.py", [{"action": "REPLACE", "anchor": "def a():\n", "snippet": "y = 2\n",
                                   "content": "y = 3\n"}])])
    s, u = quickfix_cycle(t, "vscode", target, patch, "AMBIGUOUS_ANCHOR", "Remove the anchor")
    check("anchor" not in s.text(u), "the anchor is gone: %r", s.text(u))
    acts = s.actions(u, {"line": 0, "character": 0}, only=["source.applyPatch"])
    edit = find_action(acts, "source.applyPatch", "Apply patch")["edit"]
    apply_workspace_edit(edit, s.enc)
    eq(t.read("a.py"), b"def a():\n    x = 1\n\ndef a():\n    y = 3\n", "the result")
    s.finish()


@test
def hover_after_yaml_error(t):
    """After a YAML error, a hover says the patch must be fixed first (not
    that the file could not be read), and no title shows an empty action."""
    bad = PATCH_OK.replace("      - action: REPLACE\n", "      - action: REPLACE\n        snippet: [\n", 1)
    bad = bad.replace("      - action: INSERT_AFTER\n", "      - snippet: |\n          x\n      - action: INSERT_AFTER\n", 1)
    calc_world(t, bad)
    for caps in ("vscode", "nvim"):
        s = t.session(caps=caps)
        u = s.open("fix.ap")
        ds = s.diags(u)
        check(errors(ds), "a YAML error: %r", ds)
        for needle in ("import math", "snippet: |\n          x"):
            v = s.hover(u, s.pos(u, needle))["contents"]["value"]
            check("could not be read" not in v, "hover: %r", v)
            check("****" not in v and "()" not in v, "hover: %r", v)
        v = s.hover(u, s.pos(u, "import math"))["contents"]["value"]
        check("must be fixed first" in v, "hover says why: %r", v)
        acts = s.actions(u, s.pos(u, "snippet: |\n          x"))
        for a in acts:
            check("()" not in a["title"] and "****" not in a["title"], "title %r", a["title"])
        s.finish()


@test
def hover_code_in_markdown(t):
    """Code in a markdown hover is in code spans or escaped, so no client
    hides the underscores of a name (Neovim 0.7 did); a client that lists
    plain text first gets plain text (issue 9, item 5)."""
    t.write("h.py", "def _is_legal_header_name(name):\n    return bool(name)\n")
    t.write("fix.ap", patch_text([("h.py", [{"action": "REPLACE",
                                             "snippet": "def _is_legal_header_name(nam):\n    return bool(name)\n",
                                             "content": "def _is_legal_header_name(name):\n    return name != ''\n"}])]))
    s = t.session()
    u = s.open("fix.ap")
    s.diags(u)
    v = s.hover(u, s.pos(u, "action: REPLACE"))["contents"]["value"]
    check("`def _is_legal_header_name(nam):`" in v or "`_is_legal_header_name" in v, "a code span: %r", v)
    for line in v.split("\n"):
        # outside code spans, no bare underscore or asterisk
        bare = "".join(part for k, part in enumerate(line.split("`")) if k % 2 == 0)
        check("_" not in bare.replace("\\_", ""), "a bare underscore in %r", line)
    check("`h.py:1`" in v, "the place as code: %r", v)
    s.finish()
    caps = vscode_capabilities()
    caps["textDocument"]["hover"]["contentFormat"] = ["plaintext", "markdown"]
    s = t.session(caps=caps)
    u = s.open("fix.ap")
    s.diags(u)
    h = s.hover(u, s.pos(u, "action: REPLACE"))["contents"]
    eq(h["kind"], "plaintext", "kind for a client that prefers plain text")
    check("`" not in h["value"] and "\\_" not in h["value"] and "_is_legal_header_name" in h["value"],
          "plain text: %r", h["value"])
    s.finish()


@test
def code_action_one_unavailable_entry(t):
    """A client without disabledSupport gets at most one "(unavailable)" entry
    per menu; VS Code keeps every disabled action, with its reason (issue 9,
    item 6)."""
    calc_world(t, PATCH_BAD)
    for caps, most in (("nvim", 1), ("eglot", 1)):
        s = t.session(caps=caps)
        u = s.open("fix.ap")
        s.diags(u)
        acts = s.actions(u, s.pos(u, "return a - b"))
        un = [a["title"] for a in acts if "(unavailable)" in a["title"]]
        eq(len(un), most, "unavailable entries for %s: %r" % (caps, [a["title"] for a in acts]))
        check(un[0].startswith("Apply patch"), "the whole patch's reason: %r", un)
        s.finish()
    s = t.session(caps="vscode")
    u = s.open("fix.ap")
    s.diags(u)
    acts = s.actions(u, s.pos(u, "return a - b"))
    eq(len([a for a in acts if "disabled" in a]), 3, "disabled actions for VS Code: %r" % acts)
    pref = [a for a in acts if a.get("isPreferred")]
    check(len(pref) <= 1 and all(a["kind"] == "quickfix" for a in pref), "preferred: %r", pref)
    s.finish()


@test
def completion_file_path(t):
    """file_path: completes the workspace's files, one folder level at a time
    (issue 9, item 7)."""
    for f in ("lib/json/parse.c", "lib/json/emit.c", "lib/util.c", "src/main.c"):
        t.write(f, "int x;\n")
    t.write("fix.ap", 'version: "2.0"\nchanges:\n  - file_path: lib/json/\n')
    s = t.session()
    u = s.open("fix.ap")
    s.diags(u)

    def comp(needle):
        at = s.pos(u, needle, len(needle))
        items = s.call("textDocument/completion", {"textDocument": {"uri": u}, "position": at})["items"]
        return at, items

    at, items = comp("file_path: lib/json/")
    eq(sorted(labels({"items": items})), ["lib/json/emit.c", "lib/json/parse.c"], "files under lib/json/")
    te = items[0]["textEdit"]
    eq(te["range"]["end"], at, "textEdit end")
    eq(te["range"]["start"], s.pos(u, "lib/json/"), "textEdit start: the value")
    v = s.sub(u, "file_path: lib/json/", 'file_path: "lib/')
    s.settle(u, v)
    at, items = comp('file_path: "lib/')
    eq(sorted(labels({"items": items})), ["lib/json/", "lib/util.c"], "one level below lib/")
    eq(items[0]["textEdit"]["range"]["start"], s.pos(u, "lib/"), "after the quote")
    s.finish()
    # a folder of many files: the first 200, and the client asks again as more is typed
    for k in range(250):
        t.write("many/f%03d.c" % k, "")
    t.write("fix.ap", 'version: "2.0"\nchanges:\n  - file_path: many/\n')
    s = t.session()
    u = s.open("fix.ap")
    s.diags(u)
    r = s.call("textDocument/completion", {"textDocument": {"uri": u}, "position": s.pos(u, "many/", 5)})
    eq((len(r["items"]), r["isIncomplete"]), (200, True), "a list cut at 200")
    r = s.call("textDocument/completion", {"textDocument": {"uri": u}, "position": s.pos(u, "file_path: ", 11)})
    eq(r["isIncomplete"], False, "the root's few entries")
    s.finish()


@test
def quickfix_closest_line(t):
    s, _ = quickfix_cycle(t, "vscode", CALC, PATCH_BAD.replace("calc.py", "a.py"), "SNIPPET_NOT_FOUND", "Replace snippet line 1 with 'return a + b'")
    s.finish()


@test
def quickfix_closest_line_neovim_byte_columns(t):
    target = "x = '\U0001F600'  # \u00e9\ny = 2\n"
    patch = patch_text([("a.py", [{"action": "REPLACE", "snippet": "x = '\U0001F600' # \u00e9\n", "content": "x = 1\n"}])])
    s, _ = quickfix_cycle(t, "nvim", target, patch, "SNIPPET_NOT_FOUND", "Replace snippet line 1", nvim_bytes=True)
    s.finish()


AMBIG = "def f():\n    x = 1\n    return x\n\ndef g():\n    x = 1\n    return x + 1\n"
AMBIG_PATCH = patch_text([("a.py", [{"action": "REPLACE", "snippet": "x = 1\n", "content": "x = 2\n"}])])


@test
def quickfix_anchor(t):
    s, u = quickfix_cycle(t, "vscode", AMBIG, AMBIG_PATCH, "AMBIGUOUS_MATCH", "Add anchor 'def g():' to pick match 2")
    locs = s.call("textDocument/definition", {"textDocument": {"uri": u}, "position": s.pos(u, "x = 1", 1)})
    eq([l["range"]["start"]["line"] for l in locs], [5], "the anchored snippet resolves to match 2")
    s.finish()


@test
def quickfix_extend_snippet(t):
    s, u = quickfix_cycle(t, "eglot", AMBIG, AMBIG_PATCH, "AMBIGUOUS_MATCH", "Extend snippet by 1 line to pick match 1")
    locs = s.call("textDocument/definition", {"textDocument": {"uri": u}, "position": s.pos(u, "x = 1", 1)})
    eq([l["range"]["start"]["line"] for l in locs], [1], "the longer snippet resolves to match 1")
    s.finish()


PARSE_PY = ("def parse(values):\n"
            "    values = list(values)\n"
            "    try:\n"
            "        total = sum(values)\n"
            "    except ValueError as e:\n"
            "        log(e)\n"
            "        raise\n"
            "    return total\n")


def preferred_fixes(s, u, code, ds=None):
    """The quick fixes of the diagnostic with code, and which are preferred."""
    ds = s.diags(u) if ds is None else ds
    d = [x for x in ds if x["code"] == code]
    check(d, "no %s diagnostic: %r", code, ds)
    acts = s.actions(u, d[0]["range"]["start"], d[0]["range"]["end"], diagnostics=[d[0]])
    fixes = [a for a in acts if a.get("kind") == "quickfix"]
    return fixes, [a for a in fixes if a.get("isPreferred")]


@test
def quickfix_block_repair_preferred(t):
    """A snippet with an invented line and one left out: the one preferred
    fix rewrites snippet and content, and the patch then does what the model
    meant (nothing lost, nothing invented written), byte for byte as the CLI."""
    patch = patch_text([("a.py", [{"action": "REPLACE",
                                   "snippet": "def parse(values):\n    try:\n        # sum them\n"
                                              "        total = sum(values)\n",
                                   "content": "def parse(values):\n    try:\n        # sum them\n"
                                              "        total = fsum(values)\n"}])])
    t.write("a.py", PARSE_PY)
    t.write("fix.ap", patch)
    s = t.session(caps="vscode")
    u = s.open("fix.ap")
    fixes, preferred = preferred_fixes(s, u, "SNIPPET_NOT_FOUND")
    eq(len(preferred), 1, "preferred fixes")
    check("carry the change over" in preferred[0]["title"], "title %r", preferred[0]["title"])
    v = apply_patch_edit(s, u, preferred[0]["edit"])
    ds = s.diags(u, version=v)
    eq(errors(ds), [], "errors after the repair")
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    apply_action(s, act, open_docs={})    # a.py is not open: written on disk
    eq(t.read("a.py"), PARSE_PY.replace("sum(values)\n    except", "fsum(values)\n    except").encode(),
       "the file as the model meant it")
    s.finish()


@test
def quickfix_block_repair_not_preferred_on_conflict(t):
    """The line the content changes is one the snippet typed otherwise: the
    fix is offered, not preferred, and its title names the lines."""
    patch = patch_text([("a.py", [{"action": "REPLACE", "snippet": "try:\n    total = sum(vals)\n",
                                   "content": "try:\n    total = fsum(vals)\n"}])])
    t.write("a.py", PARSE_PY)
    t.write("fix.ap", patch)
    s = t.session(caps="nvim")
    u = s.open("fix.ap")
    fixes, preferred = preferred_fixes(s, u, "SNIPPET_NOT_FOUND")
    eq(preferred, [], "preferred fixes")
    check(any("which the content changes, differs from line 4" in f["title"] for f in fixes),
          "a fix naming the lines: %r", [f["title"] for f in fixes])
    s.finish()


@test
def quickfix_file_not_found_candidate(t):
    """A file_path missing its first folder: the message says where apls
    looked and why, and the preferred fix names the file."""
    t.write("include/uv/version.h", "#define UV_VERSION 1\n")
    t.write("fix.ap", patch_text([("uv/version.h", [{"action": "REPLACE", "snippet": "#define UV_VERSION 1\n",
                                                     "content": "#define UV_VERSION 2\n"}])]))
    s = t.session(caps="eglot")
    u = s.open("fix.ap")
    ds = s.diags(u)
    d = [x for x in ds if x["code"] == "FILE_NOT_FOUND"]
    check(d and "apls looked for " + t.path("uv/version.h") in d[0]["message"] and
          "did you mean include/uv/version.h?" in d[0]["message"], "message: %r", ds)
    fixes, preferred = preferred_fixes(s, u, "FILE_NOT_FOUND", ds)
    eq([f["title"] for f in preferred], ["Use include/uv/version.h"], "preferred fixes")
    v = apply_patch_edit(s, u, preferred[0]["edit"])
    eq(errors(s.diags(u, version=v)), [], "errors after the fix")
    s.finish()


@test
def hover_minimal_diff_and_other_changes(t):
    """The hover of a REPLACE shows the lines it changes, once, as written
    (no trailing blanks), and what else the write changes."""
    target = "a = 1   \ntry:\n    total = sum(values)\nexcept ValueError as e:\n    log(e)\n"
    patch = patch_text([("a.py", [{"action": "REPLACE",
                                   "snippet": "try:\n    total = sum(values)\nexcept ValueError as e:\n    log(e)\n",
                                   "content": "try:\n    total = sum(values)\nexcept ValueError as e:\n"
                                              "    log.error(e)   \n"}])])
    t.write("a.py", target)
    t.write("fix.ap", patch)
    s = t.session(caps="vscode")
    u = s.open("fix.ap")
    s.diags(u)
    v = s.hover(u, s.pos(u, "action: REPLACE"))["contents"]["value"]
    for want in ("-    log(e)\n+    log.error(e)\n", " except ValueError as e:\n",
                 "also strips trailing blanks from 1 line", "trailingWhitespace"):
        check(want in v, "hover lacks %r: %r", want, v)
    for bad in ("-except ValueError as e:", "+except ValueError as e:", "log.error(e)   "):
        check(bad not in v, "hover has %r: %r", bad, v)
    s.finish()


@test
def quickfix_literal_block(t):
    patch = ('version: "2.0"\nchanges:\n  - file_path: a.py\n    modifications:\n'
             '      - action: REPLACE\n        snippet: "y = \'\U0001F600\'\\tz"\n        content: |\n          y = 1\n')
    s, u = quickfix_cycle(t, "vscode", "x = '\U0001F600'  # \u00e9\ny = '\U0001F600'\tz\n", patch, "SCALAR_STYLE",
                          "Turn 'snippet' into a literal block")
    check("snippet: |" in s.text(u), "a literal block: %r", s.text(u))
    check("y = '\U0001F600'\tz" in s.text(u), "the value kept, tab included: %r", s.text(u))
    s.finish()


@test
def action_keep_failing(t):
    calc_world(t, PATCH_BAD)
    s = t.session()
    u = s.open("fix.ap")
    s.diags(u)
    act = find_action(s.actions(u, {"line": 0, "character": 0}), title="Keep only")
    v = apply_patch_edit(s, u, act["edit"])
    ds = s.diags(u, version=v)
    eq(codes(errors(ds)), ["SNIPPET_NOT_FOUND"], "only the failing modification is left (valid YAML)")
    check("import math" not in s.text(u), "the applying modification is gone: %r", s.text(u))
    check("# Summary" in s.text(u), "the summary stays")
    s.finish()


@test
def cancellation_in_the_same_write(t):
    s, u = calc_session(t)
    s.diags(u)
    for method, params in (("textDocument/hover", {"textDocument": {"uri": u}, "position": s.pos(u, "import math")}),
                           ("textDocument/codeAction", {"textDocument": {"uri": u},
                                                        "range": {"start": {"line": 0, "character": 0},
                                                                  "end": {"line": 0, "character": 0}},
                                                        "context": {"diagnostics": []}})):
        for rid in (7001, "str-id-7002"):
            req = json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}).encode()
            can = json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": rid}}).encode()
            s.send_raw(b"Content-Length: %d\r\n\r\n" % len(req) + req + b"Content-Length: %d\r\n\r\n" % len(can) + can)
            r = s.wait_response(rid, WAIT)
            eq(r.get("error", {}).get("code"), -32800, "%s cancelled in the same write" % method)
            s.pump(0.2)
            check(rid not in s.responses, "a second answer to %r" % rid)
    # cancelling something unknown or answered is harmless
    s.notify("$/cancelRequest", {"id": 123456})
    s.notify("$/cancelRequest", {"id": None})
    s.notify("$/cancelRequest", {})
    s.alive_check()
    s.finish()


# ========================================================== hostile input

def frame(body):
    if isinstance(body, str):
        body = body.encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def null_id_errors(s, timeout=None):
    """Waits for one error response with a null id and returns its code."""
    end = time.time() + (timeout or WAIT)
    while None not in s.responses:
        m = s._read_one(max(0.01, end - time.time()))
        if m is None:
            if time.time() >= end or s.p.poll() is not None:
                raise Failure("no error response with a null id")
            continue
        s._handle(m)
    r = s.responses.pop(None)
    check("error" in r, "a null-id response that is not an error: %r", r)
    return r["error"]["code"]


def served(s, u):
    """A hover on the patch is answered: the server keeps serving."""
    r = s.request("textDocument/hover", {"textDocument": {"uri": u}, "position": s.pos(u, "import math")})
    check("result" in r and r["result"], "the server no longer serves: %r", r)


@test
def hostile_framing(t):
    s, u = calc_session(t)
    s.diags(u)
    hover = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover",
                        "params": {"textDocument": {"uri": u}, "position": s.pos(u, "import math")}})
    cases = [
        (b"Content-Lenght: 2\r\n\r\n{}", -32700),                    # misspelt: no length
        (b"Content-Type: application/json\r\n\r\n{}", -32700),      # missing Content-Length
        (b"this is not a header\r\n\r\n", -32700),                   # no colon
        (b"Content-Length: abc\r\n\r\n{}", -32700),
        (b"Content-Length: -5\r\n\r\n{}", -32700),
        (b"Content-Length: 99999999999999999999999999\r\n\r\n", None),
        (b"X-Long: " + b"a" * 20000 + b"\r\n\r\n", -32700),          # a header block over 8 KiB
        (frame("{not json"), -32700),
        (frame(b'{"jsonrpc": "2.0", "id": 5, "method": "x", "params": {"s": "\xff\xfe"}}'), -32700),
        (frame("[" * 100000 + "]" * 100000), -32700),                # deeper than any parser goes
        (frame("[" + hover + "]"), -32600),                          # a batch
        (frame("[]"), -32600),
        (frame('{"jsonrpc": "1.0", "id": 3, "method": "textDocument/hover"}'), None),
        (frame('{"jsonrpc": "2.0", "id": {"x": 1}, "method": "textDocument/hover"}'), None),
        (frame('{"jsonrpc": "2.0", "id": 4, "method": 12}'), None),
        (frame('{"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": "str"}'), None),
        (frame('"just a string"'), None),
        (frame("null"), None),
        (frame(""), None),
    ]
    for raw, code in cases:
        s.send_raw(raw)
        if code is not None:
            got = null_id_errors(s)
            eq(got, code, "error code for %r" % raw[:60])
        served(s, u)
        s.responses.clear()
    # a message dribbled in small pieces, and many in one write
    body = frame(json.dumps({"jsonrpc": "2.0", "id": 77, "method": "textDocument/hover",
                             "params": {"textDocument": {"uri": u}, "position": s.pos(u, "import math")}}))
    for k in range(0, len(body), 7):
        s.send_raw(body[k:k + 7])
        time.sleep(0.001)
    check("result" in s.wait_response(77), "dribbled request")
    many = b"".join(frame(json.dumps({"jsonrpc": "2.0", "id": 1000 + k, "method": "textDocument/hover",
                                      "params": {"textDocument": {"uri": u}, "position": s.pos(u, "import")}}))
                    for k in range(200))
    s.send_raw(b"\r\n" + many)
    for k in range(200):
        check("result" in s.wait_response(1000 + k), "request %d of a batch of writes" % k)
    s.finish()


@test
def hostile_huge_content_length(t):
    s, u = calc_session(t)
    s.diags(u)
    n = 64 * 1024 * 1024 + 1
    s.send_raw(b"Content-Length: %d\r\n\r\n" % n)
    chunk = b"x" * (1024 * 1024)
    left = n
    while left:
        k = min(left, len(chunk))
        s.send_raw(chunk[:k])
        left -= k
    eq(null_id_errors(s), -32600, "error code for an oversized body")
    served(s, u)
    s.finish()


@test
def hostile_params(t):
    s, u = calc_session(t)
    s.diags(u)
    bad = [
        ("textDocument/hover", {"textDocument": {"uri": u}, "position": "abc"}),
        ("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": -1, "character": "x"}}),
        ("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": 2 ** 40, "character": 2 ** 40}}),
        ("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": 1.5, "character": 0}}),
        ("textDocument/hover", {"textDocument": 5, "position": {"line": 0, "character": 0}}),
        ("textDocument/hover", {"textDocument": {"uri": "not a uri"}, "position": {"line": 0, "character": 0}}),
        ("textDocument/hover", {"textDocument": {"uri": "file:///%00"}, "position": {"line": 0, "character": 0}}),
        ("textDocument/hover", []),
        ("textDocument/hover", None),
        ("textDocument/codeAction", {"textDocument": {"uri": u}, "range": None, "context": {}}),
        ("textDocument/codeAction", {"textDocument": {"uri": u}, "range": {"start": {"line": 9, "character": 0},
                                                                      "end": {"line": 2, "character": 0}},
                                     "context": {"only": "source", "diagnostics": "x"}}),
        ("textDocument/codeAction", {"textDocument": {"uri": u}, "range": {"start": {"line": 0, "character": 0},
                                                                      "end": {"line": 10 ** 9, "character": 0}},
                                     "context": {"only": [5, None, "source.applyPatch"]}}),
        ("textDocument/completion", {"textDocument": {"uri": u}, "position": {"line": 10 ** 6, "character": 3}}),
        ("textDocument/completion", {"textDocument": {"uri": u}, "position": {"line": 12, "character": 10 ** 6}}),
        ("textDocument/definition", {"textDocument": {"uri": u}}),
        ("textDocument/documentSymbol", {}),
        ("textDocument/codeLens", {"textDocument": {"uri": 7}}),
        ("workspace/executeCommand", {"command": 5}),
        ("workspace/executeCommand", {"command": "apls.nothing", "arguments": [1, 2]}),
        ("workspace/executeCommand", {"command": "apls.applyPatch", "arguments": [{"uri": 5}]}),
        ("workspace/executeCommand", {"command": "apls.showTarget", "arguments": [{"uri": u, "change": 99,
                                                                                   "modification": -4}]}),
        ("workspace/executeCommand", {"command": "apls.showTarget", "arguments": ["x"]}),
        ("workspace/executeCommand", {"command": "apls.explain", "arguments": [{"no": "string"}]}),
    ]
    for method, params in bad:
        r = s.request(method, params)
        if "error" in r:
            check(r["error"]["code"] in (-32602, -32600, -32603, -32803), "%s %r: %r", method, params, r)
        served(s, u)
    notes = [
        ("textDocument/didOpen", {"textDocument": {"uri": u, "version": "x", "text": 5}}),
        ("textDocument/didOpen", {"textDocument": {"uri": uri_of(t.path("other.ap")), "version": 1, "text": None}}),
        ("textDocument/didChange", {"textDocument": {"uri": u, "version": 2}, "contentChanges": "x"}),
        ("textDocument/didChange", {"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": 5}]}),
        ("textDocument/didChange", {"textDocument": {"uri": u, "version": 2},
                                    "contentChanges": [{"range": {"start": {"line": 3, "character": 0},
                                                                  "end": {"line": 1, "character": 0}},
                                                        "text": "x"}]}),
        ("textDocument/didChange", {"textDocument": {"uri": uri_of(t.path("never-opened.ap")), "version": 2},
                                    "contentChanges": [{"text": "version: 1"}]}),
        ("textDocument/didClose", {"textDocument": {"uri": uri_of(t.path("never-opened.ap"))}}),
        ("textDocument/didClose", {"textDocument": 3}),
        ("textDocument/didSave", {"textDocument": {"uri": 3}}),
        ("workspace/didChangeWatchedFiles", {"changes": [{"uri": 5}, {"uri": "file:///%zz", "type": 2}, "x"]}),
        ("workspace/didChangeWatchedFiles", {"changes": "x"}),
        ("workspace/didChangeConfiguration", {"settings": {"apls": {"debounceMs": "x", "root": 5,
                                                                    "positionEncoding": 3}}}),
        ("workspace/didChangeWorkspaceFolders", {"event": {"added": [{"uri": 5}, "x"], "removed": "y"}}),
        ("initialized", []),
    ]
    for method, params in notes:
        s.notify(method, params)
        served(s, u)
    # nothing was published for the document never opened; the patch is intact
    s.pump(0.3)
    check(not any(m["params"]["uri"].endswith("never-opened.ap") for m in s.notes
                  if m["method"] == "textDocument/publishDiagnostics"), "diagnostics for an unopened document")
    v = s.sub(u, "a + b", "a - b", version=10)
    eq(codes(errors(s.diags(u, version=v))), ["SNIPPET_NOT_FOUND"], "the patch after hostile params")
    s.finish()


@test
def hostile_change_past_the_end(t):
    s, u = calc_session(t)
    eq(s.diags(u), [], "clean")
    # a range past the end of the document: clamped to the end (LSP)
    add = "      - action: BOGUS\n"
    msg = {"jsonrpc": "2.0", "method": "textDocument/didChange",
           "params": {"textDocument": {"uri": u, "version": 2},
                      "contentChanges": [{"range": {"start": {"line": 999, "character": 5},
                                                    "end": {"line": 1000, "character": 0}}, "text": add}]}}
    s.send(msg)
    s.docs[u] = [2, s.text(u) + add]
    ds = s.diags(u, version=2)
    eq(codes(errors(ds)), ["INVALID_MODIFICATION"], "the change landed at the end")
    a = s.text(u).index("BOGUS")
    check(any(d["range"]["start"]["line"] == position_of(s.text(u), a, s.enc)["line"] for d in errors(ds)),
          "the error on the appended line: %r", ds)
    # a character past the end of a line: the end of that line
    line = s.pos(u, "BOGUS")["line"]
    msg["params"]["textDocument"]["version"] = 3
    msg["params"]["contentChanges"] = [{"range": {"start": {"line": line, "character": 500},
                                                  "end": {"line": line, "character": 900}}, "text": "X"}]
    s.send(msg)
    k = s.text(u).index("BOGUS") + len("BOGUS")
    s.docs[u] = [3, s.text(u)[:k] + "X" + s.text(u)[k:]]
    ds = s.diags(u, version=3)
    check("BOGUSX" in json.dumps(ds), "the error names the clamped edit: %r", ds)
    # a range inside a surrogate pair (utf-16) snaps to the character's start
    v = s.edit(u, [(0, 0, "# \U0001F600\n")])
    s.diags(u, version=v)
    s.send({"jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": u, "version": v + 1},
                       "contentChanges": [{"range": {"start": {"line": 0, "character": 3},
                                                     "end": {"line": 0, "character": 3}}, "text": "Z"}]}})
    s.docs[u] = [v + 1, "# Z\U0001F600\n" + s.text(u)[len("# \U0001F600\n"):]]
    s.settle(u, v + 1)
    served(s, u)
    s.finish()


@test
def hostile_big_patch(t):
    calc_world(t)
    big = "".join("line %d of a big new file \U0001F600\n" % i for i in range(160000))
    check(len(big.encode()) > 5 * 1024 * 1024, "big enough")
    text = PATCH_OK + "  - file_path: big/new.txt\n    modifications:\n      - action: CREATE_FILE\n        content: |\n" + \
        "".join("          " + l + "\n" for l in big.splitlines())
    s = t.session()
    u = s.open("fix.ap", text)
    eq(errors(s.diags(u, timeout=WAIT * 4)), [], "errors in a 5 MB patch")
    served(s, u)
    k = s.text(u).index("line 1000 of")
    v = s.edit(u, [(k, k + 4, "LINE")])
    s.settle(u, v, timeout=WAIT * 4)
    served(s, u)
    syms = s.call("textDocument/documentSymbol", {"textDocument": {"uri": u}})
    eq(len(syms), 2, "changes in the outline")
    s.finish()


@test
def hostile_alias_bomb(t):
    calc_world(t)
    bomb = ['version: "2.0"', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for k in "bcdefghijklm":
        bomb.append("%s: &%s [%s]" % (k, k, ",".join(["*" + prev] * 9)))
        prev = k
    bomb += ["changes:", "  - file_path: *m", "    modifications: *m"]
    s = t.session()
    u = s.open("fix.ap", "\n".join(bomb) + "\n")
    ds = s.diags(u, timeout=WAIT * 2)
    check(errors(ds), "an alias bomb must be an error: %r", ds)
    s.close_doc(u)
    s.diags(u)
    # deep nesting and other YAML nasties
    for k, text in enumerate(["changes: " + "[" * 10000 + "]" * 10000 + "\n",
                              "changes:\n" + "".join(" " * i + "- \n" for i in range(0, 4000, 2)),
                              "version: \"2.0\"\nchanges: &x\n  - *x\n",
                              "\ufeffversion: \"2.0\"\nchanges: []\n\u0000\n",
                              "%YAML 1.1\n---\nversion: \"2.0\"\n---\nchanges: []\n",
                              "version: !!binary aGVsbG8=\nchanges: !custom []\n"]):
        u = s.open("nasty%d.ap" % k, text)
        s.diags(u, timeout=WAIT * 2)
        served_uri = s.open("fix.ap") if k == 0 else uri_of(t.path("fix.ap"))
        if k == 0:
            s.diags(served_uri)
        served(s, served_uri)
    s.finish()


# ============================================== symbols, lenses, completion

@test
def document_symbols(t):
    files, patch = SCENARIOS["several_files"]()
    for rel, data in files.items():
        t.write(rel, data)
    t.write("fix.ap", patch)
    s = t.session()
    u = s.open("fix.ap")
    s.diags(u)
    syms = s.call("textDocument/documentSymbol", {"textDocument": {"uri": u}})
    eq([x["name"] for x in syms], ["src/a.c", "calc.py", "src/sub/b.txt", "src/new.h", "src/a.c"], "change names")
    eq([len(x.get("children", [])) for x in syms], [1, 1, 2, 1, 1], "modification counts")
    text = s.text(u)
    for x in syms:
        check(x["range"]["start"]["line"] <= x["selectionRange"]["start"]["line"] and
              x["selectionRange"]["end"]["line"] <= x["range"]["end"]["line"], "selectionRange inside range: %r", x)
        for c in x["children"]:
            check(c["range"]["start"]["line"] >= x["range"]["start"]["line"] and
                  c["range"]["end"]["line"] <= x["range"]["end"]["line"], "a child outside its change: %r", c)
    kid = syms[1]["children"][0]
    check(kid["name"].startswith("REPLACE") and "return a + b" in kid["name"], "name %r", kid["name"])
    check("calc.py:4" in kid.get("detail", ""), "detail says where it lands: %r", kid)
    eq(kid["selectionRange"]["start"]["line"], position_of(text, text.index("action: REPLACE"), s.enc)["line"],
       "selection on the action line")
    s.finish()


@test
def code_lenses(t):
    for caps in ("vscode", "nvim"):
        s, u = calc_session(t, PATCH_BAD, caps=caps)
        s.diags(u)
        lenses = s.call("textDocument/codeLens", {"textDocument": {"uri": u}})
        eq(len(lenses), 2, "a lens per modification")
        eq([l["range"]["start"]["line"] for l in lenses],
           [s.pos(u, "action: INSERT_AFTER")["line"], s.pos(u, "action: REPLACE")["line"]], "lens lines")
        for l in lenses:
            eq(l["command"]["command"], "apls.showTarget", "lens command")
        check("calc.py:1" in lenses[0]["command"]["title"], "lens title %r", lenses[0]["command"]["title"])
        check("SNIPPET_NOT_FOUND" in lenses[1]["command"]["title"], "lens title %r", lenses[1]["command"]["title"])
        # running the lens: showDocument where supported, else a message
        s.call("workspace/executeCommand", {"command": "apls.showTarget",
                                            "arguments": lenses[0]["command"]["arguments"]})
        s.pump(0.3)
        if caps == "vscode":
            shows = [r for r in s.requests if r["method"] == "window/showDocument"]
            eq(len(shows), 1, "showDocument requests")
            eq(shows[0]["params"]["uri"], uri_of(t.path("calc.py")), "showDocument uri")
            eq(shows[0]["params"]["selection"], line_range(CALC, 0, s.enc), "showDocument selection")
        else:
            m = s.wait_note("window/showMessage")
            check("calc.py:1" in m["params"]["message"], "message %r", m)
        s.finish()


def labels(items):
    return [i["label"] for i in (items["items"] if isinstance(items, dict) else items)]


@test
def completion(t):
    calc_world(t)
    s = t.session()
    u = s.open("fix.ap")
    eq(s.diags(u), [], "clean")

    def comp(at):
        return s.call("textDocument/completion", {"textDocument": {"uri": u}, "position": at})

    def end():
        return position_of(s.text(u), len(s.text(u)), s.enc)

    def type_(more):
        n = len(s.text(u))
        return s.edit(u, [(n, n, more)])

    MOD_KEYS = {"action", "snippet", "anchor", "content", "start_snippet", "end_snippet",
                "include_leading_blank_lines", "include_trailing_blank_lines"}
    # a new modification: "- " then an action value
    type_("      - action: ")
    got = labels(comp(end()))
    eq(set(got), {"REPLACE", "INSERT_AFTER", "INSERT_BEFORE", "DELETE", "CREATE_FILE"}, "action values")
    type_("INS")
    eq(set(labels(comp(end()))), {"INSERT_AFTER", "INSERT_BEFORE"}, "action values after 'INS'")
    type_("ERT_AFTER\n        ")
    eq(set(labels(comp(end()))), MOD_KEYS, "keys at a modification's indentation")
    type_("sn")
    eq(labels(comp(end())), ["snippet"], "keys starting with 'sn' (the YAML is broken meanwhile)")
    # inside the snippet block: lines of the target, replacing what was typed
    type_("ippet: |\n          def g")
    items = comp(end())["items"]
    eq([i["label"] for i in items], ["def get_pi():"], "target lines starting with 'def g'")
    te = items[0]["textEdit"]
    p = end()
    eq(te["range"], {"start": {"line": p["line"], "character": p["character"] - 5}, "end": p}, "textEdit range")
    eq(te["newText"], "def get_pi():", "newText")
    s.edit(u, [(len(s.text(u)) - 5, len(s.text(u)), te["newText"])])
    # an empty snippet line: every target line is offered
    type_("\n          ")
    got = labels(comp(end()))
    check({"import math", "def add(a, b):", "return a + b", "return 3.14"} <= set(got), "all target lines: %r", got)
    check(not MOD_KEYS & set(got), "keys offered inside a block: %r", got)
    # back at the modification's keys
    n = len(s.text(u))
    s.edit(u, [(n - 10, n, "        con")])
    eq(labels(comp(end())), ["content"], "'con' at the modification's indentation")
    type_("tent: |\n          x = 1\n")
    # a new change at the change level, and root keys at column 0
    type_("  - ")
    eq(set(labels(comp(end()))), {"file_path", "newline", "modifications"}, "keys of a new change")
    type_("file_path: calc.py\n    newline: ")
    eq(set(labels(comp(end()))), {"LF", "CRLF", "CR"}, "newline values")
    type_("LF\n")
    eq(set(labels(comp(end()))) & {"version", "changes"}, {"version", "changes"}, "root keys at column 0")
    s.finish()


@test
def completion_utf16_text_edit(t):
    t.write("e.py", "s = '\U0001F600\U0001F600'\nt = 1\n")
    t.write("fix.ap", patch_text([("e.py", [{"action": "REPLACE", "snippet": "t = 1\n", "content": "t = 2\n"}])]))
    for encs in (None, ["utf-8"]):
        s = t.session(encodings=encs)
        u = s.open("fix.ap")
        s.diags(u)
        # the user types a new snippet line with an emoji before the cursor
        k = s.text(u).index("t = 1")
        v = s.edit(u, [(k, k, "s = '\U0001F600\n          ")])
        s.settle(u, v)
        at = s.pos(u, "s = '\U0001F600", len("s = '\U0001F600"))
        items = s.call("textDocument/completion", {"textDocument": {"uri": u}, "position": at})["items"]
        eq([i["label"] for i in items], ["s = '\U0001F600\U0001F600'"], "target line")
        te = items[0]["textEdit"]
        eq(te["range"]["end"], at, "textEdit end")
        eq(te["range"]["start"], {"line": at["line"], "character": 10}, "textEdit start (after the indentation)")
        s.finish()


# ============================================================== settings

@test
def settings_root_and_folders(t):
    """file_paths resolve against the patch's folder or the workspace; the
    setting `root` overrides; workspace folder changes re-check."""
    t.write("proj/calc.py", CALC)
    t.write("proj/patches/fix.ap", PATCH_OK)
    t.write("other/calc.py", CALC.replace("import math", "import cmath"))
    s = t.session(root=t.path("proj"))
    u = s.open("proj/patches/fix.ap")
    eq(s.diags(u), [], "resolved against the workspace folder")
    h = s.hover(u, s.pos(u, "calc.py"))
    check(t.path("proj/calc.py") in h["contents"]["value"], "hover shows the resolved file: %r", h)
    s.notify("workspace/didChangeConfiguration", {"settings": {"apls": {"root": t.path("other")}}})
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "after setting root to other/")
    s.notify("workspace/didChangeConfiguration", {"settings": {"apls": {"root": None}}})
    eq(s.diags(u), [], "root unset")
    s.finish()


@scenario
def newline_cr_and_ranges():
    src = "a\n\n\nstart()\nmiddle()\nend()\n\n\nz\n"
    return {"r.txt": src, "crlf.txt": "p\r\nq\r\n"}, patch_text([
        ("r.txt", [{"action": "DELETE", "start_snippet": "start()\n", "end_snippet": "end()\n",
                    "include_leading_blank_lines": 1, "include_trailing_blank_lines": 5}], {"newline": "CR"}),
        ("crlf.txt", [{"action": "REPLACE", "snippet": "q\n", "content": "r\n\ns\n"}])])


for _name in ("newline_cr_and_ranges",):
    equivalence_test(_name, "vscode")
    equivalence_test(_name, "eglot")


@test
def apply_action_odd_folder_names(t):
    files, patch = SCENARIOS["create_in_new_folder"]()
    files["sp ace/#hash%25 [x] \U0001F600.txt"] = "one\ntwo\n"
    patch = patch + patch_text([("sp ace/#hash%25 [x] \U0001F600.txt",
                                 [{"action": "INSERT_AFTER", "snippet": "one\n", "content": "1.5\n"}])]).split(
        "changes:\n", 1)[1]
    for caps in ("vscode", "nvim"):
        equivalence(t, files, patch, caps=caps, sub="we ird #%25 \U0001F600 " + caps)


@test
def create_file_exists(t):
    calc_world(t)
    t.write("same.txt", "hello\n")
    t.write("other.txt", "mine\n")
    t.write("fix.ap", patch_text([("same.txt", [{"action": "CREATE_FILE", "content": "hello\n"}]),
                                  ("other.txt", [{"action": "CREATE_FILE", "content": "theirs\n"}])]))
    s = t.session()
    u = s.open("fix.ap")
    ds = s.diags(u)
    eq(codes(errors(ds)), ["FILE_EXISTS"], "CREATE_FILE over a different file")
    line = errors(ds)[0]["range"]["start"]["line"]
    check(s.pos(u, "other.txt")["line"] <= line <= s.pos(u, "theirs")["line"], "on the second change: %r", line)
    check(any(d.get("severity") == 4 and d["range"]["start"]["line"] <= s.pos(u, "hello")["line"] for d in ds),
          "the identical file is already applied: %r", ds)
    s.finish()


@test
def already_applied_action_disabled(t):
    calc_world(t)
    eq(t.cli("apply", "--root", t.dir, t.path("fix.ap")).returncode, 0, "apls apply")
    s = t.session()
    u = s.open("fix.ap")
    s.diags(u)
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    check("edit" not in act or act["edit"].get("documentChanges") == [], "an edit for an applied patch: %r", act)
    s.finish()


@test
def patch_paths_refused(t):
    calc_world(t)
    os.symlink("/etc", t.path("link"))
    t.write("fix.ap", patch_text([("../outside.txt", [{"action": "CREATE_FILE", "content": "x\n"}]),
                                  ("/etc/passwd", [{"action": "DELETE", "snippet": "root\n"}]),
                                  ("link/passwd", [{"action": "DELETE", "snippet": "root\n"}]),
                                  ("missing.txt", [{"action": "DELETE", "snippet": "x\n"}])]))
    s = t.session()
    u = s.open("fix.ap")
    ds = s.diags(u)
    eq(codes(errors(ds)), ["INVALID_FILE_PATH"] * 3 + ["FILE_NOT_FOUND"], "codes")
    for d, needle in zip(errors(ds), ('"../outside.txt"', '"/etc/passwd"', '"link/passwd"', '"missing.txt"')):
        a = s.text(u).index(needle)
        eq(d["range"], range_of(s.text(u), a, a + len(needle), s.enc), "range of %s" % needle)
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    check("edit" not in act, "an edit for paths outside the root")
    s.finish()


@test
def two_patches_one_target(t):
    calc_world(t)
    t.write("second.ap", PATCH_OK.replace("import math", "def get_pi():").replace(
        "from typing import List", "# pi"))
    s = t.session()
    u1 = s.open("fix.ap")
    u2 = s.open("second.ap")
    eq(s.diags(u1), [], "first")
    eq(s.diags(u2), [], "second")
    c = s.open("calc.py")
    s.sub(c, "return a + b", "return a * b")
    eq(codes(errors(s.diags(u1))), ["SNIPPET_NOT_FOUND"], "first after the target edit")
    eq(codes(errors(s.diags(u2))), ["SNIPPET_NOT_FOUND"], "second after the target edit")
    s.close_doc(u1)
    eq(s.diags(u1), [], "first closed")
    s.sub(c, "return a * b", "return a + b")
    eq(s.diags(u2), [], "second after the repair")
    s.alive_check()
    s.finish()


@test
def reopen_without_close(t):
    s, u = calc_session(t, PATCH_BAD)
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "v1")
    s.notify("textDocument/didOpen", {"textDocument": {"uri": u, "languageId": "ap", "version": 9, "text": PATCH_OK}})
    s.docs[u] = [9, PATCH_OK]
    eq(s.diags(u, version=9), [], "after a second didOpen with new text")
    s.finish()


@test
def reopen_with_the_same_version(t):
    """The patch opened again, same version, other text (closed and reopened
    in one go, by a client that counts from 1 again): the new text counts."""
    s, u = calc_session(t, PATCH_BAD)
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "v1")
    s.docs[u] = [1, PATCH_OK]
    s.send_raw(frames({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": u}}},
                      {"jsonrpc": "2.0", "method": "textDocument/didOpen",
                       "params": {"textDocument": {"uri": u, "languageId": "ap", "version": 1, "text": PATCH_OK}}}))
    eq(s.diags(u, pred=lambda d: d == []), [], "cleared at close")
    s.settle(u, 1)
    got = s.all_diags(u)
    check(got == [] or got[-1]["diagnostics"] == [], "stale diagnostics after the reopen: %r", got)
    s.send_raw(frames({"jsonrpc": "2.0", "method": "textDocument/didOpen",
                       "params": {"textDocument": {"uri": u, "languageId": "ap", "version": 1, "text": PATCH_BAD}}}))
    s.docs[u] = [1, PATCH_BAD]
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "reopened without a close, same version, other text")
    s.finish()


@test
def no_workspace_folder(t):
    t.write("deep/er/calc.py", CALC)
    t.write("deep/er/fix.ap", PATCH_BAD)
    s = t.session(init=False)
    r = s.request("initialize", {"processId": None, "rootUri": None, "capabilities": neovim07_capabilities()})
    check("result" in r, "initialize: %r", r)
    s.notify("initialized", {})
    u = s.open("deep/er/fix.ap")
    ds = s.diags(u)
    eq(codes(errors(ds)), ["SNIPPET_NOT_FOUND"], "resolved next to the patch")
    s.finish()


@test
def server_requests_answered_oddly(t):
    """The client answers the server's requests with errors, late, or never."""
    calc_world(t, PATCH_OK)
    s = t.session(init=False)
    s.request("initialize", {"processId": os.getpid(), "rootUri": uri_of(t.dir),
                             "capabilities": vscode_capabilities()})
    s.notify("initialized", {})
    got = []
    end = time.time() + WAIT
    while len(got) < 2 and time.time() < end:      # registerCapability and configuration: errors
        m = s._read_one(1)
        if m and "method" in m and "id" in m:
            got.append(m["method"])
            s.send({"jsonrpc": "2.0", "id": m["id"], "error": {"code": -32601, "message": "no"}})
    u = s.open("fix.ap")
    eq(s.diags(u), [], "serving after refused requests")
    # responses nobody asked for
    s.send({"jsonrpc": "2.0", "id": 424242, "result": {"x": 1}})
    s.send({"jsonrpc": "2.0", "id": "nope", "error": {"code": 1, "message": "x"}})
    s.send({"jsonrpc": "2.0", "id": None, "result": None})
    s.alive_check()
    # a command cancelled while the server waits for the client's applyEdit
    rid = s.request("workspace/executeCommand", {"command": "apls.applyPatch", "arguments": [u]}, wait=False)
    req = None
    end = time.time() + WAIT
    while req is None and time.time() < end:
        m = s._read_one(1)
        if m and m.get("method") == "workspace/applyEdit":
            req = m
        elif m:
            s._handle(m)
    check(req is not None, "no workspace/applyEdit")
    s.notify("$/cancelRequest", {"id": rid})
    eq(s.wait_response(rid).get("error", {}).get("code"), -32800, "the cancelled command")
    s.send({"jsonrpc": "2.0", "id": req["id"], "result": {"applied": False}})
    s.pump(0.3)
    check(rid not in s.responses, "a second answer to the cancelled command")
    # another left pending at shutdown: the server still ends cleanly
    s.request("workspace/executeCommand", {"command": "apls.applyPatch", "arguments": [u]}, wait=False)
    end = time.time() + WAIT
    while time.time() < end:
        m = s._read_one(1)
        if m and m.get("method") == "workspace/applyEdit":
            break
    s.finish(0)


@test
def targets_self_watched_folder_created_later(t):
    """Neovim: a target whose folder does not exist yet, then appears on disk."""
    t.write("fix.ap", PATCH_OK.replace('"calc.py"', '"later/sub/calc.py"'))
    s = t.session(caps="nvim")
    u = s.open("fix.ap")
    eq(codes(errors(s.diags(u))), ["FILE_NOT_FOUND"], "before")
    s.alive_check()
    t.write("later/sub/calc.py", CALC)
    eq(s.diags(u), [], "after the folder and the file appeared")
    s.finish()


@test
def targets_self_watched_folder_replaced(t):
    """Neovim: the target's folder is removed and made again (a branch switch)."""
    t.write("src/calc.py", CALC)
    t.write("fix.ap", PATCH_OK.replace('"calc.py"', '"src/calc.py"'))
    s = t.session(caps="nvim")
    u = s.open("fix.ap")
    eq(s.diags(u), [], "clean")
    shutil.rmtree(t.path("src"))
    eq(codes(errors(s.diags(u))), ["FILE_NOT_FOUND"], "after removing the folder")
    s.alive_check()
    t.write("src/calc.py", CALC.replace("return a + b", "return a - b"))
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "after the folder came back with other text")
    t.write("src/calc.py", CALC)
    eq(s.diags(u), [], "and again")
    s.finish()


@test
def framing_lenient_and_ids(t):
    s, u = calc_session(t)
    s.diags(u)
    params = {"textDocument": {"uri": u}, "position": s.pos(u, "import math")}

    def req(rid):
        return json.dumps({"jsonrpc": "2.0", "id": rid, "method": "textDocument/hover", "params": params}).encode()

    variants = [
        (101, lambda b: b"content-length: %d\r\n\r\n" % len(b) + b),                       # lower case
        (102, lambda b: b"CONTENT-LENGTH:%d\r\n\r\n" % len(b) + b),                        # no space
        (103, lambda b: b"Content-Length: %d\n\n" % len(b) + b),                            # bare \n
        (104, lambda b: b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(b) + b),
        (105, lambda b: b"Content-Length: %d\r\nX-Whatever: 1\r\n\r\n" % len(b) + b),
        (106, lambda b: b"\r\n\r\n\n" + b"Content-Length: %d\r\n\r\n" % len(b) + b),       # blank lines first
        (107, lambda b: b"Content-Length:    %d   \r\n\r\n" % len(b) + b),
    ]
    for rid, wrap in variants:
        s.send_raw(wrap(req(rid)))
        r = s.wait_response(rid)
        check(r.get("result"), "variant %d not served: %r", rid, r)
    # ids are echoed exactly, whatever their value
    for rid in (0, -1, 2 ** 53, "", "x y \U0001F600", "0"):
        s.send_raw(frame(req(rid)))
        r = s.wait_response(rid)
        eq(r["id"], rid, "echoed id")
        eq(type(r["id"]), type(rid), "type of the echoed id")
    s.finish()


@test
def initialize_minimal_and_odd(t):
    calc_world(t, PATCH_BAD)
    s = t.session(init=False)
    r = s.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    caps = r["result"]["capabilities"]
    eq(caps["textDocumentSync"]["change"], 2, "change")
    eq(caps.get("positionEncoding", "utf-16"), "utf-16", "encoding")
    s.notify("initialized", {})
    u = s.open("fix.ap")
    ds = s.diags(u)
    eq(codes(errors(ds)), ["SNIPPET_NOT_FOUND"], "served with no capabilities at all")
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    check("edit" not in act, "")
    h = s.hover(u, s.pos(u, "import math"))
    eq(h["contents"]["kind"], "plaintext", "no contentFormat: plain text")
    s.finish()
    s = t.session(init=False)
    r = s.request("initialize", {"processId": "not a pid", "rootUri": 5, "workspaceFolders": "x",
                                 "capabilities": {"general": {"positionEncodings": "utf-8"}, "textDocument": 3},
                                 "initializationOptions": {"positionEncoding": "utf-99", "debounceMs": -4}})
    check("result" in r or r.get("error", {}).get("code") == -32602, "initialize with odd params: %r", r)
    if "result" in r:
        s.notify("initialized", {})
        s.alive_check()
        s.finish()


@scenario
def bom_and_long_lines():
    src = "\ufeffheader = 1\n" + "x = '" + "\U0001F600" * 3000 + "'\n" + "y = 2\n"
    return {"b.py": src}, patch_text([
        ("b.py", [{"action": "INSERT_BEFORE", "snippet": "y = 2\n", "content": "# after the long line\n"},
                  {"action": "REPLACE", "snippet": "y = 2\n", "content": "y = '\U0001F600'\n"}])])


for _name in ("bom_and_long_lines",):
    equivalence_test(_name, "vscode")
    equivalence_test(_name, "vscode", encs=["utf-8"])
    equivalence_test(_name, "nvim")


@test
def hostile_random_junk_then_valid(t):
    """Random bytes between messages: every valid message after a separator is
    still answered (resynchronisation), whatever the junk."""
    import random
    rnd = random.Random(20240601)
    s, u = calc_session(t)
    s.diags(u)
    params = {"textDocument": {"uri": u}, "position": s.pos(u, "import math")}
    alphabet = b"{}[]\":,\r\n \t0123456789abcdefghijklmnopqrstuvwxyzCLT-\x00\xff\xc3"
    for k in range(150):
        n = rnd.choice((1, 5, 50, 500, 5000))
        junk = bytes(rnd.choice(alphabet) for _ in range(n))
        if b"content-length" in junk.lower():
            continue
        rid = 5000 + k
        body = json.dumps({"jsonrpc": "2.0", "id": rid, "method": "textDocument/hover", "params": params})
        s.send_raw(junk + b"\r\n\r\n" + frame(body))
        r = s.wait_response(rid)
        check(r.get("result"), "request %d after junk %r: %r", rid, junk[:80], r)
        s.responses.clear()
    s.finish()


@test
def trailing_slashes_in_roots(t):
    """Emacs names folders with a trailing slash (eglot's rootUri and
    workspaceFolders); a root setting may have one too. Targets must still
    resolve, open buffers still win, edits name the documents as opened."""
    t.write("calc.py", CALC)
    t.write("patches/fix.ap", PATCH_BAD)
    s = t.session(init=False)
    root = uri_of(t.dir) + "/"
    r = s.request("initialize", {"processId": os.getpid(), "rootUri": root, "rootPath": t.dir + "/",
                                 "workspaceFolders": [{"uri": root, "name": "w"}],
                                 "capabilities": eglot19_capabilities()})
    check("result" in r, "initialize: %r", r)
    s.notify("initialized", {})
    s.alive_check()
    s.alive_check()
    u = s.open("patches/fix.ap")
    ds = s.diags(u)
    eq(codes(errors(ds)), ["SNIPPET_NOT_FOUND"], "resolved against the workspace folder")
    c = s.open("calc.py")
    s.sub(c, "return a + b", "return a - b")     # unsaved: now the patch applies
    eq(s.diags(u), [], "the open buffer is used")
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    eq([d["textDocument"] for d in act["edit"]["documentChanges"]], [{"uri": c, "version": s.version(c)}],
       "the edit names the open document")
    s.finish()
    # a root setting with a trailing slash
    s = t.session(options={"root": t.dir + "/"})
    u = s.open("patches/fix.ap")
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "with root setting")
    c = s.open("calc.py")
    s.sub(c, "return a + b", "return a - b")
    eq(s.diags(u), [], "the open buffer is used (root setting with a slash)")
    rel = s.call("textDocument/definition", {"textDocument": {"uri": u}, "position": s.pos(u, "return a - b")})
    eq([l["uri"] for l in rel], [c], "definition names the document as opened")
    s.finish()


SWEEP_PATCH = """# Summary: every kind of modification and of problem \U0001F600
version: "2.0"
changes:
  - file_path: calc.py
    newline: CRLF
    modifications:
      - action: INSERT_BEFORE
        anchor: |
          def add(a, b):
        snippet: |
          return a + b
        content: |
          # \U0001F600 before
      - action: DELETE
        start_snippet: |
          def get_pi():
        end_snippet: |
          return 3.14
        include_leading_blank_lines: 2
        include_trailing_blank_lines: 1
      - {action: REPLACE, snippet: "nothing like it", content: "x"}
      - action: FLY
        snippet: |
          import math
      - action: REPLACE
        snippet: |
          import math
        unknown_key: 1
      - just a string
      -
  - file_path: new/dir/created.txt
    modifications:
      - action: CREATE_FILE
        content: |
          hello \U0001F600
  - file_path: missing.txt
    modifications:
      - action: DELETE
        snippet: |
          x
  - file_path: ../escape.txt
    modifications: []
  - file_path: calc.py
    newline: LF
    modifications:
      - action: INSERT_AFTER
        snippet: >
          import
          math
        content: |
          import os
  - 42
  - file_path:
    modifications: {}
"""


@test
def sweep_every_request_everywhere(t):
    """hover, definition, completion and code actions at every line's start,
    middle and end (and past it) of a patch with every kind of modification
    and problem: all answered, none an internal error, the server alive."""
    calc_world(t, SWEEP_PATCH)
    for caps in ("vscode", "eglot"):
        s = t.session(caps=caps)
        u = s.open("fix.ap")
        ds = s.diags(u)
        check(errors(ds), "errors expected")
        lines = lsp.split_lines(s.text(u))
        for n, (content, _) in enumerate(lines):
            w = units(content, s.enc)
            for ch in sorted({0, w // 2, w, w + 5}):
                at = {"line": n, "character": ch}
                doc = {"textDocument": {"uri": u}, "position": at}
                for method, params in (("textDocument/hover", doc), ("textDocument/definition", doc),
                                       ("textDocument/completion", doc),
                                       ("textDocument/codeAction", {"textDocument": {"uri": u},
                                                                    "range": {"start": at, "end": at},
                                                                    "context": {"diagnostics": ds}})):
                    r = s.request(method, params)
                    check("result" in r, "%s at %r: %r", method, at, r)
        # the whole document as one range, and every lens and symbol
        acts = s.actions(u, {"line": 0, "character": 0}, {"line": len(lines), "character": 0})
        for a in acts:
            if "command" in a and a["command"]["command"] in ("apls.showTarget", "apls.explain"):
                s.call("workspace/executeCommand", a["command"])
        for l in s.call("textDocument/codeLens", {"textDocument": {"uri": u}}):
            s.call("workspace/executeCommand", l["command"])
        s.call("textDocument/documentSymbol", {"textDocument": {"uri": u}})
        # edits at every line: delete it, check, put it back
        for n in range(0, len(lines), 3):
            text = s.text(u)
            a = offset_of(text, {"line": n, "character": 0}, s.enc)
            b = offset_of(text, {"line": n + 1, "character": 0}, s.enc)
            gone = text[a:b]
            v = s.edit(u, [(a, b, "")])
            s.settle(u, v)
            s.request("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": n, "character": 4}})
            s.edit(u, [(a, a, gone)])
        s.alive_check()
        s.finish()


# ============================================================ incremental analysis

INC_FILES = {"calc.py": CALC, "b.txt": "one\ntwo\nthree\n", "c.txt": "alpha\nbeta\ngamma\n",
             "d.txt": "red\ngreen\nblue\n"}
INC_PATCH = '''version: "2.0"
changes:
  - file_path: "calc.py"
    modifications:
      - action: INSERT_AFTER
        snippet: |
          import math
        content: |
          import sys
      - action: REPLACE
        snippet: |
          return a + b
        content: |
          return b + a
  - file_path: "b.txt"
    modifications:
      - action: DELETE
        snippet: |
          two
  - file_path: "c.txt"
    modifications:
      - action: REPLACE
        snippet: |
          beta
        content: |
          beta
          BETA
  - file_path: "d.txt"
    modifications:
      - action: INSERT_BEFORE
        snippet: |
          green
        content: |
          red
'''


def analysed(s, u, version):
    """The server's analysis report ($/apls/analysed) of uri at version."""
    return s.wait_note("$/apls/analysed", lambda m: m["params"]["uri"] == u and m["params"]["version"] == version,
                       WAIT)["params"]


def incremental_session(t, patch):
    """A session on fix.ap (patch over INC_FILES) with analysis reports, a
    second session to open each version fresh, and step(what, a, b, new,
    path): an edit, the reparse path it must take, and its diagnostics
    compared with the same text's opened fresh (compare(what) alone);
    current() settles and gives the latest diagnostics, also kept in
    last[0]. Returns (s, u, fresh, last, step, compare, current)."""
    for rel, data in INC_FILES.items():
        t.write(rel, data)
    t.write("fix.ap", patch)
    s = t.session(options={"debounceMs": 0, "analysisReport": True})
    u = s.open("fix.ap")
    first = s.diags(u)
    eq(codes(first), ["ALREADY_APPLIED"], "at first: the hint of d.txt")
    fresh = t.session()
    last = [first]
    names = [0]

    def current():
        s.settle(u, s.version(u))
        got = s.all_diags(u)
        if got:
            last[0] = got[-1]["diagnostics"]
        return last[0]

    def compare(what):
        names[0] += 1
        name = "fresh%d.ap" % names[0]  # (a new name each time: a closed one's clearing is no answer)
        t.write(name, s.text(u))
        fu = fresh.open(name)
        want = fresh.diags(fu)
        fresh.close_doc(fu)
        eq(current(), want, "diagnostics after %s" % what)

    def step(what, a, b, new, path):
        v = s.edit(u, [(a, b, new)])
        eq(analysed(s, u, v)["reparse"], path, "the path taken by %s" % what)
        compare(what)

    return s, u, fresh, last, step, compare, current


@test
def incremental_paths_match_a_fresh_analysis(t):
    """The edits an editor makes besides typing, each parsed alone (the
    analysis report says which path it took): a modification inserted at an
    item boundary and taken out, a whole change deleted and put back (the
    last one too), a paste over two changes, a character typed in a value,
    and the same text analysed again after a target changed. Every
    version's diagnostics equal those of the same text opened fresh."""
    s, u, fresh, last, step, compare, current = incremental_session(t, INC_PATCH)
    eq(analysed(s, u, 1)["reparse"], "full", "opening")
    text = s.text(u)
    # a modification inserted before calc.py's second one, and taken out
    at = text.index("      - action: REPLACE\n        snippet: |\n          return a + b")
    mod = "      - action: DELETE\n        snippet: |\n          return 3.14\n"
    step("a modification inserted", at, at, mod, "changes")
    step("a modification taken out", at, at + len(mod), "", "changes")
    # the change of b.txt deleted, and put back
    a, b = text.index('  - file_path: "b.txt"'), text.index('  - file_path: "c.txt"')
    block = text[a:b]
    step("a change deleted", a, b, "", "changes")
    check("two" not in "".join(d["message"] for d in last[0]), "b.txt's change is gone")
    step("a change put back", a, a, block, "changes")
    # the last change deleted, and put back
    a = text.index('  - file_path: "d.txt"')
    block = text[a:]
    step("the last change deleted", a, len(text), "", "changes")
    eq(codes(last[0]), [], "no hint without d.txt's change")
    step("the last change put back", a, a, block, "changes")
    eq(codes(last[0]), ["ALREADY_APPLIED"], "its hint is back")
    # a paste over the end of one change and the start of the next
    a, b = text.index("          two\n"), text.index("    modifications:", text.index('"c.txt"'))
    paste = '          tw0\n  - file_path: "c.txt" # here\n'
    step("a paste over two changes", a, b, paste, "changes")
    step("the paste undone", a, a + len(paste), text[a:b], "changes")
    # a character typed in a value
    a = s.text(u).index("import math") + len("import math")
    step("a character typed", a, a, "x", "modification")
    step("the character removed", a, a + 1, "", "modification")
    eq(s.text(u), text, "the text is back")
    # a target changed on disk: the same text analysed again, nothing parsed
    t.write("d.txt", "red\ngreen\nblue\nwhite\n")
    s.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(t.path("d.txt")), "type": 2}]})
    eq(analysed(s, u, s.version(u))["reparse"], "unchanged", "a target changed on disk")
    compare("a target changed on disk")
    # an unsaved edit of an open target: the same
    du = s.open("d.txt")
    eq(analysed(s, u, s.version(u))["reparse"], "unchanged", "a target opened")
    s.sub(du, "red\ngreen", "green")
    r = analysed(s, u, s.version(u))
    eq(r["reparse"], "unchanged", "an unsaved edit of a target")
    eq(r["files"]["reused"], 3, "the other three files' results are taken over")
    eq(codes(current()), [], "the hint goes with the buffer's red line")
    s.finish()
    fresh.finish()


INC_PATCH_32 = """e4a2f1b8 AP 3.2

e4a2f1b8 FILE
calc.py
e4a2f1b8 INSERT_AFTER
e4a2f1b8 snippet
import math
e4a2f1b8 content
import sys
e4a2f1b8 REPLACE
e4a2f1b8 snippet
    return a + b
e4a2f1b8 content
    return b + a

e4a2f1b8 FILE
b.txt
e4a2f1b8 DELETE
e4a2f1b8 snippet
two

e4a2f1b8 FILE
c.txt
e4a2f1b8 REPLACE
e4a2f1b8 snippet
beta
e4a2f1b8 content
beta
BETA

e4a2f1b8 FILE
d.txt
e4a2f1b8 INSERT_BEFORE
e4a2f1b8 snippet
green
e4a2f1b8 content
red

e4a2f1b8 END
"""


@test
def incremental_paths_match_a_fresh_analysis_32(t):
    """The same edits on a 3.2 patch: each parses again only the FILE
    blocks it touched (the report says "changes"), and every version's
    diagnostics equal those of the same text opened fresh; an edit of the
    header or of END parses whole."""
    s, u, fresh, last, step, _, _ = incremental_session(t, INC_PATCH_32)
    text = s.text(u)
    at = text.index("e4a2f1b8 REPLACE\ne4a2f1b8 snippet\n    return a + b")
    mod = "e4a2f1b8 DELETE\ne4a2f1b8 snippet\n    return 3.14\n"
    step("a modification inserted", at, at, mod, "changes")
    step("a modification taken out", at, at + len(mod), "", "changes")
    a, b = text.index("e4a2f1b8 FILE\nb.txt"), text.index("e4a2f1b8 FILE\nc.txt")
    block = text[a:b]
    step("a block deleted", a, b, "", "changes")
    check("two" not in "".join(d["message"] for d in last[0]), "b.txt's change is gone")
    step("a block put back", a, a, block, "changes")
    a, b = text.index("e4a2f1b8 FILE\nd.txt"), text.index("e4a2f1b8 END")
    block = text[a:b]
    step("the last block deleted", a, b, "", "changes")
    eq(codes(last[0]), [], "no hint without d.txt's block")
    step("the last block put back", a, a, block, "changes")
    eq(codes(last[0]), ["ALREADY_APPLIED"], "its hint is back")
    a = text.index("import math") + len("import math")
    step("a character typed", a, a, "x", "changes")
    step("the character removed", a, a + 1, "", "changes")
    a = text.index("3.2")
    step("the version edited", a, a + 3, "3.1", "full")
    step("the version put back", a, a + 3, "3.2", "full")
    a = text.index("e4a2f1b8 END")
    step("END removed", a, a + len("e4a2f1b8 END\n"), "", "full")
    step("END put back", a, a, "e4a2f1b8 END\n", "full")
    eq(s.text(u), text, "the text is back")
    s.finish()
    fresh.finish()


@test
def closed_patches_leave_no_texts_behind(t):
    """The server keeps each target's text while an open patch reads it, so a
    keystroke does not read and index it again; once no open patch reads a
    target, its text goes (a session opening patch after patch would
    otherwise hold every file any of them ever named). The analysis report
    counts what the cache holds."""
    t.write("a.txt", "alpha\n" * 50)
    t.write("b.txt", "beta\n" * 50)
    t.write("a.ap", 'version: "2.0"\nchanges:\n  - file_path: "a.txt"\n    modifications:\n'
                    '      - action: DELETE\n        snippet: "alpha"\n')
    t.write("ab.ap", 'version: "2.0"\nchanges:\n  - file_path: "a.txt"\n    modifications:\n'
                     '      - action: INSERT_AFTER\n        snippet: "zeta"\n        content: "x"\n'
                     '  - file_path: "b.txt"\n    modifications:\n'
                     '      - action: DELETE\n        snippet: "beta"\n')
    t.write("none.ap", 'version: "2.0"\nchanges: []\n')
    s = t.session(options={"debounceMs": 0, "analysisReport": True})
    ua = s.open("a.ap")
    eq(analysed(s, ua, 1)["cache"]["texts"], 1, "a.ap holds a.txt")
    uab = s.open("ab.ap")
    eq(analysed(s, uab, 1)["cache"]["texts"], 2, "ab.ap adds b.txt")
    s.close_doc(uab)
    un = s.open("none.ap")
    eq(analysed(s, un, 1)["cache"]["texts"], 1, "ab.ap closed: a.ap still reads a.txt, b.txt is gone")
    s.close_doc(ua)
    s.close_doc(un)
    un = s.open("none.ap", version=2)
    eq(analysed(s, un, 2)["cache"]["texts"], 0, "every patch closed: nothing held")
    # a file_path edited away lets its old target go too
    ua = s.open("a.ap", version=3)
    eq(analysed(s, ua, 3)["cache"]["texts"], 1, "a.ap again")
    v = s.edit(ua, [(s.text(ua).index('"a.txt"'), s.text(ua).index('"a.txt"') + 7, '"b.txt"')])
    eq(analysed(s, ua, v)["cache"]["texts"], 1, "a.ap now reads b.txt only")
    s.finish()


# ============================================================ output

def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_idle(pid, quiet=0.5, limit=None):
    """Waits until the process has used no CPU for `quiet` seconds."""
    end = time.time() + (limit or WAIT * 4)
    last, since = cpu_ticks(pid), time.time()
    while time.time() < end:
        time.sleep(0.1)
        now = cpu_ticks(pid)
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= quiet:
            return True
    return False


def sanitized(binary):
    """Built with a sanitizer: gcc links libasan dynamically (ldd shows it),
    clang statically (its runtime's symbols are in the binary)."""
    out = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    if b"libasan" in out or b"libubsan" in out:
        return True
    with open(binary, "rb") as f:
        data = f.read()
    return b"__asan_init" in data or b"__ubsan_handle" in data


def many_failures_world(t, n=40):
    """A target and a patch whose n modifications all fail: big diagnostics."""
    t.write("big.py", "".join("def function_number_%d(a, b):\n    return a + b * %d\n" % (i, i)
                              for i in range(200)))
    mods = "".join('      - action: REPLACE\n        snippet: "return a - b * %d"\n'
                   '        content: "return 0"\n' % i for i in range(n))
    return t.write("many.ap", 'version: "2.0"\nchanges:\n  - file_path: "big.py"\n    modifications:\n' + mods)


@test
def output_client_not_reading_gets_the_latest_diagnostics(t):
    """A client that stops reading while edits keep coming: the server keeps
    at most one publishDiagnostics per document waiting (memory does not grow
    with the edits), and once the client reads again it gets the latest."""
    many_failures_world(t)
    s = t.session(options={"debounceMs": 0})
    u = s.open("many.ap")
    first = s.diags(u)
    eq(len(errors(first)), 40, "errors at first")
    s.pump(0.3)
    before = rss_kib(s.p.pid)
    # each edit changes the first snippet's length: every analysis publishes
    text = s.text(u)
    a = text.index("return a - b * 0") + len("return a - b * 0")
    n = 3000
    for i in range(n):
        msg = s.edit(u, [(a, a + (i % 2), "" if i % 2 else "0")], send=False)
        s.send(msg)
    check(wait_idle(s.p.pid), "the server kept working")
    grown = rss_kib(s.p.pid) - before
    if not sanitized(t.binary):    # (the sanitizers keep freed memory)
        check(grown < 24 * 1024, "memory grew by %d KiB while the client did not read", grown)
    # now read everything
    got = s.all_diags(u)
    s.pump(0.5)
    got += s.all_diags(u)
    check(len(got) <= 10, "%d publishDiagnostics for one document were waiting", len(got))
    check(got, "no diagnostics after the edits")
    eq(got[-1]["version"], s.version(u), "version of the last diagnostics")
    eq(len(errors(got[-1]["diagnostics"])), 40, "errors at the end")
    s.alive_check()
    s.finish(0)


@test
def output_client_that_stopped_reading_for_good(t):
    """A client that sends requests but never reads the replies: once more
    than 64 MiB wait unread, the server decides the client has stopped
    reading for good and exits (code 1), instead of growing without bound."""
    t.write("notes.txt", "one\n")
    big = "x" * (1 << 20) + "\n"
    t.write("new.ap", 'version: "2.0"\nchanges:\n  - file_path: "made.txt"\n    modifications:\n'
                      '      - action: CREATE_FILE\n        content: |\n          ' + big)
    s = t.session()
    u = s.open("new.ap")
    s.diags(u)
    for i in range(100):      # each reply carries the 1 MiB file
        s.request("textDocument/codeAction", {"textDocument": {"uri": u},
                                              "range": {"start": {"line": 0, "character": 0},
                                                        "end": {"line": 0, "character": 0}},
                                              "context": {"diagnostics": []}}, wait=False)
    code = s.wait_exit(WAIT * 2)
    eq(code, 1, "exit code of a server whose client stopped reading")
    check(b"stopped reading" in s.stderr_text(), "the log does not say why it exited")
    s.finished = True


# ======================================================= 3.2 documents

import v3  # noqa: E402,F401  (its tests register themselves)


# ================================================================ main

def run_child(fn, binary, base, w):
    passed = False
    res = {"ok": False}
    t = None
    try:
        t = T(binary, base)
        fn(t)
        passed = True
        res = {"ok": True}
    except BaseException as e:
        res = {"ok": False, "msg": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""),
               "tb": traceback.format_exc()}
    if t is not None:
        try:
            problems = t.cleanup(passed)
        except BaseException as e:
            problems = ["cleanup: %r" % e]
        if problems and res["ok"]:
            res = {"ok": False, "msg": problems[0].splitlines()[0][:300], "tb": "\n".join(problems)}
        if not res["ok"]:
            res["stderr"] = b"\n".join(s.stderr_text()[-3000:] for s in t.sessions).decode("utf-8", "replace")
    data = json.dumps(res).encode()
    while data:
        n = os.write(w, data)
        data = data[n:]


def main(argv):
    verbose, jobs, only, timeout = False, max(2, min(6, 2 * (os.cpu_count() or 1))), None, 240.0
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "-v":
            verbose = True
        elif a == "-j":
            jobs = int(argv[i + 1]); i += 1
        elif a == "-k":
            only = argv[i + 1]; i += 1
        elif a == "--timeout":
            timeout = float(argv[i + 1]); i += 1
        else:
            args.append(a)
        i += 1
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(args[0])
    if not os.access(binary, os.X_OK):
        print("FAIL setup: %s is not an executable" % binary)
        print("0 passed, 1 failed")
        return 1
    tests = [f for f in TESTS if not only or only in f.__name__]
    top = tempfile.mkdtemp(prefix="apls-protocol-")
    queue = list(tests)
    running = {}   # read fd -> (fn, pid, deadline, base, chunks)
    passed = failed = 0
    try:
        while queue or running:
            while queue and len(running) < jobs:
                fn = queue.pop(0)
                base = os.path.join(top, fn.__name__)
                os.makedirs(base)
                r, w = os.pipe()
                sys.stdout.flush()
                pid = os.fork()
                if pid == 0:
                    os.close(r)
                    try:
                        os.setpgid(0, 0)
                        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
                        run_child(fn, binary, base, w)
                    finally:
                        os._exit(0)
                os.close(w)
                try:
                    os.setpgid(pid, pid)
                except OSError:
                    pass
                running[r] = (fn, pid, time.time() + timeout, base, [], time.time())
            ready, _, _ = select.select(list(running), [], [], 0.5)
            now = time.time()
            for r in list(running):
                fn, pid, deadline, base, chunks, started = running[r]
                done = False
                res = None
                if r in ready:
                    data = os.read(r, 65536)
                    if data:
                        chunks.append(data)
                    else:
                        done = True
                if not done and now > deadline:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except OSError:
                        pass
                    res = {"ok": False, "msg": "timed out after %.0f s" % timeout}
                    done = True
                if not done:
                    continue
                os.close(r)
                try:
                    os.killpg(pid, signal.SIGKILL)   # anything the test left behind
                except OSError:
                    pass
                os.waitpid(pid, 0)
                del running[r]
                if res is None:
                    try:
                        res = json.loads(b"".join(chunks))
                    except ValueError:
                        res = {"ok": False, "msg": "the test process died"}
                if res["ok"]:
                    passed += 1
                    if verbose:
                        print("ok   %s (%.1f s)" % (fn.__name__, time.time() - started))
                else:
                    failed += 1
                    print("FAIL %s: %s" % (fn.__name__, res.get("msg", "")))
                    if verbose:
                        print(res.get("tb", ""))
                        if res.get("stderr"):
                            print("--- server stderr (tail)\n" + res["stderr"][-3000:])
                sys.stdout.flush()
                shutil.rmtree(base, ignore_errors=True)
    finally:
        for r, (fn, pid, *_rest) in running.items():
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(top, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
