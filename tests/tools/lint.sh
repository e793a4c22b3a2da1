#!/bin/bash
# make lint: formatting, static analysis, the lib/ include rule, man pages.
# Checks the C files git knows about plus untracked ones not ignored (new files before their
# first commit). Exit 1 when any step finds something.
set -u
cd "$(dirname "$0")/../.." || exit 2
rc=0
step() { echo "== $*"; }
if git rev-parse --git-dir >/dev/null 2>&1; then
	SRC=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' | sort -u)
else
	SRC=$(find lib daemon tests -name '*.[ch]' | sort)
fi
CSRC=$(echo "$SRC" | grep '\.c$')

step clang-format
# shellcheck disable=SC2086 # one word per file name
clang-format --dry-run -Werror $SRC || rc=1

step "lib/ includes nothing from daemon/ nor event, bus or udev headers"
if grep -nE '#include *[<"](\.\./daemon/|systemd/sd-event\.h|systemd/sd-bus\.h|libudev\.h|log\.h|manager\.h|part\.h)' lib/*.[ch]; then
	echo "lib/ must stay free of daemon/, sd-event, sd-bus and libudev (STYLE.md)"
	rc=1
fi

step "layout: daemon/ files named by part, one prefix per lib/ header"
/usr/bin/python3 tests/tools/layout.py || rc=1

step "no blocking D-Bus call in daemon/ (the event loop never waits for a peer)"
# daemon/notify-user.c is exempt: its one blocking call runs in the forked child that tells the
# person at the seat (as that person, with its own alarm), never in the event loop.
if grep -nE '\b(sd_bus_call|sd_bus_call_method|sd_bus_get_property[a-z_]*|sd_bus_set_property|sd_bus_wait|sd_bus_flush)\(' daemon/*.c daemon/*/*.c 2>/dev/null | grep -vE '^[^:]+:[0-9]+: *(\*|/\*)' | grep -v '^daemon/notify-user\.c:'; then
	echo "use the *_async variants (STYLE.md: never block the event loop)"
	rc=1
fi

step "no test includes a .c file (unit tests link libvakt.a and the objects they test)"
if grep -nE '#include *"[^"]*\.c"' tests/unit/*.c tests/fuzz/*.c; then
	rc=1
fi

# The preprocessor flags of the Makefile (ALL_CFLAGS, plus check and the unit tests' -D's), so the
# analysers see the code gcc compiles. clang-tidy gets -std=gnu11 like gcc; cppcheck 2.10 knows no
# gnu11, so it gets c11 (with _GNU_SOURCE).
PKG_CFLAGS=$(pkg-config --cflags libsystemd libudev audit auparse libcap inih libgcrypt check) || rc=1
CPPFLAGS=(-D_GNU_SOURCE -DVAKT_VERSION='"lint"' -DTEST_DATA_DIR='"x"' -DSOURCE_DIR='"x"' -Ilib -Idaemon)

step cppcheck
# shellcheck disable=SC2086 # one word per file name
cppcheck --quiet --error-exitcode=1 --inline-suppr --enable=warning,style,performance,portability \
	--std=c11 "${CPPFLAGS[@]}" --suppress=missingIncludeSystem $CSRC || rc=1

step clang-tidy
# One clang-tidy per .c file, in parallel; findings are printed under the file that was analysed.
# -header-filter also reports the project's own headers (each finding once, under the first file
# that includes the header); system headers stay out.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2016,SC2086 # the inner sh expands $1 and $PWD; the flag list splits into words
echo "$CSRC" | xargs -P "$(nproc)" -I{} sh -c 'f=$1; shift
	o=$(echo "$f" | tr / _)
	clang-tidy --quiet -header-filter="^($PWD/)?(lib|daemon|tests)/" "$f" -- -std=gnu11 "$@" \
		>"$0/$o.log" 2>&1
	echo $? >"$0/$o.rc"' "$out" {} "${CPPFLAGS[@]}" $PKG_CFLAGS
for f in $CSRC; do
	o=$out/$(echo "$f" | tr / _)
	[ "$(cat "$o.rc")" = 0 ] && continue
	rc=1
	# Drop clang-tidy's counters; print a header's finding only under the first file showing it.
	grep -vE '^[0-9]+ (warnings?|errors?) generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^[0-9]+ warnings? treated as errors?$' "$o.log" |
		awk -v f="$f" -v seen="$out/seen" '
			BEGIN { while ((getline l < seen) > 0) s[l] = 1; show = 1 }
			/^[^ ].*:[0-9]+:[0-9]+: (warning|error):/ {
				show = !($0 in s); s[$0] = 1
				if (show) print $0 >> seen
			}
			show && !hdr { print "-- " f; hdr = 1 }
			show'
done

step "mandoc -T lint -W warning"
mandoc -T lint -W warning man/* || rc=1

[ $rc -eq 0 ] && echo "lint: clean" || echo "lint: FAILED"
exit $rc
