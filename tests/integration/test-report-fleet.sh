#!/bin/bash
# The review across the fleet (issue 15 item 5): two workstations, each a private systemd-journald
# with its own /etc/machine-id and hostname (a mount and UTS namespace per run), where the real
# vaktd writes its start and stop and a replayed real audit log of one test user; the real
# systemd-journal-upload sends both journals to the real systemd-journal-remote on loopback; and
# `vaktctl report --directory` on the collector's directory groups the records by both machines
# (_MACHINE_ID, _HOSTNAME) and by the one person across them.
#
# Needs root: namespaces, a test user (removed at exit). The host's journal, /run, /var,
# /etc/machine-id and hostname are never touched: every change is inside this test's namespaces.

if [ -z "${VAKT_TEST_MOUNT_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 77; }
	command -v unshare >/dev/null || { echo "needs unshare (util-linux)" >&2; exit 77; }
	unshare --mount --uts --propagation private true 2>/dev/null ||
		{ echo "cannot create mount and UTS namespaces here" >&2; exit 77; }
	VAKT_TEST_MOUNT_NS=1 exec unshare --mount --uts --propagation private bash "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"

VAKTCTL=${BUILD:-$SRC_DIR/build}/vaktctl
[ -x "$VAKTCTL" ] || fail "no $VAKTCTL (make all)"
JOURNALD=/lib/systemd/systemd-journald
UPLOAD=/lib/systemd/systemd-journal-upload
REMOTE=/lib/systemd/systemd-journal-remote
for p in "$JOURNALD" "$UPLOAD" "$REMOTE"; do
	[ -x "$p" ] || fail "$p missing: make deps installs systemd-journal-remote (tests/tools/deps.sh)"
done
command -v jq >/dev/null || fail "jq missing (make deps)"
[ -e /etc/machine-id ] || skip "no /etc/machine-id to cover"

at_exit stop_running

tag=$$
carol=vakt-test-rf$tag
useradd -M -s /usr/sbin/nologin "$carol"
at_exit "userdel $carol >/dev/null 2>&1"
cuid=$(id -u "$carol")

conf=$T/etc/vakt.conf
write_conf "$conf" <<'C'
[vakt]
policy_reference = IT security policy §2.1
[storage]
mode = observe
[audit]
mode = off
[idle]
mode = off
C
rconf=$T/etc/replay.conf
write_audit_only_conf "$rconf"
chown -R root:root "$T/etc"
sed -E "s/\b(auid|uid)=1001\b/\1=$cuid/g" "$SRC_DIR/tests/data/audit/sudo-id.log" >"$T/sudo-id.log"
sed -E "s/\b(auid|uid)=1001\b/\1=$cuid/g" "$SRC_DIR/tests/data/audit/su-wrong.log" >"$T/su-wrong.log"

printf '[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToWall=no\nForwardToSyslog=no\n' \
	>"$T/journald.conf"
[ ! -e /etc/systemd/journald.conf ] || mount --bind "$T/journald.conf" /etc/systemd/journald.conf
mkdir -p "$T/journald.conf.d"
[ ! -d /etc/systemd/journald.conf.d ] || mount --bind "$T/journald.conf.d" /etc/systemd/journald.conf.d
[ ! -d /var/log/journal ] || { mkdir -p "$T/var-log-journal" && mount --bind "$T/var-log-journal" /var/log/journal; }

journal_has() { journalctl --directory=/run/log/journal -o json -t vaktd VAKT_EVENT="$1" 2>/dev/null | grep -q .; }

# workstation NAME: a machine of its own (machine id, hostname, /run) where journald runs and vaktd
# writes: its start and stop, and the replayed logs given after NAME. Leaves its journal in
# $T/NAME/log/journal.
workstation() {
	local name=$1 jpid vpid log
	shift
	mkdir -p "$T/$name/log" "$T/$name/state" "$T/$name/run"
	systemd-id128 new >"$T/$name/machine-id"
	mount --bind "$T/$name/machine-id" /etc/machine-id
	hostname "$name"
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd 2>/dev/null ||
		{ mkdir -p /run/systemd && mount -t tmpfs -o mode=0755 tmpfs /run/systemd; }
	mkdir -p /run/log
	mount --bind "$T/$name/log" /run/log
	setpriv --bounding-set -audit_control --inh-caps -audit_control "$JOURNALD" \
		>"$T/$name/journald.log" 2>&1 &
	jpid=$!
	started $jpid
	wait_for test -S /run/systemd/journal/socket ||
		fail "$name: journald did not start: $(cat "$T/$name/journald.log")"
	"$VAKTD" --config "$conf" --log-target journal --state-dir "$T/$name/state" \
		--runtime-dir "$T/$name/run" >"$T/$name/vaktd.out" 2>"$T/$name/vaktd.err" &
	vpid=$!
	started $vpid
	wait_for journal_has policy.loaded || fail "$name: no policy.loaded: $(cat "$T/$name/vaktd.err")"
	kill -TERM $vpid
	wait $vpid || fail "$name: vaktd exited with $?"
	unset "RUNNING[$vpid]"
	for log in "$@"; do
		"$VAKTD" --config "$rconf" --log-target journal --replay-audit "$T/$log.log" \
			>/dev/null 2>"$T/$name/replay.err" || fail "$name: replay $log: $(cat "$T/$name/replay.err")"
	done
	wait_for journal_has vakt.stopped || fail "$name: no vakt.stopped in the journal"
	stop_one $jpid
	umount /run/log /run/systemd /etc/machine-id
}
workstation ws-one sudo-id
workstation ws-two sudo-id su-wrong
id1=$(cat "$T/ws-one/machine-id")
id2=$(cat "$T/ws-two/machine-id")
[ "$id1" != "$id2" ] || fail "the two machine ids are the same"

# --- the collector: systemd-journal-remote on loopback, both workstations upload ------------
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/collector"
"$REMOTE" --listen-http="127.0.0.1:$port" --output="$T/collector/" --split-mode=host \
	>"$T/remote.log" 2>&1 &
rpid=$!
started $rpid
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
wait_for listening || fail "systemd-journal-remote does not listen: $(cat "$T/remote.log")"
for ws in ws-one ws-two; do
	"$UPLOAD" --url="http://127.0.0.1:$port" --directory="$T/$ws/log/journal" --follow=no \
		--save-state="$T/$ws/upload.state" >"$T/$ws/upload.log" 2>&1 ||
		fail "$ws: systemd-journal-upload failed: $(cat "$T/$ws/upload.log")"
done
stop_one $rpid
ls "$T/collector"/*.journal >/dev/null || fail "the collector wrote no journal file"

# --- the review on the collector -------------------------------------------------------------
"$VAKTCTL" report --directory "$T/collector" >"$T/report.txt" 2>"$T/report.err" ||
	fail "report on the collector failed: $(cat "$T/report.err")"
sed -n '1,30s/^/    /p' "$T/report.txt"
"$VAKTCTL" report --directory "$T/collector" --json >"$T/report-json.report" ||
	fail "report --json on the collector failed"
R=$T/report-json.report
check_json() {
	jq -e "$1" "$R" >/dev/null || fail "$2: $(jq -c "$3" "$R" 2>&1 | head -c 2000)"
}
check_json "[.machines[] | [.hostname, .machine_id]] == [[\"ws-one\", \"$id1\"], [\"ws-two\", \"$id2\"]]" \
	"both machines, by hostname and id" '.machines'
# ws-one: policy.loaded (storage observing) and vakt.stopped, and carol's sudo; ws-two: the same and
# carol's failed su.
check_json ".machines[0].records == 3 and .machines[0].counts.privilege == 1 and
	.machines[0].counts.enforcement == 2 and .machines[1].records == 4 and
	.machines[1].counts.auth_failed == 1 and .machines[1].failed == 1" \
	"records per machine" '[.machines[] | {hostname, records, counts, failed}]'
check_json "[.machines[].persons] == [[\"$carol\"], [\"$carol\"]]" "carol on each machine" '.machines'
check_json "(.persons | length) == 1 and .persons[0].user == \"$carol\" and
	.persons[0].machines == [\"$id1\", \"$id2\"] and .persons[0].counts.privilege == 2 and
	.persons[0].counts.auth_failed == 1" "one person on both machines" '.persons'
check_json "[.persons[0].records[] | .hostname] | sort == [\"ws-one\", \"ws-two\", \"ws-two\"]" \
	"each record names its machine" '[.persons[0].records[] | {hostname, event}]'
check_json "[.machine_records[] | .hostname] | sort == [\"ws-one\", \"ws-one\", \"ws-two\", \"ws-two\"]" \
	"each machine's own records" '[.machine_records[] | {hostname, event}]'
grep -q "^$carol (uid $cuid), .*, on ws-one, ws-two$" "$T/report.txt" ||
	fail "the tables do not show carol on both machines"
grep -qE "^  ws-one +$id1 +3 " "$T/report.txt" || fail "no ws-one line in the machines table"
grep -qE "^  ws-two +$id2 +4 " "$T/report.txt" || fail "no ws-two line in the machines table"
echo "report on the collector: two machines and one person across them"
