#!/bin/bash
# The daemon's lifecycle as a help desk queries it in the journal (issue 17 item 6): the real
# vaktd with --log-target journal into a private systemd-journald, then only "journalctl
# VAKT_EVENT=..." queries:
#   start            vakt.started with VAKT_VERSION, VAKT_PARTS (each part with its mode)
#   first load       policy.loaded VAKT_RELOAD=0
#   accepted reload  policy.loaded VAKT_RELOAD=1
#   refused reload   policy.invalid VAKT_RELOAD=1
#   auditing off     audit.disabled when kernel auditing is off as vaktd starts (this test
#                    does not switch it off: other tests may run audit tests at the same time;
#                    test-audit-rules.sh switches it off and checks the record)
#   stop             vakt.stopped
# each with the MESSAGE_ID of lib/events.c. Needs root (mount namespace, as test-journal.sh).

if [ -z "${VAKT_TEST_MOUNT_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 77; }
	command -v unshare >/dev/null || { echo "needs unshare (util-linux)" >&2; exit 77; }
	unshare --mount --propagation private true 2>/dev/null ||
		{ echo "cannot create a mount namespace here" >&2; exit 77; }
	VAKT_TEST_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"

JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || skip "no $JOURNALD"
command -v journalctl >/dev/null || skip "no journalctl"
command -v auditctl >/dev/null || skip "needs auditctl (package auditd)"
auditctl -s >/dev/null 2>&1 || skip "no kernel audit support"
audit_was=$(auditctl -s 2>/dev/null | awk '$1 == "enabled" { print $2 }')
case "$audit_was" in
0 | 1) at_exit "auditctl -e $audit_was >/dev/null" ;;
*) skip "audit configuration is locked (enabled $audit_was)" ;;
esac

# Private journal locations, visible only inside this mount namespace (test-journal.sh).
mkdir -p "$T/run-log" "$T/journald.conf.d"
if [ -d /run/systemd ] && [ -d /run/log ]; then
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd
	mount --bind "$T/run-log" /run/log
else
	mount -t tmpfs -o mode=0755 tmpfs /run
	mkdir -p /run/systemd /run/log
fi
[ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal
printf '[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToWall=no\nForwardToSyslog=no\n' \
	>"$T/journald.conf"
[ ! -e /etc/systemd/journald.conf ] || mount --bind "$T/journald.conf" /etc/systemd/journald.conf
[ ! -d /etc/systemd/journald.conf.d ] || mount --bind "$T/journald.conf.d" /etc/systemd/journald.conf.d
JDIR=/run/log/journal

# Without CAP_AUDIT_CONTROL journald cannot switch kernel auditing off (252 does at start).
setpriv --bounding-set -audit_control --inh-caps -audit_control "$JOURNALD" >"$T/journald.log" 2>&1 &
jpid=$!
at_exit "stop_pid $jpid"
wait_for test -S /run/systemd/journal/socket || fail "journald did not start: $(cat "$T/journald.log")"
audit_now=$(auditctl -s | awk '$1 == "enabled" { print $2 }')

conf=$T/etc/vakt.conf
write_conf "$conf" <<'C'
[storage]
mode = observe
[idle]
mode = off
[audit]
ensure_rules = no
C
mkdir -p "$conf.d"

# q EVENT [FIELD=VALUE...]: the records of that query, as JSON lines.
q() { journalctl --directory="$JDIR" -o json -t vaktd VAKT_EVENT="$1" "${@:2}" 2>/dev/null; }
count() { q "$@" | grep -c . || true; }
has() { [ "$(count "$@")" -ge 1 ]; }
message_id() { grep -A1 "\.name = \"$1\"" "$SRC_DIR/lib/events.c" | grep -oE '[0-9a-f]{32}'; }
# expect N EVENT [FIELD=VALUE...]: exactly N records, each with the event's MESSAGE_ID.
expect() {
	local n=$1 id
	shift
	wait_for has "$@" || { journalctl --directory="$JDIR" -o cat -t vaktd >&2; fail "no record for: $*"; }
	[ "$(count "$@")" -eq "$n" ] || fail "$(count "$@") records for '$*', expected $n"
	id=$(message_id "$1")
	[ ${#id} -eq 32 ] || fail "no MESSAGE_ID for $1 in lib/events.c"
	[ "$(q "$@" | jq -r .MESSAGE_ID | sort -u)" = "$id" ] || fail "$1: MESSAGE_ID is not $id"
	echo "ok $*"
}

"$VAKTD" --config "$conf" --log-target journal --state-dir "$T/state" --runtime-dir "$T/run" \
	2>"$T/vaktd.err" &
vpid=$!
at_exit "stop_pid $vpid"

echo "--- start"
expect 1 vakt.started VAKT_VERSION="$("$VAKTD" --version | awk '{ print $2 }')" \
	VAKT_PARTS="storage=observe idle=off audit=enforce" VAKT_POLICY_IN_FORCE=config
expect 1 policy.loaded VAKT_RELOAD=0 VAKT_PARTS="storage=observe idle=off audit=enforce"
if [ "$audit_now" = 0 ]; then
	expect 1 audit.disabled VAKT_AUDIT_ENABLED=0
	q audit.disabled | jq -r .MESSAGE | grep -q "found at start" ||
		fail "audit.disabled does not say it was found at start: $(q audit.disabled)"
else
	[ "$(count audit.disabled)" -eq 0 ] || fail "audit.disabled although auditing is on"
fi

echo "--- accepted reload"
# (a part that needs no capability dropped at start: idle in observe mode)
sed -i 's/^mode = off$/mode = observe/' "$conf"
kill -HUP $vpid
expect 1 policy.loaded VAKT_RELOAD=1 VAKT_PARTS="storage=observe idle=observe audit=enforce"

echo "--- refused reload"
printf '[storage]\nmode = sometimes\n' >"$conf.d/50-bad.conf"
kill -HUP $vpid
expect 1 policy.invalid VAKT_RELOAD=1 VAKT_POLICY_IN_FORCE=previous
# A query for reloads alone sees the accepted one, not the start.
[ "$(count policy.loaded VAKT_RELOAD=1)" -eq 1 ] || fail "VAKT_RELOAD=1 does not single out the reload"

echo "--- stop"
kill -TERM $vpid
wait $vpid || fail "vaktd exited with $?: $(cat "$T/vaktd.err")"
expect 1 vakt.stopped VAKT_PARTS="storage=observe idle=observe audit=enforce" VAKT_SIGNAL=SIGTERM
# vakt.started before the first policy.loaded (what the parts found while starting, such as
# audit.disabled, may come before both); vakt.stopped is the last record.
order=$(journalctl --directory="$JDIR" -o json -t vaktd | jq -r 'select(.VAKT_EVENT) | .VAKT_EVENT')
[ "$(grep -m1 -E '^(vakt.started|policy.loaded)$' <<<"$order")" = vakt.started ] ||
	fail "policy.loaded before vakt.started: $order"
[ "$(tail -1 <<<"$order")" = vakt.stopped ] || fail "the last record is not vakt.stopped: $order"
echo "lifecycle in the journal: all checks passed"
