#!/bin/bash
# Install the Debian packages vakt needs to build, test, lint and benchmark.
# As root: installs what is missing with non-interactive apt-get.
# Otherwise: prints the exact apt-get line to run and fails.
set -euo pipefail

PKGS=(
	# build
	gcc make pkg-config libsystemd-dev libudev-dev libaudit-dev libauparse-dev libcap-dev
	libinih-dev
	# unit tests, sanitizers, fuzzing
	check clang libclang-rt-14-dev
	# integration tests: umockdev, logind mock, audit, journald
	umockdev libumockdev-dev gir1.2-umockdev-1.0 python3-gi python3-dbusmock dbus
	auditd sudo passwd systemd jq
	# lint
	clang-format clang-tidy cppcheck mandoc
	# benchmarks: the reference tools
	laurel usbguard time
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "vakt: missing Debian packages; run as root:" >&2
	echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

echo "vakt: installing ${missing[*]}" >&2
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
