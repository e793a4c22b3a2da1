#!/bin/bash
# ensure_rules = yes: vaktd loads exactly the rules of conf/audit/50-vakt.rules (its built-in copy
# plus the watch list), notices when a person deletes one or disables auditing, writes
# audit.rules_changed attributed to that person, and restores them. Afterwards the test deletes
# exactly those rules again. Skipped when vakt-* rules are already loaded on this machine.
. "$(dirname "$0")/lib.sh"
need_root
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

# A person deletes the module rule: reported, attributed, restored.
mod=$(printf '%s\n' "${lines[@]}" | grep -m1 'vakt-module')
(
	echo "$uid" >/proc/self/loginuid
	# shellcheck disable=SC2086
	auditctl -d ${mod#-a } >/dev/null
)
WAIT_S=10 wait_for have audit.rules_changed ".VAKT_AUDIT_KEY == \"vakt-module\" and .VAKT_USER == \"$user\"" ||
	{ cat "$T/out.json" >&2; fail "no attributed audit.rules_changed"; }
ev audit.rules_changed | grep vakt-module | sed -n 1p
WAIT_S=10 wait_for loaded || fail "the deleted rule was not restored"
echo "deleted rule restored"

# A person disables auditing: reported and re-enabled.
(
	echo "$uid" >/proc/self/loginuid
	auditctl -e 0 >/dev/null
)
enabled() { auditctl -s | grep -q '^enabled 1'; }
WAIT_S=10 wait_for enabled || fail "auditing was not re-enabled"
WAIT_S=5 wait_for have audit.rules_changed ".VAKT_USER == \"$user\" and (.VAKT_AUDIT_KEY == null)" ||
	{ ev audit.rules_changed >&2; fail "no audit.rules_changed for disabling auditing"; }
ev audit.rules_changed | tail -1
echo "auditing re-enabled"

kill $pid
wait $pid || fail "vaktd exited with $?"
