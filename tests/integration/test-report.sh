#!/bin/bash
# vaktctl report (the weekly administrator review) on a journal the real vaktd filled: a private
# systemd-journald receives vaktd's own start and stop (storage observing: enforcement weakened,
# with the [vakt] policy_reference) and real captured audit logs replayed with --log-target
# journal, rewritten to the uids of two test users made here: an administrator (in a group named
# by admin_groups in the report's --config) and a person who is not one. vaktctl report then
# reads that journal (the default, --directory and --file) and must find both persons, the
# administrator first, the right counts per section, one machine, and the policy clause; with
# --json the same in the documented structure. Bad inputs: a missing directory, a file that is
# not a journal, an empty directory, a bad --since, a user who may not read the journal: a
# clear message and exit 1.
#
# Needs root: a private journald in a private mount namespace (as test-journal.sh; the host's
# journal, /run and /var are never touched) and two test users (removed at exit).

if [ -z "${VAKT_TEST_MOUNT_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 77; }
	command -v unshare >/dev/null || { echo "needs unshare (util-linux)" >&2; exit 77; }
	unshare --mount --propagation private true 2>/dev/null ||
		{ echo "cannot create a mount namespace here" >&2; exit 77; }
	VAKT_TEST_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"

VAKTCTL=${BUILD:-$SRC_DIR/build}/vaktctl
[ -x "$VAKTCTL" ] || fail "no $VAKTCTL (make all)"
JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || skip "no $JOURNALD"
command -v jq >/dev/null || fail "jq missing (make deps)"

keep_audit_state

at_exit stop_running

# --- two people: an administrator and someone who is not --------------------------------------
tag=$$
admins=vakt-test-radm$tag
groupadd "$admins"
at_exit "groupdel $admins >/dev/null 2>&1"
alice=vakt-test-ra$tag
bob=vakt-test-rb$tag
useradd -M -s /usr/sbin/nologin -G "$admins" "$alice"
at_exit "userdel $alice >/dev/null 2>&1"
useradd -M -s /usr/sbin/nologin "$bob"
at_exit "userdel $bob >/dev/null 2>&1"
auid=$(id -u "$alice")
buid=$(id -u "$bob")

# --- a private journald ----------------------------------------------------------------------
mkdir -p "$T/run-log" "$T/var-log-journal" "$T/journald.conf.d"
if [ -d /run/systemd ] && [ -d /run/log ]; then
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd
	mount --bind "$T/run-log" /run/log
else
	mount -t tmpfs -o mode=0755 tmpfs /run
	mkdir -p /run/systemd /run/log
fi
[ ! -d /var/log/journal ] || mount --bind "$T/var-log-journal" /var/log/journal
printf '[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToWall=no\nForwardToSyslog=no\n' \
	>"$T/journald.conf"
[ ! -e /etc/systemd/journald.conf ] || mount --bind "$T/journald.conf" /etc/systemd/journald.conf
[ ! -d /etc/systemd/journald.conf.d ] || mount --bind "$T/journald.conf.d" /etc/systemd/journald.conf.d
JDIR=/run/log/journal

setpriv --bounding-set -audit_control --inh-caps -audit_control "$JOURNALD" >"$T/journald.log" 2>&1 &
jpid=$!
started $jpid
wait_for test -S /run/systemd/journal/socket || fail "journald did not start: $(cat "$T/journald.log")"

# --- vaktd writes: its start and stop, a part observing -------------------------------------
conf=$T/etc/vakt.conf
write_conf "$conf" <<'C'
[vakt]
policy_reference = IT security policy §2.1, enforcement
[storage]
mode = observe
[audit]
mode = off
[idle]
mode = off
C
chown -R root:root "$T/etc"
journal_has() { journalctl --directory="$JDIR" -o json -t vaktd VAKT_EVENT="$1" 2>/dev/null | grep -q .; }
mkdir -p "$T/state" "$T/run"
"$VAKTD" --config "$conf" --log-target journal --state-dir "$T/state" --runtime-dir "$T/run" \
	>"$T/vaktd.out" 2>"$T/vaktd.err" &
vpid=$!
started $vpid
wait_for journal_has policy.loaded || fail "no policy.loaded: $(cat "$T/vaktd.err")"
kill -TERM $vpid
wait $vpid || fail "vaktd exited with $? after SIGTERM: $(cat "$T/vaktd.err")"
unset "RUNNING[$vpid]"

# --- ... and real audit logs, replayed into the journal, as alice and bob --------------------
rconf=$T/etc/replay.conf
write_audit_only_conf "$rconf"
chown root:root "$rconf"
# replay LOG FROM_UID TO_UID [FROM_UID TO_UID]: the captured log with its uids rewritten.
replay() {
	local log=$1 sed_args=()
	shift
	while [ $# -gt 0 ]; do
		sed_args+=(-e "s/\b(auid|uid|euid|suid|fsuid|ouid|id|old-auid)=$1\b/\1=$2/g")
		shift 2
	done
	sed -E "${sed_args[@]}" "$SRC_DIR/tests/data/audit/$log.log" >"$T/$log.log"
	"$VAKTD" --config "$rconf" --log-target journal --replay-audit "$T/$log.log" \
		>"$T/replay.out" 2>"$T/replay.err" || fail "replay of $log failed: $(cat "$T/replay.err")"
}
for log in sudo-id sudo-wrong3 account; do replay $log 1001 "$auid"; done
replay rootshell-sudo-i 1003 "$auid" 1004 "$buid"
for log in su-wrong watch-write; do replay $log 1001 "$buid"; done
wait_for journal_has file.changed || fail "the replayed records are not in the journal"
stop_one $jpid
journalctl --directory="$JDIR" -o json -t vaktd >"$T/journal.json"

# --- the report -------------------------------------------------------------------------------
rc_conf=$T/etc/report.conf
write_conf "$rc_conf" <<C
[vakt]
admin_groups = $admins
C
chown root:root "$rc_conf"

echo "--- vaktctl report --directory, tables"
"$VAKTCTL" report --directory "$JDIR" --config "$rc_conf" >"$T/report.txt" 2>"$T/report.err" ||
	fail "report failed: $(cat "$T/report.err")"
sed -n "1,40s/^/    /p" "$T/report.txt"
grep -q "members of admin_groups ($admins; from $rc_conf), as the NSS of .* resolves them" "$T/report.txt" ||
	fail "the header does not say how administrators were found"
grep -q "Enforcement stopped or weakened .*(IT security policy §2.1, enforcement)" "$T/report.txt" ||
	fail "no policy clause on the enforcement section"
# Administrators first: alice's line comes before bob's, in the summary and the details.
a_line=$(grep -n "^  $alice " "$T/report.txt" | head -1 | cut -d: -f1)
b_line=$(grep -n "^  $bob " "$T/report.txt" | head -1 | cut -d: -f1)
[ -n "$a_line" ] && [ -n "$b_line" ] && [ "$a_line" -lt "$b_line" ] ||
	fail "alice (administrator) is not listed before bob"
grep -q "^$alice (uid $auid), administrator, on " "$T/report.txt" || fail "alice not marked administrator"
grep -q "^$bob (uid $buid), not an administrator, on " "$T/report.txt" || fail "bob marked administrator"
grep -q "^  Commands in root shells" "$T/report.txt" || fail "no root shell section"

echo "--- --json: persons, counts, machines"
"$VAKTCTL" report --directory "$JDIR" --config "$rc_conf" --json >"$T/report-json.report" ||
	fail "report --json failed"
check_json() {
	jq -e "$1" "$2" >/dev/null || fail "$3: $(jq -c "$4" "$2" 2>&1 | head -c 2000)"
}
mid=$(jq -r '._MACHINE_ID' "$T/journal.json" | sort -u)
[ "$(wc -l <<<"$mid")" -eq 1 ] || fail "expected one machine id in the journal: $mid"
R=$T/report-json.report
check_json ".version == 1 and (.machines | length) == 1 and .machines[0].machine_id == \"$mid\"" \
	"$R" "one machine, the journal's" '.machines'
check_json "[.persons[].user] == [\"$alice\", \"$bob\"]" "$R" "persons, administrator first" '[.persons[] | {user, administrator}]'
check_json ".persons[0].administrator == \"yes\" and .persons[1].administrator == \"no\"" "$R" \
	"administrator flags" '[.persons[] | {user, administrator}]'
# From the captures (tests/data/audit/*.golden): alice ran sudo 4 times (one refused after 3
# wrong passwords), changed 7 accounts, typed 9 commands in her root shell and rewrote an audit
# uid; bob failed su once, wrote a watched file 3 times (one refused), ran sudo once and got
# charged one root-shell command by alice's rewrite.
check_json ".persons[0].counts == {privilege: 4, root_command: 9, account: 7, file: 0,
	auth_failed: 3, auth_burst: 0, tamper: 1, enforcement: 0, storage: 0, dispensation: 0,
	session: 0, lost: 0} and .persons[0].failed == 4" "$R" "alice's counts" '.persons[0] | {counts, failed}'
check_json ".persons[1].counts == {privilege: 1, root_command: 1, account: 0, file: 3,
	auth_failed: 1, auth_burst: 0, tamper: 0, enforcement: 0, storage: 0, dispensation: 0,
	session: 0, lost: 0} and .persons[1].failed == 2" "$R" "bob's counts" '.persons[1] | {counts, failed}'
check_json ".persons[0].records | map(select(.event == \"audit.loginuid_changed\")) | length == 1" \
	"$R" "alice's audit uid rewrite in her records" '.persons[0].records | map(.event)'
check_json "[.machine_records[].event] == [\"policy.loaded\", \"vakt.stopped\"] and
	.counts.enforcement == 2 and (.sections[] | select(.name == \"enforcement\") |
	.policy_references) == [\"IT security policy §2.1, enforcement\"]" "$R" \
	"enforcement: an observing policy and the stop, with the clause" '{m: [.machine_records[].event], s: .sections}'
# Every record counted is one of the journal's, with its time and machine.
n_journal=$(jq -s '[.[] | select(.VAKT_EVENT != null)] | length' "$T/journal.json")
check_json ".records_read == $n_journal" "$R" "records read" '.records_read'

echo "--- the same from --file and from the default journal"
file=$(ls "$JDIR"/*/system.journal)
"$VAKTCTL" report --file "$file" --config "$rc_conf" --json >"$T/file-json.report" || fail "--file failed"
"$VAKTCTL" report --config "$rc_conf" --json >"$T/default-json.report" || fail "default journal failed"
for f in "$T/file-json.report" "$T/default-json.report"; do
	diff <(jq -c '[.persons[] | {user, counts, failed}], .machines' "$R") \
		<(jq -c '[.persons[] | {user, counts, failed}], .machines' "$f") ||
		fail "$(basename "$f") differs from --directory"
done

echo "--- --since and --until select by time"
"$VAKTCTL" report --directory "$JDIR" --since 2020-01-01 --until 2020-01-02 >"$T/old.txt" ||
	fail "an empty window is not an error"
grep -q "No vakt record in this time." "$T/old.txt" || fail "an empty window not said: $(cat "$T/old.txt")"
"$VAKTCTL" report --directory "$JDIR" --since -1h --json >"$T/hour-json.report" || fail "--since -1h failed"
jq -e ".records_read == $n_journal" "$T/hour-json.report" >/dev/null || fail "--since -1h lost records"

echo "--- bad inputs: a clear message and exit 1"
expect_refusal() {
	local want=$1 rc=0
	shift
	"$@" >"$T/bad.out" 2>"$T/bad.err" || rc=$?
	[ $rc -eq 1 ] || fail "exit $rc, not 1: $*: $(cat "$T/bad.err")"
	grep -q -- "$want" "$T/bad.err" || fail "'$want' not said for $*: $(cat "$T/bad.err")"
	[ ! -s "$T/bad.out" ] || fail "output despite the error: $*"
	echo "    $(cat "$T/bad.err")"
}
expect_refusal "directory $T/nosuch: No such file or directory" "$VAKTCTL" report --directory "$T/nosuch"
printf 'not a journal\n' >"$T/garbage.journal"
expect_refusal "cannot open $T/garbage.journal" "$VAKTCTL" report --file "$T/garbage.journal"
mkdir "$T/empty"
expect_refusal "directory $T/empty holds no journal record" "$VAKTCTL" report --directory "$T/empty"
expect_refusal "since 'yesterday': expected -DURATION" "$VAKTCTL" report --directory "$JDIR" --since yesterday
expect_refusal "since '-7': expected -DURATION" "$VAKTCTL" report --directory "$JDIR" --since -7
expect_refusal "is not before --until" "$VAKTCTL" report --directory "$JDIR" --since -1d --until -2d
expect_refusal "exclude each other" "$VAKTCTL" report --directory "$JDIR" --file "$file"
expect_refusal "cannot read admin_groups" "$VAKTCTL" report --directory "$JDIR" --config "$T/nosuch.conf"
# bob may not read the system journal (not root, not in adm or systemd-journal).
cp "$VAKTCTL" "$T/vaktctl"
chmod 0755 "$T/vaktctl"
expect_refusal "you can read nothing of the system journal" \
	setpriv --reuid "$buid" --regid "$(id -g "$bob")" --init-groups "$T/vaktctl" report --config "$rc_conf"
chmod 0600 "$file"
expect_refusal "file $file: Permission denied" \
	setpriv --reuid "$buid" --regid "$(id -g "$bob")" --init-groups "$T/vaktctl" report --file "$file" --config "$rc_conf"

echo "report: persons, counts, machine, policy clause and bad inputs as expected"
