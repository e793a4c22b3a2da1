#!/bin/bash
# vaktd beside a real auditd (issue 5, items 1 and 9; issue 13 item 6). The test starts auditd
# with its own configuration directory (log in the test's directory, no plugins; auditd loads no
# rules, only augenrules does) while vaktd runs. auditd registers as the audit daemon and vaktd
# keeps reading the multicast group: a real sudo by a test user with a login uid gives a
# privilege.sudo record whose VAKT_AUSEARCH, run as the record gives it (only pointed at this
# test's log), prints sudo's USER_CMD from auditd's log, whatever the locale and time zone of
# whoever runs it; so does the command of a coalesced audit configuration change (one
# vakt-test-d13-* watch rule on a test directory, added and removed by the test user). After
# auditd stops, the kernel has no audit daemon again and vaktd still receives records. Needs
# root.
. "$(dirname "$0")/lib.sh"
need_root
for c in auditctl auditd ausearch sudo; do
	command -v $c >/dev/null || skip "needs $c (packages auditd, sudo)"
done
auditctl -s >/dev/null 2>&1 || skip "no kernel audit support"
auditctl -s | grep -q '^enabled 2' && skip "audit configuration is locked (enabled 2)"
auditctl -s | grep -q '^pid 0$' || skip "an audit daemon is running already"
auditctl -e 1 >/dev/null

kernel_audit_pid() { auditctl -s | awk '$1 == "pid" { print $2 }'; }

make_sudo_user d
write_audit_only_conf "$T/vakt.conf"
# No system bus: this test is about the audit stream only.
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/no-bus-here" \
	"$VAKTD" --config "$T/vakt.conf" --state-dir "$T/state" --runtime-dir "$T/run" --log-target json >"$T/out.json" 2>"$T/err" &
pid=$!
at_exit "stop_pid $pid"
sleep 1
kill -0 $pid 2>/dev/null || { cat "$T/err" >&2; fail "vaktd did not start"; }

# auditd with everything in $T: the log, no plugins (the machine's plugins.d may start some), no
# network, no action that could suspend, halt or mail, no renicing, and the kernel's enabled
# flag left alone (-s nochange). auditd writes /run/auditd.pid; remove it if it was not there.
A=$T/auditd
mkdir -p "$A/plugins.d" "$A/log"
chmod 0750 "$A" "$A/plugins.d" "$A/log"
log=$A/log/audit.log
cat >"$A/auditd.conf" <<EOF
local_events = yes
write_logs = yes
log_file = $log
log_format = RAW
flush = SYNC
freq = 0
max_log_file = 100
max_log_file_action = IGNORE
num_logs = 0
priority_boost = 0
name_format = NONE
space_left = 2
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
use_libwrap = no
distribute_network = no
q_depth = 2000
overflow_action = IGNORE
max_restarts = 0
plugin_dir = $A/plugins.d
end_of_event_timeout = 2
EOF
chmod 0640 "$A/auditd.conf"
pidfile=/run/auditd.pid
[ -e "$pidfile" ] || at_exit "rm -f $pidfile"
auditd -n -s nochange -c "$A" >"$T/auditd.out" 2>&1 &
auditd_pid=$!
at_exit "stop_pid $auditd_pid"
is_audit_daemon() { [ "$(kernel_audit_pid)" = "$1" ]; }
WAIT_S=10 wait_for is_audit_daemon "$auditd_pid" ||
	{ cat "$T/auditd.out" >&2; auditctl -s >&2; fail "auditd did not register"; }
WAIT_S=10 wait_for grep -q 'type=DAEMON_START' "$log" || fail "auditd writes no log"
auditctl -l | grep -q '^No rules' || echo "note: the kernel has audit rules (not ours)"

# A real sudo in a fresh audit session (writing the login uid assigns one); prints the session.
sudo_in_new_session() {
	(
		echo "$uid" >/proc/self/loginuid
		cat /proc/self/sessionid
		su "$user" -c "sudo -n /usr/bin/id -u" >/dev/null || exit 1
	) || fail "sudo as $user failed"
}
sudo_rec() {
	jq -c --arg s "$1" 'select(.VAKT_EVENT == "privilege.sudo" and .VAKT_AUDIT_SESSION == $s)' \
		"$T/out.json" | sed -n 1p
}
have_sudo() { [ -n "$(sudo_rec "$1")" ]; }

ses=$(sudo_in_new_session)
WAIT_S=10 wait_for have_sudo "$ses" ||
	{ cat "$T/out.json" "$T/err" >&2; fail "no privilege.sudo while auditd runs"; }
rec=$(sudo_rec "$ses")
echo "with auditd: $rec"
[ "$(jq -r .VAKT_USER <<<"$rec")" = "$user" ] || fail "sudo not attributed to $user"
is_audit_daemon "$auditd_pid" || fail "auditd is no longer the audit daemon"
echo "PASS: vaktd receives records while auditd is the audit daemon"

id=$(jq -r .VAKT_AUDIT_ID <<<"$rec")
[[ "$id" =~ ^[0-9]+\.[0-9]{3}:[0-9]+$ ]] || fail "VAKT_AUDIT_ID '$id'"
serial=${id#*:}
# auditd writes each record as it gets it (flush = SYNC); give it a moment anyway.
found() { ausearch --input "$log" -a "$serial" --raw >"$T/found" 2>/dev/null; }
WAIT_S=5 wait_for found || fail "ausearch -a $serial finds nothing in auditd's log"
cat "$T/found"
grep -q "^type=USER_CMD msg=audit($id): .*auid=$uid ses=$ses " "$T/found" ||
	fail "ausearch -a $serial did not find sudo's USER_CMD of audit($id)"
echo "PASS: ausearch -a with VAKT_AUDIT_ID finds the source USER_CMD in auditd's log"

# The command in the record itself (issue 13 item 6): it names the serial and the second, in a
# locale and time zone of its own, so that it finds this event and no other with that serial.
cmd=$(jq -r .VAKT_AUSEARCH <<<"$rec")
echo "VAKT_AUSEARCH: $cmd"
[[ "$cmd" == "LC_ALL=C TZ=UTC ausearch -a $serial -ts "*" -te "* ]] || fail "VAKT_AUSEARCH '$cmd'"
for zone in UTC Asia/Tokyo America/Los_Angeles; do
	f=$T/found-${zone//\//-}
	TZ=$zone LC_ALL=C.UTF-8 bash -c "$cmd --input '$log' --raw" >"$f" 2>"$f.err" ||
		fail "'$cmd' (TZ=$zone) found nothing: $(cat "$f.err")"
	grep -q "^type=USER_CMD msg=audit($id): .*auid=$uid ses=$ses " "$f" ||
		fail "'$cmd' (TZ=$zone) did not print sudo's USER_CMD: $(cat "$f")"
	[ "$(grep -c "msg=audit(" "$f")" -eq "$(grep -c "msg=audit($id)" "$f")" ] ||
		fail "'$cmd' (TZ=$zone) printed other events too: $(cat "$f")"
done
echo "PASS: the record's VAKT_AUSEARCH prints exactly its source event from auditd's log"

# A coalesced change of the audit configuration: one record, and its command finds every
# CONFIG_CHANGE of it. The rule is scoped to a directory of this test and removed with the same
# spec, also on failure.
mkdir -p "$T/d13-watched"
d13_rule=(-w "$T/d13-watched" -p wa -k vakt-test-d13-auditd)
at_exit "auditctl -W $T/d13-watched -p wa -k vakt-test-d13-auditd >/dev/null 2>&1"
(
	echo "$uid" >/proc/self/loginuid
	auditctl "${d13_rule[@]}" >/dev/null && auditctl -W "$T/d13-watched" -p wa -k vakt-test-d13-auditd >/dev/null
) || fail "auditctl as the test user's login failed"
change_rec() {
	jq -c --arg u "$uid" 'select(.VAKT_EVENT == "audit.rules_changed" and .VAKT_UID == $u and .VAKT_AUDIT_KEY == "vakt-test-d13-auditd")' "$T/out.json"
}
have_change() { [ -n "$(change_rec)" ]; }
WAIT_S=10 wait_for have_change || { cat "$T/out.json" >&2; fail "no audit.rules_changed for the test rule"; }
sleep 1
[ "$(change_rec | wc -l)" -eq 1 ] || fail "one add and one removal gave $(change_rec | wc -l) records"
rec=$(change_rec)
echo "change: $rec"
[ "$(jq -r .VAKT_RULES_ADDED <<<"$rec")/$(jq -r .VAKT_RULES_REMOVED <<<"$rec")" = 1/1 ] || fail "counts: $rec"
cmd=$(jq -r .VAKT_AUSEARCH <<<"$rec")
bash -c "$cmd --input '$log' --raw" >"$T/found-change" 2>&1 || fail "'$cmd' found nothing: $(cat "$T/found-change")"
[ "$(grep -c '^type=CONFIG_CHANGE .*key="vakt-test-d13-auditd"' "$T/found-change")" -eq 2 ] ||
	fail "'$cmd' did not print both CONFIG_CHANGE records: $(cat "$T/found-change")"
echo "PASS: one record for the change, and its VAKT_AUSEARCH prints both CONFIG_CHANGE records"

stop_pid "$auditd_pid"
WAIT_S=5 wait_for is_audit_daemon 0 || { auditctl -s >&2; fail "the kernel still has an audit daemon"; }
grep -q 'type=DAEMON_END' "$log" || fail "auditd did not shut down cleanly"
auditctl -s | grep -q '^enabled 1$' || fail "stopping auditd changed the enabled flag"
ses=$(sudo_in_new_session)
WAIT_S=10 wait_for have_sudo "$ses" || fail "no privilege.sudo after auditd stopped"
echo "after auditd: $(sudo_rec "$ses")"
kill -0 $pid || fail "vaktd died"
echo "PASS: after auditd stops the kernel audit pid is 0 and vaktd still receives records"

kill $pid
wait $pid || { rc=$?; cat "$T/err" >&2; fail "vaktd exited with $rc"; }
echo "all auditd checks passed"
