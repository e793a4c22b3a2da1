#!/bin/bash
# make install puts every file of SPEC's table in place under DESTDIR.
. "$(dirname "$0")/lib.sh"

make -s -C "$SRC_DIR" B="${BUILD:-$SRC_DIR/build}" install DESTDIR="$T/root" PREFIX=/usr >/dev/null
for f in /usr/sbin/vaktd /usr/bin/vaktctl /usr/share/man/man8/vaktctl.8 \
	/usr/share/bash-completion/completions/vaktctl /etc/vakt/vakt.conf /etc/audit/rules.d/50-vakt.rules \
	/usr/lib/systemd/system/vaktd.service /usr/lib/systemd/catalog/vakt.catalog \
	/usr/share/man/man8/vaktd.8 /usr/share/man/man5/vakt.conf.5 \
	/usr/lib/udev/rules.d/60-vakt-read-only.rules /usr/lib/udev/rules.d/59-vakt-door.rules \
	/usr/lib/systemd/system/vakt-door.service /usr/lib/vakt/vakt-door \
	/usr/share/doc/vakt/vakt-usb.cfg; do
	[ -s "$T/root$f" ] || fail "make install did not install $f"
done
[ -x "$T/root/usr/sbin/vaktd" ] || fail "vaktd not executable"
[ -x "$T/root/usr/bin/vaktctl" ] || fail "vaktctl not executable"
[ -x "$T/root/usr/lib/vakt/vakt-door" ] || fail "vakt-door not executable"
# The units run what make install put in place (PREFIX=/usr).
for u in vaktd vakt-door; do
	for cmd in $(sed -n 's/^Exec[A-Za-z]*=[-@+!]*\([^ ]*\).*/\1/p' \
		"$T/root/usr/lib/systemd/system/$u.service"); do
		case $cmd in /bin/*) continue ;; esac
		[ -x "$T/root$cmd" ] || fail "$u.service runs $cmd, which make install did not install"
	done
done
# The GRUB snippet is an example only: nothing in /etc/default/grub.d.
[ ! -e "$T/root/etc/default/grub.d" ] || fail "make install wrote /etc/default/grub.d"
# The installed default policy is valid for the installed daemon.
"$T/root/usr/sbin/vaktd" --check-config --config "$T/root/etc/vakt/vakt.conf" >/dev/null ||
	fail "installed vakt.conf is invalid"
echo ok
