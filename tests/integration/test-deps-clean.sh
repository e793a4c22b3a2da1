#!/bin/bash
# make check must leave the machine as it was (issue 17): the packages tests/tools/deps.sh
# installs enable services for the next boot (auditd, usbguard, usbguard-dbus; the journal-remote
# and journal-upload units are checked too) and laurel
# activates its auditd plugin; deps.sh undoes that. Nothing may be enabled now that was not
# enabled before vakt installed anything (deps.sh's record in /var/lib/vakt-deps).
. "$(dirname "$0")/lib.sh"
record=/var/lib/vakt-deps/enabled-before
[ -r "$record" ] || skip "deps.sh installed nothing on this machine (no $record)"

for unit in auditd.service usbguard.service usbguard-dbus.service systemd-journal-remote.socket \
	systemd-journal-remote.service systemd-journal-upload.service; do
	grep -qx "unit $unit" "$record" && continue
	state=$(systemctl is-enabled "$unit" 2>/dev/null) || true
	case $state in
	enabled | enabled-runtime | alias) fail "$unit is $state, and was not before vakt's deps" ;;
	esac
	echo "ok $unit: ${state:-not installed}"
done
for plugin in /etc/audit/plugins.d/laurel.conf; do
	[ -e "$plugin" ] || continue
	grep -qx "plugin $plugin" "$record" && continue
	grep -qE '^[[:space:]]*active[[:space:]]*=[[:space:]]*yes' "$plugin" &&
		fail "$plugin is active, and was not before vakt's deps"
	echo "ok $plugin: inactive"
done
# Any other unit link that appeared since.
new=$(comm -13 <(grep '^unit ' "$record" | sort -u) \
	<(find /etc/systemd/system -type l -printf 'unit %f\n' | sort -u))
[ -z "$new" ] || echo "note: enabled since deps.sh first ran (not by vakt's packages?): $new"
for u in auditd usbguard usbguard-dbus dbus-org.usbguard systemd-journal-upload; do
	if grep -q "unit $u.service" <<<"$new"; then fail "$u.service was enabled since"; fi
done
echo ok
