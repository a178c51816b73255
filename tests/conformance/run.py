#!/usr/bin/env python3
"""Runs the conformance cases against a patcher command line.

    run.py CASES_DIR -- CMD [ARGS...]

In CMD, "{root}" and "{patch}" become the workspace root and the patch (both
absolute); "{mode}" becomes the case's mode flag ("--strict", "--partial"), and
an argument that is exactly "{mode}" is dropped in the default mode. CMD runs in
an empty folder of its own, so a patcher that ignores --root touches nothing.

A case is a folder (README.md beside v2/ and v3/ describes the layout):
  patch.ap, before/, after/, error, partial, apply_twice, symlinks, outside/,
  mode, missing, dirs, ignore.

A success case passes when the patcher exits 0 and the scratch area (root and
its siblings) equals before + after; an error case when it exits non-zero,
prints the expected code as a word and changed nothing; a partial case when it
exits non-zero, prints the code and the scratch area equals before + after.
Prints one line per failing case, then "N passed, M failed"; exits 1 when any
case failed, 2 on a usage error. APLS_CASE_TIMEOUT: seconds per run (60).
"""
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = float(os.environ.get("APLS_CASE_TIMEOUT", "60"))


def lines_of(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip()]


def lay_out(dest, case):
    """The starting state of a case under dest: root/ and outside/."""
    os.makedirs(os.path.join(dest, "root"))
    for sub, to in (("before", "root"), ("outside", "outside")):
        src = os.path.join(case, sub)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, to), symlinks=True, dirs_exist_ok=True)
    for line in lines_of(os.path.join(case, "symlinks")):
        link, target = line.split(None, 1)
        where = os.path.join(dest, "root", link)
        os.makedirs(os.path.dirname(where), exist_ok=True)
        os.symlink(target, where)


def snapshot(top, ignore):
    """{relative path: ('d',) | ('l', target) | ('f', bytes, mode-x)} of a tree."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        rel_dir = os.path.relpath(dirpath, top)
        for name in list(dirnames):
            if any(fnmatch.fnmatch(name, g) for g in ignore):
                dirnames.remove(name)
                continue
            p = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if os.path.islink(p):
                out[rel] = ("l", os.readlink(p))
                dirnames.remove(name)
            else:
                out[rel] = ("d",)
        for name in filenames:
            if any(fnmatch.fnmatch(name, g) for g in ignore):
                continue
            p = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if os.path.islink(p):
                out[rel] = ("l", os.readlink(p))
            else:
                with open(p, "rb") as f:
                    out[rel] = ("f", f.read())
    return out


def compare(expect, got):
    """A short account of how two snapshots differ ('' when equal)."""
    msgs = []
    for p in sorted(set(expect) | set(got)):
        if p not in got:
            msgs.append("missing " + p)
        elif p not in expect:
            msgs.append("unexpected " + p)
        elif expect[p] != got[p]:
            msgs.append(p + " differs")
    return "; ".join(msgs)[:240]


def run_case(case, cmd, scratch):
    name = os.path.basename(case)
    t = os.path.join(scratch, name)
    ws, exp, cwd = os.path.join(t, "ws"), os.path.join(t, "expect"), os.path.join(t, "cwd")
    os.makedirs(os.path.join(t, "patch"))
    os.makedirs(cwd)
    patch = os.path.join(t, "patch", "patch.ap")
    shutil.copyfile(os.path.join(case, "patch.ap"), patch)
    lay_out(ws, case)
    lay_out(exp, case)

    code, partial = "", False
    if os.path.exists(os.path.join(case, "error")):
        code = "".join(lines_of(os.path.join(case, "error")))
    else:
        if os.path.exists(os.path.join(case, "partial")):
            code, partial = "".join(lines_of(os.path.join(case, "partial"))), True
        after = os.path.join(case, "after")
        if os.path.isdir(after):
            shutil.copytree(after, os.path.join(exp, "root"), symlinks=True, dirs_exist_ok=True)
    mode = "".join(lines_of(os.path.join(case, "mode")))
    if mode not in ("", "strict", "partial"):
        return "bad mode file: " + mode
    flag = "--" + mode if mode else ""
    missing = lines_of(os.path.join(case, "missing"))
    for p in missing:
        q = os.path.join(exp, "root", p)
        if os.path.isdir(q) and not os.path.islink(q):
            shutil.rmtree(q)
        elif os.path.lexists(q):
            os.unlink(q)
    for p in lines_of(os.path.join(case, "dirs")):
        os.makedirs(os.path.join(exp, "root", p), exist_ok=True)
    ignore = lines_of(os.path.join(case, "ignore"))

    argv = []
    for a in cmd:
        if a == "{mode}" and not flag:
            continue
        argv.append(a.replace("{mode}", flag).replace("{root}", os.path.join(ws, "root"))
                     .replace("{patch}", patch))
    runs = 2 if os.path.exists(os.path.join(case, "apply_twice")) else 1
    expected = snapshot(exp, ignore)
    for i in range(1, runs + 1):
        tag = "run %d: " % i if runs > 1 else ""
        try:
            p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return tag + "timed out after %gs" % TIMEOUT
        except OSError as e:
            return tag + "cannot run %s: %s" % (argv[0], e.strerror)
        out = p.stdout.decode("utf-8", "replace")
        first = next((l.strip() for l in out.splitlines() if l.strip()), "")[:160]
        if code:
            if p.returncode == 0:
                return tag + ("expected a partial application (%s), got exit 0" % code if partial
                              else "expected error %s, got exit 0" % code)
            if not any(re.search(r"(?<![\w])" + re.escape(c) + r"(?![\w])", out)
                       for c in code.split("|") if c):
                return tag + "exit %d but '%s' not in output: %s" % (p.returncode, code, first)
        elif p.returncode != 0:
            return tag + "exit %d: %s" % (p.returncode, first)
        left = [q for q in missing if os.path.lexists(os.path.join(ws, "root", q))]
        if left:
            return tag + "; ".join("root/%s should not exist" % q for q in left)
        diff = compare(expected, snapshot(ws, ignore))
        if diff:
            what = "workspace changed although the patch failed" if code and not partial \
                else "workspace differs"
            return tag + what + ": " + diff
    return ""


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    cases_dir, cmd = argv[1], argv[3:]
    if "/" in cmd[0] and not os.path.isabs(cmd[0]):
        cmd[0] = os.path.abspath(cmd[0])
    if not os.path.isdir(cases_dir):
        print("no such folder: " + cases_dir, file=sys.stderr)
        return 2
    only = os.environ.get("APLS_CASES")  # a glob, to run a few cases
    passed = failed = 0
    scratch = tempfile.mkdtemp(prefix="apls-conf.")
    try:
        for name in sorted(os.listdir(cases_dir)):
            case = os.path.join(cases_dir, name)
            if not os.path.isfile(os.path.join(case, "patch.ap")):
                continue
            if only and not fnmatch.fnmatch(name, only):
                continue
            why = run_case(case, cmd, scratch)
            if why:
                print("FAIL %s: %s" % (name, why))
                failed += 1
            else:
                passed += 1
            shutil.rmtree(os.path.join(scratch, name), ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
