#!/bin/bash
# Enforcement stopped is an event (issue 13 item 10): every stop of vaktd writes one vakt.stopped
# (PRIORITY 4) as its last record, naming who stopped it where the system shows it:
#   - a process of a person (login uid set) that signals vaktd: that person;
#   - a person's "sudo kill PID" (the kill process is gone before vaktd looks at it): the person,
#     from sudo's USER_CMD in the audit stream;
#   - root without a login uid: nobody, and the record says so.
# Needs root (login uids, sudo); loads no audit rules.
. "$(dirname "$0")/lib.sh"
need_root
command -v auditctl >/dev/null || skip "needs auditctl (package auditd)"
command -v sudo >/dev/null || skip "needs sudo"
auditctl -s >/dev/null 2>&1 || skip "no kernel audit support"
auditctl -s | grep -q '^enabled 2' && skip "audit configuration is locked (enabled 2)"
auditctl -e 1 >/dev/null

user=vakt-test-d13-k$$
useradd -M -s /bin/bash "$user"
at_exit "userdel $user >/dev/null 2>&1"
uid=$(id -u "$user")
printf '%s ALL=(root) NOPASSWD: /usr/bin/kill\n' "$user" >"/etc/sudoers.d/vakt-test-d13-k$$"
chmod 0440 "/etc/sudoers.d/vakt-test-d13-k$$"
at_exit "rm -f /etc/sudoers.d/vakt-test-d13-k$$"
visudo -cq -f "/etc/sudoers.d/vakt-test-d13-k$$" || fail "sudoers drop-in invalid"
write_audit_only_conf "$T/vakt.conf"

n=0
start_vaktd() {
	n=$((n + 1))
	out=$T/out$n.json
	DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/no-bus-here" \
		"$VAKTD" --config "$T/vakt.conf" --state-dir "$T/state$n" --runtime-dir "$T/run$n" --log-target json >"$out" 2>"$T/err$n" &
	pid=$!
	at_exit "stop_pid $pid"
	WAIT_S=10 wait_for grep -q '"VAKT_EVENT":"policy.loaded"' "$out" ||
		fail "vaktd did not start: $(cat "$T/err$n")"
	sleep 0.5
}
# Waits for vaktd to exit (status 0); the last record of the run must be its one vakt.stopped,
# which lands in $rec.
stopped() {
	wait "$pid" || fail "vaktd exited with $?: $(cat "$T/err$n")"
	[ "$(grep -c '"VAKT_EVENT":"vakt.stopped"' "$out")" -eq 1 ] || fail "not one vakt.stopped: $(cat "$out")"
	rec=$(tail -1 "$out" | jq -c 'select(.VAKT_EVENT == "vakt.stopped" and .PRIORITY == "4")')
	[ -n "$rec" ] || fail "vakt.stopped is not the last record: $(tail -3 "$out")"
	echo "$rec"
}
field() { jq -r --arg f "$2" '.[$f] // "(none)"' <<<"$1"; }

echo "--- a person's process signals vaktd"
start_vaktd
(
	echo "$uid" >/proc/self/loginuid
	echo "$BASHPID" >"$T/sender"
	kill -TERM "$pid"
	sleep 1 # still there when vaktd looks at who sent the signal
)
stopped
[ "$(field "$rec" VAKT_USER)" = "$user" ] || fail "not attributed to $user"
[ "$(field "$rec" VAKT_UID)" = "$uid" ] || fail "VAKT_UID"
[ "$(field "$rec" VAKT_SIGNAL)" = SIGTERM ] || fail "VAKT_SIGNAL"
[ "$(field "$rec" VAKT_SENDER_PID)" = "$(cat "$T/sender")" ] || fail "VAKT_SENDER_PID"
[ "$(field "$rec" VAKT_PARTS)" = "storage=off idle=off audit=enforce" ] || fail "VAKT_PARTS"
field "$rec" MESSAGE | grep -q "^vaktd stopped: .* of $user (uid $uid) sent SIGTERM" || fail "message"

echo "--- a person runs sudo kill: the kill process is gone, sudo's record names the person"
start_vaktd
(
	echo "$uid" >/proc/self/loginuid
	su "$user" -c "sudo -n /usr/bin/kill -TERM $pid"
) || fail "sudo kill failed"
stopped
[ "$(field "$rec" VAKT_USER)" = "$user" ] || fail "sudo kill not attributed to $user"
field "$rec" MESSAGE | grep -q "$user (uid $uid)" || fail "message does not name $user"

echo "--- root without a login uid"
start_vaktd
kill -TERM "$pid"
stopped
[ "$(field "$rec" VAKT_SENDER_PID)" = "$$" ] || fail "VAKT_SENDER_PID"
if [ "$(cat /proc/self/loginuid)" = 4294967295 ]; then
	[ "$(field "$rec" VAKT_USER)" = "(none)" ] || fail "attributed to someone"
	field "$rec" MESSAGE | grep -q "no login user" || fail "message does not say no login user"
else
	echo "note: this test runs with a login uid, the record names its person"
fi
echo "all vakt.stopped checks passed"
