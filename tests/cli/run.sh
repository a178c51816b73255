#!/usr/bin/env bash
# tests/cli/run.sh - the command line around the two formats: the format
# check reports (human and --json), --strict and --partial, and apls convert
# (its output, what it says it cannot express, its exit codes).
#
#   tests/cli/run.sh PATH/TO/apls
#
# Prints one line per check, then "N passed, M failed"; exits 1 on failure.
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 PATH/TO/apls" >&2
    exit 2
fi
APLS=$1
case $APLS in
    /*) ;;
    *) APLS=$PWD/$APLS ;;
esac
passed=0
failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/apls-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT

pass() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
failc() { failed=$((failed + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }

# expect NAME STATUS STDOUT-REGEX STDERR-REGEX -- ARGS...: runs apls ARGS
expect() {
    local name=$1 want=$2 out_re=$3 err_re=$4
    shift 5
    "$APLS" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        failc "$name" "exit $rc, want $want: $(head -c 300 "$T/err")"
    elif [ -n "$out_re" ] && ! grep -Eq -- "$out_re" "$T/out"; then
        failc "$name" "stdout lacks /$out_re/: $(head -c 300 "$T/out")"
    elif [ -n "$err_re" ] && ! grep -Eq -- "$err_re" "$T/err"; then
        failc "$name" "stderr lacks /$err_re/: $(head -c 300 "$T/err")"
    else
        pass "$name"
    fi
}

mkdir -p "$T/root"
printf 'one\ntwo\n' >"$T/root/a.txt"
cat >"$T/p3.ap" <<'P'
# Summary: a 3.2 patch
e4a2f1b8 AP 3.2

e4a2f1b8 FILE
a.txt

e4a2f1b8 REPLACE
e4a2f1b8 snippet
one
e4a2f1b8 content
ONE
P
cat >"$T/p2.ap" <<'P'
version: "2.0"
changes:
  - file_path: a.txt
    modifications:
      - action: REPLACE
        snippet: |
          two
        content: |
          TWO
P
# the same 3.2 patch without header and with a comment between directives
cat >"$T/loose.ap" <<'P'
e4a2f1b8 FILE
a.txt
# replace the first line
e4a2f1b8 REPLACE
e4a2f1b8 snippet
one
e4a2f1b8 content
ONE
P
cat >"$T/rename.ap" <<'P'
e4a2f1b8 AP 3.2
e4a2f1b8 FILE
a.txt
e4a2f1b8 RENAME
b.txt
e4a2f1b8 FILE
a.txt
e4a2f1b8 REPLACE
e4a2f1b8 snippet
two
e4a2f1b8 content
TWO
P

# ------------------------------------------------------------- formats
expect "check names the 3.2 format" 0 '^.*p3.ap: 3.2 patch, 1 modification' '' -- check --root "$T/root" "$T/p3.ap"
expect "check names the 2.0 format" 0 '^.*p2.ap: 2.0 patch, 1 modification' '' -- check --root "$T/root" "$T/p2.ap"
expect "check --json lists each patch's format" 0 '"format": "3.2"' '' -- check --json --root "$T/root" "$T/p3.ap" "$T/p2.ap"
if grep -q '"format": "2.0"' "$T/out"; then pass "check --json: both formats"; else failc "check --json: both formats" "$(cat "$T/out")"; fi
expect "apply --json names the format" 0 '"format": "2.0"' '' -- apply --dry-run --json --root "$T/root" "$T/p2.ap"

# ------------------------------------------------------------ --strict
expect "tolerated deviations are warnings" 0 'warning: (MISSING_HEADER|COMMENT)' '' -- check --root "$T/root" "$T/loose.ap"
expect "--strict makes them errors" 1 'error: INVALID_PATCH_FILE' '' -- check --strict --root "$T/root" "$T/loose.ap"
expect "--strict on a strict patch" 0 '3.2 patch' '' -- check --strict --root "$T/root" "$T/p3.ap"
expect "apply --strict refuses and writes nothing" 1 '' 'INVALID_PATCH_FILE' -- apply --strict --root "$T/root" "$T/loose.ap"
if [ "$(cat "$T/root/a.txt")" = "$(printf 'one\ntwo')" ]; then pass "nothing written"; else failc "nothing written" "$(cat "$T/root/a.txt")"; fi
expect "--partial is accepted by check" 0 '3.2 patch' '' -- check --partial --root "$T/root" "$T/p3.ap"
expect "--partial is accepted by apply" 0 '' '' -- apply --partial --dry-run --root "$T/root" "$T/p3.ap"

# ------------------------------------------------------------- convert
expect "convert 3.2 to 2.0" 0 '^      - action: REPLACE$' '' -- convert --to 2.0 "$T/p3.ap"
"$APLS" convert --to 2.0 "$T/p3.ap" >"$T/c2.ap" 2>/dev/null
expect "the 2.0 text checks as 2.0" 0 '2.0 patch, 1 modification: 1 to apply' '' -- check --root "$T/root" "$T/c2.ap"
expect "convert 2.0 to 3.2" 0 '^[0-9a-f]{8} AP 3\.2$' '' -- convert --to 3.2 "$T/p2.ap"
"$APLS" convert --to 3.2 "$T/p2.ap" >"$T/c3.ap" 2>/dev/null
expect "the 3.2 text checks as 3.2, strictly" 0 '3.2 patch, 1 modification: 1 to apply' '' -- check --strict --root "$T/root" "$T/c3.ap"
expect "convert to 3.2 writes the strict form" 0 '^e4a2f1b8 AP 3\.2$' '' -- convert --to 3.2 "$T/loose.ap"
"$APLS" convert --to 3.2 "$T/loose.ap" >"$T/c3s.ap" 2>/dev/null
expect "  ... which --strict accepts" 0 '' '' -- check --strict --root "$T/root" "$T/c3s.ap"
expect "convert says what 2.0 cannot express" 1 '- action: REPLACE' 'NOT_EXPRESSIBLE: RENAME' -- convert --to 2.0 "$T/rename.ap"
expect "convert --strict refuses a patch with errors" 1 "" "has errors" -- convert --to 2.0 --strict "$T/loose.ap"
printf 'e4a2f1b8 AP 3.2\ne4a2f1b8 FILE\na.txt\ne4a2f1b8 REPLACE\n' >"$T/bad.ap"
expect "convert: errors, nothing printed" 1 '' 'PATCH_TRUNCATED' -- convert --to 2.0 "$T/bad.ap"
[ -s "$T/out" ] && failc "convert: nothing on stdout" "$(cat "$T/out")" || pass "convert: nothing on stdout"
expect "convert needs --to" 2 '' '--to 2.0 or --to 3.2' -- convert "$T/p3.ap"
expect "convert --to takes 2.0 or 3.2" 2 '' 'takes 2.0 or 3.2' -- convert --to 4.0 "$T/p3.ap"
expect "convert of a missing file" 2 '' 'cannot read' -- convert --to 3.2 "$T/none.ap"

# --partial: what resolves is written, the rest handed back beside the patch
mkdir -p "$T/part/root" "$T/part/patches"
printf 'one\ntwo\n' >"$T/part/root/a.txt"
printf 'keep\n' >"$T/part/root/b.txt"
cat >"$T/part/patches/fix.ap" <<'P'
e4a2f1b8 AP 3.2
e4a2f1b8 FILE
a.txt
e4a2f1b8 REPLACE
e4a2f1b8 snippet
one
e4a2f1b8 content
ONE
e4a2f1b8 REPLACE
e4a2f1b8 snippet
three
e4a2f1b8 content
THREE
e4a2f1b8 FILE
b.txt
e4a2f1b8 DELETE
e4a2f1b8 snippet
keep
e4a2f1b8 END
P
expect "without --partial a failing modification writes nothing" 1 '' 'SNIPPET_NOT_FOUND' -- apply --root "$T/part/root" "$T/part/patches/fix.ap"
[ "$(cat "$T/part/root/a.txt")" = "$(printf 'one\ntwo')" ] && [ ! -e "$T/part/patches/fix.failed.ap" ] &&
    pass "  ... and hands nothing back" || failc "atomic without --partial" "$(ls "$T/part/patches")"
expect "--partial applies what resolves and exits 1" 1 '' 'did not apply: they are in .*fix\.failed\.ap' -- apply --partial --root "$T/part/root" "$T/part/patches/fix.ap"
if [ "$(cat "$T/part/root/a.txt")" = "$(printf 'ONE\ntwo')" ] && [ ! -s "$T/part/root/b.txt" ] &&
    [ -z "$(ls -A "$T/part/root" | grep -v '^[ab]\.txt$')" ]; then
    pass "  ... the resolved modifications are written, nothing else in the project"
else
    failc "--partial writes" "a.txt: $(cat "$T/part/root/a.txt"); root: $(ls -A "$T/part/root")"
fi
F=$T/part/patches/fix.failed.ap
if [ -f "$F" ] && grep -q '^three$' "$F" && ! grep -q '^one$' "$F" && ! grep -q '^keep$' "$F"; then
    pass "  ... fix.failed.ap holds only the failing modification"
else
    failc "fix.failed.ap" "$(cat "$F" 2>&1)"
fi
expect "  ... which is a valid 3.2 patch, failing the same way" 1 'SNIPPET_NOT_FOUND' '' -- check --strict --root "$T/part/root" "$F"
M=$T/part/patches/fix.failed.md
if [ -f "$M" ] && grep -q 'SNIPPET_NOT_FOUND' "$M" && grep -q 'fix.failed.ap' "$M" && grep -q 'a.txt' "$M"; then
    pass "  ... fix.failed.md says what failed and where"
else
    failc "fix.failed.md" "$(head -c 400 "$M" 2>&1)"
fi
printf 'e4a2f1b8 AP 3.2\ne4a2f1b8 FILE\na.txt\ne4a2f1b8 REPLACE\ne4a2f1b8 snippet\ntwo\ne4a2f1b8 content\nTWO\ne4a2f1b8 END\n' >"$T/part/patches/fix.ap"
expect "a clean apply of the patch" 0 '' '' -- apply --partial --root "$T/part/root" "$T/part/patches/fix.ap"
[ ! -e "$F" ] && [ ! -e "$M" ] && pass "  ... removes the stale fix.failed.ap and .md" || failc "stale reports" "$(ls "$T/part/patches")"
printf 'e4a2f1b8 AP 3.2\ne4a2f1b8 FILE\na.txt\ne4a2f1b8 REPLACE\ne4a2f1b8 snippet\nTWO\ne4a2f1b8 content\nx\ne4a2f1b8 content\ny\ne4a2f1b8 END\n' >"$T/part/patches/bad.ap"
expect "--partial does not apply a patch whose structure is wrong" 1 '' 'INVALID_PATCH_FILE' -- apply --partial --root "$T/part/root" "$T/part/patches/bad.ap"
[ ! -e "$T/part/patches/bad.failed.ap" ] && pass "  ... and hands nothing back" || failc "structure error" "bad.failed.ap written"

# 3.2 operations on paths, on disk, applied twice
mkdir -p "$T/ops/old/sub"
printf 'x\n' >"$T/ops/old/sub/f"
printf 'gone\n' >"$T/ops/gone.txt"
printf 'e4a2f1b8 AP 3.2\ne4a2f1b8 FILE\nold\ne4a2f1b8 RENAME\nnew/place\ne4a2f1b8 FILE\ngone.txt\ne4a2f1b8 DELETE\ne4a2f1b8 FILE\nmade/\ne4a2f1b8 CREATE\ne4a2f1b8 END\n' >"$T/ops.ap"
expect "apply --dry-run shows operations on paths" 0 'rename from old' '' -- apply --dry-run --root "$T/ops" "$T/ops.ap"
expect "apply renames, deletes and makes folders" 0 'renamed to' '' -- apply --root "$T/ops" "$T/ops.ap"
[ -f "$T/ops/new/place/sub/f" ] && [ ! -e "$T/ops/old" ] && [ ! -e "$T/ops/gone.txt" ] && [ -d "$T/ops/made" ] &&
    pass "  ... on disk" || failc "operations on disk" "$(cd "$T/ops" && find .)"
APLS_RECORD=off expect "  ... and applied again, changes nothing" 0 '0 to apply, 3 already applied' '' -- apply --root "$T/ops" "$T/ops.ap"

# an untouched file the patch applies to is patched, never "already applied"
# (idem_test seed 1 case 1012886: undoing the REPLACE broke the DELETE's text)
mkdir -p "$T/untouched"
printf 'def f(a, b):\nreturn x\n\ncontinue\n} else {\nint main(void)\nreturn None\nb = a\n' >"$T/untouched/f.txt"
printf 'e4a2f1b8 AP 3.2\ne4a2f1b8 FILE\nf.txt\ne4a2f1b8 DELETE\ne4a2f1b8 anchor\ncontinue\ne4a2f1b8 snippet\n} else {\nint main(void)\nreturn None\ne4a2f1b8 include_trailing_blank_lines 1\ne4a2f1b8 REPLACE\ne4a2f1b8 snippet\ndef f(a, b):\nreturn x\ne4a2f1b8 content\nreturn None\ne4a2f1b8 END\n' >"$T/untouched.ap"
APLS_RECORD=off expect "an untouched file is patched, not taken as applied" 0 '2 to apply, 0 already applied' '' -- apply --root "$T/untouched" "$T/untouched.ap"
[ "$(cat "$T/untouched/f.txt")" = "$(printf 'return None\n\ncontinue\nb = a')" ] && pass "  ... on disk" ||
    failc "untouched file on disk" "$(cat "$T/untouched/f.txt")"

# issue 9, item 2: a dry run shows the lines that change, as git diff does,
# and the bytes the write makes (the trailing blanks it strips); item 8:
# check says how many lines no modification touches lose trailing blanks
mkdir -p "$T/minimal"
printf 'def f():\n    try:\n        x = 1\n        y = 2\n    except ValueError as e:\n        log(e)\n    return x   \n' >"$T/minimal/g.py"
cat >"$T/minimal.ap" <<'P'
version: "2.0"
changes:
  - file_path: g.py
    modifications:
      - action: REPLACE
        snippet: |
          try:
              x = 1
              y = 2
          except ValueError as e:
              log(e)
        content: |
          try:
              x = 1
              y = 3
          except ValueError as e:
              log(e)
P
APLS_RECORD=off expect "apply --dry-run: a minimal diff" 0 '^-        y = 2$' '' -- apply --dry-run --root "$T/minimal" "$T/minimal.ap"
if grep -Eq '^[-+] *(x = 1|except ValueError as e:|log\(e\))$' "$T/out" || ! grep -Eq '^\+    return x$' "$T/out"; then
    failc "  ... only the changed lines, and the stripped blanks as written" "$(cat "$T/out")"
else
    pass "  ... only the changed lines, and the stripped blanks as written"
fi
APLS_RECORD=off expect "check: lines outside the modifications that lose trailing blanks" 0 \
    'g.py: would be modified; 1 line no modification touches loses its trailing blanks.*--trailing-whitespace inserted' '' \
    -- check --root "$T/minimal" "$T/minimal.ap"
APLS_RECORD=off expect "  ... in --json" 0 '"trailing_blanks_stripped": *1' '' -- check --json --root "$T/minimal" "$T/minimal.ap"
APLS_RECORD=off expect "  ... none with --trailing-whitespace inserted" 0 'g.py: would be modified$' '' \
    -- check --trailing-whitespace inserted --root "$T/minimal" "$T/minimal.ap"

# issue 9, item 3: a missing file says where apls looked and what was meant;
# the root's own name before a path is read away, with a warning
mkdir -p "$T/myproj/include/uv" "$T/myproj/src" "$T/myproj/.git"
printf '#define V 1\n' >"$T/myproj/include/uv/version.h"
printf 'int a;\n' >"$T/myproj/src/a.c"
printf 'version: "2.0"\nchanges:\n  - file_path: uv/version.h\n    modifications:\n      - action: DELETE\n        snippet: |\n          #define V 1\n' >"$T/myproj/nf.ap"
expect "FILE_NOT_FOUND: where apls looked, and the file meant" 1 \
    'FILE_NOT_FOUND: uv/version.h does not exist: apls looked for .*/myproj/uv/version.h \(the root is .*\); did you mean include/uv/version.h\?' '' \
    -- check "$T/myproj/nf.ap"
printf 'version: "2.0"\nchanges:\n  - file_path: myproj/src/a.c\n    modifications:\n      - action: DELETE\n        snippet: |\n          int a;\n' >"$T/myproj/pf.ap"
expect "the root's name before a path: read away, with a warning" 0 \
    'warning: PROJECT_FOLDER: myproj/src/a.c begins with .myproj.' '' -- check --root "$T/myproj" "$T/myproj/pf.ap"
grep -q 'src/a.c: would be modified' "$T/out" && pass "  ... as src/a.c" || failc "  ... as src/a.c" "$(cat "$T/out")"

# issue 11, item 3: a snippet the model invented, its content standing
# elsewhere, is not "already applied"; a DELETE whose text is gone while
# a line saying the same stands counts as done, but says so
mkdir -p "$T/halluc"
printf 'def _iterencode_dict(dct):\n    if _sort_keys:\n        items = sorted(dct.items())\n    else:\n        items = dct.items()\n    for key, value in items:\n' >"$T/halluc/enc.py"
printf 'version: "2.0"\nchanges:\n  - file_path: enc.py\n    modifications:\n      - action: REPLACE\n        snippet: |\n          items = sorted(dct.items(), key=lambda kv: kv[0])\n        content: |\n          items = dct.items()\n' >"$T/halluc/rep.ap"
APLS_RECORD=off expect "a hallucinated REPLACE snippet: SNIPPET_NOT_FOUND with the real line" 1 '' \
    "error: SNIPPET_NOT_FOUND: .*closest line: 3 'items = sorted\(dct.items\(\)\)'" -- apply --root "$T/halluc" "$T/halluc/rep.ap"
printf 'version: "2.0"\nchanges:\n  - file_path: enc.py\n    modifications:\n      - action: DELETE\n        snippet: |\n          items = sorted(dct.items(), key=lambda kv: kv[0])\n' >"$T/halluc/del.ap"
APLS_RECORD=off expect "a hallucinated DELETE snippet: done, with a warning naming the real line" 0 \
    "warning: SNIPPET_NOT_FOUND: .*did you mean line 3 'items = sorted\(dct.items\(\)\)'" '' -- check --root "$T/halluc" "$T/halluc/del.ap"

# issue 7: a file the text cannot tell applied from never patched (an
# insert whose content repeats its own snippet: applied, the lines stand
# three times, as a file never patched may hold them) is not a silent
# success: check and apply warn and change nothing; apply twice changes
# nothing either (docs/engine.md, "Undecidable by the text")
mkdir -p "$T/undec"
printf 'err := run()\nreturn None\nreturn None\nreturn None\n' >"$T/undec/c.py"
printf 'version: "2.0"\nchanges:\n  - file_path: c.py\n    modifications:\n      - action: INSERT_BEFORE\n        anchor: |\n          err := run()\n        snippet: |\n          return None\n          return None\n        content: |\n          return None\n' >"$T/undec/u.ap"
APLS_RECORD=off expect "undecidable by the text: check warns that it may already be applied" 0 \
    'warning: ALREADY_APPLIED: c.py may already be applied' '' -- check --root "$T/undec" "$T/undec/u.ap"
APLS_RECORD=off expect "  ... and apply warns, changing nothing" 0 'ALREADY_APPLIED: c.py may already be applied' '' \
    -- apply --root "$T/undec" "$T/undec/u.ap"
grep -q 'c.py: unchanged' "$T/out" && [ "$(grep -c 'return None' "$T/undec/c.py")" = 3 ] &&
    pass "  ... the file as it was" || failc "  ... the file as it was" "$(cat "$T/out")"
printf 'err := run()\nreturn None\nreturn None\n' >"$T/undec/c.py"
expect "  ... from two copies apply inserts the third" 0 'c.py: modified' '' -- apply --root "$T/undec" "$T/undec/u.ap"
expect "  ... and applying twice changes nothing, silently (the record)" 0 'c.py: unchanged' '' \
    -- apply --root "$T/undec" "$T/undec/u.ap"
grep -q ALREADY_APPLIED "$T/out" && failc "  ... no warning after the record" "$(cat "$T/err")" || pass "  ... no warning after the record"

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
