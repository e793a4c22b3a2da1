#!/bin/bash
# make fuzz: builds each libFuzzer target given (tests/fuzz/fuzz-NAME.c) with clang, ASan and UBSan
# into build-fuzz/, and runs it for FUZZ_SECONDS (default 60) on a copy of tests/fuzz/seeds/NAME/
# (when present). Fails when a target does not build or finds a crash; the reproducer is left in
# build-fuzz/NAME/ (crash-*, leak-*, timeout-*).
set -u
cd "$(dirname "$0")/../.." || exit 2
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
CC=${FUZZ_CC:-clang}
PKGS=(libsystemd libudev audit auparse libcap inih libgcrypt)
LIBS=$(pkg-config --libs "${PKGS[@]}")
PKG_CFLAGS=$(pkg-config --cflags "${PKGS[@]}")
rc=0

[ $# -gt 0 ] || { echo "usage: $0 tests/fuzz/fuzz-NAME.c..." >&2; exit 2; }
mkdir -p build-fuzz
for src in "$@"; do
	name=$(basename "$src" .c)
	out=build-fuzz/$name
	mkdir -p "$out/corpus"
	echo "== $name: build"
	# shellcheck disable=SC2086 # word splitting of the flag lists is intended
	if ! $CC -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -D_GNU_SOURCE -DVAKT_VERSION='"fuzz"' -Ilib -Idaemon \
		$PKG_CFLAGS -o "$out/$name" "$src" lib/*.c $LIBS; then
		echo "$name: build FAILED"
		rc=1
		continue
	fi
	seeds=()
	[ -d "tests/fuzz/seeds/$name" ] && seeds=("$PWD/tests/fuzz/seeds/$name")
	echo "== $name: fuzzing for ${FUZZ_SECONDS}s"
	if (cd "$out" && ASAN_OPTIONS=detect_leaks=1 "./$name" -max_total_time="$FUZZ_SECONDS" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus \
		"${seeds[@]}") >"$out/log" 2>&1; then
		grep -E '^stat::number_of_executed_units|Done [0-9]+ runs' "$out/log" | sed "s/^/$name: /"
	else
		echo "$name: FAILED (log and reproducer in $out/)"
		grep -E 'ERROR|SUMMARY|Test unit written' "$out/log" | head -20
		rc=1
	fi
done
[ $rc -eq 0 ] && echo "fuzz: clean" || echo "fuzz: FAILED"
exit $rc
