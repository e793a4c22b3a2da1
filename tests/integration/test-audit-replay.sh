#!/bin/bash
# vaktd --replay-audit on the captured records of tests/data/audit: the records vaktd writes
# (--log-target json), raw and enriched, from a file and from stdin, interleaved, and on garbage;
# their words (issue 13 item 5), their marks and time (item 7), names from the log before this
# machine's NSS, and the console output on standard output by default.
# Needs no root: replay reads only its input (and NSS for names the log lacks).
. "$(dirname "$0")/lib.sh"
D=$SRC_DIR/tests/data/audit
[ -d "$D" ] || skip "no captured audit records in $D"

write_conf "$T/vakt.conf" <<EOF
[storage]
mode = off
[idle]
mode = off
[audit]
ensure_rules = no
failed_auth_burst = 3/5min
watch = /etc/passwd, /etc/shadow, /etc/group, /etc/gshadow, /etc/sudoers, /etc/sudoers.d, /tmp/vakt-test-a13/watched
EOF

replay() { "$VAKTD" --config "$T/vakt.conf" --log-target json --replay-audit "$@"; }
events() { jq -c 'select(.VAKT_EVENT != null)'; }
# check FILE JQ-FILTER EXPECTED-COUNT: the number of records of FILE's replay that match.
check() {
	local n
	n=$(replay "$D/$1" | events | jq -c "select($2)" | wc -l)
	[ "$n" -eq "$3" ] || { replay "$D/$1" >&2; fail "$1: $n records match '$2', expected $3"; }
	echo "ok $1: $2 ($3)"
}

alice=1001 # the uid the captures ran under (README.md)
check sudo-id.log ".VAKT_EVENT == \"privilege.sudo\" and .VAKT_UID == \"$alice\" and .VAKT_TARGET_USER == \"root\" and .VAKT_COMMAND == \"/usr/bin/id\" and .VAKT_RESULT == \"success\"" 1
check sudo-id.log '.VAKT_EVENT != "privilege.sudo"' 0
check sudo-id.log '.VAKT_AUDIT_ID | test("^[0-9]+\\.[0-9]{3}:[0-9]+$")' 1
check sudo-wrong-then-right.log ".VAKT_EVENT == \"auth.failed\" and .VAKT_UID == \"$alice\"" 1
check sudo-wrong-then-right.log '.VAKT_EVENT == "privilege.sudo" and .VAKT_RESULT == "success"' 1
check sudo-wrong3.log '.VAKT_EVENT == "auth.failed"' 3
check sudo-wrong3.log '.VAKT_EVENT == "auth.burst" and .VAKT_FAILURES == "3"' 1
check sudo-wrong3.log '.VAKT_EVENT == "privilege.sudo" and .VAKT_RESULT == "failure"' 1
check sudo-runas-hex.log '.VAKT_EVENT == "privilege.sudo" and .VAKT_TARGET_USER == "vakt-test-bob" and .VAKT_COMMAND == "/bin/echo hello world two  spaces"' 1
check su-bob.log ".VAKT_EVENT == \"privilege.su\" and .VAKT_UID == \"$alice\" and .VAKT_TARGET_USER == \"vakt-test-bob\"" 1
check su-wrong.log '.VAKT_EVENT == "auth.failed" and .VAKT_TARGET_USER == "vakt-test-bob"' 1
check passwd-own.log '.VAKT_EVENT == "account.changed" and .VAKT_TARGET_USER == "vakt-test-alice"' 1
check account.log ".VAKT_EVENT == \"account.changed\" and .VAKT_UID == \"$alice\"" 7
check account.log '.VAKT_EVENT == "account.changed" and .VAKT_UID == "0"' 0
# Four rules removed in one go by one person: one record saying so (issue 13 item 4).
check config-remove.log ".VAKT_EVENT == \"audit.rules_changed\" and .VAKT_UID == \"$alice\"" 1
check config-remove.log '.VAKT_EVENT == "audit.rules_changed" and .VAKT_RULES_REMOVED == "4" and .VAKT_AUDIT_KEY == "vakt-test-watch, vakt-test-setuid, vakt-test-mount, vakt-test-module"' 1
check config-remove.log '.VAKT_EVENT == "audit.rules_changed" and (.MESSAGE | test("removed 4 audit rules"))' 1
check config-add.log '.VAKT_EVENT == "audit.rules_changed" and .VAKT_RULES_ADDED == "4"' 1
# Auditing switched off is its own warning (item 5), not a routine configuration change.
check config-disable.log '.VAKT_EVENT == "audit.rules_changed"' 0
check config-disable.log '.VAKT_EVENT == "audit.disabled" and .PRIORITY == "4" and .VAKT_AUDIT_ENABLED == "0"' 1
check config-disable.log '.VAKT_EVENT == "audit.disabled" and (.MESSAGE | test("switched off kernel auditing"))' 1
check watch-write.log '.VAKT_EVENT == "file.changed" and .VAKT_FILE == "/tmp/vakt-watch-test"' 3
check watch-write.log ".VAKT_EVENT == \"file.changed\" and .VAKT_UID != \"$alice\"" 0
check watch-write.log '.VAKT_EVENT == "file.changed" and .VAKT_RESULT == "failure" and (.MESSAGE | test("tried to change .* and was refused"))' 1

# Words a help desk can read aloud (item 5): no kernel names, the account and the group named,
# a refusal after wrong passwords told from a policy refusal, one form of terminal.
check mount.log '.VAKT_EVENT == "privilege.mount" and (.MESSAGE | test(" mounted ./tmp/vakt-mnt"))' 1
check mount.log '.VAKT_EVENT == "privilege.mount" and (.MESSAGE | test(" unmounted ./tmp/vakt-mnt"))' 1
check mount.log '.MESSAGE | test("umount2")' 0
check kern-module.log '.VAKT_EVENT == "privilege.module" and (.MESSAGE | test("loaded kernel module .dummy."))' 1
check kern-module.log '.MESSAGE | test("init_module")' 0
check kern-module.log '.VAKT_TTY == "pts/0"' 1
check passwd-own.log '.VAKT_TTY != null and .VAKT_TTY != "pts/0"' 0
# hostname= of passwd and the shadow tools is this machine's own name: nothing remote.
check passwd-own.log '.VAKT_REMOTE_HOST != null' 0
check account.log '.VAKT_EVENT == "account.changed" and (.MESSAGE | test("[?]"))' 0
check account.log '.VAKT_EVENT == "account.changed" and .VAKT_GROUPS_ADDED == "sudo" and (.MESSAGE | test("added account .vakt-test-carol. to group .sudo."))' 1
check account.log '.VAKT_EVENT == "account.changed" and (.MESSAGE | test("created account .vakt-test-carol."))' 1
check account.log '.VAKT_EVENT == "account.changed" and (.MESSAGE | test("deleted account .vakt-test-carol."))' 1
check account.log '.VAKT_EVENT == "account.changed" and (.MESSAGE | test("created group .vakt-test-grp."))' 1
check account.log '.VAKT_EVENT == "account.changed" and .VAKT_TARGET_USER == "vakt-test-grp"' 2
check sudo-wrong3.log '.VAKT_EVENT == "privilege.sudo" and .VAKT_REASON == "wrong password" and (.MESSAGE | test("after 3 wrong passwords"))' 1
check sudo-refused.log '.VAKT_EVENT == "privilege.sudo" and .VAKT_RESULT == "failure" and .VAKT_REASON == "refused" and (.MESSAGE | test("the audit record does not say why"))' 2
check sudo-refused.log '.VAKT_EVENT == "privilege.sudo" and (.MESSAGE | test("after [0-9]+ wrong"))' 0

# Replayed records say so and carry the event's own time (item 7).
check sudo-id.log '.VAKT_REPLAYED == "1" and .VAKT_AUDIT_TIME == "2026-11-23T12:58:34.323Z" and .VAKT_AUDIT_SERIAL == "16"' 1
check sudo-id.log '.MESSAGE | startswith("Replayed event of 2026-11-23 12:58:34 UTC: ")' 1
check sudo-id.log '.VAKT_AUSEARCH == "LC_ALL=C TZ=UTC ausearch -a 16 -ts 11/23/26 12:58:34 -te 11/23/26 12:58:34"' 1
for f in "$D"/*.log; do
	n=$(replay "$f" | events | jq -c 'select(.VAKT_REPLAYED != "1" or (.VAKT_AUDIT_TIME | not) or (.MESSAGE | startswith("Replayed event of ") | not))' | wc -l)
	[ "$n" -eq 0 ] || fail "$(basename "$f"): $n records without the replay marks"
done
echo "ok every replayed record is marked and timed"

# Issue 13 (tests/data/audit/README.md): alice is uid 1003 there, bob 1004. What happened decides,
# whichever rules (site rules with other keys, before or after vakt's) recorded it.
a13=1003
for f in site-rules-before.log site-rules-after.log; do
	check $f '.VAKT_EVENT == "file.changed"' 8
	check $f ".VAKT_EVENT == \"file.changed\" and .VAKT_FILE == \"/etc/shadow\" and .VAKT_RESULT == \"failure\" and .VAKT_UID == \"$a13\"" 1
	check $f '.VAKT_EXE == "/usr/bin/cat"' 0
	check $f '.VAKT_EVENT == "privilege.mount" and .VAKT_RESULT == "success"' 2
	check $f '.VAKT_EVENT == "privilege.setuid" and .VAKT_FILE == "/tmp/vakt-test-a13/suid-id"' 1
done
check rootshell-sudo-i.log '.VAKT_EVENT == "privilege.root_command"' 10
check rootshell-sudo-i.log ".VAKT_EVENT == \"privilege.root_command\" and .VAKT_COMMAND == \"ls /etc\" and .VAKT_UID == \"$a13\"" 1
check rootshell-sudo-i.log ".VAKT_EVENT == \"audit.loginuid_changed\" and .VAKT_UID == \"$a13\" and .VAKT_RESULT == \"success\"" 1
check rootshell-sudo-su.log '.VAKT_EVENT == "privilege.su"' 0
check rootshell-sudo-su.log '.VAKT_EVENT == "privilege.root_command" and .VAKT_COMMAND == "whoami"' 1
check loginuid-refused.log ".VAKT_EVENT == \"audit.loginuid_changed\" and .VAKT_UID == \"$a13\" and .VAKT_RESULT == \"failure\"" 1
check sudo-quote-cwd.log ".VAKT_EVENT == \"privilege.sudo\" and .VAKT_RESULT == \"success\" and .VAKT_CWD == \"/tmp/vakt-test-a13/it's-fine\"" 1
check long-exe-path.log '.VAKT_EVENT == "file.changed" and .VAKT_FILE == "/etc/shadow" and .VAKT_AUDIT_KEY == "vakt-test-a13-watch"' 1
check execve-huge-arg.log '.VAKT_EVENT == "privilege.setuid" and (.VAKT_COMMAND | startswith("/tmp/vakt-test-a13/suid-id a b a b"))' 1
check passwd-change.log ".VAKT_EVENT == \"account.changed\" and .VAKT_UID == \"$a13\"" 1
check passwd-change.log '.VAKT_EVENT == "privilege.setuid" or .VAKT_EVENT == "file.changed"' 0
check sudo-pty-wrong-ctrlc.log '.VAKT_EVENT == "auth.failed"' 1
check sudo-pty-wrong-eof.log '.VAKT_EVENT == "auth.failed"' 1
check sudo-pty-ctrlc.log '.VAKT_EVENT == "auth.failed"' 0
check sudo-pty-wrong3.log '.VAKT_EVENT == "auth.failed"' 3
check sudo-notsudoer-wrong.log '.VAKT_EVENT == "privilege.sudo"' 1
check sudo-notsudoer-nopass.log '.VAKT_EVENT == "auth.failed"' 0

# A wrong password then an aborted prompt counts once towards failed_auth_burst (3/5min): two such
# runs are two failures, no burst; one more typed wrong password makes the burst.
cat "$D/sudo-pty-wrong-ctrlc.log" "$D/sudo-pty-wrong-eof.log" >"$T/two.log"
cat "$T/two.log" "$D/sudo-pty-wrong-right.log" >"$T/three.log"
n=$(replay "$T/two.log" | events | jq -c 'select(.VAKT_EVENT == "auth.burst")' | wc -l)
[ "$n" -eq 0 ] || fail "two typed wrong passwords and two aborted prompts made $n bursts"
n=$(replay "$T/three.log" | events | jq -c 'select(.VAKT_EVENT == "auth.burst" and .VAKT_FAILURES == "3")' | wc -l)
[ "$n" -eq 1 ] || fail "three typed wrong passwords made $n bursts, expected 1"
echo "ok aborted prompts do not count towards auth.burst"

# Enriched text gives the same records as raw text (but for the names, which only the enriched
# log has); stdin the same as a file.
unnamed() { jq -c 'del(.VAKT_USER, .VAKT_NAME_SOURCE, .MESSAGE)'; }
diff <(replay "$D/sudo-runas-hex.log" | events | unnamed) <(replay "$D/enriched-sudo.log" | events | unnamed) ||
	fail "enriched records differ from raw"
check enriched-sudo.log '.VAKT_USER == "vakt-test-alice" and .VAKT_NAME_SOURCE == "log" and (.MESSAGE | test("vakt-test-alice [(]uid 1001[)] ran"))' 1

# Names come from the log where it has them, not from this machine: the same uid 0 is "root"
# here, but the enriched log calls it alice-of-the-log. Without names in the log, this machine's
# name is used and the record says so.
sed 's/auid=1001/auid=0/g' "$D/sudo-id.log" >"$T/raw0.log"
awk '/auid=0 / { printf "%s\035AUID=\"alice-of-the-log\" UID=\"alice-of-the-log\"\n", $0; next } { print }' \
	"$T/raw0.log" >"$T/enriched0.log"
rec=$(replay "$T/enriched0.log" | events | jq -c 'select(.VAKT_EVENT == "privilege.sudo")')
[ "$(jq -r .VAKT_USER <<<"$rec")" = alice-of-the-log ] || fail "name not from the log: $rec"
[ "$(jq -r .VAKT_NAME_SOURCE <<<"$rec")" = log ] || fail "VAKT_NAME_SOURCE: $rec"
rec=$(replay "$T/raw0.log" | events | jq -c 'select(.VAKT_EVENT == "privilege.sudo")')
[ "$(jq -r .VAKT_USER <<<"$rec")" = root ] || fail "no NSS name for a raw log: $rec"
[ "$(jq -r .VAKT_NAME_SOURCE <<<"$rec")" = nss ] || fail "VAKT_NAME_SOURCE: $rec"
jq -r .MESSAGE <<<"$rec" | grep -qF "User 0 ('root' on this computer)" || fail "NSS name not marked: $rec"
echo "ok names from the log first, NSS only when it has none, and marked"

# Without --log-target: readable lines on standard output (not standard error; never the
# journal, which test-journal.sh checks against a real journald).
"$VAKTD" --config "$T/vakt.conf" --replay-audit "$D/sudo-id.log" >"$T/console.out" 2>"$T/console.err" ||
	fail "console replay failed"
grep -q "^Replayed event of 2026-11-23 12:58:34 UTC: .* ran '/usr/bin/id' as 'root' with sudo\. \[.*VAKT_AUDIT_TIME=2026-11-23T12:58:34.323Z.*VAKT_REPLAYED=1" \
	"$T/console.out" || fail "console replay: $(cat "$T/console.out" "$T/console.err")"
! grep -q "VAKT_EVENT" "$T/console.err" || fail "records on stderr: $(cat "$T/console.err")"
echo "ok console on stdout by default"
diff <(replay "$D/sudo-id.log" | events) <(replay - <"$D/sudo-id.log" | events) ||
	fail "stdin differs from file"
echo "ok enriched = raw, stdin = file"

# Interleaved events (two captures merged line by line) still come out complete.
paste -d '\n' "$D/sudo-id.log" "$D/su-bob.log" | grep -v '^$' >"$T/interleaved.log"
n=$(replay "$T/interleaved.log" | events | jq -c 'select(.VAKT_EVENT == "privilege.sudo" or .VAKT_EVENT == "privilege.su")' | wc -l)
[ "$n" -eq 2 ] || fail "interleaved: $n records, expected 2"
echo "ok interleaved"

# Garbage, cut records and a very long line: no crash, exit 0, the good event still found.
{
	head -c 3000 /dev/urandom | base64 -w 0
	echo
	echo 'type=USER_CMD msg=audit(1700000000.1'
	echo 'type= msg=audit(:): ='
	head -c 3000000 /dev/zero | tr '\0' 'x'
	echo
	cat "$D/sudo-id.log"
} >"$T/garbage.log"
out=$(replay "$T/garbage.log") || fail "replay of garbage exited $?"
[ "$(events <<<"$out" | jq -c 'select(.VAKT_EVENT == "privilege.sudo")' | wc -l)" -eq 1 ] ||
	fail "good event lost among garbage"
echo "ok garbage"

replay "$T/does-not-exist" 2>/dev/null && fail "missing file: exit 0"
[ $? -eq 2 ] || fail "missing file: expected exit 2"
echo "ok missing input exits 2"
