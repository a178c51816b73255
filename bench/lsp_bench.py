#!/usr/bin/env python3
"""The language server under edits, on the ladder's workloads (bench_gen).

For each rung and format it copies the rung's targets into a scratch folder,
opens a patch made of the rung's patch plus, at the top of every change, one
modification that is already applied (so every change shows one hint), and
then makes edits of five kinds, each followed by its undo:

  a  typing: a character added at the end of a snippet line (the
     modification fails), then removed (it resolves again)
  b  a new modification inserted into a change (another already-applied
     one, so a hint appears), then taken out again
  c  a whole change deleted (its hint goes), then put back
  d  a target changed on disk (the line the hint's content stands on is
     edited, so the hint goes), announced with didChangeWatchedFiles as
     VS Code does, then restored
  e  an unsaved edit to an open target buffer (the same line), then undone

Every edit changes the diagnostics, so the server publishes for it; the
server's debounce is 0. For each edit it records the server's CPU time
(the sum over its threads of /proc/PID/task/*/schedstat, in nanoseconds;
/proc/PID/stat's clock ticks where schedstat is missing), read before the
edit and after the publication once the server sleeps again, and the wall
time from sending the edit to reading its publishDiagnostics (a loaded
machine inflates wall time; CPU time is what the goals use). It prints p50
and p99 of both per kind (edits and undos apart), the CPU, wall and peak
RSS of opening the patch, and the exponent of p50 CPU in the patch's size.

usage: bench/lsp_bench.py [--build DIR] [--work DIR] [--rungs r3,r4,r5]
                          [--formats 2.0,3.2] [--edits N] [--json FILE] [--smoke]
       bench/lsp_bench.py --from-json FILE [--summary]"""
import argparse, glob, json, math, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "protocol"))
sys.path.insert(0, HERE)
from lsp import Server, uri_of  # noqa: E402
import ladder  # noqa: E402

KINDS = {"a": "a character typed in a snippet", "b": "a modification inserted", "c": "a change deleted",
         "d": "a target changed on disk", "e": "an unsaved edit to an open target"}
TICK_NS = 1e9 / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------ the server's clock

def cpu_ns(pid):
    """CPU time the server has used, all threads."""
    total, seen = 0, False
    for f in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            total += int(open(f).read().split()[0])
            seen = True
        except (OSError, ValueError, IndexError):
            pass
    if seen:
        return total
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_NS


def wait_asleep(pid, limit=1.0):
    """Until no thread of the server is running (it has finished the edit)."""
    end = time.time() + limit
    while time.time() < end:
        busy = False
        for f in glob.glob("/proc/%d/task/*/stat" % pid):
            try:
                if open(f).read().rsplit(")", 1)[1].split()[0] == "R":
                    busy = True
            except OSError:
                pass
        if not busy:
            return
        time.sleep(0.0005)


def status_kib(pid, key):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


# ------------------------------------------------------------ the workload

class Workload:
    """The patch text as lines, with the places the edits use."""

    def __init__(self, rung_dir, fmt, root):
        man = json.load(open(os.path.join(rung_dir, "manifest.json")))
        self.targets = man["targets"]
        self.id = man["id"]
        self.fmt = fmt
        self.root = root
        self.spare_text = []   # per file: [[comment, signature] of function 0, ... of function 1]
        for t in self.targets:
            lines = open(os.path.join(root, t["path"])).read().split("\n")
            self.spare_text.append([[lines[i] for i in pair] for pair in t["spare"]])
        base = open(os.path.join(rung_dir, "patch-%s.ap" % fmt)).read().split("\n")
        self.lines = []
        self.change_start = []   # line where change k begins
        self.after_hint = []     # line after change k's hint modification
        self.snippets = []       # first lines of the real snippets
        k = -1
        expect_snippet = False
        for i, line in enumerate(base):
            if fmt == "2.0":
                starts = line.startswith("  - file_path:")
                key = line.strip().startswith("snippet: |")
                hint_here = line == "    modifications:"
            else:
                starts = line == "%s FILE" % self.id
                key = line == "%s snippet" % self.id
                hint_here = k >= 0 and len(self.after_hint) == k and base[i - 1] == self.targets[k]["path"]
            if starts:
                k += 1
                self.change_start.append(len(self.lines))
            if expect_snippet:
                self.snippets.append(len(self.lines))
                expect_snippet = False
            if fmt == "3.2" and hint_here:
                self.lines += self.modification(k, 0)
            self.lines.append(line)
            if fmt == "2.0" and hint_here:
                self.lines += self.modification(k, 0)
            if hint_here:
                self.after_hint.append(len(self.lines))
            expect_snippet = key
        assert len(self.change_start) == len(self.targets) == len(self.after_hint), "unexpected patch layout"
        self.change_end = self.change_start[1:] + [self.end_of_changes()]

    def end_of_changes(self):
        if self.fmt == "3.2":
            return max(i for i, l in enumerate(self.lines) if l == "%s END" % self.id)
        return len(self.lines) - 1 if self.lines[-1] == "" else len(self.lines)

    def modification(self, k, which):
        """An INSERT_AFTER already applied: the spare function's signature
        after its comment (3.2: with a blank line after it)."""
        comment, signature = self.spare_text[k][which]
        if self.fmt == "2.0":
            return ["      - action: INSERT_AFTER", "        snippet: |", "          " + comment,
                    "        content: |", "          " + signature]
        i = self.id
        return ["%s INSERT_AFTER" % i, "%s snippet" % i, comment, "%s content" % i, signature, ""]

    def text(self):
        return "\n".join(self.lines)


def rng(line, col, end_line=None, end_col=None):
    return {"start": {"line": line, "character": col},
            "end": {"line": line if end_line is None else end_line, "character": col if end_col is None else end_col}}


# ------------------------------------------------------------ one session

def session(apls, rung_dir, fmt, edits, scratch, with_report=False):
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(os.path.join(rung_dir, "tree"), scratch)
    w = Workload(rung_dir, fmt, scratch)
    ppath = os.path.join(scratch, "bench.ap")
    text = w.text()
    with open(ppath, "w") as f:
        f.write(text)
    s = Server(apls)
    pid = s.p.pid
    try:
        s.initialize(scratch, options={"debounceMs": 0, "analysisReport": with_report})
        s.pump(0.2)
        uri = uri_of(ppath)
        wait_asleep(pid)
        c0, t0 = cpu_ns(pid), time.perf_counter()
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "ap", "version": 1,
                                                           "text": text}})
        first = s.diagnostics(uri, timeout=600)
        t1 = time.perf_counter()
        wait_asleep(pid, 5)
        opened = {"cpu_ms": (cpu_ns(pid) - c0) / 1e6, "wall_ms": (t1 - t0) * 1e3,
                  "hwm_kib": status_kib(pid, "VmHWM"), "rss_kib": status_kib(pid, "VmRSS")}
        hints = sum(1 for d in first["diagnostics"] if d.get("code") == "ALREADY_APPLIED")
        # warnings the workload itself earns (a generated REPLACE that leaves a
        # file's brackets off by one: UNBALANCED_BRACKETS) stay the same through
        # every edit; errors mean the workload is not what it should be
        others = [d for d in first["diagnostics"] if d.get("code") != "ALREADY_APPLIED" and d.get("severity") == 1]
        if hints != len(w.targets) or others:
            raise RuntimeError("opening: %d hints for %d changes, and %d other diagnostics (%s)" % (
                hints, len(w.targets), len(others), others[:1]))
        version = [1]

        def edit_patch(changes):
            version[0] += 1
            s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version[0]},
                                                "contentChanges": changes})
            return lambda m, v=version[0]: m["params"]["uri"] == uri and m["params"].get("version") == v

        # e: a few targets open in the editor (d changes only the others on disk)
        n_open = max(1, min(8, len(w.targets) // 2))
        tversion = {}
        for k in range(n_open):
            p = os.path.join(scratch, w.targets[k]["path"])
            s.notify("textDocument/didOpen", {"textDocument": {"uri": uri_of(p), "languageId": "c", "version": 1,
                                                               "text": open(p).read()}})
            tversion[k] = 1
        s.pump(0.3)
        wait_asleep(pid, 30)
        s.notes.clear()

        def measure(send):
            """send() makes the edit and returns a predicate for its publication."""
            wait_asleep(pid)
            s.notes.clear()
            c0, t0 = cpu_ns(pid), time.perf_counter()
            pred = send()
            s.wait_note("textDocument/publishDiagnostics", pred, timeout=120)
            t1 = time.perf_counter()
            wait_asleep(pid, 5)
            out = ((cpu_ns(pid) - c0) / 1e6, (t1 - t0) * 1e3)
            if with_report:
                s.pump(0.005)
                reps = [m["params"] for m in s.notes if m["method"] == "$/apls/analysed"]
                out += (reps[-1] if reps else None,)
            return out

        any_pub = lambda m: m["params"]["uri"] == uri  # noqa: E731 (target edits keep the patch's version)
        samples = {k: {"edit": [], "undo": []} for k in KINDS}
        pairs = max(1, edits // 2)
        F = len(w.targets)
        for j in range(pairs):
            # a: a typo at the end of a snippet line, then its removal
            ln = w.snippets[(j * 7919) % len(w.snippets)]
            col = len(w.lines[ln])
            samples["a"]["edit"].append(measure(lambda: edit_patch([{"range": rng(ln, col), "text": "x"}])))
            samples["a"]["undo"].append(measure(lambda: edit_patch([{"range": rng(ln, col, ln, col + 1),
                                                                     "text": ""}])))
            k = (j * 7) % F
            # b: another already-applied modification after the change's hint
            at = w.after_hint[k]
            new = "\n".join(w.modification(k, 1)) + "\n"
            n_new = new.count("\n")
            samples["b"]["edit"].append(measure(lambda: edit_patch([{"range": rng(at, 0), "text": new}])))
            samples["b"]["undo"].append(measure(lambda: edit_patch([{"range": rng(at, 0, at + n_new, 0),
                                                                     "text": ""}])))
            # c: the whole change deleted, then put back
            a, b = w.change_start[k], w.change_end[k]
            block = "\n".join(w.lines[a:b]) + "\n"
            samples["c"]["edit"].append(measure(lambda: edit_patch([{"range": rng(a, 0, b, 0), "text": ""}])))
            samples["c"]["undo"].append(measure(lambda: edit_patch([{"range": rng(a, 0), "text": block}])))
            # d: the target on disk: its spare signature line edited, then restored
            kd = n_open + (j * 13) % (F - n_open)
            p = os.path.join(scratch, w.targets[kd]["path"])
            original = open(p).read()
            sig = w.targets[kd]["spare"][0][1]
            lines = original.split("\n")
            lines[sig] += " /* changed on disk */"
            changed = "\n".join(lines)

            def on_disk(content, p=p):
                with open(p, "w") as f:
                    f.write(content)
                s.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(p), "type": 2}]})
                return any_pub
            samples["d"]["edit"].append(measure(lambda: on_disk(changed)))
            samples["d"]["undo"].append(measure(lambda: on_disk(original)))
            # e: the same edit in an open target's buffer, not saved
            ke = j % n_open
            tp = os.path.join(scratch, w.targets[ke]["path"])
            sig = w.targets[ke]["spare"][0][1]
            tl = open(tp).read().split("\n")[sig]

            def buffer_edit(new_text, old_len, tp=tp, ke=ke, sig=sig):
                tversion[ke] += 1
                s.notify("textDocument/didChange", {"textDocument": {"uri": uri_of(tp), "version": tversion[ke]},
                                                    "contentChanges": [{"range": rng(sig, 0, sig, old_len),
                                                                        "text": new_text}]})
                return any_pub
            edited = tl + " /* unsaved */"
            samples["e"]["edit"].append(measure(lambda: buffer_edit(edited, len(tl))))
            samples["e"]["undo"].append(measure(lambda: buffer_edit(tl, len(edited))))
        opened["patch_bytes"] = len(text.encode())
        s.shutdown()
        return opened, samples
    finally:
        s.close()
        shutil.rmtree(scratch, ignore_errors=True)


# ------------------------------------------------------------ the report

def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else None


def report(results, env_lines):
    ms, kb = ladder.ms, ladder.kb
    out = env_lines + [""]
    out.append("Server CPU ms per edit (all its threads, from /proc schedstat) and wall ms from sending the edit "
               "to its publishDiagnostics; p50 and p99 over the edits, then over their undos.")
    out.append("")
    out.append("| rung | format | patch | edit | edits | CPU p50 | CPU p99 | wall p50 | wall p99 | undo CPU p50 | "
               "undo CPU p99 | undo wall p50 |")
    out.append("|" + "---|" * 12)
    for r in results:
        for kind, name in KINDS.items():
            e, u = r["samples"][kind]["edit"], r["samples"][kind]["undo"]
            ec, ew = [x[0] for x in e], [x[1] for x in e]
            uc, uw = [x[0] for x in u], [x[1] for x in u]
            out.append("| %s | %s | %s | %s: %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
                r["rung"], r["format"], kb(r["open"]["patch_bytes"]), kind, name, len(e), ms(pct(ec, .5)),
                ms(pct(ec, .99)), ms(pct(ew, .5)), ms(pct(ew, .99)), ms(pct(uc, .5)), ms(pct(uc, .99)),
                ms(pct(uw, .5))))
    out.append("")
    out.append("| rung | format | open: CPU | open: wall | peak RSS (VmHWM) | RSS after | targets |")
    out.append("|---|---|---|---|---|---|---|")
    for r in results:
        o = r["open"]
        out.append("| %s | %s | %s ms | %s ms | %s | %s | %s |" % (
            r["rung"], r["format"], ms(o["cpu_ms"]), ms(o["wall_ms"]), ladder.size(o["hwm_kib"]),
            ladder.size(o["rss_kib"]), kb(r["target_bytes"])))
    fits = []
    for fmt in sorted({r["format"] for r in results}):
        rs = [r for r in results if r["format"] == fmt]
        for kind in KINDS:
            f = ladder.fit([r["open"]["patch_bytes"] for r in rs],
                           [pct([x[0] for x in r["samples"][kind]["edit"]], .5) for r in rs])
            if f:
                fits.append("%s %s %.2f" % (fmt, kind, f[0]))
    if fits:
        out.append("")
        out.append("Growth of p50 CPU per edit in the patch's size (p50 = c * bytes^k, k fitted by least squares on "
                   "the logarithms, rungs %s; the targets grow with the patch): " %
                   ", ".join(sorted({r["rung"] for r in results})) + ", ".join(fits) + ".")
    return "\n".join(out)


def analysis_report(rung, fmt, samples):
    """Per kind of edit: the reparse paths taken, and the medians of the
    server's own account of each analysis (CPU us per step, system calls)."""
    out = ["", "Analysis report, %s %s (median over the edits and undos; CPU us of the server's thread):" % (rung, fmt),
           "", "| edit | reparse | files reused | checks | stats | reads | indexed | parse | root | run | build | "
           "serialise | send | total | diagnostics kept |", "|" + "---|" * 15]
    for kind in KINDS:
        reps = [x[2] for x in samples[kind]["edit"] + samples[kind]["undo"] if len(x) > 2 and x[2]]
        if not reps:
            continue
        paths = {}
        for r in reps:
            key = r["reparse"] + (" (%s)" % r["reparseWhy"] if r.get("reparseWhy") else "")
            paths[key] = paths.get(key, 0) + 1
        med = lambda f: statistics.median(f(r) for r in reps)  # noqa: E731
        out.append("| %s | %s | %d/%d | %g | %g | %g | %g | %g | %g | %g | %g | %g | %g | %g | %g/%g |" % (
            kind, "; ".join("%s x%d" % kv for kv in sorted(paths.items())),
            med(lambda r: r["files"]["reused"]), med(lambda r: r["files"]["total"]),
            med(lambda r: r["targets"]["checks"]), med(lambda r: r["targets"]["stats"]),
            med(lambda r: r["targets"]["reads"]), med(lambda r: r["targets"]["indexed"]),
            *(med(lambda r, k=k: r["cpuUs"][k]) for k in ("parse", "root", "run", "build", "serialise", "send",
                                                             "total")),
            med(lambda r: r["diagnosticsKept"]), med(lambda r: r["diagnostics"])))
    return "\n".join(out)


def summary(results):
    """One compact table: p50 / p99 server CPU per kind of edit, by rung and format."""
    cols = [(r["rung"], r["format"]) for r in results]
    by = {(r["rung"], r["format"]): r for r in results}
    out = ["| server CPU ms per edit, p50 / p99 | " + " | ".join("%s %s" % c for c in cols) + " |",
           "|---|" + "---|" * len(cols)]
    for kind, name in KINDS.items():
        cells = []
        for c in cols:
            v = [x[0] for x in by[c]["samples"][kind]["edit"]]
            cells.append("%s / %s" % (ladder.ms(pct(v, .5)), ladder.ms(pct(v, .99))))
        out.append("| %s: %s | %s |" % (kind, name, " | ".join(cells)))
    out.append("| opening the patch: CPU ms, peak RSS | " + " | ".join(
        "%s, %s" % (ladder.ms(by[c]["open"]["cpu_ms"]), ladder.size(by[c]["open"]["hwm_kib"])) for c in cols) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build-rel"))
    ap.add_argument("--work", help="where the ladder's workloads are (default as ladder.py)")
    ap.add_argument("--rungs", default="r3,r4,r5")
    ap.add_argument("--formats", default="2.0,3.2")
    ap.add_argument("--edits", type=int, default=60, help="edits per kind, half of them undos")
    ap.add_argument("--json", help="also write every measurement here")
    ap.add_argument("--from-json", help="print the tables of an earlier --json file, run nothing")
    ap.add_argument("--summary", action="store_true", help="with --from-json: one compact table (the README's)")
    ap.add_argument("--smoke", action="store_true", help="r0, a few edits of each kind (the meson suite bench)")
    ap.add_argument("--report", action="store_true", help="ask the server for its analysis report "
                    "($/apls/analysed) and print, per kind, the path taken and the median CPU of each step")
    a = ap.parse_args()
    if a.from_json:
        saved = json.load(open(a.from_json))
        print(summary(saved["results"]) if a.summary else report(saved["results"], saved["environment"]))
        return 0
    a.build = os.path.abspath(a.build)
    apls = os.path.join(a.build, "server", "apls")
    tools = os.path.join(a.build, "bench")
    ladder.RUNNER = os.path.join(tools, "bench_run")
    rungs = ["r0"] if a.smoke else a.rungs.split(",")
    edits = 4 if a.smoke else a.edits
    tmp = None  # removed at the end: only a smoke run's own folder
    if not a.work and a.smoke:
        a.work = tmp = tempfile.mkdtemp(prefix="apls-lsp-")
    elif not a.work:
        a.work = os.environ.get("APLS_BENCH_DIR") or os.path.join(tempfile.gettempdir(), "apls-bench")
    os.makedirs(a.work, exist_ok=True)
    env_lines = ["Language server, %s, %s; %d cores, load average %s." % (
        subprocess.run([apls, "--version"], capture_output=True, text=True).stdout.strip(),
        a.build, os.cpu_count(), " ".join("%.1f" % x for x in os.getloadavg()))]
    results, failed = [], 0
    for name in rungs:
        d = ladder.ensure_rung(a.work, name, tools)
        man = json.load(open(os.path.join(d, "manifest.json")))
        for fmt in a.formats.split(","):
            print("lsp_bench: %s %s ..." % (name, fmt), file=sys.stderr, flush=True)
            try:
                opened, samples = session(apls, d, fmt, edits, os.path.join(a.work, "lsp-" + name), a.report)
            except (RuntimeError, TimeoutError, AssertionError) as e:
                print("lsp_bench: FAILED: %s %s: %s" % (name, fmt, e), file=sys.stderr)
                failed += 1
                continue
            results.append({"rung": name, "format": fmt, "target_bytes": man["target_bytes"], "open": opened,
                            "samples": samples})
            if a.report:
                print(analysis_report(name, fmt, samples), file=sys.stderr)
    # the floor of opening: what reading the targets costs here
    if not a.smoke:
        env_lines.append("Floor (bench_floor, read + split + strip + hash every target), CPU ms: " + ", ".join(
            "%s %s" % (name, ladder.ms(statistics.median(
                ladder.run([os.path.join(tools, "bench_floor"), os.path.join(a.work, name, "tree"),
                            os.path.join(a.work, name, "list")])[2] * 1e3 for _ in range(3))))
            for name in rungs) + ".")
    env_lines[0] += " Load average at the end: %s." % " ".join("%.1f" % x for x in os.getloadavg())
    print(report(results, env_lines))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"environment": env_lines, "results": results}, f, indent=1)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.smoke:
        print("%d passed, %d failed" % (len(results), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
