#!/bin/bash
# After start-up vaktd keeps only the capabilities its enabled parts need, read from
# /proc/PID/status of the real process: none with every part off, CAP_SYS_ADMIN for storage
# enforcement (BLKROSET), and CAP_SETUID + CAP_SETGID with notify_user (the child that tells the
# person becomes them), CAP_AUDIT_READ + CAP_AUDIT_CONTROL for the
# audit part.
. "$(dirname "$0")/lib.sh"
need_root

CAP_SETGID=6 CAP_SETUID=7 CAP_SYS_ADMIN=21 CAP_AUDIT_CONTROL=30 CAP_AUDIT_READ=37
mask() { local m=0 c; for c in "$@"; do m=$((m | (1 << c))); done; printf '%016x' $m; }

# check_caps NAME EXPECTED_MASK: start vaktd with $T/NAME.conf, compare its capability sets.
check_caps() {
	local name=$1 want=$2 pid f v
	"$VAKTD" --config "$T/$name.conf" --state-dir "$T/state" --runtime-dir "$T/run" --log-target json >"$T/$name.json" 2>"$T/$name.err" &
	pid=$!
	wait_for grep -q '"policy.loaded"' "$T/$name.json" ||
		{ stop_pid $pid; fail "$name: no policy.loaded: $(cat "$T/$name.err")"; }
	for f in CapEff CapPrm; do
		v=$(awk -v f="$f:" '$1 == f { print $2 }' /proc/$pid/status)
		[ "$v" = "$want" ] || { stop_pid $pid; fail "$name: $f is $v, expected $want"; }
	done
	for f in CapInh CapAmb; do
		v=$(awk -v f="$f:" '$1 == f { print $2 }' /proc/$pid/status)
		[ "$v" = 0000000000000000 ] || { stop_pid $pid; fail "$name: $f is $v"; }
	done
	stop_pid $pid
	echo "$name: CapEff=$want"
}

write_conf "$T/off.conf" <<'C'
[storage]
mode = off
[idle]
mode = off
[audit]
mode = off
C
check_caps off "$(mask)"

write_conf "$T/audit.conf" <<'C'
[storage]
mode = off
[idle]
mode = off
[audit]
mode = enforce
ensure_rules = no
C
check_caps audit "$(mask $CAP_AUDIT_CONTROL $CAP_AUDIT_READ)"

# Storage in observe mode changes nothing and needs no capability; in enforce mode it needs
# CAP_SYS_ADMIN. (This machine has no USB: the door has nothing to close.)
write_conf "$T/observe.conf" <<'C'
[storage]
mode = observe
[idle]
mode = off
[audit]
mode = off
C
check_caps observe "$(mask)"

if [ -d /sys/bus/usb ]; then
	echo "skipping storage enforce: this machine has USB and the door would close for real"
else
	write_conf "$T/storage.conf" <<'C'
[storage]
mode = enforce
[idle]
mode = off
[audit]
mode = enforce
ensure_rules = no
C
	check_caps storage "$(mask $CAP_SYS_ADMIN $CAP_SETGID $CAP_SETUID $CAP_AUDIT_CONTROL $CAP_AUDIT_READ)"
	write_conf "$T/quiet.conf" <<'C'
[storage]
mode = enforce
notify_user = no
[idle]
mode = off
[audit]
mode = off
C
	check_caps quiet "$(mask $CAP_SYS_ADMIN)"
fi
# A reload cannot enable a part whose capability was dropped at start: policy.invalid, and the
# running policy (and capability set) stays.
cp "$T/off.conf" "$T/grow.conf"
"$VAKTD" --config "$T/grow.conf" --state-dir "$T/state" --runtime-dir "$T/run" --log-target json >"$T/grow.json" 2>"$T/grow.err" &
pid=$!
at_exit stop_pid $pid
wait_for grep -q '"policy.loaded"' "$T/grow.json" || fail "grow: no policy.loaded"
cp "$T/audit.conf" "$T/grow.conf"
kill -HUP $pid
wait_for has_events policy.invalid 1 "$T/grow.json" || fail "grow: no policy.invalid"
jq -r 'select(.VAKT_EVENT=="policy.invalid") | .VAKT_CONFIG_ERRORS' "$T/grow.json" |
	grep -q "CAP_AUDIT" || fail "grow: policy.invalid does not name the missing capability"
has_events policy.loaded 2 "$T/grow.json" && fail "grow: the policy needing more was loaded"
v=$(awk '$1 == "CapEff:" { print $2 }' /proc/$pid/status)
[ "$v" = 0000000000000000 ] || fail "grow: CapEff became $v"
echo ok
