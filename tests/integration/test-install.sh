#!/bin/bash
# make install puts every file of SPEC's table in place under DESTDIR, with the paths the units
# run (PREFIX=/usr by default, units rewritten for another PREFIX), and never overwrites the
# administrator's vakt.conf or audit rules: the shipped version goes beside them as .dist.
. "$(dirname "$0")/lib.sh"

B_DIR=${BUILD:-$SRC_DIR/build}
install_to() { # DESTDIR [make arguments...]
	local dest=$1
	shift
	make -s -C "$SRC_DIR" B="$B_DIR" install DESTDIR="$dest" "$@"
}

install_to "$T/root" >"$T/first.out"
for f in /usr/sbin/vaktd /usr/bin/vaktctl /usr/share/man/man8/vaktctl.8 \
	/usr/share/bash-completion/completions/vaktctl /etc/vakt/vakt.conf /etc/audit/rules.d/50-vakt.rules \
	/usr/lib/systemd/system/vaktd.service /usr/lib/systemd/catalog/vakt.catalog \
	/usr/share/man/man8/vaktd.8 /usr/share/man/man5/vakt.conf.5 \
	/usr/lib/udev/rules.d/60-vakt-read-only.rules /usr/lib/udev/rules.d/59-vakt-door.rules \
	/usr/lib/systemd/system/vakt-door.service /usr/lib/vakt/vakt-door \
	/usr/share/vakt/grub/vakt-usb.cfg; do
	[ -s "$T/root$f" ] || fail "make install did not install $f"
done
[ -d "$T/root/etc/vakt/vakt.conf.d" ] || fail "no drop-in directory"
[ -x "$T/root/usr/sbin/vaktd" ] || fail "vaktd not executable"
[ -x "$T/root/usr/bin/vaktctl" ] || fail "vaktctl not executable"
[ -x "$T/root/usr/lib/vakt/vakt-door" ] || fail "vakt-door not executable"
[ ! -e "$T/root/etc/vakt/vakt.conf.dist" ] || fail "a .dist file on a first install"
grep -q 'kept' "$T/first.out" && fail "a first install claims to keep a file: $(cat "$T/first.out")"

# The units run what make install put in place; with another PREFIX too.
check_units() { # ROOT
	for u in vaktd vakt-door; do
		for cmd in $(sed -n 's/^Exec[A-Za-z]*=[-@+!]*\([^ ]*\).*/\1/p' \
			"$1"/*/lib/systemd/system/$u.service "$1"/lib/systemd/system/$u.service 2>/dev/null); do
			case $cmd in /bin/*) continue ;; esac
			[ -x "$1$cmd" ] || fail "$u.service runs $cmd, which make install did not install"
		done
	done
}
check_units "$T/root"
install_to "$T/local" PREFIX=/usr/local >/dev/null
[ -x "$T/local/usr/local/sbin/vaktd" ] || fail "PREFIX=/usr/local: no /usr/local/sbin/vaktd"
grep -q '^ExecStart=/usr/local/sbin/vaktd$' "$T/local/usr/local/lib/systemd/system/vaktd.service" ||
	fail "PREFIX=/usr/local: the unit does not run /usr/local/sbin/vaktd"
check_units "$T/local"

# The GRUB snippet is the administrator's to activate: nothing in /etc/default/grub.d.
[ ! -e "$T/root/etc/default/grub.d" ] || fail "make install wrote /etc/default/grub.d"
# The installed default policy is valid for the installed daemon.
"$T/root/usr/sbin/vaktd" --check-config --config "$T/root/etc/vakt/vakt.conf" >/dev/null ||
	fail "installed vakt.conf is invalid"

# A second install (an upgrade from source) keeps the administrator's files.
echo "# local change" >>"$T/root/etc/vakt/vakt.conf"
echo "# local rule" >>"$T/root/etc/audit/rules.d/50-vakt.rules"
install_to "$T/root" >"$T/second.out"
for f in /etc/vakt/vakt.conf /etc/audit/rules.d/50-vakt.rules; do
	tail -1 "$T/root$f" | grep -q '^# local' || fail "make install overwrote $f"
	cmp -s "$T/root$f.dist" "$SRC_DIR/conf/${f##*/}" 2>/dev/null ||
		cmp -s "$T/root$f.dist" "$SRC_DIR/conf/audit/${f##*/}" ||
		fail "$f.dist is not the shipped file"
	grep -q "kept $f; the shipped version is $f.dist" "$T/second.out" ||
		fail "make install did not say it kept $f: $(cat "$T/second.out")"
done
echo ok
