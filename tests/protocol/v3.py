"""Protocol sessions on 3.2 documents (docs/server.md, "Format 3.2 documents").

Imported by run.py, whose helpers (Session, test, check, eq, ...) it uses; the
tests register themselves there with the v3_ prefix (`run.py -k v3_`)."""
import os

from __main__ import (test, check, eq, Failure, tree, same_tree, errors, codes, find_action,  # noqa: F401
                      create_entries, line_range, WAIT)
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
    check("RENAME" in v and "old.txt → new place/old.txt" in v and "```" not in v, "hover of RENAME: %r", v)
    v = s.hover(u, s.pos(u, "DELETE", nth=1))["contents"]["value"]
    check("deletes folder gone" in v, "hover of DELETE of a folder: %r", v)
    v = s.hover(u, s.pos(u, "CREATE"))["contents"]["value"]
    check("creates folder made/dir" in v, "hover of CREATE of a folder: %r", v)
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
