#!/bin/bash
# make demo (tests/demo/demo.py) runs the real vaktd through its scenes and touches nothing on
# this host: the USB authorisation files, the kernel audit rules and the journal are as before,
# and no process it started is left running.
set -u
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
command -v umockdev-wrapper >/dev/null || skip "umockdev-wrapper is not installed"

host_state() {
	cat /sys/module/usbcore/parameters/authorized_default 2>/dev/null
	grep -H . /sys/bus/usb/devices/*/authorized /sys/bus/usb/devices/*/authorized_default \
		/sys/bus/usb/devices/*/interface_authorized_default 2>/dev/null
	auditctl -l 2>/dev/null
}
before=$(host_state)
since=$(date '+%Y-%m-%d %H:%M:%S')
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Its own session (no job control here: setsid makes the child itself the session leader), so
# that anything it leaves behind can be found.
VAKTD=$VAKTD setsid /usr/bin/python3 "$SRC/tests/demo/demo.py" >"$out" 2>&1 &
sid=$!
wait $sid
rc=$?
left=$(ps -eo sess=,pid=,args= | awk -v s="$sid" '$1 == s')
sed 's/^/    /' "$out" | tail -40
[ $rc -eq 0 ] || fail "demo exited $rc"
for want in 'storage.blocked' 'storage.allowed' "decided by 'approved-stick'" 'session.locked' \
	'session.lock_failed' 'session.terminated' 'privilege.sudo' 'account.changed' \
	'file.changed' 'class 03): authorized=1' 'class 08): authorized=0' 'vaktd stopped (exit 0)'; do
	grep -qF -- "$want" "$out" || fail "demo output lacks '$want'"
done
[ -z "$left" ] || fail "demo left processes: $left"
after=$(host_state)
[ "$before" = "$after" ] || fail "the host's USB authorisation or audit rules changed: $(diff <(echo "$before") <(echo "$after"))"
# (other tests may write vaktd records meanwhile: the demo's people are alice, bob and carol)
n=$(journalctl --no-pager -q --since "$since" VAKT_USER=alice VAKT_USER=bob VAKT_USER=carol 2>/dev/null | wc -l)
[ "$n" -eq 0 ] || fail "the demo wrote $n records to the host's journal"
echo ok
