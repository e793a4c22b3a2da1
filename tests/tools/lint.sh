#!/bin/bash
# make lint: formatting, static analysis, the lib/ include rule, man pages.
set -u
cd "$(dirname "$0")/../.."
rc=0
step() { echo "== $*"; }
SRC=$(git ls-files '*.c' '*.h' 2>/dev/null || find lib daemon tests -name '*.[ch]')
CSRC=$(echo "$SRC" | grep '\.c$' | grep -v '^tests/fuzz/')

step clang-format
clang-format --dry-run -Werror $SRC || rc=1

step "lib/ includes nothing from daemon/ nor event, bus or udev headers"
if grep -nE '#include *[<"](\.\./daemon/|systemd/sd-event\.h|systemd/sd-bus\.h|libudev\.h|log\.h|manager\.h|events\.h)' lib/*.[ch]; then
	echo "lib/ must stay free of daemon/, sd-event, sd-bus and libudev (STYLE.md)"
	rc=1
fi

step cppcheck
cppcheck --quiet --error-exitcode=1 --inline-suppr --enable=warning,style,performance,portability \
	--std=c11 -D_GNU_SOURCE -DVAKT_VERSION='"lint"' -Ilib -Idaemon \
	--suppress=missingIncludeSystem --suppress=unusedFunction \
	$CSRC || rc=1

step clang-tidy
CFLAGS_TIDY="-std=gnu11 -D_GNU_SOURCE -DVAKT_VERSION=\"lint\" -Ilib -Idaemon $(pkg-config --cflags libsystemd libudev audit auparse libcap inih check 2>/dev/null)"
for f in $CSRC; do
	clang-tidy --quiet "$f" -- $CFLAGS_TIDY -DTEST_DATA_DIR='"x"' -DSOURCE_DIR='"x"' 2>/dev/null | grep -E 'warning|error' && rc=1
done

step "mandoc -T lint -W warning"
mandoc -T lint -W warning man/* || rc=1

[ $rc -eq 0 ] && echo "lint: clean" || echo "lint: FAILED"
exit $rc
