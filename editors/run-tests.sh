#!/usr/bin/env bash
# editors/run-tests.sh APLS_BINARY - the editor clients, tested in the real
# editors against the real server:
#   Neovim (headless), Emacs (batch, eglot), and VS Code's protocol path in
#   node (vscode-jsonrpc), plus the extension's type check and the .vsix its
#   shipping script (editors/vscode/build-vsix.sh) makes.
# Each fixture in editors/fixtures/NAME (ws/ = the workspace, case.json = what
# to expect) is copied to a temporary folder; the expected result is what
# `apls apply --root` writes on another copy. Prints "N passed, M failed" last
# and exits non-zero on any failure. Installs nothing but the VS Code part's
# node_modules (npm ci) when they are missing.
#
# Environment: APLS_EDITORS="nvim emacs vscode" (which parts to run),
# APLS_FIXTURES="shifted noeol-kept" (which fixtures, for Neovim and Emacs),
# APLS_KEEP=1 keeps the temporary folder, APLS_VERBOSE=1 prints editor logs.
set -uo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: editors/run-tests.sh APLS_BINARY" >&2
    echo "0 passed, 1 failed"
    exit 2
fi
APLS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/fixtures
EDITORS=${APLS_EDITORS:-nvim emacs vscode}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/apls-editors.XXXXXX")
pass=0
fail=0
failed=()

cleanup() { if [ "${APLS_KEEP:-}" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi; }
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); failed+=("$*"); echo "not ok - $*"; }
check() { # DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# count "ok - " / "not ok - " lines of an editor's result file
tally() { # FILE LABEL
    local f=$1 label=$2 line
    if [ ! -s "$f" ]; then
        not_ok "$label: no result at all"
        return
    fi
    while IFS= read -r line; do
        case $line in
            "ok - "*) pass=$((pass + 1)); echo "$line" ;;
            "not ok - "*) fail=$((fail + 1)); failed+=("${line#not ok - }"); echo "$line" ;;
        esac
    done <"$f"
}

case_field() { # CASE.JSON FIELD -> value (string, or JSON)
    python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v))' "$1" "$2"
}

# prepare NAME DEST: DEST/ws (to edit) and DEST/expected (apls apply's result)
prepare() {
    local name=$1 dest=$2 patch applies rc fixed
    mkdir -p "$dest"
    cp -r "$FIX/$name/ws" "$dest/ws"
    cp -r "$FIX/$name/ws" "$dest/expected"
    patch=$(case_field "$FIX/$name/case.json" patch)
    applies=$(case_field "$FIX/$name/case.json" applies)
    # the unsaved buffer edits of the case, made on disk in the expected copy
    python3 - "$FIX/$name/case.json" "$dest/expected" <<'EOF'
import json, sys
case = json.load(open(sys.argv[1]))
for e in case.get("buffer_edits", []):
    p = sys.argv[2] + "/" + e["file"]
    b = open(p, "rb").read()
    open(p, "wb").write(b.replace(e["from"].encode(), e["to"].encode()))
EOF
    # a case whose editor takes the patch's quick fixes saves the patch fixed,
    # and applies it so: the expected result is the fixed patch's
    fixed=$(case_field "$FIX/$name/case.json" fixed_patch)
    if [ "$fixed" != None ] && [ "$fixed" != null ]; then
        cp "$FIX/$name/$fixed" "$dest/expected/$patch"
    fi
    "$APLS" apply --root "$dest/expected" "$dest/expected/$patch" >"$dest/apply.log" 2>&1
    rc=$?
    if [ "$applies" = true ]; then
        [ $rc = 0 ] || { echo "apls apply failed on $name:"; cat "$dest/apply.log"; return 1; }
        # the patch must change something, or the comparison proves nothing
        ! diff -rq "$dest/ws" "$dest/expected" >/dev/null || [ "$(case_field "$FIX/$name/case.json" buffer_edits)" != null ] ||
            { echo "$name: apls apply changed nothing"; return 1; }
    else
        [ $rc = 1 ] || { echo "apls apply should refuse $name (exit $rc)"; cat "$dest/apply.log"; return 1; }
    fi
}

# wrap DIR: DIR/apls runs the server with its stderr kept in DIR/apls.stderr
wrap() {
    printf '#!/bin/sh\nexec "%s" "$@" 2>>"%s/apls.stderr"\n' "$APLS" "$1" >"$1/apls"
    chmod +x "$1/apls"
}

same_tree() { # WS EXPECTED: same files, byte for byte; shows the differences with cat -A
    local f
    diff -rq "$1" "$2" >"$1.diff" 2>&1 && return 0
    cat "$1.diff"
    (cd "$2" && find . -type f) | while IFS= read -r f; do
        [ -f "$1/$f" ] && ! cmp -s "$1/$f" "$2/$f" || continue
        echo "  $f: editor (<) vs apls apply (>), cat -A:"
        diff <(cat -A "$1/$f") <(cat -A "$2/$f") | head -n 20 | sed 's/^/    /'
    done
    return 1
}

fixtures=${APLS_FIXTURES:-$(cd "$FIX" && ls -d */ | tr -d /)}

# ---------------------------------------------------------------- Neovim
run_nvim() {
    local name mode dir
    if ! command -v nvim >/dev/null; then
        not_ok "nvim: not installed (apt-get install neovim)"
        return
    fi
    echo "# Neovim: $(nvim --version | head -n1)"
    for name in $fixtures; do
        for mode in helper builtin; do
            dir=$TMP/nvim-$mode-$name
            if ! prepare "$name" "$dir"; then
                not_ok "nvim $mode: $name: fixture preparation"
                continue
            fi
            : >"$dir/result"
            wrap "$dir"
            (cd "$dir/ws" && XDG_CACHE_HOME=$dir/cache XDG_STATE_HOME=$dir/state XDG_CONFIG_HOME=$dir/config \
                XDG_DATA_HOME=$dir/data APLS_BIN=$dir/apls APLS_CASE=$FIX/$name/case.json APLS_MODE=$mode \
                APLS_OUT=$dir/result timeout 60 nvim --headless -u NONE -i NONE \
                --cmd "set rtp^=$HERE/nvim" -c 'filetype plugin on' -c 'syntax on' \
                -c "luafile $HERE/nvim/test/run.lua" </dev/null >"$dir/nvim.out" 2>&1)
            local rc=$?
            sed -i "s/^\(\(not \)\?ok - nvim $mode: \)/\1$name: /" "$dir/result"
            tally "$dir/result" "nvim $mode: $name"
            check "nvim $mode: $name: Neovim exited cleanly (exit $rc)" test $rc = 0
            check "nvim $mode: $name: files byte for byte as apls apply writes" same_tree "$dir/ws" "$dir/expected"
            if [ "${APLS_VERBOSE:-}" = 1 ] || [ $rc != 0 ]; then
                echo "# nvim output:"; tail -n 20 "$dir/nvim.out"
                echo "# apls stderr:"; tail -n 30 "$dir/apls.stderr" 2>/dev/null
            fi
        done
    done
}

# Neovim started as its users start it (their init.lua, no -u NONE), with the
# plugin where a plugin manager puts it: "pack" = a start package in the user's
# site folder (packer, paq, Vim packages: the plugin root is a checkout of
# editors/nvim), "rtp" = a folder put on 'runtimepath' by init.lua (lazy.nvim's
# `dir`, packer's and vim-plug's `rtp`). init.lua calls setup{} as
# nvim-lspconfig users do; setup_check.lua checks the rest and :checkhealth.
run_nvim_layouts() {
    local layout dir rc init
    command -v nvim >/dev/null || return
    for layout in pack rtp; do
        dir=$TMP/nvim-layout-$layout
        mkdir -p "$dir/config/nvim" "$dir/data" "$dir/bin"
        cp -r "$FIX/failing/ws" "$dir/ws"
        ln -s "$APLS" "$dir/bin/apls"
        init="require('apls').setup{}"
        if [ $layout = pack ]; then
            mkdir -p "$dir/data/nvim/site/pack/plugins/start"
            ln -s "$HERE/nvim" "$dir/data/nvim/site/pack/plugins/start/apls"
        else
            init="vim.opt.runtimepath:prepend('$HERE/nvim')
$init"
        fi
        printf '%s\n' "$init" >"$dir/config/nvim/init.lua"
        : >"$dir/result"
        (cd "$dir/ws" && HOME=$dir XDG_CONFIG_HOME=$dir/config XDG_DATA_HOME=$dir/data \
            XDG_STATE_HOME=$dir/state XDG_CACHE_HOME=$dir/cache PATH=$dir/bin:$PATH \
            APLS_OUT=$dir/result APLS_LABEL="nvim layout $layout" APLS_EXPECT_PATH=$dir/bin/apls \
            APLS_EXPECT_VERSION="$("$APLS" --version | sed 's/^apls //')" \
            timeout 60 nvim --headless -i NONE -c "luafile $HERE/nvim/test/setup_check.lua" \
            </dev/null >"$dir/nvim.out" 2>&1)
        rc=$?
        tally "$dir/result" "nvim layout $layout"
        check "nvim layout $layout: Neovim exited cleanly (exit $rc)" test $rc = 0
    done
}

# ---------------------------------------------------------------- Emacs
run_emacs() {
    local name mode dir rc
    if ! command -v emacs >/dev/null; then
        not_ok "emacs: not installed (apt-get install emacs-nox elpa-eglot)"
        return
    fi
    echo "# Emacs: $(emacs --version | head -n1)"
    mkdir -p "$TMP/elc"
    cp "$HERE/emacs/ap-mode.el" "$TMP/elc/"
    check "emacs: ap-mode.el byte-compiles without warnings" \
        bash -c "cd '$TMP/elc' && HOME='$TMP/elc' timeout 60 emacs --batch -Q --eval \"(progn
            (unless (locate-library \\\"eglot\\\")
              (let ((default-directory \\\"/usr/share/emacs/site-lisp/elpa/\\\"))
                (when (file-directory-p default-directory) (normal-top-level-add-subdirs-to-load-path))))
            (require 'eglot) (setq byte-compile-error-on-warn t)
            (kill-emacs (if (byte-compile-file \\\"ap-mode.el\\\") 0 1)))\" >compile.log 2>&1 || { cat compile.log; false; }"
    # ap-mode derives from yaml-mode where it is installed, else from prog-mode
    local parent
    for parent in yaml-mode prog-mode; do
        : >"$TMP/emacs-modes-$parent"
        (cd "$TMP" && HOME=$TMP/elc APLS_PARENT=$parent APLS_OUT=$TMP/emacs-modes-$parent timeout 60 \
            emacs --batch -Q -L "$HERE/emacs" -l "$HERE/emacs/test/modes.el" </dev/null >"$TMP/emacs-modes.out" 2>&1) ||
            { echo "# emacs output:"; tail -n 20 "$TMP/emacs-modes.out"; }
        tally "$TMP/emacs-modes-$parent" "emacs ap-mode over $parent"
    done
    for name in $fixtures; do
        for mode in helper builtin; do
            dir=$TMP/emacs-$mode-$name
            if ! prepare "$name" "$dir"; then
                not_ok "emacs $mode: $name: fixture preparation"
                continue
            fi
            : >"$dir/result"
            wrap "$dir"
            (cd "$dir/ws" && HOME=$dir/home APLS_BIN=$dir/apls APLS_CASE=$FIX/$name/case.json APLS_MODE=$mode \
                APLS_OUT=$dir/result timeout 90 emacs --batch -Q -L "$HERE/emacs" \
                -l "$HERE/emacs/test/run.el" </dev/null >"$dir/emacs.out" 2>&1)
            rc=$?
            sed -i "s/^\(\(not \)\?ok - emacs $mode: \)/\1$name: /" "$dir/result"
            tally "$dir/result" "emacs $mode: $name"
            check "emacs $mode: $name: Emacs exited cleanly (exit $rc)" test $rc = 0
            check "emacs $mode: $name: files byte for byte as apls apply writes" same_tree "$dir/ws" "$dir/expected"
            if [ "${APLS_VERBOSE:-}" = 1 ] || [ $rc != 0 ]; then
                echo "# emacs output:"; tail -n 20 "$dir/emacs.out"
                echo "# apls stderr:"; tail -n 30 "$dir/apls.stderr" 2>/dev/null
            fi
        done
    done
}

# ap-mode as an Emacs package: package-install-file into an empty
# package-user-dir, then fresh Emacs processes (-q: no init file, Debian's site
# start files as a user has them, so Debian's eglot 1.9 is a package) with
# eglot loaded before, or after, a patch is opened (editors/emacs/test/package.el).
run_emacs_package() {
    local dir=$TMP/emacs-package step rc
    command -v emacs >/dev/null || return
    mkdir -p "$dir/bin"
    cp -r "$FIX/failing/ws" "$dir/ws"
    ln -s "$APLS" "$dir/bin/apls"
    : >"$dir/result"
    for step in install eglot-first mode-first; do
        (cd "$dir/ws" && HOME=$dir PATH=$dir/bin:$PATH APLS_PKG_STEP=$step APLS_ELPA=$dir/elpa \
            APLS_MODE_EL=$HERE/emacs/ap-mode.el APLS_VERSION="$("$APLS" --version | sed 's/^apls //')" \
            APLS_OUT=$dir/result timeout 90 emacs --batch -q -l "$HERE/emacs/test/package.el" \
            </dev/null >"$dir/emacs-$step.out" 2>&1)
        rc=$?
        check "emacs package $step: Emacs exited cleanly (exit $rc)" test $rc = 0
    done
    tally "$dir/result" "emacs package"
}

# ---------------------------------------------------------------- VS Code
run_vscode() {
    local vs=$HERE/vscode out rc p f
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        not_ok "vscode: node and npm are needed (apt-get install nodejs npm)"
        return
    fi
    echo "# VS Code: node $(node --version), npm $(npm --version 2>/dev/null)"
    if [ ! -d "$vs/node_modules" ]; then
        echo "# npm ci (node_modules missing)"
        if ! (cd "$vs" && timeout 600 npm ci --ignore-scripts --no-audit --no-fund >"$TMP/npm-ci.log" 2>&1); then
            tail -n 20 "$TMP/npm-ci.log"
            not_ok "vscode: npm ci"
            return
        fi
    fi
    check "vscode: npm run check (tsc --noEmit)" \
        bash -c "cd '$vs' && timeout 300 npm run --silent check >'$TMP/tsc.log' 2>&1 || { cat '$TMP/tsc.log'; false; }"
    # the protocol path, the grammar and the server lookup, in node's test runner (TAP)
    out=$(cd "$vs" && APLS_BIN=$APLS timeout 600 node --test --test-reporter=tap \
        test/protocol.test.mjs test/grammar.test.mjs test/serverLog.test.mjs test/serverpath.test.mjs 2>&1)
    rc=$?
    printf '%s\n' "$out" >"$TMP/vscode-tests.tap"
    p=$(printf '%s\n' "$out" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -n1)
    f=$(printf '%s\n' "$out" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -n1)
    if [ -z "$p" ] || [ -z "$f" ]; then
        printf '%s\n' "$out" | tail -n 30
        not_ok "vscode: node protocol tests gave no summary (exit $rc)"
    else
        echo "# vscode: node protocol and grammar tests: $p passed, $f failed"
        pass=$((pass + p))
        fail=$((fail + f))
        if [ "$f" != 0 ] || [ $rc != 0 ]; then
            printf '%s\n' "$out" | grep -E '^\s*not ok|^\s*(error|expected|actual):' | head -n 40
            [ "$f" = 0 ] && fail=$((fail + 1))
            failed+=("vscode: node protocol tests")
        fi
    fi
    # the .vsix the project ships, made by its one script (editors/vscode/build-vsix.sh:
    # esbuild bundle, vsce package, in a copy of the tree): not a package of our own
    check "vscode: build-vsix.sh packages the universal .vsix (bundle, grammar, manifest, no server)" \
        bash -c "timeout 600 '$vs/build-vsix.sh' '$TMP/apls.vsix' >'$TMP/vsce.log' 2>&1 &&
            python3 '$vs/test/vsix-check.py' '$TMP/apls.vsix' || { tail -n 30 '$TMP/vsce.log'; false; }"
}

for e in $EDITORS; do
    case $e in
        nvim) run_nvim; run_nvim_layouts ;;
        emacs) declare -F run_emacs >/dev/null && run_emacs && run_emacs_package ;;
        vscode) declare -F run_vscode >/dev/null && run_vscode ;;
    esac
done

echo
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed:"
    printf '  %s\n' "${failed[@]}"
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
