#!/usr/bin/env bash
# editors/vscode/test/real/run.sh APLS_BINARY [OUT] - the extension in the real
# VS Code: installs code-server 4.100.3 and puppeteer-core into a cache kept
# between runs ($APLS_TEST_CACHE, default ~/.cache/apls-test), builds the
# .vsix the project ships (editors/vscode/build-vsix.sh), installs it, and
# drives the workbench in headless Chromium (drive.mjs); then, where
# APLS_TEST_PLATFORM_VSIX names the linux-x64 .vsix (scripts/build-vsix), that
# package alone, with its own server and the libraries hidden. Screenshots and logs
# go to OUT (default: a temporary folder, kept). Prints "vscode-real: N
# passed, M failed" last; exits non-zero on any failure. Skips (0 passed,
# 0 failed, and says why) only where Node 20 is missing. Design:
# docs/vscode-real.md.
set -uo pipefail
if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: editors/vscode/test/real/run.sh APLS_BINARY [OUT]" >&2
    echo "vscode-real: 0 passed, 1 failed"
    exit 2
fi
APLS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
VS=$(cd "$HERE/../.." && pwd)
OUT=${2:-$(mktemp -d "${TMPDIR:-/tmp}/apls-vscode-real-out.XXXXXX")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CACHE=${APLS_TEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/apls-test}

fail() { echo "not ok - $*"; echo "vscode-real: 0 passed, 1 failed"; exit 1; }

# code-server 4.100.3 declares engines.node 20 and refuses other majors
major=$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p')
if [ "$major" != 20 ]; then
    echo "# SKIPPED: the real VS Code test needs Node 20 (code-server 4.100.3 runs on Node 20 only); found: $(node --version 2>/dev/null || echo 'no node')"
    echo "vscode-real: 0 passed, 0 failed"
    exit 0
fi
[ -f /usr/include/node/node.h ] || fail "Node 20's headers (/usr/include/node) are needed to build code-server's native modules"
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || fail "Debian's chromium is needed (scripts/deps test)"
command -v rg >/dev/null || fail "ripgrep is needed (scripts/deps test)"

echo "# output (screenshots, logs): $OUT"
t0=$(date +%s)
if ! paths=$("$HERE/install.sh" "$CACHE" 2>"$OUT/install.log"); then
    tail -n 30 "$OUT/install.log"
    fail "installing code-server and puppeteer-core into $CACHE"
fi
CODE_SERVER=$(sed -n 1p <<<"$paths")
DRIVER_MODULES=$(sed -n 2p <<<"$paths")
echo "# $("$CODE_SERVER" --version | head -n1 | tr '\n' ' ')($(( $(date +%s) - t0 )) s to install or find in $CACHE)"

if ! "$VS/build-vsix.sh" "$OUT/apls.vsix" >"$OUT/vsix.log" 2>&1; then
    tail -n 30 "$OUT/vsix.log"
    fail "building the .vsix (editors/vscode/build-vsix.sh)"
fi

session() { # LOG ENV...: one code-server session of drive.mjs; its summary line is added up below
    local log=$1
    shift
    env APLS_BIN="$APLS" CODE_SERVER="$CODE_SERVER" DRIVER_MODULES="$DRIVER_MODULES" CHROMIUM="$CHROMIUM" \
        FIXTURES="$(cd "$VS/../fixtures" && pwd)" "$@" timeout 900 node "$HERE/drive.mjs" 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" = 124 ] && echo "not ok - drive.mjs timed out (15 minutes)"
}
session "$OUT/session.log" APLS_VSIX="$OUT/apls.vsix" OUT="$OUT"

# The platform .vsix (scripts/build-vsix: a static apls inside), where given:
# installed into a VS Code that has neither apls.path nor apls on the PATH,
# and runs with libyaml, libjansson and libuv hidden (root and unshare).
platform=${APLS_TEST_PLATFORM_VSIX:-}
if [ -n "$platform" ]; then
    top=$(cd "$VS/../.." && pwd)
    wrap=()
    if "$top/tests/package/without-libs.sh" true 2>/dev/null; then
        wrap=(CS_WRAP="$top/tests/package/without-libs.sh")
    else
        echo "# the platform .vsix runs with the libraries present (hiding them needs root and unshare)"
    fi
    if [ -f "$platform" ]; then
        mkdir -p "$OUT/bundled"
        session "$OUT/bundled/session.log" APLS_VSIX="$platform" OUT="$OUT/bundled" APLS_TEST_BUNDLED=1 \
            APLS_FIXTURES="${APLS_BUNDLED_FIXTURES:-failing create}" "${wrap[@]}"
    else
        echo "not ok - the platform .vsix $platform does not exist"
    fi
fi

# one summary for both sessions; a session without its summary line counts one failure
python3 - "$OUT/session.log" ${platform:+"$OUT/bundled/session.log"} <<'PY'
import re, sys
p = f = 0
for log in sys.argv[1:]:
    text = open(log, errors="replace").read()
    m = re.findall(r"^vscode-real(?:-bundled)?: (\d+) passed, (\d+) failed", text, re.M)
    if m:
        p += int(m[-1][0]); f += int(m[-1][1])
    else:
        f += 1
    f += len(re.findall(r"^not ok - drive.mjs timed out", text, re.M))
print(f"vscode-real: {p} passed, {f} failed")
sys.exit(1 if f else 0)
PY
