#!/bin/bash
# ensure_rules = yes: vaktd loads exactly the rules of conf/audit/50-vakt.rules (its built-in copy
# plus the watch list) without reporting its own loading as a change, notices when a person
# deletes rules or disables auditing, writes ONE record attributed to that person for what they
# did in one go (audit.rules_changed, or audit.disabled at warning priority) and ONE
# audit.rules_restored for what it put back (issue 13 items 4 and 5). Afterwards the test deletes
# exactly those rules again. Skipped when vakt-* rules are already loaded on this machine; runs
# of this test on one machine (other worktrees) take turns.
. "$(dirname "$0")/lib.sh"
need_root
exec 8>/run/lock/vakt-test-audit-rules.lock
flock -w 300 8 || skip "another run of this test holds /run/lock/vakt-test-audit-rules.lock"
command -v auditctl >/dev/null || skip "needs auditctl (package auditd)"
auditctl -s >/dev/null 2>&1 || skip "no kernel audit support"
auditctl -s | grep -q '^enabled 2' && skip "audit configuration is locked (enabled 2)"
auditctl -l | grep -Ev '(key=|-k )vakt-test-' | grep -Eq '(key=|-k )vakt-' &&
	skip "vakt-* rules are already loaded here; not touching them"
auditctl -e 1 >/dev/null

rules=$SRC_DIR/conf/audit/50-vakt.rules
mapfile -t lines < <(grep -E '^-(a|w) ' "$rules")
[ ${#lines[@]} -gt 5 ] || fail "no rules in $rules"
watch=$(grep -E '^-w .* -k vakt-watch$' "$rules" | awk '{print $2}' | paste -sd, | sed 's/,/, /g')

# Delete every rule of the file (as auditctl -d/-W), whether or not it is loaded.
delete_all() {
	local l
	for l in "${lines[@]}"; do
		# shellcheck disable=SC2086
		case "$l" in
		-a*) auditctl -d ${l#-a } >/dev/null 2>&1 || true ;;
		-w*) auditctl -W ${l#-w } >/dev/null 2>&1 || true ;;
		esac
	done
}
at_exit delete_all

user=vakt-test-r$$
useradd -M "$user"
at_exit "userdel $user >/dev/null 2>&1"
uid=$(id -u "$user")

write_conf "$T/vakt.conf" <<EOF
[storage]
mode = off
[idle]
mode = off
[audit]
ensure_rules = yes
watch = $watch
EOF

"$VAKTD" --config "$T/vakt.conf" --state-dir "$T/state" --runtime-dir "$T/run" --log-target json >"$T/out.json" 2>"$T/err" &
pid=$!
at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"

loaded() { [ "$(auditctl -l | grep -Ev '(key=|-k )vakt-test-' | grep -Ec '(key=|-k )vakt-')" -eq ${#lines[@]} ]; }
WAIT_S=10 wait_for loaded || { auditctl -l >&2; cat "$T/err" >&2; fail "vaktd did not load ${#lines[@]} rules"; }

# Each rule of the file is loaded exactly as written: adding it again is refused as a duplicate.
for l in "${lines[@]}"; do
	# shellcheck disable=SC2086
	if out=$(auditctl $l 2>&1); then
		fail "rule was not loaded by vaktd: $l"
	fi
	grep -q 'exists' <<<"$out" || fail "unexpected auditctl answer for '$l': $out"
done
echo "all ${#lines[@]} rules of 50-vakt.rules loaded"

ev() { jq -c --arg e "$1" 'select(.VAKT_EVENT == $e)' "$T/out.json"; }
have() { [ -n "$(ev "$1" | jq -c "select($2)")" ]; }
count() { ev "$1" | wc -l; }

# vaktd's own loading is no change by anyone.
sleep 1.5
[ "$(count audit.rules_changed)" -eq 0 ] ||
	{ ev audit.rules_changed >&2; fail "vaktd reported its own rule loading"; }
[ "$(count audit.rules_restored)" -eq 0 ] || fail "loading at start reported as a restore"
echo "own loading not reported"

# A person deletes the module rule: one record, attributed; one restore record.
mod=$(printf '%s\n' "${lines[@]}" | grep -m1 'vakt-module')
(
	echo "$uid" >/proc/self/loginuid
	# shellcheck disable=SC2086
	auditctl -d ${mod#-a } >/dev/null
)
WAIT_S=10 wait_for have audit.rules_changed ".VAKT_AUDIT_KEY == \"vakt-module\" and .VAKT_USER == \"$user\"" ||
	{ cat "$T/out.json" >&2; fail "no attributed audit.rules_changed"; }
WAIT_S=10 wait_for loaded || fail "the deleted rule was not restored"
WAIT_S=5 wait_for have audit.rules_restored ".VAKT_RULES_RESTORED == \"1\"" || fail "no audit.rules_restored"
sleep 1
ev audit.rules_changed
ev audit.rules_restored
[ "$(count audit.rules_changed)" -eq 1 ] || fail "one deletion gave $(count audit.rules_changed) records"
[ "$(count audit.rules_restored)" -eq 1 ] || fail "one restore gave $(count audit.rules_restored) records"
ev audit.rules_restored | jq -e --arg u "$user" 'select((.VAKT_RESTORED_RULES | test("vakt-module")) and
	(.VAKT_CHANGED_BY | startswith($u)) and (.MESSAGE | test("restored 1 audit rule")))' >/dev/null ||
	fail "the restore record does not say what and after whom"
echo "deleted rule restored: one record each"

# A person deletes every vakt rule in one go (one auditctl per rule, as a script would): still
# one record naming them all, and one restore.
(
	echo "$uid" >/proc/self/loginuid
	for l in "${lines[@]}"; do
		# shellcheck disable=SC2086
		case "$l" in
		-a*) auditctl -d ${l#-a } >/dev/null ;;
		-w*) auditctl -W ${l#-w } >/dev/null ;;
		esac
	done
)
WAIT_S=10 wait_for have audit.rules_changed ".VAKT_RULES_REMOVED == \"${#lines[@]}\"" ||
	{ ev audit.rules_changed >&2; fail "no one record for ${#lines[@]} removed rules"; }
WAIT_S=10 wait_for loaded || fail "the deleted rules were not restored"
WAIT_S=5 wait_for have audit.rules_restored ".VAKT_RULES_RESTORED == \"${#lines[@]}\"" ||
	{ ev audit.rules_restored >&2; fail "no one restore record for ${#lines[@]} rules"; }
sleep 1
[ "$(count audit.rules_changed)" -eq 2 ] || { ev audit.rules_changed >&2; fail "records per rule"; }
[ "$(count audit.rules_restored)" -eq 2 ] || { ev audit.rules_restored >&2; fail "restores per rule"; }
ev audit.rules_changed | tail -1 | jq -r .MESSAGE
echo "mass deletion: one record, one restore"

# A person disables auditing: audit.disabled (a warning), re-enabled, one restore record.
(
	echo "$uid" >/proc/self/loginuid
	auditctl -e 0 >/dev/null
)
enabled() { auditctl -s | grep -q '^enabled 1'; }
WAIT_S=10 wait_for enabled || fail "auditing was not re-enabled"
WAIT_S=5 wait_for have audit.disabled ".VAKT_USER == \"$user\" and .PRIORITY == \"4\"" ||
	{ cat "$T/out.json" >&2; fail "no audit.disabled for disabling auditing"; }
WAIT_S=5 wait_for have audit.rules_restored ".VAKT_AUDIT_ENABLED == \"1\"" ||
	fail "no audit.rules_restored saying auditing is on again"
sleep 1
ev audit.disabled
[ "$(count audit.disabled)" -eq 1 ] || fail "not one audit.disabled"
[ "$(count audit.rules_changed)" -eq 2 ] || fail "disabling also gave audit.rules_changed"
ev audit.disabled | jq -r .MESSAGE | grep -q "switched off kernel auditing" || fail "audit.disabled message"
echo "auditing re-enabled"

kill $pid
wait $pid || fail "vaktd exited with $?"
