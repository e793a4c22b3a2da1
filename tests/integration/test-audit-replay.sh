#!/bin/bash
# vaktd --replay-audit on the captured records of tests/data/audit: the records vaktd writes
# (--log-target json), raw and enriched, from a file and from stdin, interleaved, and on garbage.
# Needs no root: replay reads only its input (and NSS for names).
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
check config-remove.log ".VAKT_EVENT == \"audit.rules_changed\" and .VAKT_UID == \"$alice\"" 4
check config-disable.log '.VAKT_EVENT == "audit.rules_changed"' 1
check watch-write.log '.VAKT_EVENT == "file.changed" and .VAKT_FILE == "/tmp/vakt-watch-test"' 3
check watch-write.log ".VAKT_EVENT == \"file.changed\" and .VAKT_UID != \"$alice\"" 0

# Enriched text gives the same records as raw text; stdin the same as a file.
diff <(replay "$D/sudo-runas-hex.log" | events) <(replay "$D/enriched-sudo.log" | events) ||
	fail "enriched records differ from raw"
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
