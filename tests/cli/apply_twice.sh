#!/usr/bin/env bash
# tests/cli/apply_twice.sh - applying a patch twice with `apls apply`.
#
#   tests/cli/apply_twice.sh PATH/TO/apls
#
# The shape no text can tell apart (issue 7, item 3): a DELETE with an
# anchor whose text stands again after the copy it deletes. The first apply
# must say that a second would change the file again (NOT_IDEMPOTENT); with
# apls's record of what it applied, the second apply changes nothing; without
# it (APLS_RECORD=off), it changes the file again but was announced. Also: a
# file changed after the apply is not taken as applied by the record.
set -u
APLS=$1
case $APLS in /*) ;; *) APLS=$PWD/$APLS ;; esac
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export APLS_STATE_DIR=$scratch/state
ws=$scratch/ws
setup() {
    rm -rf "$ws" && mkdir -p "$ws"
    printf 'def f():\n    x = 1\n    x = 1\n    return x\n' > "$ws/a.py"
    cat > "$ws/p.ap" <<'AP'
version: "2.0"
changes:
  - file_path: a.py
    modifications:
      - action: DELETE
        anchor: |
          def f():
        snippet: |
          x = 1
AP
}
once='def f():\n    x = 1\n    return x\n'

setup
out=$("$APLS" apply --root "$ws" "$ws/p.ap" 2>&1); rc=$?
[ $rc = 0 ] && ok || bad "first apply exit $rc: $out"
grep -q NOT_IDEMPOTENT <<<"$out" && ok || bad "first apply does not warn: $out"
[ "$(cat "$ws/a.py")" = "$(printf "$once")" ] && ok || bad "first apply result: $(cat "$ws/a.py")"
out=$("$APLS" apply --root "$ws" "$ws/p.ap" 2>&1); rc=$?
[ $rc = 0 ] && ok || bad "second apply exit $rc: $out"
[ "$(cat "$ws/a.py")" = "$(printf "$once")" ] && ok || bad "second apply changed the file: $(cat "$ws/a.py")"
grep -q "1 already applied" <<<"$out" && ok || bad "second apply does not say applied: $out"
out=$("$APLS" check --root "$ws" "$ws/p.ap" 2>&1); rc=$?
[ $rc = 0 ] && grep -q "1 already applied" <<<"$out" && ok || bad "check after apply: $rc $out"

# the file edited since: the record no longer speaks for it
printf '# edited\n' >> "$ws/a.py"
out=$("$APLS" check --root "$ws" "$ws/p.ap" 2>&1)
grep -q "1 to apply" <<<"$out" && ok || bad "an edited file is still taken as recorded: $out"

# another patch (one byte more) has no record
setup
"$APLS" apply --root "$ws" "$ws/p.ap" >/dev/null 2>&1
printf '\n' >> "$ws/p.ap"
out=$("$APLS" check --root "$ws" "$ws/p.ap" 2>&1)
grep -q "1 to apply" <<<"$out" && ok || bad "another patch's record was used: $out"

# without the record the text alone decides: the second apply changes the
# file again, as the first announced
setup
APLS_RECORD=off "$APLS" apply --root "$ws" "$ws/p.ap" >/dev/null 2>&1
out=$(APLS_RECORD=off "$APLS" apply --root "$ws" "$ws/p.ap" 2>&1)
[ "$(cat "$ws/a.py")" = "$(printf 'def f():\n    return x\n')" ] && ok || bad "without a record: $(cat "$ws/a.py")"
ls "$ws" | grep -q apls && bad "stray files in the workspace: $(ls -a "$ws")" || ok

echo "$pass passed, $fail failed"
[ $fail = 0 ]
