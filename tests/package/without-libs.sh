#!/usr/bin/env bash
# tests/package/without-libs.sh [--keep-uv] CMD... - runs CMD as on a machine
# without libyaml, libjansson and libuv: in a private mount namespace (root,
# util-linux's unshare) each of their shared objects is covered by /dev/null,
# so the dynamic loader cannot load them ("file too short"); the host's files
# are untouched. --keep-uv leaves libuv loadable, for a CMD that needs it
# itself (Debian's node links libuv: a VS Code around the bundled server).
# Exits 125 when it cannot mask (not root, no unshare).
set -euo pipefail
pat='lib(yaml-0|jansson|uv)\.so'
if [ "${1:-}" = --keep-uv ]; then
    pat='lib(yaml-0|jansson)\.so'
    shift
fi
[ $# -gt 0 ] || { echo "usage: without-libs.sh [--keep-uv] CMD..." >&2; exit 2; }
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
    echo "without-libs.sh: needs root and unshare" >&2
    exit 125
fi
# every file the loader could take for them, wherever ldconfig knows them
libs=$(ldconfig -p | grep -E "$pat" | sed 's/.* => //' | xargs -r readlink -f | sort -u)
exec unshare --mount --propagation private bash -c '
    for f in $1; do mount --bind /dev/null "$f" || exit 125; done
    shift
    exec "$@"' _ "$libs" "$@"
