#!/bin/bash
# The daemon's spine against the real binary: --check-config, start, SIGHUP reload (valid and
# broken), SIGTERM and its vakt.stopped record, exit codes, capabilities kept after start-up.
. "$(dirname "$0")/lib.sh"

conf=$T/etc/vakt.conf
write_conf "$conf" <<'C'
[storage]
mode = off
[idle]
mode = off
[audit]
mode = off
C
mkdir -p "$conf.d"

echo "--- --check-config accepts a valid policy, names the files it read"
out=$("$VAKTD" --check-config --config "$conf") || fail "--check-config rejected a valid file"
grep -q "valid" <<<"$out" || fail "no 'valid' in: $out"

echo "--- --check-config rejects a bad one with FILE:LINE and exit 1"
write_conf "$conf.d/50-bad.conf" <<'C'
[storage]
mode = sometimes
[nosuch]
C
set +e
err=$("$VAKTD" --check-config --config "$conf" 2>&1 >/dev/null)
rc=$?
set -e
[ $rc -eq 1 ] || fail "expected exit 1, got $rc"
grep -q "^$conf.d/50-bad.conf:2: " <<<"$err" || fail "no FILE:2: message in: $err"
grep -q "^$conf.d/50-bad.conf:3: " <<<"$err" || fail "second error (line 3) not reported: $err"
rm "$conf.d/50-bad.conf"

echo "--- usage errors exit 1, a missing config exits 1"
set +e
"$VAKTD" --no-such-option >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad option: exit != 1"
"$VAKTD" --log-target syslog >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad target: exit != 1"
"$VAKTD" --check-config --config "$T/missing.conf" 2>"$T/err"; [ $? -eq 1 ] || fail "missing config: exit != 1"
set -e
grep -q "$T/missing.conf" "$T/err" || fail "missing file not named: $(cat "$T/err")"

echo "--- start: policy.loaded on stdout (json), SIGHUP reloads"
"$VAKTD" --config "$conf" --state-dir "$T/state" --runtime-dir "$T/run" --log-target json >"$T/out.json" 2>"$T/err.log" &
pid=$!
at_exit stop_pid $pid
wait_for grep -q '"VAKT_EVENT":"policy.loaded"' "$T/out.json" || fail "no policy.loaded: $(cat "$T/err.log")"
jq -e 'select(.VAKT_EVENT=="policy.loaded") | .VAKT_CONFIG_FILES' "$T/out.json" | grep -q "$conf" ||
	fail "policy.loaded does not name $conf"

write_conf "$conf.d/10-ok.conf" <<'C'
[vakt]
admin_groups = sudo
C
kill -HUP $pid
wait_for has_events policy.loaded 2 "$T/out.json" || fail "no second policy.loaded"
jq -e 'select(.VAKT_EVENT=="policy.loaded") | .VAKT_CONFIG_FILES' "$T/out.json" | tail -1 |
	grep -q "10-ok.conf" || fail "reloaded policy.loaded does not name the drop-in"

echo "--- SIGHUP with a broken drop-in: process survives, policy.invalid with FILE:LINE"
write_conf "$conf.d/20-broken.conf" <<'C'
[audit]
failed_auth_burst = many
C
kill -HUP $pid
wait_for grep -q '"VAKT_EVENT":"policy.invalid"' "$T/out.json" || fail "no policy.invalid"
jq -r 'select(.VAKT_EVENT=="policy.invalid") | .VAKT_CONFIG_ERRORS' "$T/out.json" |
	grep -q "^$conf.d/20-broken.conf:2: " || fail "policy.invalid lacks FILE:LINE"
kill -0 $pid || fail "vaktd died on a broken reload"
[ "$(grep -c '"VAKT_EVENT":"policy.loaded"' "$T/out.json")" -eq 2 ] || fail "broken policy was loaded"

echo "--- SIGTERM exits 0"
kill -TERM $pid
set +e
wait $pid
rc=$?
set -e
[ $rc -eq 0 ] || fail "SIGTERM: exit $rc"

echo "--- the last record says enforcement stopped, and who sent the signal"
rec=$(tail -1 "$T/out.json")
jq -e --arg p "$$" 'select(.VAKT_EVENT == "vakt.stopped" and .PRIORITY == "4" and
	.VAKT_SIGNAL == "SIGTERM" and .VAKT_SENDER_PID == $p and .VAKT_PARTS == "storage=off idle=off audit=off")' <<<"$rec" >/dev/null ||
	fail "no vakt.stopped at the end: $rec"
jq -r .MESSAGE <<<"$rec" | grep -q "^vaktd stopped" || fail "message: $rec"
echo ok
