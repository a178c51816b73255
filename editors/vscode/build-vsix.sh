#!/usr/bin/env bash
# editors/vscode/build-vsix.sh OUT.vsix [--target PLATFORM SERVER] - the .vsix
# the project ships: the extension bundled by esbuild (minified), packaged by
# vsce, built in a copy so nothing is written into the source tree. With
# --target (scripts/build-vsix: linux-x64 and a statically linked apls), a
# platform package carrying SERVER as bin/PLATFORM/apls, which the extension
# starts when apls.path and PATH have none (src/serverPath.ts). Installs
# node_modules (npm ci) when they are missing. The one place the package is
# made: the tests (editors/run-tests.sh, test/real/run.sh, tests/package)
# install what this writes.
set -euo pipefail
out=${1:?usage: build-vsix.sh OUT.vsix [--target PLATFORM SERVER]}
target=
server=
if [ $# -gt 1 ]; then
    [ $# = 4 ] && [ "$2" = --target ] || { echo "usage: build-vsix.sh OUT.vsix [--target PLATFORM SERVER]" >&2; exit 2; }
    target=$3
    server=$4
    [ -x "$server" ] || { echo "build-vsix.sh: $server is not an executable" >&2; exit 2; }
fi
case $out in /*) ;; *) out=$PWD/$out ;; esac
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules" ]; then
    (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund >&2)
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/apls-vsix.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$here" && cp -r package.json package-lock.json README.md language-configuration.json .vscodeignore \
    tsconfig.json esbuild.mjs src syntaxes "$work/")
ln -s "$here/node_modules" "$work/node_modules"
args=()
if [ -n "$target" ]; then
    mkdir -p "$work/bin/$target"
    install -m 755 -s "$server" "$work/bin/$target/apls"
    args=(--target "$target")
fi
# vsce runs the vscode:prepublish script (the minified bundle) before packaging
(cd "$work" && npx --no-install vsce package --no-dependencies --skip-license \
    --allow-missing-repository "${args[@]}" -o "$out" >&2)
test -s "$out"
