#!/bin/bash
# Runs every tests/integration/test-*.{sh,py} against $VAKTD.
# A test exits 0 (passed), 77 (skipped: says why on stderr) or anything else (failed).
# Prints "integration: N passed, N failed, N skipped" and fails when any test failed.
set -u
cd "$(dirname "$0")"
: "${VAKTD:?set VAKTD to the vaktd binary}"
export VAKTD BUILD
pass=0 fail=0 skip=0 failed=()
# Every record the real vaktd writes in the tests is kept here; test-catalog-render.sh, run last,
# renders each event's catalog entry with them.
# A directory given in VAKT_TEST_RECORDS is kept afterwards (README's help-desk example came
# from one).
if [ -z "${VAKT_TEST_RECORDS:-}" ]; then
	VAKT_TEST_RECORDS=$(mktemp -d /tmp/vakt-records.XXXXXX)
	trap 'rm -rf "$VAKT_TEST_RECORDS"' EXIT
fi
chmod 755 "$VAKT_TEST_RECORDS"
export VAKT_TEST_RECORDS
for t in $(ls test-*.sh test-*.py | grep -vx test-catalog-render.sh) test-catalog-render.sh; do
	[ -e "$t" ] || continue
	log=$(mktemp)
	case "$t" in
	*.py) timeout 600 /usr/bin/python3 "$t" >"$log" 2>&1 ;;
	*) timeout 600 bash "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $t" ;;
	77) skip=$((skip + 1)); echo "SKIP $t: $(tail -1 "$log")" ;;
	*) fail=$((fail + 1)); failed+=("$t"); echo "FAIL $t (exit $rc)"; sed 's/^/    /' "$log" | tail -60 ;;
	esac
	rm -f "$log"
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
