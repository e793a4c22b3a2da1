#!/bin/bash
# Builds (or reuses) the Debian bookworm guest image for the vakt system tests.
#
#   bash tests/system/build-image.sh          # prints the cache directory on stdout
#
# Output in $VAKT_SYSTEM_CACHE (default /var/cache/vakt-system-test as root, else build/system):
#   base.qcow2   root file system (ext4 on /dev/vda, no partition table, no boot loader)
#   vmlinuz, initrd.img   the guest's kernel and initrd, booted with -kernel/-initrd
#   recipe       sha256 of this script: the image is rebuilt when the script changes
#
# Needs root (debootstrap, chroot) and the network, but only the Debian mirror named in the
# host's own apt sources, read here at run time. Installs missing host packages with apt-get.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ -z "${VAKT_SYSTEM_CACHE:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then VAKT_SYSTEM_CACHE=/var/cache/vakt-system-test; else VAKT_SYSTEM_CACHE=$top/build/system; fi
fi
cache=$VAKT_SYSTEM_CACHE
SUITE=bookworm
recipe=$(sha256sum "$0" | cut -d' ' -f1)

log() { printf 'build-image: %s\n' "$*" >&2; }

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

if [ -f "$cache/base.qcow2" ] && [ -f "$cache/vmlinuz" ] && [ -f "$cache/initrd.img" ] &&
	[ "$(cat "$cache/recipe" 2>/dev/null)" = "$recipe" ] && [ -z "${VAKT_SYSTEM_REBUILD:-}" ]; then
	log "image up to date in $cache"
	echo "$cache"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	log "the guest image must be built as root (debootstrap, chroot); run: sudo make system-test"
	exit 1
fi

# --- host packages --------------------------------------------------------------------------
HOST_PKGS=(qemu-system-x86 qemu-utils debootstrap e2fsprogs dosfstools mtools debian-archive-keyring)
missing=()
for p in "${HOST_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing host packages: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
fi

# --- the mirror: the first source in the host's apt configuration that serves $SUITE ---------
find_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		# deb [options] URI SUITE COMPONENTS...
		awk -v s="$SUITE" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) == s) { print $i; exit } }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v s="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
			{ types = ""; uris = ""; suites = ""
			  for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/) types = $i
				else if ($i ~ /^URIs:/) uris = $i
				else if ($i ~ /^Suites:/) suites = $i }
			  if (types !~ /[ \t]deb([ \t]|$)/) next
			  n = split(suites, a, /[ \t]+/); ok = 0
			  for (j = 2; j <= n; j++) if (a[j] == s) ok = 1
			  if (!ok) next
			  split(uris, u, /[ \t]+/); print u[2]; exit }' "$f"
	done
}
mirror=${VAKT_SYSTEM_MIRROR:-$(find_mirror | head -1)}
[ -n "$mirror" ] || { log "no '$SUITE' source found in the host's apt configuration"; exit 1; }
log "mirror (from the host's apt sources): $mirror"

# --- debootstrap ----------------------------------------------------------------------------
# What build/vaktd needs at run time (see `ldd build/vaktd`) plus what the tests use.
GUEST_PKGS=(
	linux-image-amd64 initramfs-tools zstd kmod
	systemd systemd-sysv udev dbus libpam-systemd
	auditd sudo usbutils qemu-guest-agent procps util-linux mount jq
	libinih1 libauparse0 libaudit1 libcap2 libsystemd0 libudev1
)
work=$(mktemp -d "$cache/build.XXXXXX")
root=$work/root
mounted=()
cleanup() {
	local m
	for ((m = ${#mounted[@]} - 1; m >= 0; m--)); do umount -l "${mounted[m]}" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
t0=$(date +%s)
log "debootstrap $SUITE into $root (a few minutes)"
debootstrap --variant=minbase --arch=amd64 --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
	--include="$(IFS=,; echo "${GUEST_PKGS[*]}")" "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
	tail -30 "$work/debootstrap.log" >&2
	tail -30 "$root/debootstrap/debootstrap.log" >&2 2>/dev/null || true
	exit 1
}
log "debootstrap done in $(($(date +%s) - t0)) s"

for m in proc sys dev; do
	mount --bind "/$m" "$root/$m"
	mounted+=("$root/$m")
done
inchroot() { LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$root" "$@"; }

# --- configuration --------------------------------------------------------------------------
echo vakt-guest >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 vakt-guest\n' >"$root/etc/hosts"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
rm -f "$root/etc/machine-id"
inchroot systemd-machine-id-setup >/dev/null

# Users: alice (uid 1000) is an ordinary user, not an administrator; bob (uid 1001) is in group
# sudo with a NOPASSWD rule. Both have no password (locked), they only log in automatically.
# carol (1002) and dave (1003) get graphical (Type=x11) sessions and erin (1004) an idle text
# session, each started by the idle tests (tests.py) when they need it, never automatically.
# alice and bob, whose autologin sessions every other test uses, are in group idle-exempt: idle
# tests with short durations name it in exempt_groups so those sessions are left alone.
inchroot groupadd idle-exempt
inchroot useradd -m -u 1000 -s /bin/bash -G idle-exempt alice
inchroot useradd -m -u 1001 -s /bin/bash -G sudo,idle-exempt bob
inchroot useradd -m -u 1002 -s /bin/bash carol
inchroot useradd -m -u 1003 -s /bin/bash dave
inchroot useradd -m -u 1004 -s /bin/bash erin
echo 'bob ALL=(ALL:ALL) NOPASSWD: ALL' >"$root/etc/sudoers.d/vakt-test-bob"
chmod 0440 "$root/etc/sudoers.d/vakt-test-bob"
for u in alice bob erin; do
	# A plain prompt; no bracketed paste (it wraps typed lines in escape codes).
	printf 'PS1="%s\\$ "\nbind "set enable-bracketed-paste off" 2>/dev/null\nunset HISTFILE\n' "$u" \
		>>"$root/home/$u/.bashrc"
done

# Autologin: alice on hvc0 (first virtconsole) and tty1 (the person at seat0), bob on hvc1.
# Each is a real logind session (pam_systemd) with a loginuid.
autologin() { # unit user tty-args
	mkdir -p "$root/etc/systemd/system/$1.d"
	printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin %s --noclear %s\n' "$2" "$3" \
		>"$root/etc/systemd/system/$1.d/autologin.conf"
}
autologin serial-getty@hvc0.service alice '--keep-baud 115200,57600,38400,9600 %I $TERM'
autologin serial-getty@hvc1.service bob '--keep-baud 115200,57600,38400,9600 %I $TERM'
autologin getty@tty1.service alice '%I $TERM'
inchroot systemctl enable serial-getty@hvc0.service serial-getty@hvc1.service getty@tty1.service >/dev/null 2>&1
inchroot systemctl set-default multi-user.target >/dev/null 2>&1
for u in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer e2scrub_reap.service \
	fstrim.timer systemd-timesyncd.service; do
	inchroot systemctl mask "$u" >/dev/null 2>&1 || true
done
# logind: a tty session's IdleHint turns yes IdleActionSec after the tty's last input (its
# IdleSinceHint follows the tty's atime whatever this is). IdleAction stays "ignore".
mkdir -p "$root/etc/systemd/logind.conf.d"
printf '[Login]\nIdleAction=ignore\nIdleActionSec=15s\n' >"$root/etc/systemd/logind.conf.d/vakt-test.conf"
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nRateLimitIntervalSec=0\nRateLimitBurst=0\n' >"$root/etc/systemd/journald.conf.d/vakt-test.conf"

# --- trim: docs, locales, drivers a virtual machine never needs ------------------------------
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
	"$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old
kver=$(basename "$(ls -d "$root"/lib/modules/* | head -1)")
kdir=$root/lib/modules/$kver/kernel
rm -rf "$kdir"/drivers/{gpu,media,infiniband,staging,net/wireless,net/ethernet,isdn,bluetooth,iio,hwmon} \
	"$kdir"/sound "$kdir"/net/{bluetooth,wireless,mac80211}
inchroot depmod -a "$kver"

# A small initrd with what it takes to mount the root file system.
sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
printf '%s\n' virtio_pci virtio_blk virtio_console ext4 crc32c_generic >>"$root/etc/initramfs-tools/modules"
inchroot update-initramfs -u -k "$kver" >/dev/null 2>&1
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/initrd.img"

for ((m = ${#mounted[@]} - 1; m >= 0; m--)); do umount "${mounted[m]}"; done
mounted=()

# --- the disk -------------------------------------------------------------------------------
log "root file system: $(du -sm "$root" | cut -f1) MB"
mkfs.ext4 -q -F -L vakt-root -d "$root" "$work/root.raw" 3G >/dev/null
qemu-img convert -O qcow2 "$work/root.raw" "$work/base.qcow2"
rm -f "$work/root.raw"
mv -f "$work/base.qcow2" "$work/vmlinuz" "$work/initrd.img" "$cache/"
echo "$recipe" >"$cache/recipe"
log "image built in $(($(date +%s) - t0)) s: $cache/base.qcow2 ($(du -m "$cache/base.qcow2" | cut -f1) MB)"
echo "$cache"
