#!/usr/bin/env bash
# editors/vscode/test/real/run.sh APLS_BINARY [OUT] - the extension in the real
# VS Code: installs code-server 4.100.3 and puppeteer-core into a cache kept
# between runs ($APLS_TEST_CACHE, default ~/.cache/apls-test), builds the
# .vsix the project ships (editors/vscode/build-vsix.sh), installs it, and
# drives the workbench in headless Chromium (drive.mjs). Screenshots and logs
# go to OUT (default: a temporary folder, kept). Prints "vscode-real: N
# passed, M failed" last; exits non-zero on any failure.
# APLS_REAL_VSIX=FILE.vsix installs that package instead (scripts/build-vsix's
# linux-x64 one) and checks that it starts the server it carries. Skips (0 passed,
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
CACHE=${APLS_TEST_CACHE:-$HOME/.cache/apls-test}

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

if [ -n "${APLS_REAL_VSIX:-}" ]; then
    # the linux-x64 package (scripts/build-vsix), with the server it carries
    VSIX=$APLS_REAL_VSIX
    export APLS_SERVER=bundled
    echo "# $VSIX, its own server (apls.path unset, no apls on the PATH)"
elif ! "$VS/build-vsix.sh" "$OUT/apls.vsix" >"$OUT/vsix.log" 2>&1; then
    tail -n 30 "$OUT/vsix.log"
    fail "building the .vsix (editors/vscode/build-vsix.sh)"
else
    VSIX=$OUT/apls.vsix
fi

APLS_BIN=$APLS APLS_VSIX=$VSIX CODE_SERVER=$CODE_SERVER DRIVER_MODULES=$DRIVER_MODULES \
    CHROMIUM=$CHROMIUM OUT=$OUT FIXTURES=$(cd "$VS/../fixtures" && pwd) \
    timeout 900 node "$HERE/drive.mjs"
rc=$?
[ $rc = 124 ] && fail "drive.mjs timed out (15 minutes)"
exit $rc
