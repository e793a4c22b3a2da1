#!/bin/bash
# After start-up vaktd keeps only the capabilities its enabled parts need (read from
# /proc/PID/status of the real process).
. "$(dirname "$0")/lib.sh"
need_root

conf=$T/vakt.conf
write_conf "$conf" <<'C'
[storage]
mode = off
[idle]
mode = off
[audit]
mode = off
C
"$VAKTD" --config "$conf" --log-target json >"$T/out.json" 2>"$T/err.log" &
pid=$!
at_exit stop_pid $pid
wait_for grep -q '"policy.loaded"' "$T/out.json" || fail "no policy.loaded: $(cat "$T/err.log")"
for f in CapEff CapPrm CapInh CapAmb; do
	v=$(awk -v f="$f:" '$1 == f { print $2 }' /proc/$pid/status)
	[ "$v" = 0000000000000000 ] || fail "$f is $v with every part off (expected none)"
done
echo ok
