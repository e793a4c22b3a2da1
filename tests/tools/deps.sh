#!/bin/bash
# Installs the Debian packages a make target needs, by group:
#   build   compiler and libraries                        (make, make install)
#   check   unit and integration tests, sanitizers         (make check)
#   demo    umockdev, python3-dbusmock and dbus            (make demo)
#   lint    formatters and static analysers                (make lint)
#   fuzz    clang with libFuzzer                           (make fuzz)
#   bench   the reference tools laurel and usbguard        (make bench)
#   deb     debhelper, dpkg-buildpackage and lintian       (make deb)
# Usage: deps.sh GROUP... (default: build check).
# As root: installs what is missing with non-interactive apt-get. Otherwise: prints the exact
# apt-get line to run and fails.
#
# Packages must not change the machine beyond their files: no service is started (policy-rc.d),
# and whatever a package enables for the next boot (auditd, usbguard and usbguard-dbus enable
# their units; laurel activates its auditd plugin) is disabled again right after the install,
# unless it was enabled before. tests/integration/test-deps-clean.sh checks that.
set -euo pipefail

declare -A DEP_GROUPS=(
	[build]="gcc make pkg-config libsystemd-dev libudev-dev libaudit-dev libauparse-dev
		libcap-dev libinih-dev libgcrypt20-dev"
	[check]="check umockdev libumockdev-dev gir1.2-umockdev-1.0 python3-gi python3-dbus
		python3-dbusmock dbus auditd sudo passwd systemd jq udev python3-pexpect
		systemd-journal-remote openssl"
	[demo]="umockdev gir1.2-umockdev-1.0 python3-gi python3-dbus python3-dbusmock dbus"
	[lint]="clang-format clang-tidy cppcheck mandoc check"
	[fuzz]="clang libclang-rt-14-dev"
	[deb]="debhelper dpkg-dev fakeroot lintian"
	[bench]="laurel usbguard auditd time umockdev gir1.2-umockdev-1.0 python3-gi python3-dbusmock dbus"
)
# What the vakt-* services and plugins of these packages enable: checked by test-deps-clean.sh.
STATE=/var/lib/vakt-deps

[ $# -gt 0 ] || set -- build check
PKGS=()
for g in "$@"; do
	[ -n "${DEP_GROUPS[$g]:-}" ] || { echo "deps.sh: unknown group '$g'" >&2; exit 2; }
	# shellcheck disable=SC2206 # one word per package
	PKGS+=(${DEP_GROUPS[$g]})
done

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "$(id -u)" -ne 0 ]; then
	echo "vakt: missing Debian packages; run as root:" >&2
	echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

# What is enabled now: unit symlinks in /etc/systemd/system and active auditd plugins.
enabled_now() {
	find /etc/systemd/system -type l -printf 'unit %f\n' 2>/dev/null
	# No active plugin is an answer, not an error (grep exits 1; pipefail and set -e would stop).
	{ grep -lsE '^[[:space:]]*active[[:space:]]*=[[:space:]]*yes' /etc/audit/plugins.d/*.conf ||
		true; } | sed 's/^/plugin /'
}

echo "vakt: installing ${missing[*]}" >&2
mkdir -p "$STATE"
before=$(enabled_now | sort -u)
# The first record is what the machine had before vakt installed anything.
[ -e "$STATE/enabled-before" ] || printf '%s\n' "$before" >"$STATE/enabled-before"

# Never let a package start a service here (auditd would load its own rules, including -D).
created_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	created_policy=1
fi
trap '[ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Undo what the install enabled for the next boot.
comm -13 <(printf '%s\n' "$before") <(enabled_now | sort -u) | while read -r kind name; do
	case $kind in
	unit)
		# deb-systemd-helper remembers the choice, so that an upgrade does not enable it again.
		deb-systemd-helper disable "$name" >/dev/null 2>&1 || true
		find /etc/systemd/system -type l -name "$name" -delete
		echo "vakt: disabled $name, which the package enabled" >&2
		;;
	plugin)
		sed -i -E 's/^([[:space:]]*active[[:space:]]*=[[:space:]]*)yes/\1no/' "$name"
		echo "vakt: deactivated the auditd plugin $name, which the package activated" >&2
		;;
	esac
done
