#!/bin/bash
# conf/udev/59-vakt-door.rules run by udev's own rule engine (udevadm test) on umockdev devices,
# in a private mount namespace whose only rules file is this one (the machine's udev setup is not
# touched): on a root hub's "add" it closes the root hub's authorized_default and
# interface_authorized_default and usbcore's authorized_default; on usbcore's "add" the parameter;
# it leaves other devices and other actions alone, and writes nothing while
# /run/vakt/usb-door-open exists (vaktd not enforcing storage).
# Needs root, unshare, umockdev and udevadm (package udev, which these machines do not have: then
# skipped, and tests/system runs the rule in the QEMU guest; UDEVADM=PATH uses another binary,
# e.g. one unpacked from the udev .deb with dpkg-deb -x).
. "$(dirname "$0")/lib.sh"
need_root
udevadm=${UDEVADM:-$(command -v udevadm || true)}
[ -n "$udevadm" ] && [ -x "$udevadm" ] ||
	skip "needs udevadm (package udev, or UDEVADM=PATH); tests/system checks the rule in the guest"
command -v umockdev-run >/dev/null || skip "needs umockdev-run"
command -v unshare >/dev/null || skip "needs unshare"
rule=$SRC_DIR/conf/udev/59-vakt-door.rules

cat >"$T/devices.umockdev" <<'EOF'
P: /devices/pci0000:00/0000:00:14.0/usb1
E: DEVTYPE=usb_device
E: SUBSYSTEM=usb
A: authorized_default=1
A: interface_authorized_default=1
A: authorized=1
A: idVendor=1d6b
A: idProduct=0002

P: /devices/pci0000:00/0000:00:14.0/usb1/1-1
E: DEVTYPE=usb_device
E: SUBSYSTEM=usb
A: authorized=1
A: authorized_default=1
A: idVendor=0951
A: idProduct=1666
EOF

# Runs inside the test bed: each case prints "CASE: files" for the checks below.
cat >"$T/cases.sh" <<EOF
set -u
sys=/sys/devices/pci0000:00/0000:00:14.0
param=/sys/module/usbcore/parameters/authorized_default
reset() { for f in \$sys/usb1/authorized_default \$sys/usb1/interface_authorized_default \\
	\$sys/usb1/1-1/authorized_default \$param; do printf 1 >\$f; done; }
show() { echo "\$1: \$(cat \$sys/usb1/authorized_default \$sys/usb1/interface_authorized_default \\
	\$sys/usb1/1-1/authorized_default \$param | tr -d '\\n')"; }
t() { "$udevadm" test --action=\$1 \$2 >>"$T/udevadm.log" 2>&1 || echo "udevadm failed: \$1 \$2"; }
mkdir -p /sys/module/usbcore/parameters
reset; t add \$sys/usb1; show roothub-add
reset; t add /sys/module/usbcore; show usbcore-add
reset; t add \$sys/usb1/1-1; show device-add
reset; t change \$sys/usb1; show roothub-change
reset; mkdir -p /run/vakt; : >/run/vakt/usb-door-open; t add \$sys/usb1; show door-open
EOF

# A private mount namespace: /run and every rules directory are empty tmpfs there, and the one
# rules file is ours.
unshare -m bash -c '
	set -e
	mount --make-rprivate /
	mount -t tmpfs tmpfs /run
	mkdir -p /run/udev/rules.d
	cp "$1" /run/udev/rules.d/
	for d in /etc/udev/rules.d /usr/lib/udev/rules.d /lib/udev/rules.d /usr/local/lib/udev/rules.d; do
		[ -d "$d" ] && mount -t tmpfs tmpfs "$d"
	done
	umockdev-run -d "$2" -- bash "$3"
' unshare-rules "$rule" "$T/devices.umockdev" "$T/cases.sh" >"$T/out" 2>&1 ||
	fail "the test bed failed: $(cat "$T/out")"
cat "$T/out"
grep -q "Reading rules file: /run/udev/rules.d/59-vakt-door.rules" "$T/udevadm.log" ||
	fail "udevadm did not read the rule: $(tail -20 "$T/udevadm.log")"
grep -qi "invalid\|failed to parse\|error" "$T/udevadm.log" &&
	fail "udevadm reports a problem: $(grep -i 'invalid\|failed to parse\|error' "$T/udevadm.log")"
# Files: root hub authorized_default, interface_authorized_default, device 1-1's
# authorized_default (must never be written), usbcore's parameter.
expect() { grep -qx "$1: $2" "$T/out" || fail "$1: expected $2, got: $(grep "^$1:" "$T/out")"; }
expect roothub-add 0010
expect usbcore-add 1110
expect device-add 1111
expect roothub-change 1111
expect door-open 1111
echo ok
