#!/usr/bin/env bash
# tests/conformance/alone.sh APLS - the conformance step needs nothing
# outside the repository (issue 11, item 8: on a fresh clone, scripts/test
# failed: its conformance runner was not in the clone).
# tests/conformance alone is copied into an empty folder and its runner run
# there, on its own cases of both formats; and every conformance command of
# scripts/test runs this runner on these cases.
#
#   tests/conformance/alone.sh PATH/TO/apls     (a meson test, suite unit)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
apls=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d "${TMPDIR:-/tmp}/apls-alone.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0
pass=0
mkdir -p "$T/repo/tests"
cp -r "$top/tests/conformance" "$T/repo/tests/"
cd "$T/repo" || exit 1
# a few cases of each set (APLS_CASES): the point is where they are read
# from, the whole sets run in scripts/test
for set in v2 v3; do
    mode=
    [ $set = v3 ] && mode={mode}
    out=$(APLS_RECORD=off APLS_CASES='0*' python3 tests/conformance/run.py tests/conformance/$set -- \
        "$apls" apply $mode --root {root} {patch} 2>&1)
    line=$(printf '%s\n' "$out" | tail -n1)
    if [[ $line =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
        echo "ok   $set cases run alone: $line"
        pass=$((pass + 1))
    else
        echo "FAIL $set cases run alone:"
        printf '%s\n' "$out" | tail -n 20
        fail=$((fail + 1))
    fi
done
# scripts/test's conformance steps: this runner, these cases, nothing else
bad=$(grep -n 'conformance' "$top/scripts/test" | grep -v '^[0-9]*: *#' |
    grep -Ev 'note |tests/conformance/run\.py tests/conformance/v[23] ' || true)
if [ -n "$bad" ]; then
    echo "FAIL scripts/test runs conformance from elsewhere: $bad"
    fail=$((fail + 1))
else
    echo "ok   scripts/test runs tests/conformance/run.py on tests/conformance/v2 and v3"
    pass=$((pass + 1))
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
