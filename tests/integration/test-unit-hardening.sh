#!/bin/bash
# systemd/vaktd.service: exposure score <= 2.3 (threshold 23 on the 0-100 scale; 2.0 before
# notify_user, whose CAP_SETUID/CAP_SETGID systemd-analyze counts 0.3), the directives
# the three parts rely on are present, /sys is read-only but for what the storage part writes,
# and an invalid policy does not stop the start. systemd/vakt-door.service: valid, early, and
# never stopped by a policy.
. "$(dirname "$0")/lib.sh"
unit=$SRC_DIR/systemd/vaktd.service

out=$(systemd-analyze security --offline=true --threshold=23 "$unit" 2>&1) ||
	fail "exposure above 2.3: $(grep Overall <<<"$out")"
score=$(sed -n 's/.*Overall exposure level for vaktd.service: \([0-9.]*\).*/\1/p' <<<"$out")
echo "exposure: $score"
[ -n "$score" ] || fail "no score in output"
# ReadWritePaths=/sys/devices reopens the USB authorisation files under ProtectKernelTunables=yes
# (read-only /sys); CAP_DAC_OVERRIDE and the terminal device classes are the idle warning's;
# CAP_SETUID, CAP_SETGID and @setuid are notify_user's (a child becomes the person).
for d in Type=notify WatchdogSec= ExecReload= Restart=on-failure AF_NETLINK CAP_AUDIT_READ \
	CAP_AUDIT_CONTROL CAP_SYS_ADMIN CAP_DAC_OVERRIDE CAP_SETUID CAP_SETGID \
	SystemCallFilter=@setuid ProtectKernelTunables=yes \
	'DeviceAllow=block-mmc rw' 'After=modprobe@mmc_block.service' \
	ProtectSystem=strict DeviceAllow=char-pts DeviceAllow=char-tty \
	'ExecStartPre=-/usr/sbin/vaktd --check-config' After=vakt-door.service; do
	grep -q "^[^#]*$d" "$unit" || fail "unit lacks $d"
done
# ProtectKernelTunables=yes leaves writable exactly these (and nothing else in /sys or /proc).
rw=$(sed -n 's/^ReadWritePaths=//p' "$unit" | tr ' ' '\n' | sort | tr '\n' ' ')
# The mmc door and the binding of SD cards (vaktd(8), SD CARDS): three files of /sys/bus/mmc.
[ "$rw" = "-/sys/bus/mmc/drivers/mmcblk/unbind -/sys/bus/mmc/drivers_autoprobe -/sys/bus/mmc/drivers_probe -/sys/bus/usb/drivers_probe -/sys/module/usbcore/parameters/authorized_default /sys/devices " ] ||
	fail "ReadWritePaths= is '$rw'"
! grep -q '^ProtectKernelTunables=no' "$unit" || fail "ProtectKernelTunables=no is back"
! grep -q '^ExecStartPre=/' "$unit" || fail "an ExecStartPre= without '-' stops the start on an invalid policy"

door=$SRC_DIR/systemd/vakt-door.service
out=$(systemd-analyze security --offline=true --threshold=40 "$door" 2>&1) ||
	fail "vakt-door.service exposure above 4.0: $(grep Overall <<<"$out")"
echo "vakt-door exposure: $(sed -n 's/.*Overall exposure level for vakt-door.service: \([0-9.]*\).*/\1/p' <<<"$out")"
for d in DefaultDependencies=no Before=systemd-udev-trigger.service local-fs-pre.target \
	ExecStart=/usr/lib/vakt/vakt-door Type=oneshot RemainAfterExit=yes \
	'ConditionPathExists=!/run/vakt/usb-door-open' WantedBy=sysinit.target; do
	grep -q "^[^#]*$d" "$door" || fail "vakt-door.service lacks $d"
done
grep -q '^Also=vakt-door.service' "$unit" || fail "enabling vaktd does not enable vakt-door"
echo ok
