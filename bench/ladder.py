#!/usr/bin/env python3
"""The ladder: apls's command line against the floor and the reference patcher.

For every rung (files x lines x modifications) it generates the workload once
(bench_gen, into a work folder outside the repository), then runs, interleaved
and repeatedly, as separate processes:

  floor       bench_floor: read, split, strip and hash every target
  dry-run     apls apply --dry-run           (per format: 2.0 and 3.2)
  check       apls check
  apply       apls apply, writing into a fresh scratch copy of the targets
  phases      bench_phases: the same work in one process, clocked per step
  reference   implementation/ap.py of unxed/ap --dry-run, when the
              environment points at a checkout (never vendored):
                APLS_REFERENCE=/path/to/ap      at 013fb9c, for 2.0 patches
                APLS_REFERENCE_32=/path/to/ap   at 3345b5a, for 3.2 patches

Each process is measured from outside, by bench_run: wall time, CPU time
(user + system, from wait4's rusage) and peak resident set (ru_maxrss). Figures are medians.
Before any timing, every result is checked: apls's apply and the reference's
(one run into a scratch copy) must leave exactly the files the generator
computed, and bench_phases must see every modification apply.

Prints one Markdown table, then the exponents fitted over the rungs.

usage: bench/ladder.py [--build DIR] [--work DIR] [--rungs r1,r2,...]
                       [--formats 2.0,3.2] [--reps N] [--ref-reps N]
                       [--json FILE] [--smoke]
--smoke: the tiny rung once, checked, for the meson suite `bench`."""
import argparse, datetime, filecmp, json, math, os, platform, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN_VERSION = "ladder-1"  # bump when bench_gen's output changes

# name: (files, lines per file, modifications, apls reps, reference --dry-run
# reps). With 0 reference reps (the rungs where one run takes minutes), the
# reference's figure is its one checked run, which writes into a scratch copy
# (the table marks it).
RUNGS = {
    "r0": (2, 500, 10, 5, 3),
    "r1": (5, 1000, 50, 7, 3),
    "r2": (10, 2000, 100, 7, 3),
    "r3": (50, 5000, 500, 5, 3),
    "r4": (100, 10000, 1000, 3, 0),
    "r5": (200, 20000, 2000, 3, 0),
}
RUNNER = None  # bench_run, set in main
REFERENCES = {"2.0": ("APLS_REFERENCE", "013fb9c"), "3.2": ("APLS_REFERENCE_32", "3345b5a")}


# ------------------------------------------------------------ processes

def run(cmd, env=None, stdout=None, err_path=None, cwd=None):
    """Runs cmd to completion through bench_run (so the peak resident set is
    the command's own); returns (exit code, wall s, cpu s, peak KiB)."""
    pre = [RUNNER, "-o", stdout or os.devnull, "-e", err_path or os.devnull]
    if cwd:
        pre += ["-C", cwd]
    r = subprocess.run(pre + ["--"] + cmd, env=env, stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("ladder: bench_run failed on %s" % cmd)
    code, wall, cpu, rss = r.stdout.split()
    return int(code), float(wall) / 1e3, float(cpu) / 1e3, int(rss)


def tree_files(root):
    out = []
    for d, _, names in os.walk(root):
        for n in names:
            out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


def same_trees(a, b):
    fa, fb = tree_files(a), tree_files(b)
    if fa != fb:
        return "the files differ: %s" % sorted(set(fa) ^ set(fb))[:3]
    for f in fa:
        if not filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False):
            return "%s differs from the expected file" % f
    return None


def fresh_copy(src, dst):
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)


# ------------------------------------------------------------ workloads

def ensure_rung(work, name, tools):
    files, lines, mods = RUNGS[name][:3]
    d = os.path.join(work, name)
    stamp = "%s %d %d %d\n" % (GEN_VERSION, files, lines, mods)
    sp = os.path.join(d, "stamp")
    if os.path.exists(sp) and open(sp).read() == stamp:
        return d
    shutil.rmtree(d, ignore_errors=True)
    rc = subprocess.call([os.path.join(tools, "bench_gen"), "--files", str(files), "--lines", str(lines),
                          "--mods", str(mods), "--out", d])
    if rc != 0:
        sys.exit("ladder: bench_gen failed for %s" % name)
    man = json.load(open(os.path.join(d, "manifest.json")))
    with open(os.path.join(d, "list"), "w") as f:
        f.writelines(t["path"] + "\n" for t in man["targets"])
    with open(sp, "w") as f:
        f.write(stamp)
    return d


def reference_of(fmt):
    var, commit = REFERENCES[fmt]
    path = os.environ.get(var)
    if not path:
        return None
    script = os.path.join(path, "implementation", "ap.py")
    if not os.path.isfile(script):
        sys.exit("ladder: %s=%s has no implementation/ap.py" % (var, path))
    head = subprocess.run(["git", "-C", path, "rev-parse", "--short=7", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "?"
    return {"script": script, "commit": head, "wanted": commit, "var": var}


# ------------------------------------------------------------ one rung

class Series:
    def __init__(self):
        self.wall, self.cpu, self.rss = [], [], []

    def add(self, wall, cpu, rss):
        self.wall.append(wall * 1e3)
        self.cpu.append(cpu * 1e3)
        self.rss.append(rss)

    def med(self, what):
        v = getattr(self, what)
        return statistics.median(v) if v else None


def bench_rung(name, d, a, refs):
    man = json.load(open(os.path.join(d, "manifest.json")))
    tree, expected, scratch = (os.path.join(d, x) for x in ("tree", "expected", "scratch"))
    state = os.path.join(d, "state")
    err = os.path.join(d, "stderr.txt")
    env = dict(os.environ, APLS_STATE_DIR=state)
    env.pop("APLS_RECORD", None)
    shutil.rmtree(state, ignore_errors=True)
    apls, tools = a.apls, a.tools
    reps = 1 if a.smoke else (a.reps or RUNGS[name][3])
    ref_reps = 1 if a.smoke else (a.ref_reps if a.ref_reps is not None else RUNGS[name][4])
    failures = []

    def fail(what):
        failures.append("%s: %s" % (name, what))
        print("ladder: FAILED: %s: %s" % (name, what), file=sys.stderr)

    # every tool: (key, command, before-each-run, rep-limit)
    jobs = [("floor", [os.path.join(tools, "bench_floor"), tree, os.path.join(d, "list")], None, reps)]
    for fmt in a.formats:
        patch = os.path.join(d, "patch-%s.ap" % fmt)
        jobs += [
            ("dry " + fmt, [apls, "apply", "--dry-run", "--root", tree, patch], None, reps),
            ("check " + fmt, [apls, "check", "--root", tree, patch], None, reps),
            ("apply " + fmt, [apls, "apply", "--root", scratch, patch], "copy", reps),
            ("phases " + fmt, [os.path.join(tools, "bench_phases"), "--root", tree, "--commit", scratch, patch],
             "copy", reps),
        ]
        if refs.get(fmt) and ref_reps:
            jobs.append(("ref " + fmt, [sys.executable, refs[fmt]["script"], "--dry-run", "--dir", tree, patch],
                         None, ref_reps))

    # checks first: each result once, compared with what the generator computed
    series = {key: Series() for key, *_ in jobs}
    ref_writing = {}
    for fmt in a.formats:
        patch = os.path.join(d, "patch-%s.ap" % fmt)
        fresh_copy(tree, scratch)
        shutil.rmtree(state, ignore_errors=True)
        rc, *_ = run([apls, "apply", "--root", scratch, patch], env=env, err_path=err)
        why = "exit %d: %s" % (rc, open(err).read()[-300:]) if rc else same_trees(scratch, expected)
        if why:
            fail("apls apply %s: %s" % (fmt, why))
        for cmd in ("check", "apply --dry-run"):
            rc, *_ = run([apls] + cmd.split() + ["--root", tree, patch], env=env, err_path=err)
            if rc:
                fail("apls %s %s: exit %d: %s" % (cmd, fmt, rc, open(err).read()[-300:]))
        if refs.get(fmt):
            # (run in the rung's folder: a failing reference leaves afailed.ap there)
            fresh_copy(tree, scratch)
            rc, wall, cpu, rss = run([sys.executable, refs[fmt]["script"], "--dir", scratch, patch],
                                     err_path=err, cwd=d)
            why = "exit %d" % rc if rc else same_trees(scratch, expected)
            if why:
                fail("the reference %s: %s" % (fmt, why))
            elif not ref_reps:
                series["ref " + fmt] = Series()
                series["ref " + fmt].add(wall, cpu, rss)
                ref_writing[fmt] = True
    shutil.rmtree(state, ignore_errors=True)

    phases = {fmt: [] for fmt in a.formats}
    for rep in range(max(reps, ref_reps)):
        # interleaved, and the order turned each round, so a burst of load
        # on the machine falls on every tool alike
        k = rep % len(jobs)
        for key, cmd, before, limit in jobs[k:] + jobs[:k]:
            if rep >= limit:
                continue
            if before == "copy":
                fresh_copy(tree, scratch)
                shutil.rmtree(state, ignore_errors=True)
            out = os.path.join(d, "phases.json") if key.startswith("phases") else None
            rc, wall, cpu, rss = run(cmd, env=env, stdout=out, err_path=err, cwd=d)
            if rc != 0:
                fail("%s: exit %d: %s" % (key, rc, open(err).read()[-300:]))
                continue
            series[key].add(wall, cpu, rss)
            if out:
                phases[key.split()[1]].append(json.load(open(out)))
            if before == "copy" and rep == 0:
                why = same_trees(scratch, expected)
                if why:
                    fail("%s: %s" % (key, why))
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(state, ignore_errors=True)
    for fmt, runs in phases.items():
        for r in runs:
            if not r["ok"]:
                fail("phases %s: %d of %d modifications apply" % (fmt, r["applies"], r["mods"]))
    return {"rung": name, "files": man["files"], "lines": man["lines"], "mods": man["mods"],
            "target_bytes": man["target_bytes"], "kinds": man["kinds"],
            "patch_bytes": {fmt: os.path.getsize(os.path.join(d, "patch-%s.ap" % fmt)) for fmt in a.formats},
            "series": {k: {"wall_ms": s.wall, "cpu_ms": s.cpu, "rss_kib": s.rss} for k, s in series.items()},
            "phases": {fmt: {clock: {ph: statistics.median(r[clock][ph] for r in runs) for ph in runs[0][clock]}
                             for clock in ("wall_ms", "cpu_ms")} | {"peak_kib": runs[0]["peak_kib"]}
                       for fmt, runs in phases.items() if runs},
            "ref_writing": ref_writing, "failures": failures}


# ------------------------------------------------------------ the report

def med(res, key, what="cpu_ms"):
    s = res["series"].get(key)
    return statistics.median(s[what]) if s and s[what] else None


def ms(v):
    if v is None:
        return "-"
    return "%.0f" % v if v >= 100 else "%.1f" % v if v >= 1 else "%.2f" % v


def both(res, key):
    """CPU ms, then wall ms in parentheses"""
    c, w = med(res, key), med(res, key, "wall_ms")
    return "-" if c is None else "%s (%s)" % (ms(c), ms(w))


def ratio(a, b, fmt="%.1fx"):
    return fmt % (a / b) if a is not None and b else "-"


def kb(n):
    """bytes, shortly"""
    return "%.1f MB" % (n / 1e6) if n >= 1e6 else "%.0f KB" % (n / 1e3)


def size(kib):
    if not kib:
        return "-"
    return "%.0f MiB" % (kib / 1024) if kib >= 10240 else "%.1f MiB" % (kib / 1024)


def fit(xs, ys):
    """Least squares of log y on log x: (exponent, r squared); None under 3 points."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x and y and y > 0]
    if len(pts) < 3:
        return None
    n = len(pts)
    mx = sum(p[0] for p in pts) / n
    my = sum(p[1] for p in pts) / n
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    sxy = sum((p[0] - mx) * (p[1] - my) for p in pts)
    syy = sum((p[1] - my) ** 2 for p in pts)
    b = sxy / sxx
    r2 = (sxy * sxy) / (sxx * syy) if syy else 1.0
    return b, r2


def report(results, a, env_lines, startup=None):
    out = []
    out += env_lines
    out.append("")
    out.append("Times: median CPU ms of the process (user + system), wall ms in parentheses; "
               "ratios on CPU. RSS: median peak resident set.")
    out.append("")
    out.append("| rung | files x lines, mods | format | targets | floor | `apply --dry-run` | `check` | "
               "apls / floor | reference `--dry-run` | reference / apls | `apply` (writing) | apply / dry-run | "
               "peak RSS | RSS / targets | reference RSS | phases, CPU ms: parse, load, index, resolve, render, "
               "twice, diff, commit |")
    out.append("|" + "---|" * 17)
    for r in results:
        tb = r["target_bytes"]
        for fmt in a.formats:
            dry, chk = med(r, "dry " + fmt), med(r, "check " + fmt)
            floor = med(r, "floor")
            ref = med(r, "ref " + fmt)
            app = med(r, "apply " + fmt)
            rss = med(r, "dry " + fmt, "rss_kib")
            rrss = med(r, "ref " + fmt, "rss_kib")
            ph = r["phases"].get(fmt, {}).get("cpu_ms")
            phs = " · ".join(ms(ph[k]) for k in ("parse", "load", "index", "resolve", "render", "twice",
                                                 "diff", "commit")) if ph else "-"
            out.append("| %s | %d x %s, %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["rung"], r["files"], "{:,}".format(r["lines"]), "{:,}".format(r["mods"]), fmt, kb(tb),
                both(r, "floor"), both(r, "dry " + fmt), both(r, "check " + fmt), ratio(dry, floor),
                both(r, "ref " + fmt) + (" †" if r["ref_writing"].get(fmt) else ""), ratio(ref, dry, "%.0fx"), both(r, "apply " + fmt), ratio(app, dry),
                size(rss), ratio(rss * 1024 if rss else None, tb), size(rrss), phs))
    if any(r["ref_writing"] for r in results):
        out.append("")
        out.append("†: one run of the reference, applying into a scratch copy (the checked run), not --dry-run.")
    out.append("")
    # exponents: from r2 up, on the time beyond starting the process (r0 and
    # r1 are mostly start-up and fixed costs)
    fitted = [r for r in results if r["rung"] not in ("r0", "r1")]
    sizes = [r["files"] * r["lines"] for r in fitted]
    start = startup or {}
    lines = []

    def one(label, key, what="cpu_ms", minus=0.0):
        f = fit(sizes, [(med(r, key, what) or 0) - minus for r in fitted])
        if f:
            lines.append("%s %.2f (r² %.3f)" % (label, f[0], f[1]))
    for fmt in a.formats:
        one("`apply --dry-run` " + fmt, "dry " + fmt, minus=start.get("apls_cpu_ms", 0))
        one("`check` " + fmt, "check " + fmt, minus=start.get("apls_cpu_ms", 0))
        one("reference " + fmt, "ref " + fmt)
    one("floor", "floor", minus=start.get("floor_cpu_ms", 0))
    for fmt in a.formats[:1]:
        one("peak RSS of `apply --dry-run` " + fmt, "dry " + fmt, "rss_kib")
    if lines:
        out.append("Growth in files x lines: CPU time less the process start-up = c * (files x lines)^k, k fitted "
                   "by least squares on the logarithms of the medians of rungs %s (ten modifications per file on "
                   "every rung): " % ", ".join(r["rung"] for r in fitted) + "; ".join(lines) + ".")
    return "\n".join(out)


def environment(a, refs):
    def cmd(*c):
        try:
            return subprocess.run(c, capture_output=True, text=True, cwd=HERE).stdout.strip()
        except OSError:
            return ""
    cpu = ""
    try:
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    except OSError:
        pass
    lines = ["Ladder of %s, %s (%s), %s; %d cores (%s), load average %s; work folder %s (%s)." % (
        datetime.date.today().isoformat(), cmd(a.apls, "--version") or "apls ?", cmd("git", "rev-parse", "--short", "HEAD"),
        a.build_type, os.cpu_count(), cpu or platform.machine(), " ".join("%.1f" % x for x in os.getloadavg()),
        a.work, cmd("stat", "-f", "-c", "%T", a.work) or "?")]
    # what starting a process costs here, in every figure below
    start = [run([a.apls, "--version"]) for _ in range(5)]
    empty = os.path.join(a.work, "empty-list")
    open(empty, "w").close()
    floor0 = [run([os.path.join(a.tools, "bench_floor"), a.work, empty]) for _ in range(5)]
    a.startup = {"apls_cpu_ms": statistics.median(r[2] for r in start) * 1e3,
                 "floor_cpu_ms": statistics.median(r[2] for r in floor0) * 1e3}
    lines.append("Starting a process: `apls --version` %s ms CPU (%s wall), bench_floor on no file %s ms CPU." % (
        ms(a.startup["apls_cpu_ms"]), ms(statistics.median(r[1] for r in start) * 1e3),
        ms(a.startup["floor_cpu_ms"])))
    for fmt in a.formats:
        r = refs.get(fmt)
        if r:
            note = "" if r["commit"].startswith(r["wanted"]) else " (not the %s the issue names)" % r["wanted"]
            lines.append("Reference for %s: ap.py at %s%s." % (fmt, r["commit"], note))
        else:
            lines.append("Reference for %s: not run (set %s to a checkout of unxed/ap at %s)." % (
                fmt, REFERENCES[fmt][0], REFERENCES[fmt][1]))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build-rel"), help="a meson build folder")
    ap.add_argument("--work", help="where the workloads are kept (default: $APLS_BENCH_DIR, else "
                    "$TMPDIR/apls-bench; --smoke: a temporary folder)")
    ap.add_argument("--rungs", default=",".join(RUNGS))
    ap.add_argument("--formats", default="2.0,3.2")
    ap.add_argument("--reps", type=int, default=0, help="runs per apls tool (default: per rung)")
    ap.add_argument("--ref-reps", type=int, help="--dry-run runs of the reference (default: per rung; 0: "
                    "only the checked run that writes)")
    ap.add_argument("--json", help="also write every measurement here")
    ap.add_argument("--smoke", action="store_true", help="r0 once, checked (the meson suite bench)")
    ap.add_argument("--from-json", help="print the table of an earlier run's --json file, run nothing")
    a = ap.parse_args()
    if a.from_json:
        saved = json.load(open(a.from_json))
        a.formats = saved["formats"]
        print(report(saved["results"], a, saved["environment"], saved.get("startup")))
        return 0
    a.build = os.path.abspath(a.build)
    a.apls = os.path.join(a.build, "server", "apls")
    a.tools = os.path.join(a.build, "bench")
    global RUNNER
    RUNNER = os.path.join(a.tools, "bench_run")
    smoke_dir = None
    if not a.work and a.smoke:
        a.work = smoke_dir = tempfile.mkdtemp(prefix="apls-ladder-")
    elif not a.work:
        a.work = os.environ.get("APLS_BENCH_DIR") or os.path.join(tempfile.gettempdir(), "apls-bench")
    a.work = os.path.abspath(a.work)
    a.formats = a.formats.split(",")
    rungs = ["r0"] if a.smoke else a.rungs.split(",")
    for r in rungs:
        if r not in RUNGS:
            sys.exit("ladder: no rung %r (%s)" % (r, ", ".join(RUNGS)))
    repo = os.path.realpath(os.path.join(HERE, ".."))
    if os.path.realpath(a.work).startswith(repo + os.sep):
        sys.exit("ladder: the work folder must be outside the repository")
    try:
        bt = json.load(open(os.path.join(a.build, "meson-info", "intro-buildoptions.json")))
        a.build_type = next(o["value"] for o in bt if o["name"] == "buildtype") + " build"
    except (OSError, StopIteration, ValueError):
        a.build_type = "build type unknown"
    os.makedirs(a.work, exist_ok=True)
    refs = {fmt: reference_of(fmt) for fmt in a.formats}
    env_lines = environment(a, refs)
    results = []
    for name in rungs:
        d = ensure_rung(a.work, name, a.tools)
        print("ladder: %s ..." % name, file=sys.stderr, flush=True)
        results.append(bench_rung(name, d, a, refs))
    env_lines[0] += " Load average at the end: %s." % " ".join("%.1f" % x for x in os.getloadavg())
    print(report(results, a, env_lines, a.startup))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"environment": env_lines, "formats": a.formats, "startup": a.startup, "results": results},
                      f, indent=1)
    if smoke_dir:
        shutil.rmtree(smoke_dir, ignore_errors=True)
    failures = [f for r in results for f in r["failures"]]
    if a.smoke:
        print("%d passed, %d failed" % (1 if not failures else 0, 1 if failures else 0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
