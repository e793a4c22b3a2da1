#!/bin/bash
# make bench: runs every tests/bench/bench-* executable script; each prints its own figures,
# measured against its reference tool in the same run. Not a test: nothing here asserts timings.
set -u
cd "$(dirname "$0")"
: "${VAKTD:=$(cd ../.. && pwd)/build/vaktd}"
export VAKTD
rc=0
for b in bench-*; do
	[ -x "$b" ] || continue
	echo "=== $b"
	./"$b" || { echo "bench $b failed"; rc=1; }
done
exit $rc
