#!/bin/bash
# systemd/vaktd.service: exposure score <= 2.0 (threshold 20 on the 0-100 scale) and the
# directives the three parts rely on are present.
. "$(dirname "$0")/lib.sh"
unit=$SRC_DIR/systemd/vaktd.service

out=$(systemd-analyze security --offline=true --threshold=20 "$unit" 2>&1) ||
	fail "exposure above 2.0: $(grep Overall <<<"$out")"
score=$(sed -n 's/.*Overall exposure level for vaktd.service: \([0-9.]*\).*/\1/p' <<<"$out")
echo "exposure: $score"
[ -n "$score" ] || fail "no score in output"
# ReadWritePaths=/sys/devices reopens the USB authorisation files under ProtectKernelTunables=yes
# (read-only /sys); CAP_DAC_OVERRIDE and the terminal device classes are the idle warning's.
for d in Type=notify WatchdogSec= ExecReload= Restart=on-failure AF_NETLINK CAP_AUDIT_READ \
	CAP_AUDIT_CONTROL CAP_SYS_ADMIN CAP_DAC_OVERRIDE ReadWritePaths=/sys/devices \
	ProtectKernelTunables=yes DeviceAllow=char-pts DeviceAllow=char-tty; do
	grep -q "^[^#]*$d" "$unit" || fail "unit lacks $d"
done
echo ok
