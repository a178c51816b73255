#!/usr/bin/env bash
# tests/package/run.sh [BUILD_DIR] - apls as users install it (docs/shipping.md):
#   deb:    dpkg-buildpackage -us -uc -b in a copy of the tree; its files
#           (unpacked into an empty root); then, as root with dpkg (CI),
#           installed on the machine (apt-get install ./DEB) and used with
#           only its files on the paths: apls --version, man -w apls and the
#           page itself, a headless Neovim (packaged plugin, setup{} in
#           init.lua, :checkhealth apls), emacs --batch (Debian's site start,
#           ap-mode, eglot); then purged, and nothing of it may be left.
#           Not root (or apls installed here already, or
#           APLS_PACKAGE_INSTALL=no): the same use of the unpacked root;
#   meson:  `meson install --destdir` from BUILD_DIR installs the same files
#           (skipped without BUILD_DIR);
#   vsix:   scripts/build-vsix: no libyaml, libjansson, libuv in ldd of the
#           bundled binary, which runs where they are hidden (without-libs.sh:
#           root), the package's layout, and the extension's lookup
#           (src/serverPath.ts) finds the bundled binary when apls.path and
#           PATH have none.
# Prints "N passed, M failed" last; exits non-zero on failure.
# APLS_PACKAGE_PARTS="deb meson vsix" chooses; APLS_KEEP=1 keeps the work folder.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:+$(cd "$1" && pwd)}
parts=${APLS_PACKAGE_PARTS:-deb meson vsix}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/apls-package.XXXXXX")
pass=0
fail=0
failed=()
deb_installed=
cleanup() {
    # a run cut short never leaves the package it installed behind
    [ -n "$deb_installed" ] && dpkg --purge apls >/dev/null 2>&1
    if [ "${APLS_KEEP:-}" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); failed+=("$*"); echo "not ok - $*"; }
check() { # DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}
tally() { # FILE: count an editor's "ok - " / "not ok - " lines
    local line
    [ -s "$1" ] || { not_ok "$2: no result at all"; return; }
    while IFS= read -r line; do
        case $line in
            "ok - "*) pass=$((pass + 1)); echo "$line" ;;
            "not ok - "*) fail=$((fail + 1)); failed+=("${line#not ok - }"); echo "$line" ;;
        esac
    done <"$1"
}

version=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$top/meson.build")
deb_version=$(sed -n '1s/^apls (\([^)]*\)).*/\1/p' "$top/debian/changelog")
check "the Debian version ($deb_version) is meson's ($version)" test -n "$version" -a "$version" = "$deb_version"

# the files of an installed tree, relative to its prefix, as the .deb and
# meson install must both have them (the .deb compresses the page and adds
# its docs and the /etc link)
installed_files() { # ROOT PREFIX
    (cd "$1$2" && find . \( -type f -o -type l \) | sed 's|^\./||; s|\.gz$||' |
        grep -v '^share/doc/' | LC_ALL=C sort)
}

# ------------------------------------------------------------ the .deb
part_deb() {
    local src=$TMP/deb/src root=$TMP/root deb rc
    if ! command -v dpkg-buildpackage >/dev/null || ! dpkg-query -W -f='${Status}' debhelper 2>/dev/null | grep -q "ok installed"; then
        not_ok "deb: dpkg-buildpackage and debhelper are needed (scripts/deps test)"
        return
    fi
    mkdir -p "$src"
    # the tree as committed plus what is new, without builds and node_modules
    if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$top" && git ls-files -co --exclude-standard -z | tar -cf - --null -T -) | tar -xf - -C "$src"
    else
        (cd "$top" && tar -cf - --exclude='./build*' --exclude=node_modules --exclude=./.git .) | tar -xf - -C "$src"
    fi
    (cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" timeout 900 \
        dpkg-buildpackage -us -uc -b >"$TMP/deb/build.log" 2>&1)
    rc=$?
    deb=$TMP/deb/apls_${deb_version}_$(dpkg --print-architecture).deb
    if [ $rc != 0 ] || [ ! -f "$deb" ]; then
        tail -n 30 "$TMP/deb/build.log"
        not_ok "deb: dpkg-buildpackage -us -uc -b builds $(basename "$deb") (exit $rc)"
        return
    fi
    ok "deb: dpkg-buildpackage -us -uc -b builds $(basename "$deb")"
    check "deb: it depends on the shared libraries it links" \
        bash -c "dpkg-deb -f '$deb' Depends | grep -q libyaml && dpkg-deb -f '$deb' Depends | grep -q libjansson && dpkg-deb -f '$deb' Depends | grep -q libuv1"
    mkdir -p "$root"
    dpkg-deb -x "$deb" "$root"
    installed_files "$root" /usr >"$TMP/deb.files"
    dpkg-deb -c "$deb" >"$TMP/deb.contents"
    local f
    for f in bin/apls share/man/man1/apls.1 share/emacs/site-lisp/apls/ap-mode.el \
        share/emacs/site-lisp/apls/apls-start.el share/nvim/site/pack/apls/start/apls/lua/apls/init.lua \
        share/nvim/site/pack/apls/start/apls/lua/apls/health.lua share/nvim/site/pack/apls/start/apls/ftdetect/ap.lua \
        share/nvim/site/pack/apls/start/apls/ftplugin/ap.lua share/nvim/site/pack/apls/start/apls/syntax/ap.vim; do
        check "deb: has /usr/$f" grep -qx "$f" "$TMP/deb.files"
    done
    check "deb: /etc/emacs/site-start.d/50apls.el runs the start file at every Emacs start" \
        test "$(readlink "$root/etc/emacs/site-start.d/50apls.el")" = /usr/share/emacs/site-lisp/apls/apls-start.el

    # Used with only the package's files on the paths: installed for real
    # where that may be done (root, dpkg: CI's fresh machine), then purged;
    # else (not root, or apls already installed here) unpacked into $root
    if can_install "$deb"; then
        deb_install "$deb" && deb_use "" installed
        deb_purge "$deb"
    else
        deb_use "$root" unpacked
    fi
}

# whether the .deb may be installed on this machine for the test: root and
# dpkg, no apls of the user's (a package or /usr/bin/apls) that the test would
# replace and then remove; APLS_PACKAGE_INSTALL=no always unpacks instead
can_install() {
    [ "${APLS_PACKAGE_INSTALL:-yes}" != no ] || { echo "# deb: APLS_PACKAGE_INSTALL=no: unpacked, not installed"; return 1; }
    [ "$(id -u)" = 0 ] && command -v dpkg >/dev/null ||
        { echo "# deb: not root (or no dpkg): unpacked into an empty root, not installed"; return 1; }
    if dpkg-query -W -f='${Status}' apls 2>/dev/null | grep -q 'ok installed' || [ -e /usr/bin/apls ]; then
        echo "# deb: apls is installed on this machine already (left alone): unpacked, not installed"
        return 1
    fi
}

deb_install() { # DEB: apt-get install ./DEB (dpkg -i without apt)
    local deb=$1 rc
    # the package's paths that are absent now: after the purge they must be absent again
    dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|; s|/$||' | grep -v '^/\?$' |
        while IFS= read -r f; do [ -e "$f" ] || [ -L "$f" ] || echo "$f"; done >"$TMP/deb.new-paths"
    deb_installed=1
    if command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y --no-install-recommends \
            -o DPkg::Lock::Timeout=120 "$deb" >"$TMP/deb/install.log" 2>&1
    else
        timeout 600 dpkg -i "$deb" >"$TMP/deb/install.log" 2>&1
    fi
    rc=$?
    [ $rc = 0 ] || tail -n 20 "$TMP/deb/install.log"
    check "deb: $(command -v apt-get >/dev/null && echo 'apt-get install ./' || echo 'dpkg -i ')$(basename "$deb") installs it (exit $rc)" \
        bash -c "test $rc = 0 && dpkg-query -W -f='\${Status}' apls | grep -q 'ok installed'"
}

deb_purge() { # DEB: purge it; nothing of it may be left
    local deb=$1 rc left
    [ -n "$deb_installed" ] || return 0
    if command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get purge -y -o DPkg::Lock::Timeout=120 apls >"$TMP/deb/purge.log" 2>&1
    else
        timeout 600 dpkg --purge apls >"$TMP/deb/purge.log" 2>&1
    fi
    rc=$?
    deb_installed=
    [ $rc = 0 ] || tail -n 20 "$TMP/deb/purge.log"
    check "deb: purged (exit $rc), dpkg knows no apls" \
        bash -c "test $rc = 0 && ! dpkg-query -W -f='\${Status}' apls 2>/dev/null | grep -q installed"
    while IFS= read -r f; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done <"$TMP/deb.new-paths" >"$TMP/deb.left"
    check "deb: after the purge, nothing it installed is left ($(wc -l <"$TMP/deb.new-paths") paths)" \
        bash -c "test -s '$TMP/deb.new-paths' && ! test -s '$TMP/deb.left' || { echo left:; cat '$TMP/deb.left'; false; }"
    check "deb: after the purge, man -w apls finds nothing" bash -c "! env -i PATH=/usr/bin:/bin man -w apls >/dev/null 2>&1"
}

deb_use() { # SYS HOW: the package's files under SYS ("" when installed), used as a user would
    local sys=$1 how=$2 rc
    local env=(env -i HOME="$TMP/home" PATH="$sys/usr/bin:/usr/bin:/bin" LANG=C.UTF-8 TERM=dumb)
    mkdir -p "$TMP/home"
    check "deb ($how): apls --version says $deb_version" test "$("${env[@]}" apls --version)" = "apls $deb_version"
    check "deb ($how): man -w apls finds the packaged page (through PATH)" \
        test "$("${env[@]}" man -w apls 2>&1)" = "$sys/usr/share/man/man1/apls.1.gz"
    "${env[@]}" MANWIDTH=200 man apls 2>/dev/null | col -b >"$TMP/man.txt"
    "${env[@]}" apls --help >"$TMP/help.txt"
    check "deb ($how): the page renders, with NAME, SYNOPSIS, OPTIONS, EXIT STATUS, ENVIRONMENT, FILES" \
        bash -c "for s in NAME SYNOPSIS OPTIONS 'EXIT STATUS' ENVIRONMENT FILES; do grep -q \"^\$s\" '$TMP/man.txt' || exit 1; done"
    check "deb ($how): every term of --help is in the page (one source)" python3 - "$TMP/help.txt" "$TMP/man.txt" <<'PY'
import sys, re
norm = lambda s: re.sub(r"\s+", " ", s).strip()
man = norm(open(sys.argv[2]).read())
terms = [l for l in open(sys.argv[1]) if l.startswith("  ") and not l.startswith("   ")]
missing = [t.strip() for t in terms if norm(t) not in man]
if len(terms) < 15 or missing:
    print("terms:", len(terms), "missing from the page:", missing)
    sys.exit(1)
PY

    # Neovim: the packaged plugin from its site folder; installed, Neovim's
    # default XDG_DATA_DIRS finds it; unpacked, XDG_DATA_DIRS names the root
    if command -v nvim >/dev/null; then
        local nv=$TMP/nvim-$how dirs=()
        [ -n "$sys" ] && dirs=(XDG_DATA_DIRS="$sys/usr/share")
        mkdir -p "$nv/config/nvim"
        cp -r "$top/editors/fixtures/failing/ws" "$nv/ws"
        echo "require('apls').setup{}" >"$nv/config/nvim/init.lua"
        : >"$nv/result"
        (cd "$nv/ws" && "${env[@]}" XDG_CONFIG_HOME="$nv/config" XDG_DATA_HOME="$nv/data" \
            XDG_STATE_HOME="$nv/state" XDG_CACHE_HOME="$nv/cache" "${dirs[@]}" \
            APLS_OUT="$nv/result" APLS_LABEL="package ($how): nvim" APLS_EXPECT_PATH="$sys/usr/bin/apls" \
            APLS_EXPECT_PLUGIN="$sys/usr/share/nvim/site/pack/apls/start/apls/" APLS_EXPECT_VERSION="$deb_version" \
            timeout 60 nvim --headless -i NONE -c "luafile $top/editors/nvim/test/setup_check.lua" \
            </dev/null >"$nv/nvim.out" 2>&1)
        rc=$?
        tally "$nv/result" "package ($how): nvim"
        check "package ($how): nvim: Neovim exited cleanly (exit $rc)" test $rc = 0
    else
        not_ok "package ($how): nvim: not installed"
    fi

    # Emacs: installed, Debian's site start runs /etc/emacs/site-start.d/50apls.el
    # (emacs -q: no init file, the site files as for a user); unpacked, the
    # start file that link names is loaded from the root
    if command -v emacs >/dev/null; then
        local em=$TMP/emacs-$how start=()
        [ -n "$sys" ] && start=(-Q -l "$sys/usr/share/emacs/site-lisp/apls/apls-start.el")
        [ -n "$sys" ] || start=(-q)
        mkdir -p "$em"
        cp -r "$top/editors/fixtures/failing/ws" "$em/ws"
        : >"$em/result"
        (cd "$em/ws" && "${env[@]}" APLS_ROOT="$sys/" APLS_LABEL="package ($how): emacs" APLS_OUT="$em/result" \
            timeout 90 emacs --batch "${start[@]}" -l "$top/tests/package/emacs-check.el" \
            </dev/null >"$em/emacs.out" 2>&1)
        rc=$?
        tally "$em/result" "package ($how): emacs"
        check "package ($how): emacs: Emacs exited cleanly (exit $rc)" test $rc = 0
    else
        not_ok "package ($how): emacs: not installed"
    fi
}

# ------------------------------------------------------------ meson install
part_meson() {
    local dest=$TMP/destdir prefix
    if [ -z "$build" ]; then
        echo "# meson install: skipped (no BUILD_DIR given)"
        return
    fi
    prefix=$(meson introspect "$build" --buildoptions | python3 -c \
        'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
    if ! meson install -C "$build" --no-rebuild --destdir "$dest" >"$TMP/install.log" 2>&1; then
        tail -n 20 "$TMP/install.log"
        not_ok "meson install --destdir: exit status"
        return
    fi
    installed_files "$dest" "$prefix" >"$TMP/meson.files"
    check "meson install --destdir puts the binary, page and editor files under $prefix" \
        bash -c "grep -qx bin/apls '$TMP/meson.files' && grep -qx share/man/man1/apls.1 '$TMP/meson.files'"
    check "meson: the installed apls runs" test "$("$dest$prefix/bin/apls" --version)" = "apls $version"
    if [ -f "$TMP/deb.files" ]; then
        check "meson install and the .deb install the same files" \
            bash -c "diff '$TMP/meson.files' '$TMP/deb.files' || { echo '(< meson, > .deb)'; false; }"
    fi
}

# ------------------------------------------------------------ the .vsix
part_vsix() {
    local vsix x node
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        not_ok "vsix: node and npm are needed"
        return
    fi
    if ! vsix=$(cd "$top" && timeout 900 scripts/build-vsix "$TMP/vsix" 2>"$TMP/vsix.log" | tail -n1) || [ ! -f "$vsix" ]; then
        tail -n 30 "$TMP/vsix.log"
        not_ok "vsix: scripts/build-vsix builds the linux-x64 package"
        return
    fi
    ok "vsix: scripts/build-vsix builds $(basename "$vsix")"
    check "vsix: its layout (bundle, manifest, bin/linux-x64/apls executable, TargetPlatform)" \
        python3 "$top/editors/vscode/test/vsix-check.py" "$vsix" --target linux-x64
    x=$TMP/vsix/unpacked
    python3 -c 'import sys, zipfile, os
z = zipfile.ZipFile(sys.argv[1])
for i in z.infolist():
    p = z.extract(i, sys.argv[2])
    if i.external_attr >> 16: os.chmod(p, (i.external_attr >> 16) & 0o7777)' "$vsix" "$x"
    ldd "$x/extension/bin/linux-x64/apls" >"$TMP/ldd.txt" 2>&1
    check "vsix: the bundled apls is dynamic (glibc) but needs none of libyaml, libjansson, libuv (ldd)" \
        bash -c "grep -q 'libc.so' '$TMP/ldd.txt' && ! grep -E 'lib(yaml|jansson|uv)' '$TMP/ldd.txt'"
    check "vsix: the bundled apls runs (--version: $version)" \
        test "$("$x/extension/bin/linux-x64/apls" --version)" = "apls $version"
    # as on a machine without the three libraries (tests/package/without-libs.sh)
    local bundled=$x/extension/bin/linux-x64/apls wl=$top/tests/package/without-libs.sh dyn rc
    dyn=${build:+$build/server/apls}
    [ -x "$TMP/root/usr/bin/apls" ] && dyn=$TMP/root/usr/bin/apls
    "$wl" true
    rc=$?
    if [ $rc = 125 ]; then
        not_ok "vsix: hiding libyaml, libjansson and libuv needs root and unshare"
    else
        if [ -n "$dyn" ]; then
            check "vsix: with the libraries hidden, a dynamically linked apls cannot start (the hiding works)" \
                bash -c "! '$wl' '$dyn' --version >/dev/null 2>&1"
        fi
        check "vsix: with the libraries hidden, the bundled apls runs" \
            test "$("$wl" "$bundled" --version 2>&1)" = "apls $version"
        mkdir -p "$TMP/hidden" && cp -r "$top/editors/fixtures/failing/ws" "$TMP/hidden/ws"
        check "vsix: with the libraries hidden, the bundled apls checks a patch (YAML, JSON)" \
            bash -c "cd '$TMP/hidden/ws' && '$wl' '$bundled' check --json broken.ap >'$TMP/hidden/check.json'; test \$? = 1 && grep -q SNIPPET_NOT_FOUND '$TMP/hidden/check.json'"
        check "vsix: with the libraries hidden, the bundled apls answers initialize (libuv)" \
            bash -c "printf 'Content-Length: 58\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}' |
                timeout 10 '$wl' '$bundled' 2>/dev/null | grep -q '\"capabilities\"'"
    fi
    # the extension's own lookup, with apls.path empty and no apls on PATH
    node=$(command -v node)
    mkdir -p "$TMP/emptybin"
    check "vsix: with apls.path empty and no apls on PATH, the extension starts the bundled binary" \
        test "$(cd "$top/editors/vscode" && PATH=$TMP/emptybin "$node" test/find-server.mjs "$x/extension")" = \
        "bundled $x/extension/bin/linux-x64/apls"
}

for p in $parts; do
    echo "# $p"
    "part_$p"
done
echo
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed:"
    printf '  %s\n' "${failed[@]}"
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
