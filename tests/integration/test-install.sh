#!/bin/bash
# make install puts every file of SPEC's table in place under DESTDIR.
. "$(dirname "$0")/lib.sh"

make -s -C "$SRC_DIR" B="${BUILD:-$SRC_DIR/build}" install DESTDIR="$T/root" PREFIX=/usr >/dev/null
for f in /usr/sbin/vaktd /etc/vakt/vakt.conf /etc/audit/rules.d/50-vakt.rules \
	/usr/lib/systemd/system/vaktd.service /usr/lib/systemd/catalog/vakt.catalog \
	/usr/share/man/man8/vaktd.8 /usr/share/man/man5/vakt.conf.5 \
	/usr/lib/udev/rules.d/60-vakt-read-only.rules; do
	[ -s "$T/root$f" ] || fail "make install did not install $f"
done
[ -x "$T/root/usr/sbin/vaktd" ] || fail "vaktd not executable"
# The installed default policy is valid for the installed daemon.
"$T/root/usr/sbin/vaktd" --check-config --config "$T/root/etc/vakt/vakt.conf" >/dev/null ||
	fail "installed vakt.conf is invalid"
echo ok
