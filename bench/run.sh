#!/usr/bin/env bash
# bench/run.sh - the full benchmark, in a release build.
#
#   bench/run.sh [bench_resolve options...]
#
# Builds build-release/ (meson --buildtype=release) if needed, runs
# bench_resolve over every size (1,000 / 10,000 / 100,000 target lines x
# 10 / 100 / 1,000 / 10,000 modifications), then times the command line end
# to end on the largest size (apls check and apls apply --dry-run, on disk).
# Options are passed to bench_resolve (e.g. --reps 3, --lines 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
b=build-release
if [ ! -f "$b/build.ninja" ]; then
    meson setup "$b" --buildtype=release >/dev/null
fi
ninja -C "$b" bench/bench_resolve server/apls >/dev/null

echo "== in process (memory provider), best of up to 5 runs, times in ms"
"$b/bench/bench_resolve" "$@"

echo
echo "== command line, on disk: 100,000 lines, 10,000 modifications"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$b/bench/bench_resolve" --lines 100000 --mods 10000 --reps 1 --write "$work/ws" >/dev/null
for f in src/big.c patch.ap; do
    printf '  %-21s %10d bytes\n' "$f" "$(wc -c <"$work/ws/$f")"
done
for cmd in "check" "apply --dry-run"; do
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    "$b/server/apls" $cmd --root "$work/ws" "$work/ws/patch.ap" >"$work/out" 2>&1 || {
        echo "apls $cmd failed:"
        tail -n 5 "$work/out"
        exit 1
    }
    t1=$(date +%s%N)
    awk -v c="$cmd" -v ns=$((t1 - t0)) 'BEGIN { printf "  apls %-16s %8.1f ms\n", c, ns / 1e6 }'
done
t0=$(date +%s%N)
"$b/server/apls" apply --root "$work/ws" "$work/ws/patch.ap" >"$work/out" 2>&1
t1=$(date +%s%N)
awk -v ns=$((t1 - t0)) 'BEGIN { printf "  apls %-16s %8.1f ms\n", "apply", ns / 1e6 }'
if cmp -s "$work/ws/src/big.c" "$work/ws/expected.c"; then
    echo "  the file written is the expected one"
else
    echo "  the file written differs from the expected one"
    exit 1
fi
