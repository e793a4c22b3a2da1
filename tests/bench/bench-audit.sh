#!/bin/bash
# Audit benchmark: vaktd --replay-audit against laurel and ausearch -i on the same large log, then
# vaktd's live CPU cost at 1,000 audited execs/s. Prints figures; asserts nothing.
#   BENCH_AUDIT_MB   size of the tiled log (default 300)
#   BENCH_LIVE_S     seconds of live load (default 10; 0 skips the live part)
#   BENCH_LIVE_RATE  execs per second of the live load (default 1000)
#   BENCH_LIVE_RUNS  live runs, each with a fresh vaktd (default 3): the machine may be shared
#                    and noisy, so the minimum and the median are printed
#   BENCH_AUDIT_LOG  keep the generated log here, and reuse it when it exists
# The log is built from real records: captured now from real activity when run as root with
# kernel audit available, plus the captures in tests/data/audit; then tiled with rewritten
# timestamps and serials.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${VAKTD:=$SRC/build/vaktd}"
MB=${BENCH_AUDIT_MB:-300}
LIVE_S=${BENCH_LIVE_S:-10}
LIVE_RATE=${BENCH_LIVE_RATE:-1000}
LIVE_RUNS=${BENCH_LIVE_RUNS:-3}
T=$(mktemp -d /tmp/vakt-bench.XXXXXX)
chmod 755 "$T"
CLEANUP=()
at_exit() { CLEANUP+=("$*"); }
cleanup() {
	local i
	for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[$i]}" || true; done
	rm -rf "$T"
}
trap cleanup EXIT

can_audit() { [ "$(id -u)" -eq 0 ] && command -v auditctl >/dev/null && auditctl -s >/dev/null 2>&1 &&
	! auditctl -s | grep -q '^enabled 2'; }

# A test user with a login uid, and a vakt-test rule on its execs. Sets $user $uid.
setup_user() {
	user=vakt-test-bench$$
	useradd -m -s /bin/bash "$user"
	at_exit "userdel -r $user >/dev/null 2>&1"
	echo "$user:Bench-pw-1" | chpasswd
	printf '%s ALL=(ALL) ALL\n' "$user" >"/etc/sudoers.d/vakt-test-bench$$"
	chmod 0440 "/etc/sudoers.d/vakt-test-bench$$"
	at_exit "rm -f /etc/sudoers.d/vakt-test-bench$$"
	uid=$(id -u "$user")
	auditctl -e 1 >/dev/null
	auditctl -a always,exit -F arch=b64 -S execve -F auid="$uid" -k vakt-test-bench >/dev/null
	at_exit "auditctl -d always,exit -F arch=b64 -S execve -F auid=$uid -k vakt-test-bench >/dev/null 2>&1"
}

# Real activity of the test user: execs, sudo (right and wrong password), su, file writes.
activity() {
	(
		set +e
		echo "$uid" >/proc/self/loginuid
		cd /tmp || exit
		for i in $(seq 1 40); do
			su "$user" -c "ls /etc >/dev/null; cat /etc/hostname >/dev/null; id >/dev/null"
			su "$user" -c "echo Bench-pw-1 | sudo -S -p '' -k /usr/bin/id >/dev/null" 2>/dev/null
			if [ $((i % 5)) -eq 0 ]; then
				su "$user" -c "echo wrong | sudo -S -p '' -k /usr/bin/true" >/dev/null 2>&1
			fi
		done
	) || true
}

if [ -n "${BENCH_AUDIT_LOG:-}" ] && [ -s "$BENCH_AUDIT_LOG" ]; then
	echo "reusing $BENCH_AUDIT_LOG"
	cp "$BENCH_AUDIT_LOG" "$T/big.log"
else
echo "building the log ($MB MB)..."
base=$T/base.log
: >"$base"
if can_audit; then
	setup_user
	/usr/bin/python3 "$SRC/tests/tools/audit-capture.py" "$T/captured.log" &
	cap=$!
	at_exit "kill $cap 2>/dev/null"
	sleep 0.5
	activity
	sleep 0.5
	kill "$cap"
	wait "$cap" 2>/dev/null || true
	cat "$T/captured.log" >>"$base"
	echo "captured $(wc -l <"$T/captured.log") records of real activity"
else
	echo "not root or no kernel audit: using only the records in tests/data/audit"
fi
cat "$SRC"/tests/data/audit/*.log >>"$base"

# Tile: each copy gets later timestamps and new serials, so every event stays distinct.
/usr/bin/python3 - "$base" "$T/big.log" "$((MB * 1024 * 1024))" <<'EOF'
import re, sys
src, dst, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
pat = re.compile(r'audit\((\d+)\.(\d+):(\d+)\)')
parts = []
for line in open(src, encoding='utf-8', errors='surrogateescape'):
    m = pat.search(line)
    if m:
        parts.append((line[:m.start()], int(m.group(1)), m.group(2), int(m.group(3)), line[m.end():]))
t0 = min(p[1] for p in parts); t1 = max(p[1] for p in parts)
s0 = min(p[3] for p in parts); s1 = max(p[3] for p in parts)
dt, ds = t1 - t0 + 1, s1 - s0 + 1
written, k = 0, 0
with open(dst, 'w', encoding='utf-8', errors='surrogateescape') as out:
    while written < limit:
        chunk = ''.join('%saudit(%d.%s:%d)%s' % (a, sec + k * dt, ms, ser + k * ds, b)
                        for a, sec, ms, ser, b in parts)
        out.write(chunk)
        written += len(chunk)
        k += 1
EOF
[ -n "${BENCH_AUDIT_LOG:-}" ] && cp "$T/big.log" "$BENCH_AUDIT_LOG"
fi
head -c $(($(stat -c %s "$T/big.log") / 10)) "$T/big.log" | sed '$d' >"$T/small.log"
lines=$(wc -l <"$T/big.log")
bytes=$(stat -c %s "$T/big.log")
echo "log: $lines records, $((bytes / 1024 / 1024)) MB"

cat >"$T/vakt.conf" <<EOF
[storage]
mode = off
[idle]
mode = off
[audit]
ensure_rules = no
EOF
chmod 644 "$T/vakt.conf"
mkdir -p "$T/laurel"
cat >"$T/laurel.toml" <<EOF
directory = "$T/laurel"
[auditlog]
file = "-"
EOF

# measure NAME FILE CMD...: wall and CPU time and peak RSS with /usr/bin/time -v; input on stdin.
# Records/s per wall second is the figure asked for; per CPU second (user + system) is less
# disturbed by a loaded machine.
declare -A rate cpurate rss
measure() {
	local name=$1 file=$2 n wall cpu kb
	shift 2
	/usr/bin/time -v -o "$T/time.$name" "$@" <"$file" >"$T/out.$name" 2>/dev/null || true
	wall=$(awk -F': ' '/Elapsed/ {n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s}' "$T/time.$name")
	cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$T/time.$name")
	kb=$(awk -F': ' '/Maximum resident/ {print $2}' "$T/time.$name")
	n=$(wc -l <"$file")
	rate[$name]=$(awk -v n="$n" -v w="$wall" 'BEGIN {printf "%.0f", n / (w > 0 ? w : 0.001)}')
	cpurate[$name]=$(awk -v n="$n" -v w="$cpu" 'BEGIN {printf "%.0f", n / (w > 0 ? w : 0.001)}')
	rss[$name]=$kb
	printf '%-12s %9s records/s %7s MB/s %9s records/CPU-s  peak RSS %6.1f MB  (%s s wall, %s s CPU, %s lines out)\n' \
		"$name" "${rate[$name]}" \
		"$(awk -v b="$(stat -c %s "$file")" -v w="$wall" 'BEGIN {printf "%.1f", b / 1048576 / (w > 0 ? w : 0.001)}')" \
		"${cpurate[$name]}" "$(awk -v k="$kb" 'BEGIN {print k / 1024}')" "$wall" "$cpu" \
		"$(wc -l <"$T/out.$name")"
}
# ratio A B: A's records/s over B's, per wall and per CPU second.
ratio() {
	awk -v a="${rate[$1]}" -v b="${rate[$2]}" -v c="${cpurate[$1]}" -v d="${cpurate[$2]}" \
		-v A="$1" -v B="$2" \
		'BEGIN {printf "ratio %s/%s records/s: %.1fx (per CPU second: %.1fx)\n", A, B, a / b, c / d}'
}

echo "--- replay of the same file: $lines records, $((bytes / 1048576)) MB"
measure vaktd "$T/big.log" "$VAKTD" --config "$T/vakt.conf" --log-target json --replay-audit -
if command -v laurel >/dev/null; then
	measure laurel "$T/big.log" laurel -c "$T/laurel.toml"
	ratio vaktd laurel
fi
if command -v ausearch >/dev/null; then
	measure ausearch "$T/big.log" ausearch -i --input-logs -if "$T/big.log"
	ratio vaktd ausearch
fi
measure vaktd-small "$T/small.log" "$VAKTD" --config "$T/vakt.conf" --log-target json --replay-audit -
echo "vaktd peak RSS: $(awk -v k="${rss[vaktd]}" 'BEGIN {printf "%.1f", k / 1024}') MB on $((bytes / 1048576)) MB," \
	"$(awk -v k="${rss[vaktd-small]}" 'BEGIN {printf "%.1f", k / 1024}') MB on $(($(stat -c %s "$T/small.log") / 1048576)) MB"

[ "$LIVE_S" -gt 0 ] && can_audit || { echo "live cost: skipped (needs root, kernel audit)"; exit 0; }

echo "--- live: vaktd's CPU while $LIVE_RATE execs/s run under a vakt-test rule"
# A private copy of true(1), so that the rule audits the load generator's execs and nobody else's.
cc -O2 -o "$T/execload" "$SRC/tests/bench/execload.c"
cp /usr/bin/true "$T/vakt-bench-true"
# "auditctl -d" takes the rule without "-a".
rule=(always,exit -F arch=b64 -S execve -F exe="$T/vakt-bench-true" -k vakt-test-bench)
auditctl -e 1 >/dev/null
auditctl -a "${rule[@]}" >/dev/null
at_exit "auditctl -d ${rule[*]} >/dev/null 2>&1"
cat >"$T/vakt-live.conf" <<EOF
[storage]
mode = off
[idle]
mode = off
[audit]
mode = enforce
ensure_rules = no
EOF
chmod 644 "$T/vakt-live.conf"
# CPU time in ns of all of PID's threads (schedstat is exact; /proc/PID/stat counts 10 ms ticks).
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {print s}'; }
lost() { auditctl -s | awk '/^lost/ {print $2}'; }
: >"$T/live.runs"
for ((run = 1; run <= LIVE_RUNS; run++)); do
	"$VAKTD" --config "$T/vakt-live.conf" --state-dir "$T/state" --runtime-dir "$T/run" --log-target json >"$T/live.out" 2>"$T/vaktd.err" &
	vpid=$!
	at_exit "kill $vpid 2>/dev/null"
	sleep 1
	lost0=$(lost)
	before=$(cpu_ns $vpid)
	start=$(date +%s.%N)
	"$T/execload" "$T/vakt-bench-true" "$LIVE_RATE" "$LIVE_S" >"$T/execs"
	stop=$(date +%s.%N)
	after=$(cpu_ns $vpid)
	lost1=$(lost)
	kill $vpid
	wait $vpid 2>/dev/null || true
	awk -F'[= ]' -v t0="$start" -v t1="$stop" -v ns=$((after - before)) -v l=$((lost1 - lost0)) -v run=$run \
		'{w = t1 - t0; printf "live %d: %d execs in %.1f s (%.0f/s; the kernel lost %d audit records meanwhile): vaktd used %.2f%% of one core, %.1f us per exec\n", run, $2, w, $2 / w, l, ns / 1e7 / w, ns / 1e3 / $2}' \
		"$T/execs" | tee -a "$T/live.runs"
done
sed 's/.* vaktd used \([0-9.]*\)% .*/\1/' "$T/live.runs" | sort -n |
	awk '{v[NR] = $1} END {printf "live: vaktd CPU over %d runs: min %.2f%%, median %.2f%% of one core\n", NR, v[1], NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
