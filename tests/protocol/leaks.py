#!/usr/bin/env python3
"""Long language-server sessions under valgrind.

usage: leaks.py [-v] BINARY

Runs apls under
    valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99
for a long session (hundreds of edits, hovers, code actions, completions,
opens and closes, targets changed on disk and in buffers, cancellations,
hostile messages, commands), then shutdown + exit. A session passes only if
valgrind reports no error and the exit code is the expected one (0 after
shutdown + exit). Prints one line per failing session and "N passed, M failed".

Nothing is timed: valgrind makes everything 20 to 50 times slower, so every
wait is a generous bound."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402
from run import (T, Session, check, eq, uri_of, CALC, PATCH_OK, SCENARIOS, EMOJI_TARGET,  # noqa: E402
                 EMOJI_PATCH, frame)

run.WAIT = float(os.environ.get("APLS_LEAKS_WAIT", "300"))
LIMIT = int(os.environ.get("APLS_LEAKS_LIMIT", "1500"))   # seconds per session, then it fails
VALGRIND = ["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99", "--track-fds=no", "--num-callers=30"]
SESSIONS = []


def session(fn):
    SESSIONS.append(fn)
    return fn


def start(t, caps, log):
    return Session(t, caps=caps, command=VALGRIND + ["--log-file=" + log, t.binary])


def valgrind_verdict(log, code, want_code):
    with open(log, errors="replace") as f:
        text = f.read()
    summary = [l for l in text.splitlines() if "ERROR SUMMARY" in l]
    check(summary, "no valgrind summary (did it run?): %s", text[-2000:])
    check(" 0 errors" in summary[-1], "valgrind: %s\n%s", summary[-1], text[-6000:])
    eq(code, want_code, "exit code under valgrind")


def world(t, sub):
    """Three patches over a few targets, in folder sub."""
    root = t.path(sub)
    t.write(os.path.join(root, "calc.py"), CALC)
    t.write(os.path.join(root, "fix.ap"), PATCH_OK)
    files, patch = SCENARIOS["several_files"]()
    for rel, data in files.items():
        if rel != "calc.py":
            t.write(os.path.join(root, rel), data)
    t.write(os.path.join(root, "multi.ap"), patch)
    t.write(os.path.join(root, "src/t.py"), EMOJI_TARGET)
    t.write(os.path.join(root, "emoji.ap"), EMOJI_PATCH)
    return root


def long_session(t, caps, rounds):
    root = world(t, "ws")
    log = os.path.join(t.base, "valgrind.log")
    s = start(t, caps, log)
    dynamic = caps != "nvim"
    fix = s.open(os.path.join(root, "fix.ap"))
    multi = s.open(os.path.join(root, "multi.ap"))
    emo = s.open(os.path.join(root, "emoji.ap"))
    s.diags(fix)
    target = os.path.join(root, "calc.py")
    tbuf = None
    s.edit_applier = lambda edit: False          # the disk must stay as the test wants it
    variants = ["return a + b", "return a - b", "return  a + b  # \U0001F600", "return a + b"]
    for i in range(rounds):
        # an edit of the main patch: the error comes and goes
        old = variants[i % len(variants)]
        new = variants[(i + 1) % len(variants)]
        if old in s.text(fix):
            s.sub(fix, old, new)
        # several changes in one notification, spanning an emoji, on the emoji patch
        txt = s.text(emo)
        a, b = ("\U0001F600", "\U0001F680") if i % 2 == 0 else ("\U0001F680", "\U0001F600")
        k = txt.find(a)
        if k < 0:
            k = txt.index(b)
            a, b = b, a
        s.edit(emo, [(k, k + 1, b), (0, 0, "# %d \U0001F44D\n" % i), (0, len("# %d \U0001F44D\n" % i), "")])
        if i % 3 == 0:
            s.settle(fix, s.version(fix))
            s.hover(fix, s.pos(fix, "return"))
        if i % 5 == 0:
            acts = s.actions(fix, s.pos(fix, "return"))
            check(any(a.get("kind") == "source.applyPatch" for a in acts), "no apply action: %r", acts)
            s.actions(emo, {"line": 5, "character": 40})
            s.actions(multi, {"line": 0, "character": 0})
            s.call("textDocument/completion", {"textDocument": {"uri": fix}, "position": s.pos(fix, "return", 3)})
        if i % 7 == 0:
            s.call("textDocument/documentSymbol", {"textDocument": {"uri": multi}})
            s.call("textDocument/codeLens", {"textDocument": {"uri": multi}})
            s.call("textDocument/definition", {"textDocument": {"uri": emo},
                                               "position": s.pos(emo, "other(", 2)})
        if i % 11 == 0:       # the YAML breaks and heals
            v = s.sub(multi, "modifications:", "modifications: [")
            s.settle(multi, v)
            s.sub(multi, "modifications: [", "modifications:")
        if i % 13 == 0:       # a request cancelled in the same write
            rid = 900000 + i
            body = run.json.dumps({"jsonrpc": "2.0", "id": rid, "method": "textDocument/codeAction",
                                   "params": {"textDocument": {"uri": fix},
                                              "range": {"start": {"line": 0, "character": 0},
                                                        "end": {"line": 0, "character": 0}},
                                              "context": {"diagnostics": []}}})
            cancel = run.json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": rid}})
            s.send_raw(frame(body) + frame(cancel))
            s.wait_response(rid)
        if i % 17 == 0:       # the target changes on disk
            with open(target, "w") as f:
                f.write(CALC if (i // 17) % 2 else CALC.replace("import math", "import cmath"))
            if dynamic:
                s.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(target), "type": 2}]})
            s.settle(fix, s.version(fix))
        if i % 31 == 0:       # a target folder removed and made again (watchers dropped, renewed)
            sub = os.path.join(root, "src", "sub")
            shutil.rmtree(sub)
            if dynamic:
                s.notify("workspace/didChangeWatchedFiles",
                         {"changes": [{"uri": uri_of(os.path.join(sub, "b.txt")), "type": 3}]})
            s.settle(multi, s.version(multi))
            os.makedirs(sub)
            with open(os.path.join(sub, "b.txt"), "w") as f:
                f.write("alpha\nbeta\ngamma\n")
            if dynamic:
                s.notify("workspace/didChangeWatchedFiles",
                         {"changes": [{"uri": uri_of(os.path.join(sub, "b.txt")), "type": 1}]})
            s.settle(multi, s.version(multi))
        if i % 19 == 0:       # a target buffer opened, edited, closed
            if tbuf is None:
                tbuf = s.open(target)
                s.sub(tbuf, "get_pi", "get_tau")
            else:
                s.close_doc(tbuf)
                tbuf = None
        if i % 23 == 0:       # a patch closed and opened again
            s.close_doc(multi)
            multi = s.open(os.path.join(root, "multi.ap"), version=i + 1)
        if i % 29 == 0:       # hostile input and commands
            s.send_raw(frame("{not json") + frame("[]") + b"Content-Type: x\r\n\r\n")
            s.request("apls/unknown", {})
            s.notify("textDocument/didChange", {"textDocument": {"uri": uri_of(t.path("nope.ap")), "version": 3},
                                                "contentChanges": [{"text": "x"}]})
            s.request("workspace/executeCommand", {"command": "apls.applyPatch", "arguments": [fix]})
            s.request("workspace/executeCommand", {"command": "apls.showTarget",
                                                   "arguments": [{"uri": fix, "change": 0, "modification": 0}]})
            s.request("workspace/executeCommand", {"command": "apls.createFiles",
                                                   "arguments": [[{"path": "relative", "content": "x"}]]})
            s.notify("workspace/didChangeConfiguration", {"settings": {"apls": {"debounceMs": 10 + i % 40}}})
        s.pump(0)
    s.settle(fix, s.version(fix))
    s.settle(multi, s.version(multi))
    s.settle(emo, s.version(emo))
    s.pump(0.5)
    r = s.request("shutdown")
    eq(r.get("result", "missing"), None, "shutdown")
    s.notify("exit")
    code = s.wait_exit(run.WAIT)
    s.finished = True
    check(code is not None, "no exit after shutdown + exit")
    valgrind_verdict(log, code, 0)


@session
def long_session_vscode(t):
    long_session(t, "vscode", 300)


@session
def long_session_neovim(t):
    """Neovim 0.7: the server watches targets itself (libuv handles to close)."""
    long_session(t, "nvim", 120)


@session
def end_of_input_mid_session(t):
    """No shutdown: input ends with timers pending and work queued. Exit code 1
    (no shutdown), and still nothing leaked or misused."""
    root = world(t, "ws")
    log = os.path.join(t.base, "valgrind.log")
    s = start(t, "nvim", log)
    u = s.open(os.path.join(root, "fix.ap"))
    s.diags(u)
    for i in range(20):
        s.sub(u, "return a + b" if i % 2 == 0 else "return a - b", "return a - b" if i % 2 == 0 else "return a + b")
    s.request("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": 10, "character": 10}},
              wait=False)
    s.p.stdin.close()
    code = s.wait_exit(run.WAIT)
    s.finished = True
    check(code is not None, "no exit at end of input")
    valgrind_verdict(log, code, 1)


@session
def format_3_2_session(t):
    """A 3.2 patch with every action and operations on paths: keystrokes in
    values, the id and directives, hovers, completions, every code action
    (strict, what resolves, file operations), status notifications, and the
    text turned into 2.0 and back."""
    import v3
    root = v3.world(t, v3.FILE_OPS_FILES, v3.FILE_OPS_PATCH, "ws")
    log = os.path.join(t.base, "valgrind.log")
    s = start(t, "vscode", log)
    u = s.open(os.path.join(root, "fix.ap"))
    s.diags(u)
    for i in range(40):
        if i % 4 == 0:
            v = s.sub(u, "    return a + b", "    return a + bb")
        elif i % 4 == 1:
            v = s.sub(u, "    return a + bb", "    return a + b")
        elif i % 4 == 2:
            v = s.sub(u, "e4a2f1b8 AP 3.2", "e4a2f1b9 AP 3.2")
        else:
            v = s.sub(u, "e4a2f1b9 AP 3.2", "e4a2f1b8 AP 3.2")
        at = s.pos(u, "RENAME" if i % 2 else "snippet")
        s.request("textDocument/hover", {"textDocument": {"uri": u}, "position": at})
        s.request("textDocument/completion", {"textDocument": {"uri": u}, "position": at})
        s.actions(u, {"line": 0, "character": 0})
    text = s.text(u)
    s.replace_text(u, 'version: "2.0"\nchanges: []\n')
    s.replace_text(u, text.replace("    return a + b", "    return nope"))
    s.actions(u, {"line": 0, "character": 0})
    s.call("textDocument/documentSymbol", {"textDocument": {"uri": u}})
    s.call("textDocument/codeLens", {"textDocument": {"uri": u}})
    s.settle(u, s.version(u))
    r = s.request("shutdown")
    eq(r.get("result", "missing"), None, "shutdown")
    s.notify("exit")
    code = s.wait_exit(run.WAIT)
    s.finished = True
    check(code is not None, "no exit after shutdown + exit")
    valgrind_verdict(log, code, 0)


def main(argv):
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(args[0])
    if not shutil.which("valgrind"):
        print("FAIL setup: valgrind is not installed")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    top = tempfile.mkdtemp(prefix="apls-leaks-")
    try:
        for fn in SESSIONS:
            base = os.path.join(top, fn.__name__)
            os.makedirs(base)
            t = T(binary, base)
            started = time.time()
            ok, msg = True, ""

            def alarm(*_):
                raise TimeoutError("the session took more than %d s" % LIMIT)
            signal.signal(signal.SIGALRM, alarm)
            signal.alarm(LIMIT)
            try:
                fn(t)
            except BaseException as e:
                ok, msg = False, "%s: %s" % (type(e).__name__, e)
                if verbose:
                    traceback.print_exc()
            signal.alarm(0)
            for s in t.sessions:
                s.close()
            if ok:
                passed += 1
                if verbose:
                    print("ok   %s (%.0f s)" % (fn.__name__, time.time() - started))
            else:
                failed += 1
                lines = msg.splitlines()
                print("FAIL %s: %s" % (fn.__name__, lines[0] if lines else ""))
                if verbose or len(lines) > 1:
                    print("\n".join("    " + l for l in lines[1:80]))
            sys.stdout.flush()
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
