#!/bin/bash
# make system-test: the real vaktd under systemd in a Debian bookworm QEMU guest (TCG), with real
# USB hotplug through QMP, real udev, logind, sudo and kernel audit. See tests/system/README.md.
# Prints PASS/FAIL per assertion and "system: N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export VAKTD=${VAKTD:-$top/build/vaktd}
export VAKT_SYSTEM_WORK=${VAKT_SYSTEM_WORK:-$top/build/system-run}
if [ -z "${VAKT_SYSTEM_CACHE:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then VAKT_SYSTEM_CACHE=/var/cache/vakt-system-test; else VAKT_SYSTEM_CACHE=$top/build/system; fi
fi
export VAKT_SYSTEM_CACHE

t0=$(date +%s)
if ! bash "$here/build-image.sh" >/dev/null; then
	echo "FAIL guest image could not be built"
	echo "system: 0 passed, 1 failed"
	exit 1
fi
t1=$(date +%s)
echo "system: image ready in $((t1 - t0)) s ($VAKT_SYSTEM_CACHE)"
if [ ! -x "$VAKTD" ]; then
	make -C "$top" all >&2 || true
fi
# One run at a time per work directory (sockets, overlay).
mkdir -p "$VAKT_SYSTEM_WORK"
exec 9>"$VAKT_SYSTEM_WORK/.lock"
flock -n 9 || { echo "system: another run uses $VAKT_SYSTEM_WORK (set VAKT_SYSTEM_WORK)"; exit 1; }
timeout --signal=TERM 1800 /usr/bin/python3 "$here/tests.py"
rc=$?
echo "system: whole run $(($(date +%s) - t0)) s"
exit $rc
