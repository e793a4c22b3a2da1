#!/bin/bash
# The audit part against the real kernel: a test user with a login uid runs real su, sudo (right
# and wrong password), passwd and useradd, and writes a watched file; vaktd (ensure_rules = no,
# only vakt-test-* rules scoped to the test user and path) must write attributed records.
. "$(dirname "$0")/lib.sh"
need_root
command -v auditctl >/dev/null || skip "needs auditctl (package auditd)"
command -v sudo >/dev/null || skip "needs sudo"
auditctl -s >/dev/null 2>&1 || skip "no kernel audit support"
auditctl -s | grep -q '^enabled 2' && skip "audit configuration is locked (enabled 2)"
auditctl -e 1 >/dev/null

tag=$$
user=vakt-test-a$tag
other=vakt-test-b$tag
pw='Vakt-test-pw-1'
useradd -m -s /bin/bash "$user"
at_exit "userdel -r $user >/dev/null 2>&1"
at_exit "userdel -r $other >/dev/null 2>&1"
echo "$user:$pw" | chpasswd
uid=$(id -u "$user")
printf '%s ALL=(ALL) ALL\nDefaults:%s passwd_tries=1, !lecture\n' "$user" "$user" >"/etc/sudoers.d/vakt-test-$tag"
chmod 0440 "/etc/sudoers.d/vakt-test-$tag"
at_exit "rm -f /etc/sudoers.d/vakt-test-$tag"
visudo -cq -f "/etc/sudoers.d/vakt-test-$tag" || fail "sudoers drop-in invalid"

mkdir -p "$T/watched"
echo original >"$T/watched/file"
watch_rule=(-w "$T/watched" -p wa -k vakt-test-watch)
auditctl "${watch_rule[@]}" >/dev/null
at_exit "auditctl -W $T/watched -p wa -k vakt-test-watch >/dev/null 2>&1"

write_conf "$T/vakt.conf" <<EOF
[storage]
mode = off
[idle]
mode = off
[audit]
ensure_rules = no
watch = $T/watched
failed_auth_burst = 3/1min
EOF

"$VAKTD" --config "$T/vakt.conf" --log-target json >"$T/out.json" 2>"$T/err" &
pid=$!
at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
sleep 1
kill -0 $pid 2>/dev/null || { cat "$T/err" >&2; fail "vaktd did not start"; }

# Everything below runs with the test user's login uid, as a real login would set it.
(
	echo "$uid" >/proc/self/loginuid
	cat /proc/self/sessionid >"$T/ses"
	cd "$T"
	su "$user" -c "echo '$pw' | sudo -S -p '' /usr/bin/id -u" >/dev/null
	su "$user" -c "echo wrong-1 | sudo -S -p '' -k /usr/bin/true" >/dev/null 2>&1 || true
	echo changed >>"$T/watched/file"
	useradd -M "$other"
	printf 'Other-pw-1\nOther-pw-1\n' | passwd "$other" >/dev/null 2>&1
) || fail "the user's actions failed"

# Only this run's records: other tests on the machine may run sudo at the same time, and the
# audit session of this run tells its records from theirs without assuming the attribution.
ses=$(cat "$T/ses")
ev() { jq -c --arg e "$1" 'select(.VAKT_EVENT == $e)' "$T/out.json"; }
mine() { jq -c --arg s "$ses" 'select(.VAKT_AUDIT_SESSION == $s)'; }
first() { jq -cs "map(select($1)) | first // empty"; }
have() { [ -n "$(ev "$1" | jq -c "select($2)")" ]; }
WAIT_S=10 wait_for have privilege.sudo ".VAKT_COMMAND == \"/usr/bin/id -u\" or .VAKT_COMMAND == \"/usr/bin/id\"" ||
	{ cat "$T/out.json" "$T/err" >&2; fail "no privilege.sudo record"; }
WAIT_S=10 wait_for have account.changed ".VAKT_TARGET_USER == \"$other\"" ||
	{ cat "$T/out.json" >&2; fail "no account.changed for $other"; }
WAIT_S=10 wait_for have file.changed '.VAKT_FILE != null' ||
	{ cat "$T/out.json" >&2; fail "no file.changed"; }
sleep 2.5 # let events without EOE and the held sudo records come out

sudo_ok=$(ev privilege.sudo | mine | first '.VAKT_RESULT == "success"')
echo "sudo: $sudo_ok"
[ "$(jq -r .VAKT_USER <<<"$sudo_ok")" = "$user" ] || fail "sudo not attributed to $user"
[ "$(jq -r .VAKT_UID <<<"$sudo_ok")" = "$uid" ] || fail "sudo VAKT_UID"
[ "$(jq -r .VAKT_TARGET_USER <<<"$sudo_ok")" = root ] || fail "sudo target user is not root"
id=$(jq -r .VAKT_AUDIT_ID <<<"$sudo_ok")
[[ "$id" =~ ^[0-9]+\.[0-9]{3}:[0-9]+$ ]] || fail "VAKT_AUDIT_ID '$id'"
jq -r .MESSAGE <<<"$sudo_ok" | grep -q "$user" || fail "message does not name the user"

sudo_bad=$(ev privilege.sudo | mine | first '.VAKT_RESULT == "failure"')
echo "refused: $sudo_bad"
[ "$(jq -r .VAKT_USER <<<"$sudo_bad")" = "$user" ] || fail "refused sudo not attributed"

n_fail=$(ev auth.failed | mine | wc -l)
echo "auth.failed records: $n_fail"
[ "$n_fail" -eq 1 ] || { ev auth.failed >&2; fail "one wrong password gave $n_fail auth.failed"; }

su_rec=$(ev privilege.su | mine | first ".VAKT_TARGET_USER == \"$user\"")
[ -n "$su_rec" ] || fail "no privilege.su"
[ "$(jq -r .VAKT_USER <<<"$su_rec")" = "$user" ] || fail "su not attributed to the login uid"

acct=$(ev account.changed | mine | jq -c "select(.VAKT_TARGET_USER == \"$other\")")
echo "account: $acct"
[ "$(jq -r .VAKT_USER <<<"$acct" | sort -u)" = "$user" ] || fail "account changes not attributed"

file=$(ev file.changed | mine | first '.VAKT_FILE != null')
echo "file: $file"
[ "$(jq -r .VAKT_USER <<<"$file")" = "$user" ] || fail "file change not attributed"
jq -r .VAKT_FILE <<<"$file" | grep -q "^$T/watched" || fail "VAKT_FILE"

# ausearch finds the source event by VAKT_AUDIT_ID when auditd keeps a log; check the form only
# otherwise (no auditd here).

# A burst: three wrong passwords within the window give one auth.burst.
(
	echo "$uid" >/proc/self/loginuid
	for i in 1 2 3 4; do
		su "$user" -c "echo wrong-$i | sudo -S -p '' -k /usr/bin/true" >/dev/null 2>&1 || true
	done
)
WAIT_S=10 wait_for have auth.burst ".VAKT_TARGET_USER == \"$user\"" ||
	{ ev auth.failed >&2; fail "no auth.burst"; }
sleep 1
n_burst=$(ev auth.burst | jq -c "select(.VAKT_TARGET_USER == \"$user\")" | wc -l)
[ "$n_burst" -eq 1 ] || fail "$n_burst auth.burst records for one burst"
ev auth.burst

# Deleting a vakt-test rule is an audit configuration change, attributed to the person.
(
	echo "$uid" >/proc/self/loginuid
	auditctl -W "$T/watched" -p wa -k vakt-test-watch >/dev/null
)
WAIT_S=10 wait_for have audit.rules_changed ".VAKT_AUDIT_KEY == \"vakt-test-watch\" and .VAKT_USER == \"$user\"" ||
	{ ev audit.rules_changed >&2; fail "no audit.rules_changed for the deleted rule"; }
ev audit.rules_changed | tail -1

kill $pid
wait $pid || fail "vaktd exited with $?"
echo "all audit live checks passed"
