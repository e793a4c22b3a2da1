#!/bin/bash
# Captures the audit fixtures of tests/data/audit that came from issue 13 on the real kernel:
#   audit-scenarios.sh OUTDIR [SCENARIO...]      (all scenarios when none is named)
# Needs root, "auditctl -e 1" (never -e 2), python3-pexpect, sudo, bash-completion.
#
# Safety on a shared machine: every rule carries the key prefix $PREFIX (vakt-test-a13 unless
# set), is scoped to the two test users (-F auid=...) and is deleted with exactly the spec it was
# added with, also on failure; no -D, no -e 2. The test users $PREFIX-alice and $PREFIX-bob, the
# sudoers drop-in and /tmp/$PREFIX are created here and removed at exit. Only processes started
# here are stopped, by PID. Captures keep only the events of the test users (audit-filter.py).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 77; }
OUT=$(realpath "${1:?usage: $0 OUTDIR [SCENARIO...]}")
shift
TOOLS=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-vakt-test-a13}
A=$PREFIX-alice
B=$PREFIX-bob
PWA='Alice-a13-pw1'
PWA2='Alice-a13-pw2!x'
PWB='Bob-a13-pw1'
D=/tmp/$PREFIX
mkdir -p "$OUT"

RULES=() # loaded rule specs (without -a/-d), deleted in reverse order
CAP_PID=
cleanup() {
	local i
	set +e
	[ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null && wait "$CAP_PID" 2>/dev/null
	for ((i = ${#RULES[@]} - 1; i >= 0; i--)); do
		eval "auditctl -d ${RULES[$i]}" >/dev/null
	done
	RULES=()
	rm -f "/etc/sudoers.d/$PREFIX"
	userdel -r "$A" >/dev/null 2>&1
	userdel -r "$B" >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT

auditctl -s | grep -q '^enabled 2' && { echo "audit is locked" >&2; exit 77; }
auditctl -e 1 >/dev/null
useradd -m -s /bin/bash "$A"
useradd -m -s /bin/bash "$B"
echo "$A:$PWA" | chpasswd
echo "$B:$PWB" | chpasswd
UA=$(id -u "$A")
UB=$(id -u "$B")
printf '%s ALL=(ALL:ALL) ALL\nDefaults:%s !lecture, timestamp_timeout=0\n' "$A" "$A" \
	>"/etc/sudoers.d/$PREFIX"
chmod 0440 "/etc/sudoers.d/$PREFIX"
visudo -cq -f "/etc/sudoers.d/$PREFIX"

mkdir -p "$D/watched" "$D/mnt" "$D/it's-fine" "$D/long"
chmod 0755 "$D" "$D/watched" "$D/mnt" "$D/it's-fine"
echo original >"$D/watched/conf"
chmod 0644 "$D/watched/conf"
cp /usr/bin/id "$D/suid-id"
chmod 4755 "$D/suid-id"

# rule SPEC: adds "-a SPEC" (SPEC is one string, split by the shell) and remembers it for -d.
rule() {
	case "$1" in *"-F auid="*) ;; *) echo "unscoped rule: $1" >&2; exit 1 ;; esac
	eval "auditctl -a $1" >/dev/null
	RULES+=("$1")
}
unrule() {
	local i
	for ((i = ${#RULES[@]} - 1; i >= 0; i--)); do eval "auditctl -d ${RULES[$i]}" >/dev/null; done
	RULES=()
}

# Site rules (CIS/STIG keys, simulated with the test prefix) and vakt's own rules (the shapes of
# conf/audit/50-vakt.rules), each scoped to the test users.
site_rules() {
	rule "always,exit -F arch=b64 -F path=/etc/shadow -F perm=wa -F auid=$UA -k $PREFIX-identity"
	rule "always,exit -F arch=b64 -S open,openat,creat,truncate,ftruncate -F exit=-EACCES -F auid=$UA -k $PREFIX-access"
	rule "always,exit -F arch=b64 -S chmod,fchmod,fchmodat,chown,fchown,fchownat,lchown -F auid=$UA -k $PREFIX-perm_mod"
	rule "always,exit -F arch=b64 -S mount,umount2 -F auid=$UA -k $PREFIX-mounts"
	rule "always,exit -F arch=b64 -S execve -C euid!=uid -F auid=$UA -k $PREFIX-user_emulation"
	rule "always,exit -F arch=b64 -F dir=$D/watched -F perm=wa -F auid=$UA -k $PREFIX-scope"
	rule "always,exit -F arch=b64 -S rename,renameat,renameat2,unlink,unlinkat -F auid=$UA"
}
vakt_rules() {
	rule "always,exit -F arch=b64 -F path=/etc/shadow -F perm=wa -F auid=$UA -k $PREFIX-watch"
	rule "always,exit -F arch=b64 -F dir=$D/watched -F perm=wa -F auid=$UA -k $PREFIX-watch"
	rule "always,exit -F arch=b64 -S mount,umount2 -F auid=$UA -k $PREFIX-mount"
	rule "always,exit -F arch=b64 -S execve -C uid!=euid -F euid=0 -F auid=$UA -k $PREFIX-setuid"
	rule "always,exit -F arch=b64 -S execve -F euid=0 -F auid=$UA -k $PREFIX-rootcmd"
	rule "always,exit -F arch=b64 -S execve -F euid=0 -F auid=$UB -k $PREFIX-rootcmd"
}

# Runs "$@" as alice (or bob) with her login uid, as after a real login; root_as_alice keeps root.
as_user() {
	local u=$1 uid
	shift
	uid=$(id -u "$u")
	(
		echo "$uid" >/proc/self/loginuid
		cd "$D"
		exec setpriv --reuid="$uid" --regid="$uid" --init-groups --reset-env "$@"
	)
}
as_alice() { as_user "$A" "$@"; }
root_as_alice() { (echo "$UA" >/proc/self/loginuid && cd "$D" && exec "$@"); }

# capture NAME: runs sc_NAME while audit-capture.py listens; keeps the test users' events.
capture() {
	local name=$1 raw=$OUT/.$1.raw
	# Rules first, so that their loading is not part of the capture.
	if declare -F "rules_${name//-/_}" >/dev/null; then "rules_${name//-/_}"; fi
	"$TOOLS/audit-capture.py" "$raw" &
	CAP_PID=$!
	sleep 0.5
	echo "== $name"
	"sc_${name//-/_}" || echo "   ($name: scenario exited $?)"
	sleep 1.5
	kill "$CAP_PID"
	wait "$CAP_PID" 2>/dev/null || true
	CAP_PID=
	unrule
	"$TOOLS/audit-filter.py" --uid "$UA" --uid "$UB" --name "$A" --name "$B" \
		--key "$PREFIX" <"$raw" >"$OUT/$name.log"
	rm -f "$raw"
	echo "   $(wc -l <"$OUT/$name.log") records"
}

# ---- Scenarios ---------------------------------------------------------------------------------

# The same actions under site rules loaded before vakt's (their keys win) and after.
site_actions() {
	as_alice sh -c "
		echo x >> /etc/shadow
		cat /etc/shadow > /dev/null
		chmod 600 $D/watched/conf
		$D/suid-id -u
		python3 -c 'import ctypes; ctypes.CDLL(None, use_errno=True).umount2(b\"$D/mnt\", 0)'
		unshare -rm sh -c 'mount -t tmpfs none $D/mnt && umount $D/mnt'
		echo '$PWA' | sudo -S -p '' sh -c ': >> /etc/shadow; chmod 644 $D/watched/conf;
			echo y >> $D/watched/conf; touch $D/watched/new; mv $D/watched/new $D/watched/new2;
			rm $D/watched/new2; mount -t tmpfs $PREFIX $D/mnt; umount $D/mnt'
	" 2>/dev/null || true
}
rules_site_rules_before() { site_rules; vakt_rules; }
rules_site_rules_after() { vakt_rules; site_rules; }
sc_site_rules_before() { site_actions; }
sc_site_rules_after() { site_actions; }

# A root shell (sudo -i, sudo su -): what the person types there, Tab completion, and a rewrite of
# the shell's audit uid to bob's.
sc_rootshell_sudo_i() {
	(
		echo "$UA" >/proc/self/loginuid
		cd "$D"
		exec "$TOOLS/ptydrive.py" setpriv --reuid="$UA" --regid="$UA" --init-groups --reset-env \
			sudo -i -- \
			"expect:password for" "line:$PWA" "expect:# " "line:id" "expect:# " \
			"line:ls /etc | wc -l" "expect:# " "send:systemctl --no-pag" "tab" "sleep:1" \
			"send: --version" "line:" "expect:# " "line:echo $UB > /proc/self/loginuid" \
			"expect:# " "line:id -un" "expect:# " "line:exit"
	)
}
sc_rootshell_sudo_su() {
	(
		echo "$UA" >/proc/self/loginuid
		cd "$D"
		exec "$TOOLS/ptydrive.py" setpriv --reuid="$UA" --regid="$UA" --init-groups --reset-env \
			sudo su - -- \
			"expect:password for" "line:$PWA" "expect:# " "line:whoami" "expect:# " \
			"line:cat /etc/hostname" "expect:# " "line:exit"
	)
}
# An unprivileged person tries to take another audit uid: the kernel refuses (res=0).
sc_loginuid_refused() { as_alice sh -c "echo $UB > /proc/self/loginuid" 2>/dev/null || true; }

# sudo from a working directory with a quote in its name.
sc_sudo_quote_cwd() {
	(
		echo "$UA" >/proc/self/loginuid
		cd "$D/it's-fine"
		echo "$PWA" | setpriv --reuid="$UA" --regid="$UA" --init-groups --reset-env \
			sh -c "cd \"$D/it's-fine\" && sudo -S -p '' id -u"
	) >/dev/null
}

# A root process with a ~4 KB program path full of spaces (hex-encoded exe= and cwd=) opens
# /etc/shadow for appending (and writes nothing).
LONG_DIR=
rules_long_exe_path() {
	local comp
	LONG_DIR=$D/long
	comp="dir with spaces $(printf 'x%.0s' {1..230})"
	while [ $((${#LONG_DIR} + ${#comp} + 12)) -lt 4060 ]; do
		LONG_DIR="$LONG_DIR/$comp"
		mkdir "$LONG_DIR"
	done
	cp /usr/bin/bash "$LONG_DIR/the sh"
	echo "   program path length $((${#LONG_DIR} + 7))"
	vakt_rules
}
sc_long_exe_path() {
	(
		echo "$UA" >/proc/self/loginuid
		cd "$LONG_DIR"
		exec "./the sh" -c ': >> /etc/shadow'
	)
}

# A setuid program run with a 12,000-byte argument (split over several EXECVE records).
sc_execve_huge_arg() {
	as_alice "$D/suid-id" "$(printf 'a b %.0s' {1..3000})" tail-arg >/dev/null 2>&1 || true
}

# passwd by a person: changed, aborted at the first prompt, wrong current password.
sc_passwd_change() {
	as_alice "$TOOLS/ptydrive.py" passwd -- "expect:Current password:" "line:$PWA" \
		"expect:New password:" "line:$PWA2" "expect:Retype new password:" "line:$PWA2" \
		"expect:successfully"
	echo "$A:$PWA" | chpasswd
}
sc_passwd_abort() {
	as_alice "$TOOLS/ptydrive.py" passwd -- "expect:Current password:" "intr" "sleep:0.5" "eof"
}
sc_passwd_wrong() {
	as_alice "$TOOLS/ptydrive.py" passwd -- "expect:Current password:" "line:wrong-pw"
}

# sudo's password prompt: typed wrong passwords, Ctrl-C and Ctrl-D (EOF), alone and after one.
sudo_pty() { as_alice "$TOOLS/ptydrive.py" sudo id -- "$@"; }
sc_sudo_pty_wrong_ctrlc() { sudo_pty "expect:password for" "line:wrong-1" "expect:try again" "expect:password for" "intr"; }
sc_sudo_pty_wrong_eof() { sudo_pty "expect:password for" "line:wrong-1" "expect:try again" "expect:password for" "eof"; }
sc_sudo_pty_ctrlc() { sudo_pty "expect:password for" "intr"; }
sc_sudo_pty_eof() { sudo_pty "expect:password for" "eof"; }
sc_sudo_pty_wrong3() {
	sudo_pty "expect:password for" "line:wrong-1" "expect:password for" "line:wrong-2" \
		"expect:password for" "line:wrong-3" "expect:incorrect password attempts"
}
sc_sudo_pty_wrong_right() {
	sudo_pty "expect:password for" "line:wrong-1" "expect:password for" "line:$PWA" "expect:uid="
}
sc_sudo_nopass() { as_alice sudo -n id >/dev/null 2>&1 || true; }
# sudo without a terminal to ask on; bob, who is not in sudoers, with no password and with three
# wrong ones (sudo then writes its refusal twice).
sc_sudo_notty() { as_alice setsid -w sudo id </dev/null >/dev/null 2>&1 || true; }
sc_sudo_notsudoer_nopass() { as_user "$B" sudo -n id >/dev/null 2>&1 || true; }
sc_sudo_notsudoer_wrong() {
	as_user "$B" "$TOOLS/ptydrive.py" sudo id -- "expect:password for" "line:wrong-1" \
		"expect:password for" "line:wrong-2" "expect:password for" "line:wrong-3" "expect:incorrect"
}
sc_sudo_notsudoer() {
	as_user "$B" "$TOOLS/ptydrive.py" sudo id -- "expect:password for" "line:$PWB" \
		"expect:not in the sudoers"
}

# su's prompt: a typed wrong password, Ctrl-C, Ctrl-D.
su_pty() { as_alice "$TOOLS/ptydrive.py" su - "$B" -c id -- "$@"; }
sc_su_pty_wrong() { su_pty "expect:Password:" "line:wrong-1" "expect:failure"; }
sc_su_pty_ctrlc() { su_pty "expect:Password:" "intr"; }
sc_su_pty_eof() { su_pty "expect:Password:" "eof"; }

# login (run by root on a terminal, as getty would): wrong password, then Ctrl-C or EOF at the next
# prompt; Ctrl-C at the password prompt.
login_pty() { (cd / && exec "$TOOLS/ptydrive.py" login -- "$@"); }
sc_login_pty_wrong_ctrlc() {
	login_pty "expect:login:" "line:$A" "expect:Password:" "line:wrong-1" "expect:incorrect" \
		"expect:login:" "line:$A" "expect:Password:" "intr"
}
sc_login_pty_wrong_eof() {
	login_pty "expect:login:" "line:$A" "expect:Password:" "line:wrong-1" "expect:incorrect" \
		"expect:login:" "line:$A" "expect:Password:" "eof" "expect:incorrect" "expect:login:" "intr"
}
sc_login_pty_wrong2() {
	login_pty "expect:login:" "line:$A" "expect:Password:" "line:wrong-1" "expect:incorrect" \
		"expect:login:" "line:$A" "expect:Password:" "line:wrong-2" "expect:incorrect" \
		"expect:login:" "intr"
}

rules_rootshell_sudo_i() { vakt_rules; }
rules_rootshell_sudo_su() { vakt_rules; }
rules_execve_huge_arg() { vakt_rules; }
rules_passwd_change() { vakt_rules; }
rules_passwd_abort() { vakt_rules; }
rules_passwd_wrong() { vakt_rules; }

ALL=(site-rules-before site-rules-after rootshell-sudo-i rootshell-sudo-su loginuid-refused
	sudo-quote-cwd long-exe-path execve-huge-arg passwd-change passwd-abort passwd-wrong
	sudo-pty-wrong-ctrlc sudo-pty-wrong-eof sudo-pty-ctrlc sudo-pty-eof sudo-pty-wrong3
	sudo-pty-wrong-right sudo-nopass sudo-notsudoer sudo-notty sudo-notsudoer-nopass
	sudo-notsudoer-wrong su-pty-wrong su-pty-ctrlc su-pty-eof login-pty-wrong-ctrlc
	login-pty-wrong-eof login-pty-wrong2)
[ $# -gt 0 ] || set -- "${ALL[@]}"
for s in "$@"; do capture "$s"; done
