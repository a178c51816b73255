#!/usr/bin/env bash
# editors/vscode/build-vsix.sh OUT.vsix - the .vsix the project ships: the
# extension bundled by esbuild (minified), packaged by vsce, built in a copy
# so nothing is written into the source tree. Installs node_modules (npm ci)
# when they are missing. The one place the package is made: the tests
# (editors/run-tests.sh, test/real/run.sh) install what this writes.
set -euo pipefail
out=${1:?usage: build-vsix.sh OUT.vsix}
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
# vsce runs the vscode:prepublish script (the minified bundle) before packaging
(cd "$work" && npx --no-install vsce package --no-dependencies --skip-license \
    --allow-missing-repository -o "$out" >&2)
test -s "$out"
