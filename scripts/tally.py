#!/usr/bin/env python3
"""Adds up the "N passed, M failed" lines of a meson test log (testlog.json).

A test whose output has no such line counts as one test, passed or failed by
its exit status. Prints "N passed, M failed" for the whole log."""
import json, re, sys

LINE = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed", re.M)
passed = failed = 0
for raw in open(sys.argv[1], encoding="utf-8", errors="replace"):
    t = json.loads(raw)
    found = LINE.findall(t.get("stdout") or "")
    ok = t.get("result") == "OK"
    if found:
        p, f = map(int, found[-1])
        passed += p
        failed += f
        if not ok and f == 0:
            failed += 1          # crashed after printing its summary
    elif ok:
        passed += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed")
