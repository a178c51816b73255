#!/usr/bin/env python3
"""run.py - the differential test of apls's YAML reading against PyYAML's
pure-Python safe loader, the loader of the reference patcher.

    python3 tests/yamldiff/run.py DUMP [--seed N] [--count N] [--show N]

DUMP is build/tests/yamldiff/yamldiff-dump. The documents: --count generated
ones (gen.py, seeded, so a run is reproducible) and every file of the stored
fuzz corpus fuzz/corpus/parse. Each is loaded as the reference loads a patch
(opened as UTF-8 text, universal newlines, yaml.load with yaml.SafeLoader),
and parsed by apls. They must agree:
  - PyYAML refuses it: apls reports a YAML problem (INVALID_PATCH_FILE);
  - PyYAML reads it: apls reports none, and every value of the model
    (version, changes, file_path, newline, modifications, action, snippets,
    anchor, content, the blank-line counts) is what PyYAML read;
except where apls refuses on purpose what PyYAML reads, each checked to be
that case: an alias to a mapping or list, nesting deeper than 64, a lone
surrogate from an escape ("\\ud800"), ':' right before a flow indicator
("[a:]"), a byte order mark inside a quoted scalar.
Prints each disagreement and ends with "yamldiff: N passed, M failed"."""
import io
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

try:
    import yaml
    import yaml.scanner
except ImportError:
    print("yamldiff: PyYAML is missing (Debian: python3-yaml)")
    print("yamldiff: 0 passed, 1 failed")
    sys.exit(1)

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MISSING = object()


def pure_safe_loader():
    """yaml.SafeLoader, checked to be the pure-Python one (not CSafeLoader)."""
    loader = yaml.SafeLoader
    if yaml.scanner.Scanner not in loader.__mro__ or loader.__module__ != "yaml.loader":
        sys.exit("yamldiff: yaml.SafeLoader is not PyYAML's pure-Python loader")
    return loader


def load(doc):
    """(True, data) or (False, the exception), as the reference loads a patch."""
    try:
        stream = io.TextIOWrapper(io.BytesIO(doc), encoding="utf-8")
        return True, yaml.load(stream, Loader=pure_safe_loader())
    except Exception as e:  # every failure is a refusal: ValueError, KeyError...
        return False, e


def compose(doc):
    return yaml.compose(io.TextIOWrapper(io.BytesIO(doc), encoding="utf-8"), Loader=yaml.SafeLoader)


# ------------------------------------------------- apls's refusals on purpose

def shares_collection(doc):
    """Does an alias name a mapping or a list?"""
    seen = set()
    stack = [compose(doc)]
    while stack:
        n = stack.pop()
        if n is None or isinstance(n, yaml.ScalarNode):
            continue
        if id(n) in seen:
            return True
        seen.add(id(n))
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        else:
            for k, v in n.value:
                stack.extend((k, v))
    return False


def deeper_than(doc, limit):
    stack = [(compose(doc), 1)]
    seen = set()
    while stack:
        n, d = stack.pop()
        if n is None or isinstance(n, yaml.ScalarNode) or id(n) in seen:
            continue
        if d > limit:
            return True
        seen.add(id(n))
        kids = n.value if isinstance(n, yaml.SequenceNode) else [x for kv in n.value for x in kv]
        stack.extend((k, d + 1) for k in kids)
    return False


def has_surrogate(data):
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            try:
                x.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(x, dict):
            stack.extend(x.keys())
            stack.extend(x.values())
        elif isinstance(x, (list, tuple, set)):
            stack.extend(x)
    return False


def refused_on_purpose(doc, data, problems):
    """The name of apls's deliberate refusal this is, verified, or None."""
    for code, start, end, msg in problems:
        if code != "INVALID_PATCH_FILE":
            continue
        if "an alias may only name a scalar" in msg and shares_collection(doc):
            return "alias to a collection"
        if "nested deeper than" in msg and deeper_than(doc, 64):
            return "nesting deeper than 64"
        if "invalid Unicode character escape code" in msg and has_surrogate(data):
            return "lone surrogate"
        if "found unexpected ':'" in msg and doc[end:end + 1] in (b",", b"?", b"[", b"]", b"{", b"}"):
            return "':' before a flow indicator"
        if "byte order mark inside" in msg and doc[start:start + 3] == b"\xef\xbb\xbf":
            return "byte order mark in a quoted scalar"
    return None


# ---------------------------------------------------------- the values

def expect_field(field, value, name):
    """Does apls's field (as dump.c prints it) hold PyYAML's value?"""
    if value is MISSING:
        return field is None
    if isinstance(value, str):
        return isinstance(field, dict) and field["s"] == value
    if value is None:
        # null content is empty content for apls
        return field == "null" or (name == "content" and field == {"s": ""})
    return field == "other"


def count_of(value):
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return min(value, 1000000)
    return 0


MOD_KEYS = ["action", "snippet", "start_snippet", "end_snippet", "anchor", "content",
            "include_leading_blank_lines", "include_trailing_blank_lines"]


def compare_model(data, got):
    """The differences between PyYAML's data and apls's model, as text."""
    diffs = []

    def check(where, field, value, name):
        if not expect_field(field, value, name):
            diffs.append("%s: apls %r, PyYAML %r" % (where, field,
                                                     "(absent)" if value is MISSING else value))

    root = data if isinstance(data, dict) else {}
    check("version", got["version"], root.get("version", MISSING), "version")
    changes = root.get("changes", MISSING)
    check("changes", got["changes"], changes, "changes")
    items = changes if isinstance(changes, list) else []
    if len(items) != len(got["list"]):
        diffs.append("changes: apls has %d, PyYAML %d" % (len(got["list"]), len(items)))
        return diffs
    for i, (item, c) in enumerate(zip(items, got["list"])):
        item = item if isinstance(item, dict) else {}
        for key in ("file_path", "newline", "modifications"):
            check("changes[%d].%s" % (i, key), c[key], item.get(key, MISSING), key)
        mods = item.get("modifications", MISSING)
        mods = mods if isinstance(mods, list) else []
        if len(mods) != len(c["mods"]):
            diffs.append("changes[%d]: apls has %d modifications, PyYAML %d" % (i, len(c["mods"]), len(mods)))
            continue
        for j, (mod, m) in enumerate(zip(mods, c["mods"])):
            mod = mod if isinstance(mod, dict) else {}
            for key in MOD_KEYS:
                check("changes[%d].modifications[%d].%s" % (i, j, key), m[key], mod.get(key, MISSING), key)
            for key, short in (("include_leading_blank_lines", "lead"), ("include_trailing_blank_lines", "trail")):
                want = count_of(mod.get(key))
                if m[short] != want:
                    diffs.append("changes[%d].modifications[%d].%s: apls %d, PyYAML %d" % (i, j, short, m[short], want))
    return diffs


def line_of(doc, off):
    """0-based line of a byte offset, counting line breaks as PyYAML does."""
    text = doc[:off].decode("utf-8", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return sum(text.count(c) for c in "\n\x85\u2028\u2029")


# ---------------------------------------------------------------- main

def documents(seed, count):
    docs = [("gen-%d-%d" % (seed, i), d) for i, d in enumerate(gen.generate(seed, count))]
    corpus = os.path.join(TOP, "fuzz", "corpus", "parse")
    for name in sorted(os.listdir(corpus)):
        with open(os.path.join(corpus, name), "rb") as f:
            docs.append(("corpus/" + name, f.read()))
    return docs


def run_dump(dump, docs):
    with tempfile.NamedTemporaryFile("wb", delete=False) as f:
        for _, d in docs:
            f.write(b"%d\n" % len(d))
            f.write(d)
        path = f.name
    try:
        out = subprocess.run([dump, path], capture_output=True, check=True).stdout
    finally:
        os.unlink(path)
    lines = out.decode("utf-8", "surrogateescape").split("\n")[:-1]
    if len(lines) != len(docs):
        sys.exit("yamldiff: %d documents, %d answers from %s" % (len(docs), len(lines), dump))
    return [json.loads(line) for line in lines]


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    dump, seed, count, show = args[0], 20240611, 3000, 20
    i = 1
    while i < len(args):
        if args[i] == "--seed":
            seed = int(args[i + 1])
        elif args[i] == "--count":
            count = int(args[i + 1])
        elif args[i] == "--show":
            show = int(args[i + 1])
        else:
            sys.exit("yamldiff: unknown option " + args[i])
        i += 2
    print("yamldiff: PyYAML %s (%s), pure-Python SafeLoader; seed %d" %
          (yaml.__version__, os.path.dirname(yaml.__file__), seed))
    docs = documents(seed, count)
    answers = run_dump(dump, docs)
    stats = {"both read": 0, "both refuse": 0, "marked": 0, "same line": 0}
    purpose = {}
    bad = []
    for (name, doc), got in zip(docs, answers):
        ok, data = load(doc)
        yaml_problems = [p for p in got["problems"] if p[0] == "INVALID_PATCH_FILE"]
        if ok and not got["yaml_error"]:
            diffs = compare_model(data, got)
            if diffs:
                bad.append((name, doc, "values differ:\n      " + "\n      ".join(diffs[:6]), got))
            else:
                stats["both read"] += 1
        elif not ok and got["yaml_error"]:
            stats["both refuse"] += 1
            mark = getattr(data, "problem_mark", None)
            if mark is not None:
                stats["marked"] += 1
                if any(line_of(doc, p[1]) == mark.line for p in yaml_problems):
                    stats["same line"] += 1
        elif ok:
            why = refused_on_purpose(doc, data, got["problems"])
            if why:
                purpose[why] = purpose.get(why, 0) + 1
            else:
                bad.append((name, doc, "PyYAML reads it, apls refuses it", got))
        else:
            bad.append((name, doc, "PyYAML refuses it (%s: %s), apls reads it" %
                        (type(data).__name__, str(data).replace("\n", " ")[:200]), got))
    for name, doc, what, got in bad[:show]:
        print("\n-- %s: %s" % (name, what))
        print("   document: %s" % (repr(doc)[:600]))
        for p in got["problems"][:5]:
            print("   apls: %s [%d,%d) %s" % tuple(p))
    if len(bad) > show:
        print("\n(%d more disagreements)" % (len(bad) - show))
    print("\nyamldiff: %d documents: %d read by both with the same values, %d refused by both "
          "(of the %d PyYAML locates, %d with an apls problem on its line)" %
          (len(docs), stats["both read"], stats["both refuse"], stats["marked"], stats["same line"]))
    for why, n in sorted(purpose.items()):
        print("yamldiff: %d refused by apls on purpose (%s)" % (n, why))
    print("yamldiff: %d passed, %d failed" % (len(docs) - len(bad), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
