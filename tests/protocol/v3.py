"""Protocol sessions on 3.2 documents (docs/server.md, "Format 3.2 documents").

Imported by run.py, whose helpers (Session, test, check, eq, ...) it uses; the
tests register themselves there with the v3_ prefix (`run.py -k v3_`)."""
import os
import sys

# run.py's namespace: __main__ when it runs, the module "run" when another
# script (leaks.py) imports it
_run = sys.modules["run"] if "run" in sys.modules else sys.modules["__main__"]
test, check, eq, Failure, tree, same_tree, errors, codes, find_action, create_entries, line_range, WAIT = (
    getattr(_run, n) for n in ("test", "check", "eq", "Failure", "tree", "same_tree", "errors", "codes",
                               "find_action", "create_entries", "line_range", "WAIT"))
from lsp import uri_of, apply_workspace_edit, position_of, range_of, units  # noqa: F401

ID = "e4a2f1b8"


def v3(*blocks, header=True, end=True, ident=ID):
    """A 3.2 patch from blocks: each a list of (keyword, value or None) lines;
    a keyword starting with '=' is written without the id (a value line)."""
    out = ["# Summary: a 3.2 patch for a protocol test", ""]
    if header:
        out += ["%s AP 3.2" % ident, ""]
    for b in blocks:
        for kw, val in b:
            out.append("%s %s" % (ident, kw))
            if val is not None:
                out.append(val.rstrip("\n"))
        out.append("")
    if end:
        out.append("%s END" % ident)
    return "\n".join(out) + "\n"


CALC = ("import math\n"
        "\n"
        "def add(a, b):\n"
        "    return a + b\n"
        "\n"
        "def get_pi():\n"
        "    return 3.14  # \U0001F600\n")

FILE_OPS_FILES = {
    "calc.py": CALC,
    "old.txt": "old\n",
    "src/mod/x.txt": "in a folder\n",
    "bye.txt": "bye\n",
    "gone/x.txt": "x\n",
    "gone/deeper/y.txt": "y\n",
    "again.txt": "first\nsecond\n",
}

FILE_OPS_PATCH = v3(
    [("FILE", "calc.py"), ("REPLACE", None), ("snippet", "    return a + b"), ("content", "    return b + a")],
    [("FILE", "old.txt"), ("RENAME", "new place/old.txt")],
    [("FILE", "src/mod"), ("RENAME", "src/moved")],
    [("FILE", "bye.txt"), ("DELETE", None)],
    [("FILE", "gone"), ("DELETE", None)],
    [("FILE", "made/dir/"), ("CREATE", None)],
    [("FILE", "again.txt"), ("RECREATE", None), ("content", "all new \U0001F680\n")],
    [("FILE", "fresh/new.txt"), ("CREATE", None), ("content", "hello\n")],
)


def world(t, files, patch, sub):
    root = t.path(sub)
    for rel, data in files.items():
        t.write(os.path.join(root, rel), data)
    t.write(os.path.join(root, "fix.ap"), patch)
    return root


def run_commands(s, act):
    cmd = act.get("command")
    if cmd:
        eq(cmd["command"], "apls.createFiles", "the action's command")
        s.call("workspace/executeCommand", {"command": cmd["command"], "arguments": cmd.get("arguments", [])})


def whole_apply_equals_cli(t, files, patch, caps="vscode"):
    """The whole-patch action applied by a faithful client to copy A leaves A
    as `apls apply` leaves copy B (folders too)."""
    a, b = world(t, files, patch, "a"), world(t, files, patch, "b")
    before = tree(a)
    s = t.session(caps=caps, root=a)
    u = s.open(os.path.join(a, "fix.ap"))
    eq(errors(s.diags(u)), [], "errors")
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    check("disabled" not in act, "the whole patch is refused: %r", act.get("disabled"))
    apply_workspace_edit(act["edit"], s.enc, {})
    run_commands(s, act)
    r = t.cli("apply", "--root", b, os.path.join(b, "fix.ap"))
    eq(r.returncode, 0, "apls apply (%s)" % r.stderr.decode(errors="replace")[:300])
    check(tree(b) != before, "the patch changed nothing: a useless case")
    same_tree(a, b, "action (%s) vs apls apply" % caps)
    return s, u


@test
def v3_apply_action_file_operations_vscode(t):
    """RENAME (file, folder), DELETE (file, folder), CREATE of a folder and
    RECREATE travel in the whole-patch edit: before, the server skipped them
    and offered an edit that did only the text part (a false success)."""
    s, u = whole_apply_equals_cli(t, FILE_OPS_FILES, FILE_OPS_PATCH)
    s.finish()


@test
def v3_apply_action_file_operations_shape(t):
    """The resource operations are the LSP ones, with safe options, after the
    text edits; the folder to make goes to apls.createFiles."""
    root = world(t, FILE_OPS_FILES, FILE_OPS_PATCH, "a")
    s = t.session(caps="vscode", root=root)
    u = s.open(os.path.join(root, "fix.ap"))
    s.diags(u)
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch")
    dc = act["edit"]["documentChanges"]
    kinds = [c.get("kind", "edit") for c in dc]
    first_op = min(i for i, k in enumerate(kinds) if k in ("rename", "delete"))
    check(all(k in ("rename", "delete") for k in kinds[first_op:]), "text edits after operations: %r" % kinds)
    renames = {(c["oldUri"], c["newUri"]) for c in dc if c.get("kind") == "rename"}
    eq(renames, {(uri_of(os.path.join(root, "old.txt")), uri_of(os.path.join(root, "new place/old.txt"))),
                 (uri_of(os.path.join(root, "src/mod")), uri_of(os.path.join(root, "src/moved")))}, "renames")
    for c in dc:
        if c.get("kind") == "rename":
            eq(c["options"], {"overwrite": False, "ignoreIfExists": False}, "rename options")
    deletes = {c["uri"]: c["options"] for c in dc if c.get("kind") == "delete"}
    eq(deletes, {uri_of(os.path.join(root, "bye.txt")): {"recursive": False, "ignoreIfNotExists": False},
                 uri_of(os.path.join(root, "gone")): {"recursive": True, "ignoreIfNotExists": False}}, "deletes")
    cmd = act.get("command")
    check(cmd and cmd["command"] == "apls.createFiles", "no command for the folder: %r", act)
    eq([e.get("file") for e in cmd["arguments"][0] if e.get("folder")], ["made/dir"], "folders to make")
    s.finish()


def refused_without(t, caps, want):
    root = world(t, FILE_OPS_FILES, FILE_OPS_PATCH, "a")
    s = t.session(caps=caps, root=root)
    u = s.open(os.path.join(root, "fix.ap"))
    s.diags(u)
    acts = s.actions(u, {"line": 0, "character": 0})
    act = find_action(acts, "source.applyPatch")
    check("edit" not in act, "an edit offered to a client that cannot rename: %r", act)
    why = act["disabled"]["reason"] if "disabled" in act else act["command"]["arguments"][0]
    check(want in why and "apls apply" in why, "reason %r lacks %r", why, want)
    # the command says the same, and nothing changed
    r = s.request("workspace/executeCommand", {"command": "apls.applyPatch", "arguments": [u]})
    check("error" in r and want in r["error"]["message"], "apls.applyPatch: %r", r)
    eq(tree(root), world_tree(t, root), "files")
    s.finish()


def world_tree(t, root):
    return tree(root)


@test
def v3_apply_action_file_operations_refused_nvim(t):
    refused_without(t, "nvim", "rename")


@test
def v3_apply_action_file_operations_refused_eglot(t):
    refused_without(t, "eglot", "rename")


@test
def v3_apply_only_a_rename_is_not_already_applied(t):
    files = {"a.txt": "a\n"}
    patch = v3([("FILE", "a.txt"), ("RENAME", "b.txt")])
    s, u = whole_apply_equals_cli(t, files, patch)
    acts = s.actions(u, s.pos(u, "RENAME"))
    # the file is renamed now: the action says it is done
    s.finish()


@test
def v3_apply_delete_only_modification_action(t):
    """The modification action of a DELETE block deletes just that path."""
    root = world(t, FILE_OPS_FILES, FILE_OPS_PATCH, "a")
    s = t.session(caps="vscode", root=root)
    u = s.open(os.path.join(root, "fix.ap"))
    s.diags(u)
    act = find_action(s.actions(u, s.pos(u, "DELETE")), "source.applyPatch.modification")
    eq([c.get("kind") for c in act["edit"]["documentChanges"]], ["delete"], "operations")
    apply_workspace_edit(act["edit"], s.enc, {})
    check(not os.path.exists(os.path.join(root, "bye.txt")), "bye.txt is still there")
    check(os.path.exists(os.path.join(root, "gone")), "gone/ went too")
    s.finish()


@test
def v3_apply_command_file_operations(t):
    """apls.applyPatch sends the operations in workspace/applyEdit."""
    a, b = world(t, FILE_OPS_FILES, FILE_OPS_PATCH, "a"), world(t, FILE_OPS_FILES, FILE_OPS_PATCH, "b")
    s = t.session(caps="vscode", root=a)
    u = s.open(os.path.join(a, "fix.ap"))
    s.diags(u)
    s.edit_applier = lambda edit: apply_workspace_edit(edit, s.enc, {}) is not None
    s.call("workspace/executeCommand", {"command": "apls.applyPatch", "arguments": [u]})
    r = t.cli("apply", "--root", b, os.path.join(b, "fix.ap"))
    eq(r.returncode, 0, "apls apply")
    same_tree(a, b, "apls.applyPatch vs apls apply")
    s.finish()


def file_ops_session(t, caps="vscode"):
    root = world(t, FILE_OPS_FILES, FILE_OPS_PATCH, "a")
    s = t.session(caps=caps, root=root)
    u = s.open(os.path.join(root, "fix.ap"))
    eq(errors(s.diags(u)), [], "errors")
    return s, u, root


@test
def v3_hover_and_symbols_of_file_operations(t):
    """An operation on a path says what it does (no empty diff); symbols name
    modifications as the patch spells them."""
    s, u, root = file_ops_session(t)
    v = s.hover(u, s.pos(u, "RENAME"))["contents"]["value"]
    eq(v, "`RENAME` `old.txt` → `new place/old.txt` (applies)\n", "hover of RENAME")
    v = s.hover(u, s.pos(u, "DELETE", nth=1))["contents"]["value"]
    check("deletes folder `gone`" in v, "hover of DELETE of a folder: %r", v)
    v = s.hover(u, s.pos(u, "CREATE"))["contents"]["value"]
    check("creates folder `made/dir`" in v, "hover of CREATE of a folder: %r", v)
    v = s.hover(u, s.pos(u, "RECREATE"))["contents"]["value"]
    check("-first" in v and "+all new \U0001F680" in v, "hover of RECREATE shows the diff: %r", v)
    v = s.hover(u, s.pos(u, "return a + b"))["contents"]["value"]
    check("```diff" in v and "+    return b + a" in v, "hover of REPLACE: %r", v)
    syms = s.call("textDocument/documentSymbol", {"textDocument": {"uri": u}})
    eq([x["name"] for x in syms], ["calc.py", "old.txt", "src/mod", "bye.txt", "gone", "made/dir/", "again.txt",
                                   "fresh/new.txt"], "files")
    eq({x["detail"] for x in syms}, {"3.2 FILE"}, "detail names the format")
    eq([k["name"] for x in syms for k in x["children"]],
       ["REPLACE return a + b",
        "RENAME → new place/old.txt", "RENAME → src/moved", "DELETE", "DELETE", "CREATE", "RECREATE all new \U0001F680",
        "CREATE hello"], "modifications")
    text = s.text(u)
    for x in syms:     # each symbol's range starts at its FILE directive
        line = text.split("\n")[x["selectionRange"]["start"]["line"]]
        eq(line, ID + " FILE", "selection line of %s" % x["name"])
    lenses = s.call("textDocument/codeLens", {"textDocument": {"uri": u}})
    eq(len(lenses), 8, "a lens per modification")
    check(any(l["command"]["title"] == "→ old.txt → new place/old.txt" for l in lenses), "lens of RENAME: %r" % lenses)
    s.finish()


# ============================================================ diagnostics

EMOJI_TARGET = ("# \U0001F600\tmarker\r\n"
                "keep()\r\n"
                "other(\"\U0001F600\")\r\n"
                "other(\"\U0001F600\")\r\n"
                "def f():  # \U0001F600 x\r\n"
                "    x = '\U0001F600'; return 1\r\n")

# ids with an emoji summary before them; a tolerated deviation (a directive
# in lower case with a colon) on a line after an emoji value
EMOJI_PATCH3 = ("# Summary: \U0001F600 ranges after emoji, tabs and CRLF\r\n"
                "e4a2f1b8 AP 3.2\r\n"
                "\r\n"
                "e4a2f1b8 FILE\r\n"
                "src/t.py\r\n"
                "\r\n"
                "e4a2f1b8 REPLACE\r\n"
                "e4a2f1b8 anchor\r\n"
                "# \U0001F600\tmarker\r\n"
                "e4a2f1b8 snippet\r\n"
                "gone_line()\r\n"
                "e4a2f1b8 content\r\n"
                "new()\r\n"
                "\r\n"
                "e4a2f1b8 REPLACE\r\n"
                "e4a2f1b8 snippet\r\n"
                "other(\"\U0001F600\")\r\n"
                "e4a2f1b8 content\r\n"
                "x()\r\n"
                "\r\n"
                "e4a2f1b8 replace:\r\n"
                "e4a2f1b8 snippet\r\n"
                "def f():  # \U0001F600 x\r\n"
                "    x = '\U0001F600'; retur 1\r\n"
                "e4a2f1b8 content\r\n"
                "y()\r\n"
                "\r\n"
                "e4a2f1b8 END\r\n")


def diagnostics_exact3(t, encs, want_enc, eol="\r\n"):
    target = EMOJI_TARGET.replace("\r\n", eol)
    text = EMOJI_PATCH3.replace("\r\n", eol)
    t.write("src/t.py", target)
    t.write("fix.ap", text)
    s = t.session(encodings=encs)
    eq(s.enc, want_enc, "negotiated encoding")
    u = s.open("fix.ap")
    ds = s.diags(u)
    target_uri = uri_of(t.path("src/t.py"))
    errs = errors(ds)
    eq(codes(errs), ["SNIPPET_NOT_FOUND", "AMBIGUOUS_MATCH", "SNIPPET_NOT_FOUND"], "error codes")
    # 1: the snippet's value line, after an anchor holding an emoji and a tab
    a = text.index("gone_line()")
    eq(errs[0]["range"], range_of(text, a, a + len("gone_line()"), s.enc), "range of the snippet value")
    rel = errs[0].get("relatedInformation", [])
    check(rel and rel[0]["location"]["uri"] == target_uri, "no related place in the target: %r", rel)
    eq(rel[0]["location"]["range"], line_range(target, 0, s.enc), "the anchor's line in the target")
    # 2: ambiguous: each match
    a = text.index('other("\U0001F600")')
    eq(errs[1]["range"], range_of(text, a, a + len('other("\U0001F600")'), s.enc), "range of the ambiguous value")
    eq(sorted(r["location"]["range"]["start"]["line"] for r in errs[1]["relatedInformation"]), [2, 3],
       "the ambiguous matches")
    eq(errs[1]["relatedInformation"][0]["location"]["range"], line_range(target, 2, s.enc), "match 1")
    # 3: the one value line that differs, after an emoji
    a = text.index("    x = '\U0001F600'; retur 1")
    eq(errs[2]["range"], range_of(text, a, a + len("    x = '\U0001F600'; retur 1"), s.enc),
       "range of the differing value line")
    check(any(r["location"]["range"] == line_range(target, 5, s.enc) for r in errs[2]["relatedInformation"]),
          "the differing target line among the related places")
    # the tolerated spelling: a warning on its directive line, with the fix
    warn = [d for d in ds if d["code"] == "DIRECTIVE_SPELLING"]
    eq(len(warn), 1, "DIRECTIVE_SPELLING warnings")
    eq(warn[0]["severity"], 2, "severity")
    a = text.index("e4a2f1b8 replace:")
    r = warn[0]["range"]
    eq(r["start"]["line"], position_of(text, a, s.enc)["line"], "the warning's line")
    acts = s.actions(u, r["start"], r["end"], diagnostics=[warn[0]])
    fix = [x for x in acts if x.get("kind") == "quickfix"]
    check(fix, "no quick fix for the spelling")
    docs = apply_workspace_edit(fix[0]["edit"], s.enc, {u: (s.version(u), text)})
    check("e4a2f1b8 REPLACE" + eol + "e4a2f1b8 snippet" + eol + "def f()" in docs[u][1],
          "the fix does not write the strict form: %r", docs[u][1][-200:])
    s.finish()


@test
def v3_diagnostics_exact_ranges_utf16_crlf(t):
    diagnostics_exact3(t, None, "utf-16")


@test
def v3_diagnostics_exact_ranges_utf8_crlf(t):
    diagnostics_exact3(t, ["utf-8", "utf-16"], "utf-8")


@test
def v3_diagnostics_exact_ranges_cr_only(t):
    diagnostics_exact3(t, None, "utf-16", eol="\r")


@test
def v3_diagnostics_exact_ranges_lf_utf8(t):
    diagnostics_exact3(t, ["utf-8"], "utf-8", eol="\n")


# ============================================================ keystrokes

KEY_FILES = {"calc.py": CALC, "b.txt": "one\ntwo\nthree\n"}
KEY_PATCH = v3(
    [("FILE", "calc.py"), ("REPLACE", None), ("snippet", "    return a + b"), ("content", "    return b + a"),
     ("INSERT_AFTER", None), ("snippet", "import math"), ("content", "import sys")],
    [("FILE", "b.txt"), ("DELETE", None), ("snippet", "two")],
)


def current_diags(s, u):
    """The diagnostics the client shows for u now (the last published)."""
    s.settle(u, s.version(u))
    got = s.all_diags(u)
    if got:
        s.last[u] = got[-1]["diagnostics"]
    return s.last[u]


@test
def v3_keystrokes_match_a_fresh_analysis(t):
    """Typed one character at a time (the incremental path: the previous
    patch and run handed over at each keystroke), every version's diagnostics
    equal those of the same text opened fresh: in values, directives, the id
    of the header (which changes what every line means) and a new block."""
    for rel, data in KEY_FILES.items():
        t.write(rel, data)
    t.write("fix.ap", KEY_PATCH)
    s = t.session()
    s.last = {}
    u = s.open("fix.ap")
    s.last[u] = s.diags(u)
    fresh = t.session()
    steps = [("    return a + b\n", "    return a + bb\n"),       # a value: SNIPPET_NOT_FOUND
             ("    return a + bb\n", "    return a + b\n"),
             ("e4a2f1b8 AP 3.2", "e4a2f1b9 AP 3.2"),               # the header's id
             ("e4a2f1b9 AP 3.2", "e4a2f1b8 AP 3.2"),
             ("e4a2f1b8 DELETE", "e4a2f1b8 DELETEX"),              # a directive
             ("e4a2f1b8 DELETEX", "e4a2f1b8 DELETE"),
             ("\ne4a2f1b8 END", "\ne4a2f1b8 FILE\nb.txt\ne4a2f1b8 INSERT_BEFORE\ne4a2f1b8 snippet\nthree\n"
                                "e4a2f1b8 content\nbefore three\n\ne4a2f1b8 END")]
    n = 0
    for old, new in steps:
        text = s.text(u)
        a = text.index(old)
        # common prefix and suffix: type only what differs, one character at a time
        p = 0
        while p < min(len(old), len(new)) and old[p] == new[p]:
            p += 1
        q = 0
        while q < min(len(old), len(new)) - p and old[len(old) - 1 - q] == new[len(new) - 1 - q]:
            q += 1
        if len(old) - q > p:
            s.edit(u, [(a + p, a + len(old) - q, "")])
        for k, ch in enumerate(new[p:len(new) - q]):
            s.edit(u, [(a + p + k, a + p + k, ch)])
            n += 1
            if n % 7 and k != len(new) - q - p - 1:
                continue          # compare every few keystrokes, and at each step's end
            got = current_diags(s, u)
            name = "fresh%d.ap" % n
            t.write(name, s.text(u))
            fu = fresh.open(name)
            want = fresh.diags(fu)
            fresh.close_doc(fu)
            eq(got, want, "diagnostics after %d keystrokes (step %r)" % (n, new[:20]))
    got = current_diags(s, u)
    check([d for d in got if d["code"] == "SNIPPET_NOT_FOUND"] == [], "the last block resolves: %r" % got)
    s.finish()
    fresh.finish()


def keystrokes_touch_only_the_edited_block(t, caps):
    """A keystroke in one FILE block of a 3.2 patch checks that block's
    target on disk, never the other 59 (strace counts): the 3.2 parse is
    whole, but the run and the disk checks stay per block."""
    patch = v3(*[[("FILE", "src/t%02d.txt" % i), ("REPLACE", None), ("snippet", "two %d" % i),
                  ("content", "TWO")] for i in range(_run.KEYSTROKE_TARGETS)])
    _run.keystrokes_touch_only_the_edited_changes_targets(t, caps, patch)


@test
def v3_keystrokes_touch_only_the_edited_blocks_target(t):
    keystrokes_touch_only_the_edited_block(t, "vscode")


@test
def v3_keystrokes_touch_only_the_edited_blocks_target_self_watched(t):
    keystrokes_touch_only_the_edited_block(t, "nvim")


# ============================================================ completion

def labels(res):
    return [i["label"] for i in (res["items"] if isinstance(res, dict) else res)]


@test
def v3_completion_directives_and_target_lines(t):
    """Directives carry the patch's id; the ones a block needs next come
    first; after FILE the newline modes; in a locator's value the target's
    lines (an emoji before the cursor: UTF-16 positions)."""
    t.write("calc.py", CALC)
    t.write("fix.ap", v3([("FILE", "calc.py"), ("REPLACE", None), ("snippet", "    return a + b"),
                          ("content", "    return b + a")], end=False))
    for encs in (None, ["utf-8"]):
        s = t.session(encodings=encs)
        u = s.open("fix.ap")
        eq(errors(s.diags(u)), [], "clean")

        def comp():
            n = len(s.text(u))
            return s.call("textDocument/completion", {"textDocument": {"uri": u},
                                                      "position": position_of(s.text(u), n, s.enc)})

        def type_(more):
            n = len(s.text(u))
            s.settle(u, s.edit(u, [(n, n, more)]))

        type_("\n")
        items = comp()["items"]
        got = labels(items)
        check(all(x.startswith(ID + " ") for x in got), "directives without the id: %r" % got)
        check({ID + " FILE", ID + " INSERT_AFTER", ID + " snippet", ID + " END"} <= set(got), "directives: %r" % got)
        best = sorted(items, key=lambda i: i["sortText"])[0]["label"]
        check(best in (ID + " REPLACE", ID + " INSERT_AFTER", ID + " INSERT_BEFORE", ID + " DELETE", ID + " FILE",
                       ID + " CREATE", ID + " RECREATE", ID + " RENAME"),
              "after a content, an action or FILE comes first, not %r" % best)
        eq(items[0]["textEdit"]["range"]["start"]["character"], 0, "the directive replaces the line from its start")
        type_(ID + " INS")
        got = labels(comp())
        eq(set(got), {ID + " INSERT_AFTER", ID + " INSERT_BEFORE"}, "after typing INS")
        type_("ERT_AFTER\n")
        items = comp()["items"]
        best = sorted(items, key=lambda i: i["sortText"])[0]["label"]
        check(best in (ID + " snippet", ID + " anchor"), "after an action, a locator first, not %r" % best)
        type_(ID + " snippet\n")
        # a value line: the target's lines, as the file holds them
        type_("    ret")
        items = comp()["items"]
        eq(sorted(labels(items)), ["return 3.14  # \U0001F600", "return a + b"], "target lines")
        te = [i for i in items if i["label"] == "return 3.14  # \U0001F600"][0]["textEdit"]
        eq(te["newText"], "    return 3.14  # \U0001F600", "inserted with its indentation")
        text = s.text(u)
        eq(te["range"], {"start": {"line": text.count("\n"), "character": 0},
                         "end": position_of(text, len(text), s.enc)}, "replaces the typed line")
        type_("urn 3.14  # \U0001F600\n")
        items = comp()["items"]
        # an empty line inside the value: still the target's lines, no directive
        check("import math" in labels(items) and not any(x.startswith(ID) for x in labels(items)),
              "an empty value line: %r" % labels(items))
        # after FILE: the newline modes
        type_(ID + " content\nx = 1\n\n" + ID + " FILE C")
        eq(sorted(labels(comp())), ["CR", "CRLF"], "newline modes")
        s.finish()


@test
def v3_completion_header_in_a_blank_document(t):
    """A blank document may become either format: the 3.2 header (with a
    new 8-hex id) beside 2.0's keys."""
    t.write("new.ap", "# Summary: nothing yet\n\n")
    s = t.session()
    u = s.open("new.ap")
    s.diags(u)
    got = labels(s.call("textDocument/completion", {"textDocument": {"uri": u},
                                                    "position": {"line": 2, "character": 0}}))
    import re
    hdr = [x for x in got if re.fullmatch(r"[0-9a-f]{8} AP 3\.2", x)]
    eq(len(hdr), 1, "the 3.2 header among %r" % got)
    check("version" in got, "2.0's keys are still offered: %r" % got)
    s.finish()


# ============================================================ the format shown

@test
def v3_status_notification_follows_the_detected_format(t):
    """apls/status says the format read, once per change of it: 3.2 with its
    id, then 2.0 when the text becomes YAML, then 3.2 again."""
    t.write("calc.py", CALC)
    t.write("fix.ap", v3([("FILE", "calc.py"), ("REPLACE", None), ("snippet", "    return a + b"),
                          ("content", "    return b + a")]))
    s = t.session()
    u = s.open("fix.ap")
    st = s.wait_note("apls/status", lambda m: m["params"]["uri"] == u, WAIT)["params"]
    eq((st["format"], st["id"], st["files"], st["modifications"], st["version"]), ("3.2", ID, 1, 1, 1), "status")
    s.diags(u)
    v = s.sub(u, "    return b + a\n", "    return b + a + 0\n")       # same format: no new status
    s.settle(u, v)
    s.pump(0.2)
    eq([m for m in s.notes if m["method"] == "apls/status"], [], "a status for an edit that kept the format")
    yaml = 'version: "2.0"\nchanges:\n  - file_path: calc.py\n    modifications:\n      - action: DELETE\n' \
           '        snippet: |\n          import math\n'
    v = s.replace_text(u, yaml)
    st = s.wait_note("apls/status", lambda m: m["params"]["uri"] == u, WAIT)["params"]
    eq((st["format"], st["id"], st["version"]), ("2.0", None, v), "status after the text became YAML")
    h = s.hover(u, {"line": 0, "character": 3})
    check("format 2.0" in h["contents"]["value"], "hover on version: %r" % h)
    v = s.replace_text(u, v3([("FILE", "calc.py"), ("DELETE", None), ("snippet", "import math")], ident="0badc0de"))
    st = s.wait_note("apls/status", lambda m: m["params"]["uri"] == u, WAIT)["params"]
    eq((st["format"], st["id"], st["version"]), ("3.2", "0badc0de", v), "status after 3.2 again")
    h = s.hover(u, s.pos(u, "0badc0de AP 3.2", 3))
    check("format 3.2, id 0badc0de: 1 file block, 1 modification" in h["contents"]["value"], "hover on header: %r" % h)
    s.finish()


# ============================================================ modes

PARTIAL_FILES = {"calc.py": CALC, "b.txt": "one\ntwo\nthree\n", "old.txt": "old\n"}
PARTIAL_PATCH = v3(
    [("FILE", "calc.py"), ("REPLACE", None), ("snippet", "    return a + b"), ("content", "    return b + a")],
    [("FILE", "b.txt"), ("REPLACE", None), ("snippet", "two"), ("content", "2"),
     ("REPLACE", None), ("snippet", "no such line"), ("content", "never")],
    [("FILE", "old.txt"), ("RENAME", "renamed.txt")],
)


def partial_case(t, caps, eol="\n"):
    """"Apply what resolves" leaves the tree as `apls apply --partial` does,
    the hand-back files beside the patch included, byte for byte."""
    patch = PARTIAL_PATCH.replace("\n", eol)
    a, b = world(t, PARTIAL_FILES, patch, "a"), world(t, PARTIAL_FILES, patch, "b")
    s = t.session(caps=caps, root=a)
    u = s.open(os.path.join(a, "fix.ap"))
    eq(codes(errors(s.diags(u))), ["SNIPPET_NOT_FOUND"], "errors")
    acts = s.actions(u, {"line": 0, "character": 0})
    whole = find_action(acts, "source.applyPatch")
    check("edit" not in whole, "the whole patch is offered though it fails")
    if caps != "vscode":
        # one "(unavailable)" entry says why (the whole patch's); the partial
        # apply needs the RENAME too: no edit anywhere
        check(all("edit" not in x for x in acts if x.get("kind", "").startswith("source.applyPatch")),
              "an edit with a RENAME for %s: %r" % (caps, acts))
        s.finish()
        return
    act = find_action(acts, "source.applyPatch.partial")
    check("3 of 4" in act["title"], "title: %r" % act["title"])
    # "Keep only the failing modifications" writes 3.2 text: the header, the one block
    keep = find_action(acts, "refactor.rewrite.keepFailing")
    kept = apply_workspace_edit(keep["edit"], s.enc, {u: (s.version(u), s.text(u))})[u][1]
    check(ID + " AP 3.2" in kept and kept.count(ID + " FILE") == 1 and "no such line" in kept and
          "    return a + b" not in kept, "the kept patch: %r" % kept)
    apply_workspace_edit(act["edit"], s.enc, {})
    run_commands(s, act)
    r = subprocess.run([t.binary, "apply", "--partial", "--root", b, "fix.ap"], cwd=b, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    eq(r.returncode, 1, "apls apply --partial")
    check(os.path.exists(os.path.join(b, "fix.failed.md")), "the CLI wrote no report")
    same_tree(a, b, "Apply what resolves vs apply --partial")
    # applied again (the stale hand-back is there now): its text is replaced
    s.settle(u, s.version(u))
    s.request("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": 0, "character": 0}})
    s.finish()


import subprocess  # noqa: E402


@test
def v3_partial_action_equals_apply_partial(t):
    partial_case(t, "vscode")


@test
def v3_partial_action_equals_apply_partial_crlf(t):
    """A CRLF patch: the hand-back patch and report are written as the CLI
    writes them (its line ends included)."""
    partial_case(t, "vscode", "\r\n")


@test
def v3_partial_action_refused_with_a_rename_nvim(t):
    partial_case(t, "nvim")


@test
def v3_partial_action_without_file_operations_eglot(t):
    """Where nothing needs a resource operation, eglot gets the partial apply
    too; the hand-back files are made by apls.createFiles."""
    files = {"calc.py": CALC, "b.txt": "one\ntwo\n"}
    patch = v3([("FILE", "calc.py"), ("REPLACE", None), ("snippet", "    return a + b"), ("content", "    return b + a")],
               [("FILE", "b.txt"), ("REPLACE", None), ("snippet", "nothing like it"), ("content", "x")])
    a, b = world(t, files, patch, "a"), world(t, files, patch, "b")
    s = t.session(caps="eglot", root=a)
    u = s.open(os.path.join(a, "fix.ap"))
    s.diags(u)
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch.partial")
    eq(create_entries(act["edit"]), [], "CreateFile for eglot")
    apply_workspace_edit(act["edit"], s.enc, {})
    run_commands(s, act)
    subprocess.run([t.binary, "apply", "--partial", "--root", b, "fix.ap"], cwd=b, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
    same_tree(a, b, "Apply what resolves (eglot) vs apply --partial")
    # a second time, over the stale hand-back files: replaced, not refused
    t.write(os.path.join(a, "calc.py"), CALC)
    s.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(os.path.join(a, "calc.py")), "type": 2}]})
    s.settle(u, s.version(u))
    act = find_action(s.actions(u, {"line": 0, "character": 0}), "source.applyPatch.partial")
    kinds = [c.get("kind") for c in act["edit"]["documentChanges"]]
    check("create" not in kinds, "CreateFile over the stale hand-back: %r" % kinds)
    apply_workspace_edit(act["edit"], s.enc, {})
    run_commands(s, act)
    same_tree(a, b, "applied again over the stale hand-back")
    s.finish()


@test
def v3_strict_action(t):
    """"Apply patch (strict)": the same edit for a strict patch; disabled with
    the strict error for one that only the tolerant parse accepts."""
    t.write("calc.py", CALC)
    t.write("fix.ap", v3([("FILE", "calc.py"), ("REPLACE", None), ("snippet", "    return a + b"),
                          ("content", "    return b + a")]))
    s = t.session()
    u = s.open("fix.ap")
    eq(s.diags(u), [], "clean")
    acts = s.actions(u, {"line": 0, "character": 0})
    strict = find_action(acts, "source.applyPatch.strict")
    eq(strict.get("edit"), find_action(acts, "source.applyPatch")["edit"], "the strict edit")
    v = s.sub(u, ID + " REPLACE", ID + " replace:")      # tolerated, refused by strict mode
    s.settle(u, v)
    acts = s.actions(u, {"line": 0, "character": 0})
    check("edit" in find_action(acts, "source.applyPatch"), "the tolerant apply")
    strict = find_action(acts, "source.applyPatch.strict")
    check("edit" not in strict and "strict mode refuses it" in strict["disabled"]["reason"], "strict: %r" % strict)
    # 2.0 documents have no strict mode
    v = s.replace_text(u, 'version: "2.0"\nchanges: []\n')
    s.settle(u, v)
    check(not [a for a in s.actions(u, {"line": 0, "character": 0}) if a.get("kind") == "source.applyPatch.strict"],
          "a strict action on a 2.0 document")
    s.finish()


# ============================================================ definition, hints, fixes

DEF_TARGET = ("def f():  # \U0001F600 x\n"
              "    return 1\n"
              "other()\n"
              "other()\n"
              "def g():\n"
              "    return 1\n")


@test
def v3_definition_from_values_and_directives(t):
    """From a snippet's value (or its directive line) to the lines it found,
    from an anchor to the anchor's line, from an ambiguous snippet to every
    match; in UTF-16 and UTF-8."""
    t.write("src/t.py", DEF_TARGET)
    t.write("fix.ap", v3([("FILE", "src/t.py"),
                          ("REPLACE", None), ("anchor", "def g():"), ("snippet", "    return 1"), ("content", "    return 2"),
                          ("INSERT_AFTER", None), ("snippet", "other()"), ("content", "more()")]))
    tu = uri_of(t.path("src/t.py"))
    for encs in (None, ["utf-8"]):
        s = t.session(encodings=encs)
        u = s.open("fix.ap")
        s.diags(u)

        def defn(at):
            locs = s.call("textDocument/definition", {"textDocument": {"uri": u}, "position": at})
            return [(l["uri"], l["range"]) for l in (locs if isinstance(locs, list) else [locs])]
        eq(defn(s.pos(u, "    return 1", 6)), [(tu, line_range(DEF_TARGET, 5, s.enc))], "snippet value -> line 6")
        eq(defn(s.pos(u, ID + " snippet", 10)), [(tu, line_range(DEF_TARGET, 5, s.enc))], "snippet directive -> line 6")
        eq(defn(s.pos(u, "def g():", 2)), [(tu, line_range(DEF_TARGET, 4, s.enc))], "anchor value -> line 5")
        eq(defn(s.pos(u, ID + " anchor", 10)), [(tu, line_range(DEF_TARGET, 4, s.enc))], "anchor directive -> line 5")
        eq(sorted(r["start"]["line"] for _, r in defn(s.pos(u, "other()", 2))), [2, 3], "ambiguous -> both matches")
        s.finish()


@test
def v3_already_applied_hint(t):
    """A modification recognised as applied gets the Unnecessary hint from its
    action directive to the end of its last value."""
    t.write("calc.py", CALC.replace("return a + b", "return b + a"))
    text = v3([("FILE", "calc.py"), ("REPLACE", None), ("snippet", "    return a + b"), ("content", "    return b + a"),
               ("INSERT_AFTER", None), ("snippet", "import math"), ("content", "import sys")])
    t.write("fix.ap", text)
    s = t.session()
    u = s.open("fix.ap")
    ds = s.diags(u)
    hints = [d for d in ds if d["code"] == "ALREADY_APPLIED"]
    eq(len(hints), 1, "hints: %r" % ds)
    eq(hints[0]["tags"], [1], "Unnecessary tag")
    a = text.index(ID + " REPLACE")
    b = text.index("    return b + a") + len("    return b + a")
    eq(hints[0]["range"], range_of(text, a, b, s.enc), "the hint's range")
    s.finish()


def fix_all(s, u, codes_wanted):
    """Applies the first quick fix of each warning until none with a fix is
    left; returns the codes fixed, in order."""
    fixed = []
    for _ in range(20):
        ds = current_or_new_diags(s, u)
        done = True
        for d in ds:
            if d["severity"] != 2:
                continue
            acts = [a for a in s.actions(u, d["range"]["start"], d["range"]["end"], diagnostics=[d])
                    if a.get("kind") == "quickfix" and a.get("diagnostics", [{}])[0].get("code") == d["code"]]
            if not acts:
                continue
            docs = apply_workspace_edit(acts[0]["edit"], s.enc, {u: (s.version(u), s.text(u))})
            v = s.replace_text(u, docs[u][1])
            s.settle(u, v)
            fixed.append(d["code"])
            done = False
            break
        if done:
            return fixed
    raise Failure("the fixes never end: %r" % fixed)


def current_or_new_diags(s, u):
    s.settle(u, s.version(u))
    r = s.request("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": 0, "character": 0}})
    got = s.all_diags(u)
    if got:
        s.last_diags = got[-1]["diagnostics"]
    return s.last_diags


@test
def v3_tolerance_quick_fixes_reach_the_strict_form(t):
    """Each tolerated deviation is a warning with a fix that writes the strict
    form; taking them all leaves a patch strict mode accepts, which does the
    same as the tolerant one did."""
    t.write("calc.py", CALC)
    tolerant = ("# Summary: sloppy\n"
                "```\n"
                "e4a2f1b8 FILE\n"
                "calc.py\n"
                "e4a2f1b8 replace\n"
                "    return a + b\n"
                "e4a2f1b8 content\n"
                "    return b + a\n"
                "```\n")
    t.write("fix.ap", tolerant)
    s = t.session()
    u = s.open("fix.ap")
    first = s.diags(u)
    eq(errors(first), [], "errors of the tolerant patch")
    warned = sorted(set(d["code"] for d in first if d["severity"] == 2))
    check(len(warned) >= 3, "tolerated deviations warned: %r" % warned)
    acts = s.actions(u, {"line": 0, "character": 0})
    tolerant_edit = find_action(acts, "source.applyPatch")["edit"]
    check("disabled" in find_action(acts, "source.applyPatch.strict"), "strict accepts the tolerant patch")
    s.last_diags = first
    fixed = fix_all(s, u, warned)
    check(set(warned) <= set(fixed), "warnings left unfixed: %r (fixed %r)" % (warned, fixed))
    eq([d for d in current_or_new_diags(s, u) if d["severity"] <= 2], [], "problems after the fixes")
    acts = s.actions(u, {"line": 0, "character": 0})
    strict = find_action(acts, "source.applyPatch.strict")
    check("edit" in strict, "strict mode refuses the fixed patch: %r\n%s" % (strict, s.text(u)))
    eq(strict["edit"], tolerant_edit, "the strict patch does what the tolerant one did")
    s.finish()


@test
def v3_hover_on_the_file_line_of_every_block(t):
    """Hover on each FILE directive and path line says what happens to the
    file, operations on paths included (their statuses are 3.2's own)."""
    s, u, root = file_ops_session(t)
    text = s.text(u)
    want = {"calc.py": "modified", "old.txt": "renamed to new place/old.txt", "src/mod": "renamed to src/moved",
            "bye.txt": "deleted", "gone": "deleted", "made/dir/": "created (a folder)", "again.txt": "modified",
            "fresh/new.txt": "created"}
    for path, what in want.items():
        for at in (s.pos(u, ID + " FILE\n" + path, 3), s.pos(u, "\n" + path + "\n", 1)):
            h = s.hover(u, at)
            check(h and what in h["contents"]["value"].replace("`", ""), "hover of FILE %s: %r (want %r)" % (path, h, what))
    s.alive_check()
    s.finish()


# ============================================================ sweep

SWEEP3 = FILE_OPS_PATCH.replace(ID + " END\n", "") + (
    "e4a2f1b8 FILE\ncalc.py\n"
    "e4a2f1b8 DELETE\ne4a2f1b8 snippet\ndef get_pi():\ne4a2f1b8 snippet_tail\n$\n"
    "e4a2f1b8 include_leading_blank_lines 1\n\n"
    "e4a2f1b8 FILE\nmissing.txt\ne4a2f1b8 replace:\nnot there \U0001F600\ne4a2f1b8 content\nx\n\n"
    "e4a2f1b8 FILE\ncalc.py\ne4a2f1b8 INSERT_BEFORE\ne4a2f1b8 snippet\n^\ne4a2f1b8 content\n# top\n"
    "e4a2f1b8 scope_end\n\n"
    "0badc0de FILE\ncalc.py\n"
    "e4a2f1b8 END\n")


@test
def v3_sweep_every_request_everywhere(t):
    """Every request at every line's start, middle, end and past it, of a 3.2
    patch holding every action, operations on paths, problems and tolerated
    deviations; every line deleted and put back, and every prefix of the text
    (a truncated answer) analysed: all answered, the server alive."""
    root = world(t, FILE_OPS_FILES, SWEEP3, "a")
    for caps in ("vscode", "eglot"):
        s = t.session(caps=caps, root=root)
        u = s.open(os.path.join(root, "fix.ap"))
        ds = s.diags(u)
        check(errors(ds), "errors expected")
        text = s.text(u)
        lines = text.split("\n")
        for n, content in enumerate(lines):
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
        acts = s.actions(u, {"line": 0, "character": 0}, {"line": len(lines), "character": 0})
        for a in acts:
            if "command" in a and a["command"]["command"] in ("apls.showTarget", "apls.explain"):
                s.call("workspace/executeCommand", a["command"])
        for l in s.call("textDocument/codeLens", {"textDocument": {"uri": u}}):
            s.call("workspace/executeCommand", l["command"])
        s.call("textDocument/documentSymbol", {"textDocument": {"uri": u}})
        if caps == "vscode":
            for n in range(0, len(lines), 2):      # every other line deleted, checked, put back
                text = s.text(u)
                a = offset_of(text, {"line": n, "character": 0}, s.enc)
                b = offset_of(text, {"line": n + 1, "character": 0}, s.enc)
                gone = text[a:b]
                v = s.edit(u, [(a, b, "")])
                s.settle(u, v)
                s.request("textDocument/completion", {"textDocument": {"uri": u},
                                                      "position": {"line": n, "character": 0}})
                s.edit(u, [(a, a, gone)])
            full = s.text(u)
            for k in range(len(full), 0, -max(1, len(full) // 60)):   # truncated answers
                v = s.replace_text(u, full[:k])
                s.settle(u, v)
            s.alive_check()
        s.finish()


from lsp import offset_of  # noqa: E402
