#!/usr/bin/env bash
# tests/hostile/run.sh - apls against hostile patches and hostile workspaces.
#
#   tests/hostile/run.sh PATH/TO/apls
#
# Every case builds its own scratch area (a workspace "root", a folder
# "outside" beside it, the patch, a private TMPDIR), takes a listing of it
# (type, mode, owner, size, inode, mtime, symlink target and a checksum of
# every regular file), runs `apls apply` and/or `apls check` under
# `timeout 20`, and asserts:
#   - the exit status (1: a problem in the patch or the workspace, 2: usage or
#     an unreadable patch);
#   - the expected error code or message appears in stdout+stderr;
#   - the scratch area is exactly as before (nothing written, renamed,
#     created or removed: a folder whose entries changed has a new mtime);
#   - no stray temporary file (*.apls-*) is left anywhere in it;
#   - the run took less than 5 seconds.
# One success case checks that the harness does see a change when there is one.
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
if [ ! -x "$APLS" ]; then
    echo "$0: '$APLS' is not an executable" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

LIMIT_MS=5000
passed=0
failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/apls-hostile.XXXXXX")
chmod 755 "$T"   # the read-only case runs apls as nobody, who must get in
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

# ------------------------------------------------------------------ helpers

pass() {
    passed=$((passed + 1))
    printf 'ok   %s\n' "$1"
}

failc() {
    failed=$((failed + 1))
    printf 'FAIL %s: %s\n' "$1" "$2"
}

# new_case NAME: a fresh scratch area $C with $C/root and $C/outside
new_case() {
    C=$T/$1
    mkdir -p "$C/root" "$C/outside" "$C/tmp"
    chmod 755 "$C"
}

# snapshot DIR: everything that would show a write, one line per entry.
# FIFOs and devices are listed, never read.
snapshot() {
    (
        cd "$1" || exit 1
        find . -printf '%y %m %U:%G %s %i %T@ %p -> %l\n' | LC_ALL=C sort
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
    )
}

# run_apls LABEL WANT_RC PATTERN [apls args...]
# Runs apls (as $AS_NOBODY says), with the scratch area checked around it.
# PATTERN is an extended regex that stdout+stderr must match.
run_apls() {
    local label=$1 want_rc=$2 pattern=$3
    shift 3
    local before after out rc t0 t1 ms stray prefix=()
    before=$(snapshot "$C")
    if [ "${AS_NOBODY:-0}" = 1 ]; then
        prefix=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    fi
    t0=$(date +%s%N)
    out=$(cd "$C/tmp" && TMPDIR=$C/tmp timeout 20 "${prefix[@]}" "$APLS" "$@" 2>&1 </dev/null)
    rc=$?
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    after=$(snapshot "$C")
    local why=()
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        why+=("timed out after 20 s (hung)")
    elif [ "$rc" != "$want_rc" ]; then
        why+=("exit $rc, want $want_rc")
    fi
    if [ "$rc" -ge 128 ] && [ "$rc" != 137 ]; then
        why+=("killed by signal $((rc - 128))")
    fi
    if ! grep -Eq -- "$pattern" <<<"$out"; then
        why+=("output lacks /$pattern/")
    fi
    if [ "$before" != "$after" ]; then
        why+=("the scratch area changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -n 6 | tr '\n' ' ')")
    fi
    stray=$(find "$C" -name '*.apls-*' 2>/dev/null | head -n 3)
    if [ -n "$stray" ]; then
        why+=("stray temporary files: $stray")
    fi
    if [ "$ms" -ge "$LIMIT_MS" ]; then
        why+=("took $ms ms (limit $LIMIT_MS)")
    fi
    if [ ${#why[@]} -eq 0 ]; then
        pass "$label ($ms ms)"
    else
        failc "$label" "$(
            IFS='; '
            echo "${why[*]}"
        )"
        printf '%s\n' "$out" | head -n 8 | sed 's/^/     | /'
    fi
}

# both LABEL WANT_RC PATTERN PATCH [more apls args...]: apply, then check
both() {
    local label=$1 want_rc=$2 pattern=$3 patch=$4
    shift 4
    run_apls "$label: apply" "$want_rc" "$pattern" apply --root "$C/root" "$@" "$patch"
    run_apls "$label: check" "$want_rc" "$pattern" check --root "$C/root" "$@" "$patch"
}

# A target most cases aim at, and the secret outside the root.
std_files() {
    printf 'int main(void)\n{\n    return 0;\n}\n' >"$C/root/a.c"
    printf 'top secret\n' >"$C/outside/secret.txt"
}

# patch_for PATH: a well-formed patch that edits PATH (a.c-like content)
patch_for() {
    cat <<EOF
version: "2.0"
changes:
  - file_path: "$1"
    modifications:
      - action: REPLACE
        snippet: |
          return 0;
        content: |
          return 1;
EOF
}

# ------------------------------------------------------- the patch is bad

new_case not_yaml
std_files
printf 'version: "2.0"\nchanges: [ {file_path: "a.c", modifications: [ }\n  ]]] :\n\t- x\n' >"$C/p.ap"
both "not YAML (a syntax error)" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case not_yaml_c
std_files
cp "$C/root/a.c" "$C/p.ap"
printf '#include <stdio.h>\nint f(int a) { return a ? b : c; }\n' >>"$C/p.ap"
both "not YAML (C source)" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case alias_bomb
std_files
{
    echo 'version: "2.0"'
    echo 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
    prev=a
    for l in b c d e f g h i j k l m n o p q r s t u v w x y z; do
        echo "$l: &$l [*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev]"
        prev=$l
    done
    echo 'changes: *z'
} >"$C/p.ap"
both "alias bomb (billion laughs, lists)" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case alias_bomb_scalar
std_files
{
    echo 'version: "2.0"'
    echo 'changes:'
    echo '  - file_path: &f "a.c"'
    echo '    modifications:'
    echo '      - action: REPLACE'
    echo '        snippet: &s |'
    echo '          return 0;'
    echo '        content: *s'
    # 100,000 aliases to one scalar: each is shared, never copied
    awk 'BEGIN { for (i = 0; i < 2000; i++) {
        printf "      - {action: REPLACE, snippet: *s, content: *s, anchor: *f, x: ["
        for (k = 0; k < 50; k++) printf "*s,"
        print "*s]}" } }'
    echo '  - file_path: "missing.c"'
    echo '    modifications: []'
} >"$C/p.ap"
both "alias bomb (100,000 scalar aliases)" 1 'FILE_NOT_FOUND|ANCHOR_NOT_FOUND' "$C/p.ap"

new_case anchor_table
std_files
{
    # 100,000 anchors, then 100,000 aliases to the first one defined
    echo 'version: "2.0"'
    awk 'BEGIN { printf "x: ["; for (i = 0; i < 100000; i++) printf "&a%d v,", i; print "v]" }'
    awk 'BEGIN { printf "y: ["; for (i = 0; i < 100000; i++) printf "*a0,"; print "v]" }'
    echo 'changes: {}'
} >"$C/p.ap"
both "100,000 anchors and 100,000 aliases" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case many_keys
std_files
{
    echo 'version: "2.0"'
    echo 'changes: {}'
    awk 'BEGIN { for (i = 0; i < 200000; i++) printf "k%07d: 1\n", i }'
} >"$C/p.ap"
both "200,000 keys in one mapping" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case many_failures
std_files
{
    echo 'version: "2.0"'
    echo 'changes:'
    echo '  - file_path: "a.c"'
    echo '    modifications:'
    awk 'BEGIN { for (i = 0; i < 30000; i++)
        printf "      - action: REPLACE\n        snippet: |\n          missing %d\n        content: |\n          x\n", i }'
} >"$C/p.ap"
both "30,000 modifications that all fail" 1 'SNIPPET_NOT_FOUND' "$C/p.ap"

# What the YAML layer does beyond libyaml (stand-ins, readings again, checks
# after reading) stays linear.
new_case tab_blocks
std_files
{
    echo 'version: "2.0"'
    echo 'changes: {}'
    echo 'x:'
    awk 'BEGIN { for (i = 0; i < 100000; i++) printf "  k%d: |\n    \tcode();\n", i }'
} >"$C/p.ap"
both "100,000 tab-indented blocks" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case false_tab_blocks
std_files
{
    # lines that look like block headers inside a block: each a wrong stand-in
    echo 'version: "2.0"'
    echo 'changes: {}'
    echo 'x: |'
    awk 'BEGIN { for (i = 0; i < 100000; i++) printf "  cat f%d |\n  \tgrep x\n", i }'
} >"$C/p.ap"
both "100,000 pipelines ending in '|' inside a block" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case tabs_everywhere
std_files
{
    echo 'version: "2.0"'
    echo 'changes: {}'
    awk 'BEGIN { for (i = 0; i < 100000; i++) printf "k%d:\tv\t# \t\n", i }'
    printf 'y: a'
    head -c 1000000 /dev/zero | tr '\0' '\t'
    echo
} >"$C/p.ap"
both "100,000 lines with tabs PyYAML refuses, and 1,000,000 tabs in a row" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case directives_and_boms
std_files
{
    awk 'BEGIN { for (i = 0; i < 100000; i++) printf "%%FOO%d bar\n", i }'
    echo '---'
    echo 'version: "2.0"'
    echo 'changes: {}'
    awk 'BEGIN { for (i = 0; i < 100000; i++) printf "\357\273\277k%d: 1\n", i }'
} >"$C/p.ap"
both "100,000 directives and 100,000 byte order marks" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case merge_keys
std_files
{
    echo 'version: "2.0"'
    echo 'changes: {}'
    printf 'x: {<<: ['
    awk 'BEGIN { for (i = 0; i < 50000; i++) printf "{a%d: 1, b: 2}, ", i }'
    echo ']}'
} >"$C/p.ap"
both "50,000 mappings merged into one" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case deep_flow
std_files
{
    echo 'version: "2.0"'
    printf 'changes: '
    head -c 100000 /dev/zero | tr '\0' '['
    echo
} >"$C/p.ap"
both "100,000 nested flow lists ([[[...)" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case deep_flow_map
std_files
{
    echo 'version: "2.0"'
    printf 'changes: '
    for _ in $(seq 1 100000); do printf '{a: '; done
    echo
} >"$C/p.ap"
both "100,000 nested flow mappings ({a: {a: ...)" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case deep_block_map
std_files
{
    echo 'version: "2.0"'
    printf 'changes:\n  - file_path: "a.c"\n    modifications:\n      - action: REPLACE\n        snippet: '
    # "? ? ? x": block mappings nested in one line, 100,000 deep
    for _ in $(seq 1 100000); do printf '? '; done
    echo 'x'
} >"$C/p.ap"
both "100,000 nested block mappings (? ? ? ...)" 1 'INVALID_PATCH_FILE|INVALID_MODIFICATION' "$C/p.ap"

new_case deep_block_indent
std_files
{
    echo 'version: "2.0"'
    echo 'changes:'
    # indentation-nested block mappings: 4,000 deep (8 MB of indentation)
    awk 'BEGIN { s = "  "; for (i = 0; i < 4000; i++) { printf "%sk%d:\n", s, i; s = s " " } }'
} >"$C/p.ap"
both "4,000 block mappings nested by indentation" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case deep_block_seq
std_files
{
    echo 'version: "2.0"'
    printf 'changes:\n'
    for _ in $(seq 1 100000); do printf -- '- '; done
    echo 'x'
} >"$C/p.ap"
both "100,000 nested block lists (- - - ...)" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case huge
std_files
{
    patch_for a.c
    printf '      - action: INSERT_AFTER\n        snippet: |\n          {\n        content: |\n'
    yes '          /* padding padding padding padding padding padding padding */' | head -c 100000000
} >"$C/p.ap"
both "a 100 MB patch" 1 'INVALID_PATCH_FILE.*(MiB|bytes)' "$C/p.ap"
# the same bytes through a pipe: no size known in advance
run_apls "a 100 MB patch through a pipe: apply" 1 'INVALID_PATCH_FILE' \
    apply --root "$C/root" /dev/fd/3 3< <(cat "$C/p.ap")
rm -f "$C/p.ap"

new_case nul_in_patch
std_files
{
    patch_for a.c
    printf '      - action: DELETE\n        snippet: |\n          re\0turn 0;\n'
} >"$C/p.ap"
both "a NUL byte in the patch" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case bad_utf8
std_files
{
    patch_for a.c
    printf '      - action: DELETE\n        snippet: |\n          return \xff\xfe\xc3\x28 0;\n'
} >"$C/p.ap"
both "invalid UTF-8 in the patch" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case bad_utf8_path
std_files
{
    patch_for a.c
    printf '  - file_path: "b\xc0\xaf.c"\n    modifications: []\n'
} >"$C/p.ap"
both "invalid UTF-8 (an overlong '/') in a file_path" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case empty_patch
std_files
: >"$C/p.ap"
both "an empty patch" 1 'INVALID_PATCH_FILE' "$C/p.ap"

new_case missing_patch
std_files
both "a patch that does not exist" 2 'cannot read|No such file' "$C/nope.ap"

new_case patch_is_folder
std_files
mkdir "$C/dir.ap"
both "a folder as the patch" 2 'cannot read|folder' "$C/dir.ap"

new_case usage
std_files
patch_for a.c >"$C/p.ap"
run_apls "an unknown option: apply" 2 'unknown option' apply --bogus "$C/p.ap"
run_apls "two patches to apply" 2 'one patch' apply --root "$C/root" "$C/p.ap" "$C/p.ap"

# --------------------------------------------------- the workspace is bad

new_case binary_target
printf 'int main(void)\n{\n    return 0;\n}\n\0\1\2\3\0ELF' >"$C/root/a.c"
patch_for a.c >"$C/p.ap"
both "a binary target (NUL bytes)" 1 'FILE_NOT_TEXT' "$C/p.ap"

new_case dir_target
std_files
mkdir -p "$C/root/src/inner"
echo 'x' >"$C/root/src/inner/f.c"
patch_for src >"$C/p.ap"
both "a folder as file_path" 1 'INVALID_FILE_PATH' "$C/p.ap"
patch_for src/ >"$C/p2.ap"
both "a folder as file_path (trailing slash)" 1 'INVALID_FILE_PATH' "$C/p2.ap"
printf 'version: "2.0"\nchanges:\n  - file_path: "src/inner"\n    modifications:\n      - action: CREATE_FILE\n        content: |\n          hello\n' >"$C/p3.ap"
both "CREATE_FILE over a folder" 1 'INVALID_FILE_PATH|FILE_EXISTS' "$C/p3.ap"
printf 'version: "2.0"\nchanges:\n  - file_path: "a.c/new.c"\n    modifications:\n      - action: CREATE_FILE\n        content: |\n          hello\n' >"$C/p4.ap"
both "CREATE_FILE below a file" 1 'INVALID_FILE_PATH|IO_ERROR|FILE_NOT_FOUND' "$C/p4.ap"

new_case fifo_target
std_files
mkfifo "$C/root/pipe.c"
patch_for pipe.c >"$C/p.ap"
both "a FIFO as target" 1 'INVALID_FILE_PATH' "$C/p.ap"
printf 'version: "2.0"\nchanges:\n  - file_path: "pipe.c"\n    modifications:\n      - action: CREATE_FILE\n        content: |\n          hello\n' >"$C/p2.ap"
both "CREATE_FILE over a FIFO" 1 'INVALID_FILE_PATH|FILE_EXISTS' "$C/p2.ap"

new_case device_target
std_files
ln -s /dev/zero "$C/root/zero.c"
patch_for zero.c >"$C/p.ap"
both "a symbolic link to /dev/zero" 1 'INVALID_FILE_PATH' "$C/p.ap"

new_case read_only
std_files
chmod 444 "$C/root/a.c"
patch_for a.c >"$C/p.ap"
if [ $IS_ROOT = 1 ]; then
    # the folder is writable by nobody (a rename would succeed), the file is not
    chown -R 65534:65534 "$C/root"
    chmod 755 "$C/root" "$C/tmp"
    chmod 777 "$C/tmp"
    chmod 644 "$C/p.ap"
    AS_NOBODY=1 both "a read-only target (as nobody)" 1 'FILE_READ_ONLY' "$C/p.ap"
else
    both "a read-only target" 1 'FILE_READ_ONLY' "$C/p.ap"
fi

new_case symlink_file_out
std_files
ln -s ../outside/secret.txt "$C/root/link.txt"
cat >"$C/p.ap" <<'EOF'
version: "2.0"
changes:
  - file_path: "link.txt"
    modifications:
      - action: REPLACE
        snippet: |
          top secret
        content: |
          pwned
EOF
both "a symbolic link to a file outside the root" 1 'INVALID_FILE_PATH' "$C/p.ap"
ln -s "$C/outside/secret.txt" "$C/root/abs-link.txt"
sed 's/"link.txt"/"abs-link.txt"/' "$C/p.ap" >"$C/p2.ap"
both "an absolute symbolic link outside the root" 1 'INVALID_FILE_PATH' "$C/p2.ap"

new_case symlink_dir_out
std_files
ln -s ../outside "$C/root/out"
sed 's/"link.txt"/"out\/secret.txt"/' >"$C/p.ap" <<'EOF'
version: "2.0"
changes:
  - file_path: "link.txt"
    modifications:
      - action: REPLACE
        snippet: |
          top secret
        content: |
          pwned
EOF
both "a symlinked folder leading outside" 1 'INVALID_FILE_PATH' "$C/p.ap"
printf 'version: "2.0"\nchanges:\n  - file_path: "out/new/planted.txt"\n    modifications:\n      - action: CREATE_FILE\n        content: |\n          pwned\n' >"$C/p2.ap"
both "CREATE_FILE through a symlinked folder" 1 'INVALID_FILE_PATH' "$C/p2.ap"

new_case symlink_loop
std_files
ln -s loop2 "$C/root/loop1"
ln -s loop1 "$C/root/loop2"
ln -s nowhere "$C/root/dangling.c"
patch_for loop1 >"$C/p.ap"
both "a symbolic link loop" 1 'INVALID_FILE_PATH' "$C/p.ap"
printf 'version: "2.0"\nchanges:\n  - file_path: "dangling.c"\n    modifications:\n      - action: CREATE_FILE\n        content: |\n          hello\n' >"$C/p2.ap"
both "CREATE_FILE through a dangling symbolic link" 1 'INVALID_FILE_PATH' "$C/p2.ap"

new_case dotdot
std_files
mkdir "$C/root/sub"
for fp in "../outside/secret.txt" "sub/../../outside/secret.txt" "./sub/../a.c" \
    "sub/..\\/..\\/outside/secret.txt"; do
    sed "s|\"link.txt\"|\"$fp\"|" >"$C/p.ap" <<'EOF'
version: "2.0"
changes:
  - file_path: "link.txt"
    modifications:
      - action: REPLACE
        snippet: |
          top secret
        content: |
          pwned
EOF
    both "'..' in file_path ($fp)" 1 'INVALID_FILE_PATH' "$C/p.ap"
done

new_case absolute
std_files
sed "s|\"link.txt\"|\"$C/outside/secret.txt\"|" >"$C/p.ap" <<'EOF'
version: "2.0"
changes:
  - file_path: "link.txt"
    modifications:
      - action: REPLACE
        snippet: |
          top secret
        content: |
          pwned
EOF
both "an absolute file_path" 1 'INVALID_FILE_PATH' "$C/p.ap"
printf 'version: "2.0"\nchanges:\n  - file_path: "//etc/apls-hostile-planted"\n    modifications:\n      - action: CREATE_FILE\n        content: |\n          x\n' >"$C/p2.ap"
both "an absolute CREATE_FILE (//etc/...)" 1 'INVALID_FILE_PATH' "$C/p2.ap"
[ -e /etc/apls-hostile-planted ] && failc "absolute CREATE_FILE" "/etc/apls-hostile-planted was created"

new_case nul_in_path
std_files
printf 'version: "2.0"\nchanges:\n  - file_path: "a.c\\0/../../outside/secret.txt"\n    modifications:\n      - action: DELETE\n        snippet: |\n          top secret\n' >"$C/p.ap"
both "an escaped NUL in file_path" 1 'INVALID_FILE_PATH' "$C/p.ap"

# A control character in a path would reach messages and diff headers raw:
# "a.c\n+++ b/evil" forges a header, ESC sequences drive the terminal.
new_case control_in_path
std_files
cp "$C/root/a.c" "$C/root/$(printf 'a.c\n+++ b')"
patch_for 'a.c\n+++ b' >"$C/p.ap"
both "a newline in file_path" 1 'INVALID_FILE_PATH.*control character' "$C/p.ap"
cp "$C/root/a.c" "$C/root/$(printf 'a\033[2Jb.c')"
printf 'e4a2f1b8 AP 3.2\ne4a2f1b8 FILE\na\033[2Jb.c\ne4a2f1b8 REPLACE\ne4a2f1b8 snippet\n    return 0;\ne4a2f1b8 content\n    return 1;\ne4a2f1b8 END\n' >"$C/p3.ap"
both "an ESC in a 3.2 path" 1 'INVALID_FILE_PATH.*control character' "$C/p3.ap"

new_case empty_target
std_files
: >"$C/root/empty.c"
patch_for empty.c >"$C/p.ap"
both "an empty target file" 1 'SNIPPET_NOT_FOUND' "$C/p.ap"

new_case missing_target
std_files
patch_for nope.c >"$C/p.ap"
both "a target that does not exist" 1 'FILE_NOT_FOUND' "$C/p.ap"

new_case root_missing
std_files
patch_for a.c >"$C/p.ap"
run_apls "a --root that does not exist: apply" 1 'INVALID_FILE_PATH|FILE_NOT_FOUND|root' \
    apply --root "$C/no-such-root" "$C/p.ap"

# ------------------------------------------------------------- atomicity

new_case atomic
printf 'first file\nline two\n' >"$C/root/one.txt"
printf 'second file\n' >"$C/root/two.txt"
std_files
cat >"$C/p.ap" <<'EOF'
version: "2.0"
changes:
  - file_path: "one.txt"
    modifications:
      - action: REPLACE
        snippet: |
          line two
        content: |
          line 2
  - file_path: "new/dir/three.txt"
    modifications:
      - action: CREATE_FILE
        content: |
          three
  - file_path: "two.txt"
    modifications:
      - action: REPLACE
        snippet: |
          this is not in the file
        content: |
          x
EOF
both "the second file fails (atomicity)" 1 'SNIPPET_NOT_FOUND' "$C/p.ap"
[ -e "$C/root/new" ] && failc "atomicity" "the folder new/ was made"

new_case atomic_ro
printf 'first file\nline two\n' >"$C/root/one.txt"
printf 'second file\n' >"$C/root/two.txt"
std_files
cat >"$C/p.ap" <<'EOF'
version: "2.0"
changes:
  - file_path: "one.txt"
    modifications:
      - action: REPLACE
        snippet: |
          line two
        content: |
          line 2
  - file_path: "two.txt"
    modifications:
      - action: REPLACE
        snippet: |
          second file
        content: |
          changed
EOF
chmod 444 "$C/root/two.txt"
if [ $IS_ROOT = 1 ]; then
    chown -R 65534:65534 "$C/root"
    chmod 777 "$C/tmp"
    chmod 644 "$C/p.ap"
    AS_NOBODY=1 both "the second file is read-only (atomicity, as nobody)" 1 'FILE_READ_ONLY' "$C/p.ap"
else
    both "the second file is read-only (atomicity)" 1 'FILE_READ_ONLY' "$C/p.ap"
fi

new_case atomic_binary
printf 'first file\nline two\n' >"$C/root/one.txt"
printf 'second\0file\n' >"$C/root/two.txt"
std_files
cat >"$C/p.ap" <<'EOF'
version: "2.0"
changes:
  - file_path: "one.txt"
    modifications:
      - action: REPLACE
        snippet: |
          line two
        content: |
          line 2
  - file_path: "two.txt"
    modifications:
      - action: DELETE
        snippet: |
          second
EOF
both "the second file is binary (atomicity)" 1 'FILE_NOT_TEXT' "$C/p.ap"

# ------------------------------------------- the harness sees a real change

new_case success
std_files
patch_for a.c >"$C/p.ap"
before=$(snapshot "$C")
t0=$(date +%s%N)
out=$(cd "$C/tmp" && TMPDIR=$C/tmp timeout 20 "$APLS" apply --root "$C/root" "$C/p.ap" 2>&1)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
after=$(snapshot "$C")
want=$(printf 'int main(void)\n{\n    return 1;\n}\n')
if [ $rc != 0 ]; then
    failc "success case" "exit $rc: $out"
elif [ "$before" = "$after" ]; then
    failc "success case" "the harness saw no change after a successful apply"
elif [ "$(cat "$C/root/a.c")" != "$want" ]; then
    failc "success case" "a.c is not what the patch makes"
elif [ -n "$(find "$C" -name '*.apls-*')" ]; then
    failc "success case" "stray temporary files: $(find "$C" -name '*.apls-*')"
elif [ "$(diff <(echo "$before") <(echo "$after") | grep -c '^>')" != 3 ]; then
    # a.c (listing and checksum) and root/ (its mtime: a rename) changed, nothing else
    failc "success case" "unexpected changes: $(diff <(echo "$before") <(echo "$after") | grep '^>' | tr '\n' ' ')"
elif [ "$ms" -ge $LIMIT_MS ]; then
    failc "success case" "took $ms ms"
else
    pass "success case: the harness detects the change ($ms ms)"
fi
# and applied again it is a no-op
run_apls "success case applied twice: apply" 0 'unchanged|already' apply --root "$C/root" "$C/p.ap"

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
