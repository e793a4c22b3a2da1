#!/bin/bash
# Runs every tests/integration/test-*.{sh,py} against $VAKTD.
# A test exits 0 (passed), 77 (skipped: says why on stderr) or anything else (failed).
# Prints "integration: N passed, N failed, N skipped" and fails when any test failed.
set -u
cd "$(dirname "$0")"
: "${VAKTD:?set VAKTD to the vaktd binary}"
export VAKTD BUILD
pass=0 fail=0 skip=0 failed=()
for t in test-*.sh test-*.py; do
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
