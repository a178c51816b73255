#!/usr/bin/env bash
# bench/run.sh - the benchmark of docs/bench.md, in a release build: the
# ladder (one table: apls, the floor and the reference patcher on every
# rung, both formats) and the language server (one table: the five kinds of
# edit at r3-r5). Figures, not tests; an hour or more with the reference.
#
#   bench/run.sh [--quick]
#
# Builds build-rel/ (meson --buildtype=release) if needed. The workloads are
# generated once into $APLS_BENCH_DIR (default $TMPDIR/apls-bench), outside
# the repository. The reference patcher (implementation/ap.py of unxed/ap,
# never vendored) runs when the environment points at checkouts of it:
#   APLS_REFERENCE=/path/to/ap-013fb9c      for the 2.0 patches
#   APLS_REFERENCE_32=/path/to/ap-3345b5a   for the 3.2 patches
# --quick: rungs r0-r2, and the language server at r2 only.
# Raw figures are kept in $APLS_BENCH_DIR/ladder.json and lsp.json.
set -euo pipefail
cd "$(dirname "$0")/.."
b=build-rel
if [ ! -f "$b/build.ninja" ]; then
    meson setup "$b" --buildtype=release >/dev/null
fi
ninja -C "$b" server/apls bench/bench_gen bench/bench_floor bench/bench_phases bench/bench_run >/dev/null
work=${APLS_BENCH_DIR:-${TMPDIR:-/tmp}/apls-bench}
mkdir -p "$work"
rungs=r0,r1,r2,r3,r4,r5
lsp_rungs=r3,r4,r5
if [ "${1:-}" = "--quick" ]; then
    rungs=r0,r1,r2
    lsp_rungs=r2
fi
python3 bench/ladder.py --build "$b" --work "$work" --rungs "$rungs" --json "$work/ladder.json"
echo
python3 bench/lsp_bench.py --build "$b" --work "$work" --rungs "$lsp_rungs" --json "$work/lsp.json"
