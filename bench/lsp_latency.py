#!/usr/bin/env python3
"""Keystroke-to-diagnostics latency of the real apls over pipes.

For generated patches of 10 to 10,000 modifications against targets of up to
100,000 lines, it opens the patch, then sends one-character didChange edits
(debounce set to 0) and measures the time from writing each didChange to
reading the publishDiagnostics that answers it. Prints p50/p99 per size and
the server's peak memory (VmHWM). A benchmark that prints figures, not a test.

usage: bench/lsp_latency.py BINARY [--quick] [--edits N]"""
import os, random, shutil, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "protocol"))
from lsp import Server, uri_of  # noqa: E402


def make_target(path, lines):
    rnd = random.Random(lines)
    with open(path, "w") as f:
        for i in range(lines):
            f.write("    value_%d = compute(%d, %d)  # line %d\n" % (i, rnd.randrange(1000), i % 97, i))


def run(binary, target_lines, mods, edits):
    d = tempfile.mkdtemp(prefix="apls-bench-")
    try:
        files = max(1, min(10, mods // 100))
        for fi in range(files):
            make_target(os.path.join(d, "t%d.py" % fi), target_lines)
        # snippets must be exact lines of the target: read them back
        rnd = random.Random(mods * 7 + target_lines)
        out = ['version: "2.0"\n', "changes:\n"]
        texts = [open(os.path.join(d, "t%d.py" % fi)).read().splitlines() for fi in range(files)]
        per = mods // files
        for fi in range(files):
            out.append('  - file_path: "t%d.py"\n    modifications:\n' % fi)
            for ln in sorted(rnd.sample(range(target_lines), min(per, target_lines))):
                src = texts[fi][ln].strip()
                out.append("      - action: REPLACE\n        snippet: |\n          %s\n" % src)
                out.append("        content: |\n          %s\n" % src.replace("compute", "compute_fast"))
        text = "".join(out)
        ppath = os.path.join(d, "bench.ap")
        with open(ppath, "w") as f:
            f.write(text)
        s = Server(binary)
        s.initialize(d, options={"debounceMs": 0})
        uri = uri_of(ppath)
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "ap", "version": 1, "text": text}})
        s.diagnostics(uri, timeout=120)
        # one-character edits in snippets: add a typo (the modification fails), then
        # take it away (it resolves again); each edit changes the diagnostics, so
        # each is answered by a publishDiagnostics we can time
        lines = text.split("\n")
        snippet_lines = [i for i, l in enumerate(lines) if l.startswith("          value_")
                         and "compute_fast" not in l]
        lat = []
        version = 1
        for k in range(edits):
            ln = snippet_lines[(k // 2 * 7919) % len(snippet_lines)]
            col = len(lines[ln])
            version += 1
            if k % 2 == 0:
                ch = {"range": {"start": {"line": ln, "character": col}, "end": {"line": ln, "character": col}}, "text": "x"}
            else:
                ch = {"range": {"start": {"line": ln, "character": col - 1}, "end": {"line": ln, "character": col}}, "text": ""}
            t0 = time.perf_counter()
            s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [ch]})
            s.wait_note("textDocument/publishDiagnostics",
                        lambda m, v=version: m["params"]["uri"] == uri and m["params"].get("version") == v, timeout=120)
            lat.append(time.perf_counter() - t0)
            lines[ln] = lines[ln] + "x" if k % 2 == 0 else lines[ln][:-1]
        hwm = 0
        try:
            for l in open("/proc/%d/status" % s.p.pid):
                if l.startswith("VmHWM:"):
                    hwm = int(l.split()[1])
        except OSError:
            pass
        s.shutdown()
        lat.sort()
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
        return p(0.5), p(0.99), hwm / 1024, len(text)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    binary = sys.argv[1]
    quick = "--quick" in sys.argv
    edits = 200
    if "--edits" in sys.argv:
        edits = int(sys.argv[sys.argv.index("--edits") + 1])
    sizes = [(1000, 10), (10000, 100), (100000, 1000), (100000, 10000)]
    if quick:
        sizes, edits = [(1000, 10)], 20
    print("%-12s %-8s %-10s %-10s %-10s %s" % ("target", "mods", "patch KB", "p50 ms", "p99 ms", "peak MB"))
    for lines, mods in sizes:
        p50, p99, mb, size = run(binary, lines, mods, edits)
        print("%-12d %-8d %-10.0f %-10.2f %-10.2f %.1f" % (lines, mods, size / 1024, p50, p99, mb))


if __name__ == "__main__":
    main()
