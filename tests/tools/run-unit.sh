#!/bin/bash
# Runs each Check binary; prints one summary line "unit: N passed, N failed".
set -u
pass=0 fail=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	echo "$out" | grep -E '^[0-9]+%: Checks' | sed "s|^|$(basename "$t"): |"
	[ $rc -ne 0 ] && echo "$out" | grep -vE '^(Running suite|[0-9]+%: Checks)' | head -40
	n=$(echo "$out" | sed -nE 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/p' | tail -1)
	if [ -n "$n" ]; then
		read -r c f e <<<"$n"
		pass=$((pass + c - f - e))
		fail=$((fail + f + e))
	fi
	[ $rc -ne 0 ] && [ -z "$n" ] && fail=$((fail + 1))
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
